/*
 * Schoolbook's service worker, served at /sw.js (scope: the whole origin, every school's pages); the one
 * worker of the origin, for Web Push and for offline use.
 * push: show the notification (tag = the delivery's key, so a device shows a message once however often
 * it arrives), then tell the server it was shown: POST {key, receipt} to the receipt URL, which marks the
 * delivery delivered (receipt is the HMAC the server put in the encrypted payload).
 * notificationclick: focus a tab already on the notification's page, or open it.
 * install: store the app shell (SHELL: styles, scripts, icons, the offline page), fetched without cookies.
 * fetch: pages are asked of the network first. A page the server marks with X-Offline-Cache (a signed-in
 * parent's own page: schoolbook.pwa.middleware) is kept in the cache "pages-<owner>", the last PAGES_KEPT of
 * them; keeping one deletes every other owner's cache, so a device holds one person's pages at most. With
 * no network, a kept page is shown with its offline banner (rendered hidden in it, with the time it was
 * made), any other page as the offline page. The shell's files come from the network, else from the shell.
 * message {keep: url}: keep that page as if it had been fetched here (the page seen before the worker ran).
 * Signing out (the POST to /logout/) deletes the kept pages; so does every page seen by someone else
 * (static/js/pwa.js). Nothing but GET navigations is kept: no POST answer, no fragment, no file.
 */
"use strict";

const RECEIPT_URL = "{% url 'push_receipt' %}";
const LOGOUT_URL = "{% url 'logout' %}";
const OFFLINE_URL = "{% url 'offline' %}";
const SHELL = {{ shell|safe }};
const SHELL_CACHE = "shell-{{ shell_version }}";
const PAGES = "pages-";
const PAGES_KEPT = 30;
const OWNER_HEADER = "X-Offline-Cache";
const BANNER_HIDDEN = "data-offline-banner hidden";

self.addEventListener("install", (event) => {
  // One file that fails (a deploy under way) must not stop the worker, which also delivers push messages.
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => Promise.all(SHELL.map((url) => (
        cache.add(new Request(url, {credentials: "omit"})).catch(() => undefined)
      ))))
      .finally(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  const old = caches.keys().then((names) => Promise.all(
    names.filter((name) => name.startsWith("shell-") && name !== SHELL_CACHE).map((name) => caches.delete(name))
  ));
  event.waitUntil(old.then(() => self.clients.claim()));
});

function pagesForget(except) {
  return caches.keys().then((names) => Promise.all(
    names.filter((name) => name.startsWith(PAGES) && name !== except).map((name) => caches.delete(name))
  ));
}

async function pageKeep(url, response, owner) {
  const name = PAGES + owner;
  await pagesForget(name);
  const cache = await caches.open(name);
  await cache.put(url, response);
  const keys = await cache.keys();  // oldest first: a page kept again moves to the end
  await Promise.all(keys.slice(0, Math.max(0, keys.length - PAGES_KEPT)).map((key) => cache.delete(key)));
}

async function pageKept(url) {
  const names = (await caches.keys()).filter((name) => name.startsWith(PAGES));
  for (const name of names) {
    const kept = await (await caches.open(name)).match(url, {ignoreVary: true});
    if (kept) {
      const html = (await kept.text()).replace(BANNER_HIDDEN, "data-offline-banner");
      return new Response(html, {headers: {"Content-Type": "text/html; charset=utf-8"}});
    }
  }
  return undefined;
}

async function navigate(event) {
  const url = event.request.url.split("#")[0];
  let response;
  try {
    response = await fetch(event.request);
  } catch (error) {
    return (await pageKept(url)) || (await caches.match(OFFLINE_URL, {cacheName: SHELL_CACHE})) || Response.error();
  }
  const owner = response.headers.get(OWNER_HEADER);
  if (owner && response.status === 200) {
    event.waitUntil(pageKeep(url, response.clone(), owner));
  }
  return response;
}

// {keep: url} from static/js/pwa.js: the page a parent saw before this worker controlled it (their first
// visit) was not fetched through here; asked again, it is kept like any other.
self.addEventListener("message", (event) => {
  const url = event.data && typeof event.data.keep === "string" ? new URL(event.data.keep) : null;
  if (!url || url.origin !== self.location.origin) {
    return;
  }
  url.hash = "";
  event.waitUntil(fetch(url.href, {credentials: "same-origin"}).then((response) => {
    const owner = response.headers.get(OWNER_HEADER);
    return owner && response.status === 200 && !response.redirected ? pageKeep(url.href, response, owner) : undefined;
  }).catch(() => undefined));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "POST" && url.pathname === LOGOUT_URL) {
    event.waitUntil(pagesForget());  // the request itself goes on to the network untouched
    return;
  }
  if (request.method !== "GET") {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(navigate(event));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(fetch(request).catch(() => caches.match(url.pathname, {cacheName: SHELL_CACHE})
      .then((kept) => kept || Response.error())));
  }
});

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
