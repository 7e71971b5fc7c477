/*
 * pwa.js: the installed app's part of every page (templates/base.html). No framework, no build step (ES2017).
 *
 * Contract with base.html's <script> tag:
 *   data-sw-url   the service worker (/sw.js, scope /)
 *   data-owner    the owner of this page's offline copy (schoolbook.pwa.selectors.offline_owner): a signed-in
 *                 parent's name for their pages, "" on a page of anyone else (signed out, staff). Absent on the
 *                 offline page, which knows nobody.
 * What it does:
 *   - keeps the device's offline pages for their owner only: on a page of someone else it deletes every
 *     "pages-*" cache but the owner's (the worker does the same when it keeps a page; signing out leads to
 *     the login page, which is nobody's, so signing out always empties them);
 *   - registers the worker on a parent's pages (the push card registers it too; a second call is a no-op),
 *     and has it keep this page if the page did not come through it (the first visit);
 *   - shows a kept page's offline banner when the network goes away while it is open;
 *   - on an iPhone/iPad not opened from the home screen, shows [data-install-hint] (Share → Add to Home
 *     Screen) instead of the push card until "Đã hiểu", remembered in localStorage;
 *   - [data-reload] buttons (the offline page's "Thử lại") reload the page.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  const owner = script.dataset.owner;
  const HINT_DISMISSED = "schoolbook.install-hint-dismissed";

  if (owner !== undefined && "caches" in window) {
    caches.keys().then((names) => Promise.all(
      names.filter((name) => name.startsWith("pages-") && name !== `pages-${owner}`)
        .map((name) => caches.delete(name))
    )).catch(() => undefined);  // storage unavailable (private browsing): nothing was kept either
  }

  if (owner && "serviceWorker" in navigator) {
    const uncontrolled = !navigator.serviceWorker.controller;  // this page did not come through the worker
    navigator.serviceWorker.register(script.dataset.swUrl, {scope: "/"})
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        if (uncontrolled && registration.active) {
          registration.active.postMessage({keep: window.location.href});
        }
      })
      .catch(() => undefined);
  }

  function isIos() {
    return /iPad|iPhone|iPod/.test(navigator.userAgent)
      || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);  // iPadOS asks for desktop pages
  }

  function installed() {
    return navigator.standalone === true || window.matchMedia("(display-mode: standalone)").matches;
  }

  function storedDismissal() {
    try {
      return window.localStorage.getItem(HINT_DISMISSED) === "1";
    } catch (error) {
      return false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const banner = document.querySelector("[data-offline-banner]");
    if (banner && banner.hidden) {  // not an offline copy already (the worker unhides the banner in those)
      window.addEventListener("offline", () => { banner.hidden = false; });
      window.addEventListener("online", () => { banner.hidden = true; });
    }

    for (const button of document.querySelectorAll("[data-reload]")) {
      button.addEventListener("click", () => window.location.reload());
    }

    const hint = document.querySelector("[data-install-hint]");
    if (hint && isIos() && !installed() && !storedDismissal()) {
      const card = document.querySelector("[data-push-card]");
      hint.hidden = false;
      if (card) {
        card.hidden = true;
      }
      hint.querySelector("[data-install-hint-dismiss]").addEventListener("click", () => {
        try {
          window.localStorage.setItem(HINT_DISMISSED, "1");
        } catch (error) {
          // not remembered (storage off): dismissed for this page only
        }
        hint.hidden = true;
        if (card) {
          card.hidden = false;
        }
      });
    }
  });
})();
