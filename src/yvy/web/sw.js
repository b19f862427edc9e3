/* yvy service worker (served at /sw.js with scope /): the app shell cached at install, the data of
   synced areas in the "yvy-field" cache.
   - pages and /static: network first, the cached copy when offline;
   - tiles, chips and field photos: the cache first (what "sync this area" stored), else network;
   - other GETs of the API (alerts, reports, who am I): network first, each answer kept, the last
     one served when offline (503 JSON when never seen);
   - writes pass through: the page queues them in IndexedDB when offline (offline.js). */
"use strict";
const SHELL = "yvy-shell-v1";
const DATA = "yvy-field";
const SHELL_URLS = ["/", "/static/style.css", "/static/phone.css", "/static/app.js", "/static/i18n.js",
  "/static/geo.js", "/static/offline.js", "/static/field.js", "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css", "/manifest.webmanifest", "/static/icons/icon-192.png"];

self.addEventListener("install", (ev) => {
  ev.waitUntil(caches.open(SHELL).then((c) => Promise.allSettled(SHELL_URLS.map((u) => c.add(u))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k.startsWith("yvy-shell-") && k !== SHELL)
    .map((k) => caches.delete(k)))).then(() => self.clients.claim()));
});

function offlineAnswer() {
  return new Response(JSON.stringify({ code: "offline", description: "offline and not synced" }),
    { status: 503, headers: { "Content-Type": "application/json" } });
}

async function networkFirst(req, cacheName) {
  const cache = await caches.open(cacheName);
  try {
    const res = await fetch(req);
    if (res.ok) cache.put(req, res.clone());
    return res;
  } catch (e) {
    const hit = await cache.match(req) || (cacheName !== DATA && await caches.match(req));
    return hit || offlineAnswer();
  }
}

async function cacheFirst(req) {
  const hit = await caches.match(req);
  if (hit) return hit;
  try { return await fetch(req); } catch (e) { return offlineAnswer(); }
}

self.addEventListener("fetch", (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  const p = url.pathname;
  if (p.startsWith("/api/field/tiles/") || p === "/api/field/plan") return;  // sync traffic: field.js stores tiles
  if (req.mode === "navigate" || p.startsWith("/static/") || p === "/manifest.webmanifest") {
    ev.respondWith(networkFirst(req.mode === "navigate" ? new Request("/") : req, SHELL));
  } else if (p.startsWith("/tiles/") && p.endsWith(".png") || /\/chips\/(before|after)\.png$/.test(p) ||
             p.startsWith("/api/field/photos/")) {
    ev.respondWith(cacheFirst(req));
  } else if (p.startsWith("/api/") || p.startsWith("/features/") || p.startsWith("/i18n/") || p.startsWith("/tiles/")) {
    ev.respondWith(networkFirst(req, DATA));
  }
});
