"""The installable app: the web app manifest, the service worker (Web Push, the app shell and the last pages
a signed-in parent saw, for offline use), the offline page, and what every page of a parent carries for it
(the offline banner, the phone's bottom bar). Which pages are kept offline, and for whom, is decided here
(selectors.offline_owner): a parent's own pages only, never a staff member's."""
