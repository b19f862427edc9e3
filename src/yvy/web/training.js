/* yvy training simulator: a trainee reviews the cases of an exercise (imagery before and after, NDVI
   series, legal context), confirms or dismisses each with a reason and an action, draws or adjusts the
   cleared polygon, and reads the feedback and the score; instructors read a class's results.
   Plain browser JavaScript, no build step; texts through t() and data-i18n (i18n.js). */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const RANK = ["viewer", "trainee", "ranger", "analyst", "admin"];
  const state = { user: null, csrf: null, exercise: null, session: null, idx: 0, shown: 0, answered: new Set(),
                  latlngs: [], drawing: false, overlays: {}, layers: [] };
  const map = L.map("case-map", { zoomControl: true, attributionControl: false }).setView([-22, -60.4], 14);
  L.control.scale({ imperial: false }).addTo(map);

  async function api(path, opts) {
    const o = Object.assign({ credentials: "same-origin", headers: {} }, opts || {});
    o.headers["Accept-Language"] = (window.yvyI18n && window.yvyI18n.lang) || "es";  // error descriptions in the page's language
    if (o.body && typeof o.body !== "string") { o.body = JSON.stringify(o.body); o.headers["Content-Type"] = "application/json"; }
    if (o.method && o.method !== "GET" && state.csrf) o.headers["X-CSRF-Token"] = state.csrf;
    const r = await fetch(path, o);
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
    if (!r.ok) { const err = new Error(data && data.description ? data.description : r.status + " " + r.statusText); err.status = r.status; throw err; }
    return data;
  }
  const can = (role) => !!state.user && RANK.indexOf(state.user.role) >= RANK.indexOf(role);
  const pct = (v) => (v == null ? "–" : (100 * v).toFixed(0) + " %");
  const num = (v) => (v == null ? "–" : Number(v).toFixed(2));
  function fill(dl, rows) {
    dl.replaceChildren();
    rows.forEach(([k, v]) => {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v;
      dl.append(dt, dd);
    });
  }

  // -- who am I --------------------------------------------------------------------------
  async function refreshUser() {
    const me = await api("/api/me");
    state.user = me.user; state.csrf = me.csrf || null;
    $("who-name").textContent = me.user ? me.user.username + " (" + t(me.user.role) + ")" : t("anonymous");
    $("login").hidden = !!me.user;
    $("ex-results").hidden = !can("analyst");
    if (can("trainee")) await loadExercises();  // before showing the list: it must not be clicked empty
    $("pick").hidden = !can("trainee");
    if (me.user && !can("trainee")) $("login-msg").textContent = t("Training needs the trainee, analyst or admin role.");
  }
  $("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("/api/login", { method: "POST", body: { username: $("login-user").value, password: $("login-pass").value } });
      $("login-pass").value = ""; $("login-msg").textContent = ""; $("login-msg").className = "msg";
      await refreshUser();
    } catch (e) { $("login-msg").className = "msg err"; $("login-msg").textContent = e.message; }
  });

  async function loadExercises() {
    const list = await api("/api/training/exercises");
    $("ex-select").replaceChildren(...list.map((e) => {
      const o = document.createElement("option"); o.value = e.id;
      o.textContent = e.title + " (" + (e.source === "patrol" ? t("patrol") : e.cases + " " + t("cases")) + ")"; return o;
    }));
  }

  // -- a session, case by case --------------------------------------------------------------
  $("ex-start").addEventListener("click", async () => {
    const id = $("ex-select").value;
    if (!id) return;
    state.exercise = await api("/api/training/exercises/" + encodeURIComponent(id));
    const report = await api("/api/training/exercises/" + encodeURIComponent(id) + "/sessions", { method: "POST" });
    state.session = report.session;
    state.answered = new Set(report.answers.map((a) => a.case_id));
    $("case").hidden = true; $("patrol").hidden = true; $("score").hidden = true;
    if (state.exercise.source === "patrol") {
      yvyPatrol.start({ api, exercise: state.exercise, session: state.session,
                        previous: report.answers.find((a) => a.case_id === "patrol"),
                        done: () => { document.body.dataset.done = "1"; } });
      return;
    }
    showScore(report.score);
    nextCase();
  });

  function nextCase() {
    const cases = state.exercise.cases;
    const idx = cases.findIndex((c) => !state.answered.has(c.id));
    if (idx < 0) { finish(); return; }
    state.idx = idx;
    showCase(cases[idx]);
  }

  function ring(geometry) {
    const poly = geometry.type === "MultiPolygon" ? geometry.coordinates[0] : geometry.coordinates;
    return poly[0].slice(0, -1).map(([x, y]) => [y, x]);
  }

  function showCase(c) {
    const total = state.exercise.cases.length;
    $("case").hidden = false; $("feedback").hidden = true; $("next-btn").hidden = true;
    map.invalidateSize();  // the map was laid out while its section was hidden
    $("answer-btn").disabled = false;
    $("case").dataset.case = c.id;
    $("case-title").textContent = t("Case {n} of {total}").replace("{n}", state.idx + 1).replace("{total}", total) + " · " + c.id;
    const chipUrl = (v) => "/api/training/exercises/" + encodeURIComponent(state.exercise.id) + "/chips/" + v.chip;
    $("chip-before").src = chipUrl(c.before); $("chip-after").src = chipUrl(c.after);
    $("cap-before").textContent = t("before") + " · " + c.before.date;
    $("cap-after").textContent = t("after") + " · " + c.after.date;
    state.layers.forEach((l) => map.removeLayer(l)); state.layers = [];
    Object.values(state.overlays).forEach((o) => map.removeLayer(o));  // the previous case's images
    state.overlays = {};
    ["before", "after"].forEach((k) => {
      const b = c[k].bounds;
      if (b) state.overlays[k] = L.imageOverlay(chipUrl(c[k]), [[b[1], b[0]], [b[3], b[2]]]);
    });
    showImage("after");
    state.latlngs = ring(c.geometry); state.original = state.latlngs.map((p) => p.slice());
    drawPolygon();
    if (c.after.bounds) map.fitBounds([[c.after.bounds[1], c.after.bounds[0]], [c.after.bounds[3], c.after.bounds[2]]]);
    drawSeries(c.series, c.after.date);
    const permit = c.legal.permit ? c.legal.permit.name : t("none");
    fill($("legal"), [[t("Department"), c.legal.department || "–"], [t("Region"), c.legal.region ? t(c.legal.region) : "–"],
      [t("Approved permit"), permit], [t("Protected areas"), (c.legal.protected_areas || []).join(", ") || t("none")],
      [t("Area"), Number(c.area_ha).toFixed(1) + " ha"]]);
    if (c.legal.permit) state.layers.push(L.geoJSON(c.legal.permit.geometry, { style: { color: "#1c7ed6", weight: 1, fill: false, dashArray: "2 4" } }).addTo(map));
    $("answer").reset();
    state.shown = performance.now();
  }

  function showImage(which) {
    Object.values(state.overlays).forEach((o) => map.removeLayer(o));
    if (state.overlays[which]) state.overlays[which].addTo(map).bringToBack();
  }
  $("show-before").addEventListener("click", () => showImage("before"));
  $("show-after").addEventListener("click", () => showImage("after"));

  // -- the polygon: drag its corners, or draw a new one --------------------------------------
  let polyLayer = null, vertexLayer = L.layerGroup().addTo(map);
  function drawPolygon() {
    if (polyLayer) map.removeLayer(polyLayer);
    vertexLayer.clearLayers();
    polyLayer = L.polygon(state.latlngs, { color: "#f08c00", weight: 2, fillOpacity: 0.1, className: "yvy-candidate" }).addTo(map);
    if (state.drawing) return;
    state.latlngs.forEach((ll, i) => {
      const m = L.marker(ll, { draggable: true, icon: L.divIcon({ className: "vertex" }) });
      m.on("drag", (ev) => { const p = ev.target.getLatLng(); state.latlngs[i] = [p.lat, p.lng]; polyLayer.setLatLngs(state.latlngs); });
      vertexLayer.addLayer(m);
    });
  }
  $("draw-btn").addEventListener("click", () => {
    state.drawing = true; state.latlngs = []; drawPolygon();
    $("draw-help").hidden = false; $("draw-done").hidden = false;
  });
  map.on("click", (ev) => { if (state.drawing) { state.latlngs.push([ev.latlng.lat, ev.latlng.lng]); drawPolygon(); } });
  $("draw-done").addEventListener("click", () => {
    state.drawing = false; $("draw-help").hidden = true; $("draw-done").hidden = true;
    if (state.latlngs.length < 3) state.latlngs = state.original.map((p) => p.slice());
    drawPolygon();
  });
  $("reset-btn").addEventListener("click", () => { state.drawing = false; state.latlngs = state.original.map((p) => p.slice()); drawPolygon(); });
  function polygonGeoJSON() {
    const coords = state.latlngs.map(([lat, lng]) => [lng, lat]);
    return { type: "Polygon", coordinates: [[...coords, coords[0]]] };
  }

  // -- NDVI series (SVG) ----------------------------------------------------------------------
  function drawSeries(s, afterDate) {
    const svg = $("series"), W = 600, H = 160, L0 = 34, B = 20;
    const ns = "http://www.w3.org/2000/svg";
    svg.replaceChildren();
    const times = s.dates.map((d) => Date.parse(d));
    const t0 = Math.min(...times), t1 = Math.max(...times);
    const x = (tm) => L0 + (W - L0 - 6) * (tm - t0) / Math.max(1, t1 - t0);
    const y = (v) => 6 + (H - B - 6) * (1 - (v + 0.1) / 1.1);
    const el = (name, attrs, text) => { const e = document.createElementNS(ns, name); Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v)); if (text) e.textContent = text; svg.append(e); return e; };
    el("line", { class: "axis", x1: L0, y1: H - B, x2: W, y2: H - B });
    el("line", { class: "axis", x1: L0, y1: 0, x2: L0, y2: H - B });
    [0, 0.5, 1].forEach((v) => el("text", { x: 2, y: y(v) + 3 }, v.toFixed(1)));
    [s.dates[0], s.dates[s.dates.length - 1]].forEach((d, k) => el("text", { x: k ? W - 60 : L0, y: H - 6 }, d));
    const pts = s.dates.map((d, i) => [times[i], s.ndvi[i], s.flagged[i]]).filter((p) => p[1] != null);
    el("polyline", { class: "line", points: pts.filter((p) => !p[2]).map((p) => x(p[0]) + "," + y(p[1])).join(" ") });
    pts.forEach((p) => el("circle", { class: p[2] ? "pt flagged" : "pt", cx: x(p[0]), cy: y(p[1]), r: 2.2 }));
    const xa = x(Date.parse(afterDate));
    el("line", { class: "mark", x1: xa, y1: 0, x2: xa, y2: H - B });
  }

  // -- answering ---------------------------------------------------------------------------
  document.querySelectorAll("input[name=decision]").forEach((r) => r.addEventListener("change", () => {
    if (r.checked && r.value === "confirm") { $("reason").value = "clearing"; if ($("action").value === "none") $("action").value = "refer"; }
    if (r.checked && r.value === "dismiss") { if ($("reason").value === "clearing") $("reason").value = "other"; $("action").value = "none"; }
  }));
  $("answer").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const decision = (document.querySelector("input[name=decision]:checked") || {}).value;
    if (!decision) { showFeedback(t("Choose confirm or dismiss."), "bad"); return; }
    const c = state.exercise.cases[state.idx];
    $("answer-btn").disabled = true;
    try {
      const body = { case_id: c.id, decision, reason: $("reason").value, action: $("action").value,
                     geometry: decision === "confirm" ? polygonGeoJSON() : null, seconds: (performance.now() - state.shown) / 1000 };
      const r = await api("/api/training/sessions/" + encodeURIComponent(state.session.id) + "/answers?lang=" + yvyI18n.lang, { method: "POST", body });
      state.answered.add(c.id);
      showFeedback(r.feedback, r.result.decision_ok && r.result.reason_ok ? "ok" : "bad");
      if (r.truth_geometry) state.layers.push(L.geoJSON(r.truth_geometry, { style: { color: "#2b8a3e", weight: 2, fill: false, dashArray: "5 4" } }).addTo(map));
      showScore(r.score);
      $("next-btn").hidden = false;
      $("next-btn").textContent = state.answered.size === state.exercise.cases.length ? t("See my score") : t("Next case");
    } catch (e) { $("answer-btn").disabled = false; showFeedback(e.message, "bad"); }
  });
  function showFeedback(text, cls) { $("feedback").hidden = false; $("feedback").className = "msg " + cls; $("feedback").textContent = text; }
  $("next-btn").addEventListener("click", nextCase);

  function showScore(s) {
    $("score").hidden = false;
    fill($("score-list"), [[t("Answered"), s.answered + " / " + s.cases], [t("Accuracy"), pct(s.accuracy)],
      [t("Kappa"), num(s.kappa)], [t("Right reason"), pct(s.reason_accuracy)], [t("Right action"), pct(s.action_accuracy)],
      [t("Mean polygon IoU"), num(s.mean_iou)], [t("Median time per case"), s.median_seconds == null ? "–" : s.median_seconds.toFixed(0) + " s"]]);
  }
  async function finish() {
    const r = await api("/api/training/sessions/" + encodeURIComponent(state.session.id) + "/finish", { method: "POST" });
    $("case").hidden = true;
    showScore(r.score);
    const cert = "/api/training/sessions/" + encodeURIComponent(state.session.id) + "/certificate.";
    $("cert-pdf").href = cert + "pdf?lang=" + yvyI18n.lang; $("cert-csv").href = cert + "csv";
    $("certificate").hidden = false;
    document.body.dataset.done = "1";
  }

  // -- instructor: a class's results -------------------------------------------------------------
  $("ex-results").addEventListener("click", async () => {
    const r = await api("/api/training/exercises/" + encodeURIComponent($("ex-select").value) + "/results");
    $("results").hidden = false;
    const table = $("results-table");
    if (!state.headings) state.headings = [...table.tHead.rows[0].cells].map((c) => c.textContent);
    const patrol = r.exercise.source === "patrol";
    const headings = patrol ? yvyPatrol.RESULT_HEADINGS.map(t) : state.headings;
    table.tHead.rows[0].replaceChildren(...headings.map((h) => { const th = document.createElement("th"); th.textContent = h; return th; }));
    const rows = patrol ? yvyPatrol.resultRows(r.sessions) : r.sessions.map((s) => [s.trainee, s.score.answered + " / " + s.score.cases,
      pct(s.score.accuracy), num(s.score.kappa), pct(s.score.reason_accuracy), pct(s.score.action_accuracy), num(s.score.mean_iou),
      s.score.median_seconds == null ? "–" : s.score.median_seconds.toFixed(0)]);
    table.tBodies[0].replaceChildren(...rows.map((cells) => {
      const tr = document.createElement("tr");
      cells.forEach((v) => { const td = document.createElement("td"); td.textContent = v; tr.append(td); });
      return tr;
    }));
  });

  $("lang").addEventListener("change", () => yvyI18n.setLang($("lang").value));
  yvyI18n.ready.then(async () => {
    $("lang").value = yvyI18n.lang;
    await refreshUser();
    document.body.dataset.ready = "1";
  });
})();
