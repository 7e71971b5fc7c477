/*
 * Schoolbook's service worker, served at /sw.js (scope: the whole origin, every school's pages).
 * push: show the notification (tag = the delivery's key, so a device shows a message once however often
 * it arrives), then tell the server it was shown: POST {key, receipt} to the receipt URL, which marks the
 * delivery delivered (receipt is the HMAC the server put in the encrypted payload).
 * notificationclick: focus a tab already on the notification's page, or open it.
 */
"use strict";

const RECEIPT_URL = "{% url 'push_receipt' %}";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {body: event.data.text()};
  }
  const shown = self.registration.showNotification(data.title || "Schoolbook", {
    body: data.body || "",
    tag: data.tag || undefined,
    data: {url: data.url || "/"},
  });
  event.waitUntil(shown.then(() => {
    if (!data.tag || !data.receipt) {
      return undefined;
    }
    // keepalive: the browser may stop this worker as soon as the notification is up.
    return fetch(RECEIPT_URL, {
      method: "POST",
      keepalive: true,
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({key: data.tag, receipt: data.receipt}),
    }).catch(() => undefined);  // offline again: the school's fallback delay takes over
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  // Only our own pages: the payload comes from our server, but a link elsewhere is never what a parent expects.
  const url = target.origin === self.location.origin ? target.href : self.location.origin + "/";
  event.waitUntil(
    self.clients.matchAll({type: "window", includeUncontrolled: true}).then((windows) => {
      const open = windows.find((client) => client.url === url && "focus" in client);
      return open ? open.focus() : self.clients.openWindow(url);
    })
  );
});
