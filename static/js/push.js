/*
 * push.js: the "Nhận thông báo trên thiết bị này" card (templates/accounts/push_card.html). No framework and
 * no build step (ES2017). It registers the service worker (/sw.js, scope /), then shows whether this browser
 * gets the school's notifications, and turns them on (permission, pushManager.subscribe with the server's
 * VAPID key, POST of the subscription) or off (server row removed, browser subscription dropped).
 *
 * Contract with the card:
 *   [data-push-card][data-state-url][data-sw-url]  the card; state URL: GET {vapid_public_key, devices},
 *                                                  POST a PushSubscription JSON (400 {error} with a reason)
 *   [data-push-status]                             where the state is written (aria-live)
 *   [data-push-on] [data-push-off]                 each wraps a button; shown when it applies
 *   [data-push-text=<state>]                       the texts, translated by the template
 *   input[name=csrfmiddlewaretoken]                sent as X-CSRFToken
 * The card's data-push-state attribute is the state shown (tests wait on it): checking, working, on, off,
 * bad, denied, dismissed, unsupported, unconfigured, failed.
 */
(function () {
  "use strict";

  const card = document.querySelector("[data-push-card]");
  if (!card) {
    return;
  }
  const status = card.querySelector("[data-push-status]");
  const onButton = card.querySelector("[data-push-on]");
  const offButton = card.querySelector("[data-push-off]");
  const OFFER_ON = ["off", "bad", "dismissed"];
  let registration = null;
  let server = {vapid_public_key: "", devices: []};

  function text(name) {
    const element = card.querySelector(`[data-push-text="${name}"]`);
    return element ? element.textContent.trim() : name;
  }

  // A failure keeps the buttons of the state before it, so the parent can try again.
  function show(state, detail) {
    status.textContent = detail ? `${text(state)} ${detail}` : text(state);
    card.dataset.pushState = state;
    if (state !== "failed") {
      onButton.hidden = !OFFER_ON.includes(state);
      offButton.hidden = state !== "on";
    }
  }

  function keyBytes(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function sameKey(buffer, bytes) {
    const key = buffer ? new Uint8Array(buffer) : new Uint8Array(0);
    return key.length === bytes.length && key.every((value, i) => value === bytes[i]);
  }

  async function request(url, options) {
    const csrf = card.querySelector("input[name=csrfmiddlewaretoken]");
    const response = await fetch(url, Object.assign({
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": csrf ? csrf.value : "",
      },
    }, options));
    let body = {};
    try {
      body = await response.json();
    } catch (error) {
      body = {};  // a login page after the session expired, an error page
    }
    if (!response.ok || response.redirected) {
      throw new Error(body.error || `${response.status} ${response.statusText}`);
    }
    return body;
  }

  function thisDevice(subscription) {
    return subscription ? server.devices.find((device) => device.endpoint === subscription.endpoint) : null;
  }

  async function refresh() {
    server = await request(card.dataset.stateUrl, {method: "GET"});
    if (!server.vapid_public_key) {
      return show("unconfigured");
    }
    if (Notification.permission === "denied") {
      return show("denied");
    }
    const device = thisDevice(await registration.pushManager.getSubscription());
    if (!device || Notification.permission !== "granted") {
      return show("off");
    }
    return show(device.is_bad ? "bad" : "on");
  }

  async function turnOn() {
    show("working");
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      return show(permission === "denied" ? "denied" : "dismissed");
    }
    const key = keyBytes(server.vapid_public_key);
    let subscription = await registration.pushManager.getSubscription();
    if (subscription && !sameKey(subscription.options.applicationServerKey, key)) {
      await subscription.unsubscribe();  // made for an earlier VAPID key: the push service would refuse us
      subscription = null;
    }
    if (!subscription) {
      subscription = await registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: key});
    }
    await request(card.dataset.stateUrl, {method: "POST", body: JSON.stringify(subscription.toJSON())});
    return refresh();
  }

  async function turnOff() {
    show("working");
    const subscription = await registration.pushManager.getSubscription();
    const device = thisDevice(subscription);
    if (device) {
      await request(device.delete_url, {method: "POST"});
    }
    if (subscription) {
      await subscription.unsubscribe();
    }
    return refresh();
  }

  function failed(error) {
    show("failed", error && error.message ? error.message : String(error));
  }

  if (!("serviceWorker" in navigator && "PushManager" in window && "Notification" in window)) {
    show("unsupported");
    return;
  }
  show("checking");
  onButton.addEventListener("click", () => turnOn().catch(failed));
  offButton.addEventListener("click", () => turnOff().catch(failed));
  navigator.serviceWorker.register(card.dataset.swUrl, {scope: "/"})
    .then(() => navigator.serviceWorker.ready)
    .then((ready) => {
      registration = ready;
      return refresh();
    })
    .catch(failed);
})();
