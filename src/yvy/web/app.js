/* yvy web map: imagery tiles, alerts coloured by status and confidence, review for analysts.
   Plain browser JavaScript, no build step; everything it loads is served by yvy itself. */
(function () {
  "use strict";

  const STATUS_COLORS = {
    new: "#e03131", under_review: "#f08c00", confirmed: "#7048e8",
    dismissed: "#868e96", referred: "#1c7ed6",
  };
  const $ = (id) => document.getElementById(id);
  // translations (web/i18n.js): t("English text"), N_() marks texts translated where they are shown
  const t = (text) => (window.yvyI18n ? window.yvyI18n.t(text) : text);
  const N_ = (text) => text;
  const tf = (text, vars) => t(text).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  const STATUS_LABEL = {
    new: N_("new"), under_review: N_("under review"), confirmed: N_("confirmed"),
    dismissed: N_("dismissed"), referred: N_("referred"),
  };
  const CONF_LABEL = { high: N_("high"), low: N_("low"), medium: N_("medium") };
  const LEGAL_LABEL = {
    likely_illegal: N_("likely illegal"), not_flagged: N_("not flagged"), unknown_region: N_("unknown region"),
  };
  const ROLE_LABEL = {
    viewer: N_("viewer"), trainee: N_("trainee"), ranger: N_("ranger"), analyst: N_("analyst"), admin: N_("admin"),
  };
  const translated = (v) => (v ? t(v) : "");  // a stored word that has its own catalog entry (a review reason)
  const label = (table, v) => (v && table[v] ? t(table[v]) : (v || ""));
  const num = (v, digits) => Number(v).toLocaleString(window.yvyI18n && window.yvyI18n.lang === "en" ? "en" : "es-PY",
    { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const state = { user: null, alerts: null, fires: null, imagery: null, detection: null, selected: null, scenes: [], layerById: {} };

  const map = L.map("map", { zoomControl: true, preferCanvas: false }).setView([-22.6, -58.5], 7);
  L.control.scale({ imperial: false }).addTo(map);
  window.yvyMap = map;  // field.js: navigation, sync, offline basemap

  async function api(path, opts) {
    const o = Object.assign({ credentials: "same-origin", headers: {} }, opts || {});
    o.headers["Accept-Language"] = (window.yvyI18n && window.yvyI18n.lang) || "es";  // error descriptions in the page's language
    if (o.body && typeof o.body !== "string") {
      o.body = JSON.stringify(o.body);
      o.headers["Content-Type"] = "application/json";
    }
    if (o.method && o.method !== "GET" && state.csrf) o.headers["X-CSRF-Token"] = state.csrf;
    const r = await fetch(path, o);
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
    if (!r.ok) {
      const msg = data && data.description ? data.description : r.status + " " + r.statusText;
      const err = new Error(msg); err.status = r.status; throw err;
    }
    return data;
  }

  // a URL the server wrote with its own origin, as a path on this page's origin (proxies, offline cache)
  const localPath = (url) => url.replace(/^https?:\/\/[^\/]+/, "");

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  // -- who am I -------------------------------------------------------------------------
  async function refreshUser() {
    const me = await api("/api/me");
    state.user = me.user;
    state.csrf = me.csrf || null;
    $("who-name").textContent = me.user ? me.user.username + " (" + label(ROLE_LABEL, me.user.role) + ")" : t("anonymous");
    $("login").hidden = !!me.user;
    $("logout-btn").hidden = !me.user;
    document.dispatchEvent(new CustomEvent("yvy:user", { detail: me }));
    updateReviewBox();
  }

  $("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-msg").className = "msg";
    try {
      await api("/api/login", { method: "POST", body: { username: $("login-user").value, password: $("login-pass").value } });
      $("login-pass").value = "";
      $("login-msg").textContent = "";
      await refreshUser();
      await loadAlerts();
    } catch (e) {
      $("login-msg").className = "msg err";
      $("login-msg").textContent = e.message;
    }
  });
  $("logout-btn").addEventListener("click", async () => {
    await api("/api/logout", { method: "POST" });
    await refreshUser();
  });

  // -- alerts ---------------------------------------------------------------------------
  function alertStyle(f) {
    const p = f.properties;
    const high = p.confidence === "high";
    return {
      color: STATUS_COLORS[p.status] || "#000", weight: high ? 3 : 2, dashArray: high ? null : "4 4",
      fillOpacity: high ? 0.35 : 0.15, className: "yvy-alert yvy-" + p.status,
    };
  }

  function datetimeParam() {
    const a = $("date-from").value, b = $("date-to").value;
    if (!a && !b) return "";
    return (a ? a + "T00:00:00Z" : "..") + "/" + (b ? b + "T23:59:59Z" : "..");
  }

  async function loadAlerts(fit) {
    const q = new URLSearchParams({ limit: "1000" });
    const dt = datetimeParam();
    if (dt) q.set("datetime", dt);
    if ($("conf").value) q.set("confidence", $("conf").value);
    let fc;
    try {
      fc = await api("/features/collections/alerts/items?" + q.toString());
    } catch (e) {
      $("alert-count").textContent = e.message;
      return;
    }
    if (state.alerts) map.removeLayer(state.alerts);
    state.layerById = {};
    state.alerts = L.geoJSON(fc, {
      style: alertStyle,
      onEachFeature: (f, layer) => {
        state.layerById[f.id] = layer;
        layer.bindTooltip(f.id + " · " + label(STATUS_LABEL, f.properties.status) + " · " +
          label(CONF_LABEL, f.properties.confidence));
        layer.on("click", () => openAlert(f.id));
      },
    }).addTo(map);
    $("alert-count").textContent = tf("{shown} of {total} alerts shown", { shown: fc.numberReturned, total: fc.numberMatched });
    document.body.dataset.alerts = String(fc.numberReturned);
    if (fit && fc.features.length) map.fitBounds(state.alerts.getBounds(), { maxZoom: 15, padding: [20, 20] });
  }

  // -- fire events (OGC API Features collection "fires") -----------------------------------
  async function loadFires() {
    if (state.fires) { map.removeLayer(state.fires); state.fires = null; }
    if (!$("show-fires").checked) { $("fire-count").textContent = ""; return; }
    const q = new URLSearchParams({ limit: "1000" });
    const dt = datetimeParam();
    if (dt) q.set("datetime", dt);
    let fc;
    try {
      fc = await api("/features/collections/fires/items?" + q.toString());
    } catch (e) {
      $("fire-count").textContent = e.message;
      return;
    }
    state.fires = L.geoJSON(fc, {
      style: (f) => ({
        color: (f.properties.protected_areas || []).length ? "#c92a2a" : "#e8590c", weight: 1.5,
        fillOpacity: 0.45, className: "yvy-fire",
      }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindTooltip(f.id + " · " + tf("{n} hotspots", { n: p.hotspots }) + " · FRP " + num(p.frp_sum, 1) + " MW · " +
          p.start.slice(0, 16) + " → " + p.end.slice(0, 16) +
          ((p.protected_areas || []).length ? " · " + p.protected_areas.join(", ") : ""));
      },
    }).addTo(map);
    $("fire-count").textContent = tf("{shown} of {total} fire events shown", { shown: fc.numberReturned, total: fc.numberMatched });
    document.body.dataset.fires = String(fc.numberReturned);
  }

  async function openAlert(id) {
    const d = await api("/api/alerts/" + encodeURIComponent(id));
    state.selected = d;
    const p = d.feature.properties;
    $("panel").hidden = false;
    $("panel").dataset.alert = id;
    $("a-title").textContent = id;
    document.dispatchEvent(new CustomEvent("yvy:alert", { detail: d }));
    const admin = ((p.context || {}).admin || []).map((a) => a.name).join(", ");
    // [class key, label, value]: the class stays the same in every language
    const rows = [
      ["status", t("status"), label(STATUS_LABEL, p.status)], ["confidence", t("confidence"), label(CONF_LABEL, p.confidence)],
      ["area", t("area"), num(p.area_ha || 0, 2) + " ha"],
      ["first-detected", t("first detected"), p.first_detected], ["last-clear", t("last clear"), p.last_clear],
      ["confirmations", t("confirmations"), p.confirm_count],
      ["magnitude", t("magnitude"), p.magnitude == null ? "" : num(p.magnitude, 3)], ["admin", t("department"), admin],
      ["legal", t("legal"), label(LEGAL_LABEL, (p.legal || {}).flag)],
      ["law", t("law"), [(p.legal || {}).law, (p.legal || {}).article].filter(Boolean).join(", ")],
      ["reviewed-by", t("reviewed by"), (p.review || {}).by || ""],
      ["reason", t("reason"), translated((p.review || {}).reason)],
    ];
    $("a-attrs").innerHTML = rows.map((r) => "<tr><td>" + esc(r[1]) + "</td><td class='v-" + esc(r[0]) + "'>" + esc(r[2]) + "</td></tr>").join("");
    $("history").innerHTML = d.reviews.map((r) => "<div>" + esc(r.at || "") + " " + esc(r.by || r.by_name || "") + ": " +
      esc((r.from_status || r.from || "") + " → " + (r.to_status || r.to || "")) + " " + esc(r.reason || "") + "</div>").join("");
    $("ts").src = "/api/alerts/" + encodeURIComponent(id) + "/timeseries.png";
    updateReviewBox();
    try {
      const chips = await api("/api/alerts/" + encodeURIComponent(id) + "/chips");
      for (const which of ["before", "after"]) {
        const c = chips[which];
        $("chip-" + which).src = c ? localPath(c.url) : "";
        $("cap-" + which).textContent = (which === "before" ? t("before") : t("after")) + " · " + (c ? c.date : t("no scene"));
      }
      showDroneChips(chips.drone || []);
    } catch (e) { /* chips are optional */ }
    updateReviewBox();
  }

  // drone orthomosaics covering the selected alert (yvy ingest --drone), newest first
  function showDroneChips(list) {
    const box = $("drone-chips");
    box.replaceChildren();
    for (const d of list) {
      const fig = document.createElement("figure");
      const img = document.createElement("img");
      img.src = localPath(d.url);
      img.alt = t("drone imagery");
      const cap = document.createElement("figcaption");
      cap.textContent = t("drone imagery") + " · " + d.date;
      fig.append(img, cap);
      box.append(fig);
    }
  }

  function updateReviewBox() {
    const d = state.selected;
    const canReview = state.user && (state.user.role === "analyst" || state.user.role === "admin");
    const open = d && ["new", "under_review"].includes(d.feature.properties.status);
    $("review").hidden = !(canReview && open);
    if (d) {
      $("r-reason").innerHTML = ["", N_("deforestation"), N_("illegal clearing"), N_("permit exceeded")].concat(d.dismiss_reasons)
        .map((r) => "<option value='" + esc(r) + "'>" + esc(r ? t(r) : t("(choose)")) + "</option>").join("");
    }
  }

  async function review(status) {
    const id = state.selected.feature.id;
    $("r-msg").className = "msg";
    try {
      await api("/api/alerts/" + encodeURIComponent(id) + "/review", {
        method: "POST", body: { status: status, reason: $("r-reason").value || null, note: $("r-note").value || null },
      });
      $("r-msg").textContent = tf("saved: {status}", { status: label(STATUS_LABEL, status) });
      $("r-note").value = "";
      await loadAlerts();
      await openAlert(id);
    } catch (e) {
      $("r-msg").className = "msg err";
      $("r-msg").textContent = e.message;
    }
  }
  $("btn-confirm").addEventListener("click", () => review("confirmed"));
  $("btn-dismiss").addEventListener("click", () => review("dismissed"));

  // -- imagery --------------------------------------------------------------------------
  async function loadScenes() {
    const dt = datetimeParam();
    const body = { limit: 200, sortby: [{ field: "properties.datetime", direction: "desc" }] };
    if (dt) body.datetime = dt;
    let res;
    try { res = await api("/stac/search", { method: "POST", body: body }); } catch (e) {
      document.dispatchEvent(new CustomEvent("yvy:no-scenes"));  // field.js: the synced imagery instead
      return;
    }
    state.scenes = res.features;
    const scenes = res.features.filter((f) => !f.collection.startsWith("yvy-"));  // imagery, not yvy products
    state.sceneList = scenes;
    const dets = res.features.filter((f) => f.collection.startsWith("yvy-detections") || f.collection === "yvy-risk");  // change, disaster and risk products
    $("scene").innerHTML = "<option value=''>" + esc(t("(none)")) + "</option>" + scenes.map((f) =>
      "<option value='" + esc(f.collection + "/" + f.id) + "'>" + esc((f.properties.datetime || "").slice(0, 10) + " " + f.id +
        (f.properties["eo:cloud_cover"] != null ? " (" + tf("{pct}% cloud", { pct: Math.round(f.properties["eo:cloud_cover"]) }) + ")" : "")) + "</option>").join("");
    state.detections = dets;
    $("det-layer").innerHTML = dets.flatMap((f) => Object.keys(f.assets).map((k) =>
      "<option value='" + esc(f.collection + "/" + f.id + "/" + k) + "'>" + esc(f.id + " · " + k) + "</option>")).join("");
  }

  async function showScene() {
    if (state.imagery) { map.removeLayer(state.imagery); state.imagery = null; }
    const v = $("scene").value;
    if (!v) { $("layer").innerHTML = ""; return; }
    const info = await api("/tiles/" + v.split("/").map(encodeURIComponent).join("/"));
    const current = $("layer").value;
    $("layer").innerHTML = info.layers.map((l) => "<option value='" + esc(l.name) + "'>" + esc(l.title) + "</option>").join("");
    if (info.layers.some((l) => l.name === current)) $("layer").value = current;
    const tj = await api("/tiles/" + v.split("/").map(encodeURIComponent).join("/") + "/" + $("layer").value + "/tilejson.json");
    state.imagery = L.tileLayer(localPath(tj.tiles[0]), { maxZoom: 22, maxNativeZoom: 18, opacity: 1 }).addTo(map);
    state.imagery.bringToBack();
  }

  async function showDetection() {
    if (state.detection) { map.removeLayer(state.detection); state.detection = null; }
    $("det-layer").hidden = !$("show-det").checked;
    if (!$("show-det").checked || !$("det-layer").value) return;
    const parts = $("det-layer").value.split("/");
    const tj = await api("/tiles/" + parts.map(encodeURIComponent).join("/") + "/tilejson.json");
    state.detection = L.tileLayer(localPath(tj.tiles[0]), { maxZoom: 22, opacity: 0.7 }).addTo(map);
  }

  $("scene").addEventListener("change", showScene);
  $("layer").addEventListener("change", showScene);
  $("show-det").addEventListener("change", showDetection);
  $("show-fires").addEventListener("change", loadFires);
  $("det-layer").addEventListener("change", showDetection);
  for (const id of ["date-from", "date-to", "conf"]) {
    $(id).addEventListener("change", async () => { await loadAlerts(); await loadScenes(); await loadFires(); });
  }

  // the language switch: the page's texts change at once (i18n.js), then the drawn parts are redrawn
  $("lang").addEventListener("change", () => window.yvyI18n.setLang($("lang").value));
  document.addEventListener("yvy:lang", async (ev) => {
    $("lang").value = ev.detail.lang;
    document.body.dataset.lang = ev.detail.lang;
    if (document.body.dataset.ready !== "1") return;
    await refreshUser().catch(() => {});
    await Promise.all([loadAlerts(), loadFires()]).catch(() => {});
    if (state.selected) await openAlert(state.selected.feature.id).catch(() => {});
  });

  async function start() {
    if (window.yvyI18n) await window.yvyI18n.ready;
    $("lang").value = window.yvyI18n ? window.yvyI18n.lang : "es";
    document.body.dataset.lang = $("lang").value;
    await refreshUser().catch(() => {});
    await Promise.all([loadAlerts(true), loadScenes(), loadFires()]);
    if ($("scene").options.length > 1) {
      // the latest scene with little cloud (else the latest), in true colour
      const clear = (state.sceneList || []).findIndex((f) => (f.properties["eo:cloud_cover"] ?? 0) <= 10);
      $("scene").selectedIndex = 1 + Math.max(clear, 0);
      await showScene().catch(() => {});
    }
    const m = /alert=([^&]+)/.exec(location.hash);
    if (m) openAlert(decodeURIComponent(m[1])).catch(() => {});
    document.body.dataset.ready = "1";
  }
  start();
})();
