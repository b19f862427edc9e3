/* yvy in the field: the phone bar, navigation to the selected alert (position, distance, bearing,
   route line, coordinates as lat/lon and UTM), field reports queued offline (offline.js), status
   proposals queued when offline, and "sync this area" (every URL of the plan into the cache the
   service worker serves offline). Hooks: app.js sets window.yvyMap and fires "yvy:alert" and
   "yvy:user"; strings go through t() and data-i18n (i18n.js, when loaded). */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const t = (s) => (window.t ? window.t(s) : s);
  const FIELD_ROLES = ["ranger", "analyst", "admin"];
  const CACHE = "yvy-field";
  const SYNC_KEY = "yvy.field.sync";
  const state = { alert: null, me: null, pos: null, watch: null, marker: null, route: null, area: null, offline: null, targets: null };

  function loadSync() { try { return JSON.parse(localStorage.getItem(SYNC_KEY) || "null"); } catch (e) { return null; } }
  function i18n(root) { if (window.yvyI18n) window.yvyI18n.apply(root); }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  function mb(bytes) { return (bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0) + " MB"; }

  const BAR = '<button id="btn-panel" type="button" data-i18n>Alerts</button>' +
    '<button id="btn-locate" type="button" data-i18n>My position</button>' +
    '<button id="btn-sync-open" type="button" data-i18n>Offline</button>' +
    '<span id="outbox-badge" class="badge" hidden></span>';
  const SECTION =
    '<div id="nav" hidden><h2 data-i18n>Navigation</h2>' +
    '<div id="nav-pos" class="msg" data-i18n>Position unknown</div>' +
    '<div id="nav-target"><strong id="nav-dist"></strong> <span id="nav-bearing"></span></div>' +
    '<div class="coords"><span data-i18n>Lat/lon</span> <code id="coord-ll"></code> <button id="copy-ll" type="button" data-i18n>Copy</button></div>' +
    '<div class="coords"><span>UTM</span> <code id="coord-utm"></code> <button id="copy-utm" type="button" data-i18n>Copy</button></div>' +
    '<div id="copy-msg" class="msg" role="status"></div></div>' +
    '<form id="report-form" hidden><h2 data-i18n>Field report</h2>' +
    '<label><span data-i18n>Finding</span> <select id="rep-finding">' +
    '<option value="clearing_confirmed" data-i18n>Clearing confirmed</option><option value="machinery" data-i18n>Machinery</option>' +
    '<option value="fire" data-i18n>Fire</option><option value="nothing" data-i18n>Nothing found</option></select></label>' +
    '<label><span data-i18n>Note</span> <textarea id="rep-note" rows="3" data-i18n-placeholder="what you saw on the ground"></textarea></label>' +
    '<label><span data-i18n>Photos</span> <input id="rep-photos" type="file" accept="image/*" capture="environment" multiple></label>' +
    '<label><input id="rep-review" type="checkbox" checked> <span data-i18n>Ask an analyst to review the alert</span></label>' +
    '<button id="rep-send" type="submit" data-i18n>Save report</button><div id="rep-msg" class="msg" role="status"></div></form>' +
    '<div id="reports"></div>' +
    '<div id="sync-box"><h2 data-i18n>Offline</h2>' +
    '<label><span data-i18n>Imagery zooms</span> <select id="sync-min"></select> <select id="sync-max"></select></label>' +
    '<button id="sync-plan" type="button" data-i18n>Sync this area</button><div id="sync-size" class="msg"></div>' +
    '<button id="sync-go" type="button" hidden data-i18n>Download</button><progress id="sync-progress" hidden></progress>' +
    '<div id="sync-status" class="msg" role="status"></div><div id="outbox" class="msg"></div></div>';

  function build() {
    const bar = document.createElement("nav");
    bar.id = "phone-bar";
    bar.innerHTML = BAR;
    document.body.appendChild(bar);
    const sec = document.createElement("section");
    sec.id = "field";
    sec.innerHTML = SECTION;
    $("side").appendChild(sec);
    for (let z = 8; z <= 18; z++) {
      for (const id of ["sync-min", "sync-max"]) $(id).insertAdjacentHTML("beforeend", "<option>" + z + "</option>");
    }
    $("sync-min").value = "12";
    $("sync-max").value = "16";
    i18n(bar); i18n(sec);
  }

  // -- panels on the phone -----------------------------------------------------------------
  function openPanel(open) { document.body.classList.toggle("side-open", open); }

  // -- navigation --------------------------------------------------------------------------
  function alertPoint() { return state.alert ? window.yvyGeo.target(state.alert.geometry) : null; }

  function updateNav() {
    const p = alertPoint();
    $("nav").hidden = !p;
    if (!p) return;
    $("coord-ll").textContent = p.lat.toFixed(6) + ", " + p.lon.toFixed(6);
    $("coord-utm").textContent = window.yvyGeo.utmText(p.lat, p.lon);
    const map = window.yvyMap;
    if (!state.pos) { $("nav-dist").textContent = ""; $("nav-bearing").textContent = ""; return; }
    const g = window.yvyGeo, here = state.pos;
    const d = g.distance(here.lat, here.lon, p.lat, p.lon), b = g.bearing(here.lat, here.lon, p.lat, p.lon);
    $("nav-dist").textContent = g.distanceText(d);
    $("nav-dist").dataset.m = String(Math.round(d));
    $("nav-bearing").textContent = Math.round(b) + "° " + g.compass(b);
    $("nav-bearing").dataset.deg = b.toFixed(1);
    if (map) {
      if (state.route) map.removeLayer(state.route);
      state.route = L.polyline([[here.lat, here.lon], [p.lat, p.lon]], { color: "#1c7ed6", weight: 4, dashArray: "8 8", className: "yvy-route" }).addTo(map);
    }
  }

  function onPosition(pos) {
    const c = pos.coords;
    state.pos = { lon: c.longitude, lat: c.latitude, accuracy_m: Math.round(c.accuracy) };
    $("nav-pos").textContent = t("You are at") + " " + c.latitude.toFixed(5) + ", " + c.longitude.toFixed(5) +
      " (± " + Math.round(c.accuracy) + " m)";
    const map = window.yvyMap;
    if (map) {
      if (!state.marker) state.marker = L.circleMarker([c.latitude, c.longitude], { radius: 8, color: "#fff", weight: 3, fillColor: "#1c7ed6", fillOpacity: 1, className: "yvy-me" }).addTo(map);
      else state.marker.setLatLng([c.latitude, c.longitude]);
    }
    updateNav();
  }

  function locate() {
    if (!navigator.geolocation) { $("nav-pos").textContent = t("This device has no position service"); return; }
    if (state.watch == null) {
      state.watch = navigator.geolocation.watchPosition(onPosition, (e) => { $("nav-pos").textContent = t("No position") + ": " + e.message; },
        { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
    }
    if (state.marker && window.yvyMap) window.yvyMap.panTo(state.marker.getLatLng());
  }

  async function copy(id) {
    const text = $(id).textContent;
    try { await navigator.clipboard.writeText(text); } catch (e) {
      const ta = document.createElement("textarea");
      ta.value = text; document.body.appendChild(ta); ta.select(); document.execCommand("copy"); ta.remove();
    }
    $("copy-msg").textContent = t("Copied") + ": " + text;
  }

  // -- reports -----------------------------------------------------------------------------
  function canReport() { return state.me && FIELD_ROLES.includes(state.me.role); }

  async function showReports() {
    const a = state.alert;
    if (!a) return;
    let reports = [];
    try {
      const r = await fetch("/api/alerts/" + encodeURIComponent(a.id) + "/reports", { credentials: "same-origin" });
      if (r.ok) reports = (await r.json()).reports;
    } catch (e) { reports = []; }
    const pending = window.yvyOutbox ? (await window.yvyOutbox.counts()).items.filter((x) => x.alert_id === a.id) : [];
    const rows = reports.map((r) => "<li class='report' data-id='" + esc(r.id) + "'>" + esc(r.observed.slice(0, 16).replace("T", " ")) + " · " +
      esc(r.by_name) + " · " + esc(t(r.finding)) + (r.note ? " · " + esc(r.note) : "") +
      (r.distance_m != null ? " · " + esc(window.yvyGeo.distanceText(r.distance_m)) : "") +
      r.photos.map((p) => " <a href='" + esc(p.url.replace(/^https?:\/\/[^/]+/, "")) + "' target='_blank'>📷</a>" +
        (p.distance_m != null && p.distance_m > 500 ? " <span class='far'>" + esc(t("photo taken away from the alert")) + "</span>" : "")).join("") + "</li>")
      .concat(pending.map((x) => "<li class='report pending' data-id='" + esc(x.id) + "'>" + esc(t("waiting to send")) + " · " +
        esc(t(x.kind === "review" ? x.body.status : x.body.finding)) + "</li>"));
    $("reports").innerHTML = rows.length ? "<h3>" + esc(t("Field reports")) + "</h3><ul>" + rows.join("") + "</ul>" : "";
    document.body.dataset.reports = String(reports.length);
  }

  async function submitReport(ev) {
    ev.preventDefault();
    const a = state.alert;
    if (!a || !window.yvyOutbox) return;
    const out = window.yvyOutbox;
    const photos = [];
    for (const f of Array.from($("rep-photos").files)) {
      photos.push({ sha256: await out.sha256(f), blob: f, type: f.type || "image/jpeg" });
    }
    const id = out.uuid();
    const body = { id: id, finding: $("rep-finding").value, note: $("rep-note").value || null,
      observed: new Date().toISOString(), photos: photos.map((p) => p.sha256), to_review: $("rep-review").checked };
    if (state.pos) body.position = state.pos;
    await out.enqueue({ id: id, kind: "report", alert_id: a.id, body: body, photos: photos });
    $("rep-msg").textContent = navigator.onLine ? t("Sending…") : t("Saved on this phone; it will be sent when online");
    $("report-form").reset();
    showReports();
  }

  /* Offline, the analyst's confirm/dismiss buttons queue the proposal instead of failing. */
  function queueReview(ev) {
    const target = ev.target.closest && ev.target.closest("#btn-confirm, #btn-dismiss");
    if (!target || navigator.onLine || !state.alert || !window.yvyOutbox) return;
    ev.stopImmediatePropagation();
    ev.preventDefault();
    const id = window.yvyOutbox.uuid();
    const status = target.id === "btn-confirm" ? "confirmed" : "dismissed";
    window.yvyOutbox.enqueue({ id: id, kind: "review", alert_id: state.alert.id,
      body: { status: status, reason: $("r-reason").value || null, note: $("r-note").value || null } });
    $("r-msg").textContent = t("Offline: the decision will be sent when online") + " (" + t(status) + ")";
  }

  function onOutbox(ev) {
    const c = ev.detail;
    $("outbox-badge").hidden = !c.queued;
    $("outbox-badge").textContent = String(c.queued);
    $("outbox").textContent = c.queued ? c.queued + " " + t("change(s) waiting to be sent") : "";
    const refused = c.done.filter((d) => d.outcome === "refused").slice(-3);
    if (refused.length) $("outbox").textContent += " " + refused.map((d) => t("refused by the server") + ": " + d.answer).join("; ");
    document.body.dataset.outbox = String(c.queued);
    document.body.dataset.sent = String(c.sent);
    showReports();
  }

  // -- sync this area ----------------------------------------------------------------------
  let plan = null;

  async function planSync() {
    const map = window.yvyMap;
    if (!map) return;
    const b = map.getBounds();
    const q = new URLSearchParams({ bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(","),
      minzoom: $("sync-min").value, maxzoom: $("sync-max").value });
    if ($("scene") && $("scene").value) q.set("scene", $("scene").value);
    $("sync-size").textContent = t("Counting…");
    try {
      const r = await fetch("/api/field/plan?" + q.toString(), { credentials: "same-origin", cache: "no-store",
        headers: { "Accept-Language": (window.yvyI18n && window.yvyI18n.lang) || "es" } });
      const body = await r.json();
      if (!r.ok) throw new Error(body.description || r.status);
      plan = body;
    } catch (e) { $("sync-size").textContent = e.message; $("sync-go").hidden = true; return; }
    $("sync-size").textContent = t("About") + " " + mb(plan.bytes) + " · " + plan.tiles + " " + t("imagery tiles") +
      " (z" + plan.minzoom + "–" + plan.maxzoom + ") · " + plan.alerts + " " + t("alerts");
    $("sync-size").dataset.bytes = String(plan.bytes);
    $("sync-go").hidden = false;
  }

  function b64bytes(b64) {
    const bin = atob(b64), out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  async function download() {
    if (!plan) return;
    const cache = await caches.open(CACHE);
    const todo = plan.urls.concat(["/api/me"]).map((u) => ({ url: u }))  // /api/me: who files reports offline
      .concat(plan.tile_runs.map((u) => ({ url: u, run: true })));
    const total = todo.length;
    let done = 0, bytes = 0, failed = 0, files = 0;
    const bar = $("sync-progress");
    bar.hidden = false; bar.max = total; bar.value = 0;
    $("sync-go").hidden = true;
    async function one(job) {
      const r = await fetch(job.url, { credentials: "same-origin" });
      if (!r.ok) { if (r.status !== 404) failed++; return; }
      if (!job.run) { bytes += (await r.clone().arrayBuffer()).byteLength; await cache.put(job.url, r); files++; return; }
      const run = await r.json();
      for (const [x, b64] of Object.entries(run.tiles)) {
        const img = b64bytes(b64);  // JPEG where the imagery fills the tile, PNG at its edges
        bytes += img.byteLength;
        files++;
        await cache.put(plan.tile_prefix + "/" + run.z + "/" + x + "/" + run.y + ".png",
          new Response(img, { headers: { "Content-Type": img[0] === 0xff ? "image/jpeg" : "image/png" } }));
      }
    }
    async function worker() {
      while (todo.length) {
        try { await one(todo.shift()); } catch (e) { failed++; }
        bar.value = ++done;
        if (done % 25 === 0) $("sync-status").textContent = done + " / " + total;
      }
    }
    const t0 = performance.now();
    await Promise.all([1, 2, 3, 4, 5, 6].map(worker));
    const meta = { bbox: plan.bbox, scene: plan.scene, layer: plan.layer, minzoom: plan.minzoom, maxzoom: plan.maxzoom,
      targets: plan.urls.find((u) => u.startsWith("/api/field/targets")), files: files, bytes: bytes, at: new Date().toISOString(), seconds: (performance.now() - t0) / 1000 };
    localStorage.setItem(SYNC_KEY, JSON.stringify(meta));
    bar.hidden = true;
    $("sync-status").textContent = (failed ? failed + " " + t("failed") + " · " : "") + t("Synced") + ": " + files + " " +
      t("files") + ", " + mb(bytes);
    document.body.dataset.synced = String(files);
    document.body.dataset.syncFailed = String(failed);
    drawArea();
  }

  async function drawArea() {
    const meta = loadSync(), map = window.yvyMap;
    if (!meta || !map) return;
    if (state.area) map.removeLayer(state.area);
    const [w, s, e, n] = meta.bbox;
    state.area = L.rectangle([[s, w], [n, e]], { color: "#2b8a3e", weight: 2, dashArray: "6 6", fill: false, interactive: false, className: "yvy-synced" }).addTo(map);
    if (!meta.targets) return;
    try {  // patrol targets of the synced area (from the cache when offline)
      const r = await fetch(meta.targets, { credentials: "same-origin" });
      if (!r.ok) return;
      if (state.targets) map.removeLayer(state.targets);
      state.targets = L.geoJSON(await r.json(), { pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 7, color: "#5f3dc4", weight: 3, fillOpacity: 0.2, className: "yvy-target" }) }).addTo(map);
    } catch (err) { /* no targets */ }
  }

  /* Offline, the synced imagery is the basemap (the app cannot search scenes without a network):
     when the browser says so, or when the scene search failed (navigator.onLine stays true on a
     network that is up but leads nowhere). */
  function offlineBasemap(ev) {
    const meta = loadSync(), map = window.yvyMap;
    if (!map) return;
    const unreachable = ev && ev.type === "yvy:no-scenes";
    if (navigator.onLine && !unreachable) { if (state.offline) { map.removeLayer(state.offline); state.offline = null; } return; }
    if (!meta || !meta.scene || state.offline) return;
    const [w, s, e, n] = meta.bbox;
    state.offline = L.tileLayer("/tiles/" + meta.scene.split("/").map(encodeURIComponent).join("/") + "/" + meta.layer + "/{z}/{x}/{y}.png",
      { maxNativeZoom: meta.maxzoom, minNativeZoom: meta.minzoom, maxZoom: 20, bounds: [[s, w], [n, e]], className: "yvy-offline-basemap" }).addTo(map);
    state.offline.bringToBack();
  }

  // -- wiring ------------------------------------------------------------------------------
  function wire() {
    $("btn-panel").addEventListener("click", () => openPanel(!document.body.classList.contains("side-open")));
    $("btn-locate").addEventListener("click", locate);
    $("btn-sync-open").addEventListener("click", () => { openPanel(true); $("sync-box").scrollIntoView({ block: "start" }); });
    $("copy-ll").addEventListener("click", () => copy("coord-ll"));
    $("copy-utm").addEventListener("click", () => copy("coord-utm"));
    $("report-form").addEventListener("submit", submitReport);
    $("sync-plan").addEventListener("click", planSync);
    $("sync-go").addEventListener("click", download);
    document.addEventListener("click", queueReview, true);
    document.addEventListener("yvy:outbox", onOutbox);
    document.addEventListener("yvy:user", (ev) => { state.me = ev.detail && ev.detail.user; $("report-form").hidden = !(canReport() && state.alert); });
    document.addEventListener("yvy:alert", (ev) => {
      state.alert = ev.detail.feature;
      $("report-form").hidden = !canReport();
      $("rep-msg").textContent = "";
      updateNav();
      showReports();
      openPanel(true);
      $("panel").scrollIntoView({ block: "start" });
    });
    document.addEventListener("yvy:lang", () => { updateNav(); showReports(); });
    window.addEventListener("offline", offlineBasemap);
    window.addEventListener("online", offlineBasemap);
    document.addEventListener("yvy:no-scenes", offlineBasemap);
    if (window.yvyMap) window.yvyMap.on("click", () => openPanel(false));
    drawArea();
    offlineBasemap();
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(() => { document.body.dataset.sw = "1"; }).catch(() => {});
  }
  build();
  wire();
})();
