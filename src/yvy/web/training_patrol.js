/* yvy training simulator, patrol exercise: the trainee plans one drone flight from the base over the
   hot spots of a risk map (click a hot spot to add it to the flight, click the last one again to take
   it back), sees the flight's length against the battery's range as it grows, and sends it; the
   server scores it against the patrol planner's flight, which is then drawn beside it.
   Plain browser JavaScript, no build step; texts through t() (i18n.js). Used by training.js. */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const R = 6371008.8;  // mean Earth radius (m): the on-screen length is an estimate, the server measures
  function haversine(a, b) {
    const rad = Math.PI / 180, dLat = (b[0] - a[0]) * rad, dLon = (b[1] - a[1]) * rad;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * R * Math.asin(Math.sqrt(h));
  }
  // numbers as the server formats them: es_PY for Spanish and Guaraní (1.234,5), English otherwise
  const number = (v, d) => new Intl.NumberFormat(yvyI18n.lang === "en" ? "en" : "es-PY",
    { minimumFractionDigits: d, maximumFractionDigits: d }).format(v);
  const km = (m) => number(m / 1000, 1);
  let map = null;

  function start(ctx) {
    const ex = ctx.exercise.patrol, route = [], layers = L.layerGroup();
    const base = [ex.base.lat, ex.base.lon];
    const byId = Object.fromEntries(ex.targets.map((tg) => [tg.id, tg]));
    $("patrol").hidden = false; $("patrol-feedback").hidden = true; $("patrol-send").disabled = false;
    $("patrol-title").textContent = ctx.exercise.title;
    $("patrol-range").textContent = km(ex.range_m) + " km";
    if (!map) {
      map = L.map("patrol-map", { attributionControl: false });
      L.control.scale({ imperial: false }).addTo(map);
    }
    map.invalidateSize();
    layers.addTo(map);
    const maxValue = Math.max(...ex.targets.map((tg) => tg.value));
    L.circle(base, { radius: ex.range_m / 2, color: "#495057", weight: 1, fill: false, dashArray: "4 4" }).addTo(layers);
    if (ex.nofly) L.geoJSON(ex.nofly, { style: { color: "#c92a2a", weight: 1, fillOpacity: 0.2 } }).addTo(layers);
    L.marker(base, { icon: L.divIcon({ className: "patrol-base", html: "⌂" }), title: t("Drone base") }).addTo(layers);
    const line = L.polyline([], { color: "#f08c00", weight: 3 }).addTo(layers);
    const best = L.polyline([], { color: "#2b8a3e", weight: 3, dashArray: "6 5" }).addTo(layers);
    const markers = {};
    ex.targets.forEach((tg) => {
      const size = Math.round(16 + 18 * Math.sqrt(tg.value / maxValue));
      const m = L.marker([tg.lat, tg.lon], { title: tg.id + " · " + number(tg.value, 1) + " ha",
        icon: L.divIcon({ className: "patrol-spot", iconSize: [size, size], html: "" }) }).addTo(layers);
      m.on("click", () => toggle(tg.id));
      markers[tg.id] = m;
    });
    map.fitBounds(L.latLngBounds([base, ...ex.targets.map((tg) => [tg.lat, tg.lon])]).pad(0.15));
    document.body.dataset.patrolTargets = JSON.stringify(ex.targets.map((tg) => tg.id));

    function length() {
      const pts = [base, ...route.map((id) => [byId[id].lat, byId[id].lon]), base];
      let s = 0;
      for (let i = 1; i < pts.length; i++) s += haversine(pts[i - 1], pts[i]);
      return s;
    }
    function redraw() {
      line.setLatLngs([base, ...route.map((id) => [byId[id].lat, byId[id].lon]), base]);
      Object.entries(markers).forEach(([id, m]) => {
        const el = m.getElement(), k = route.indexOf(id);
        if (!el) return;
        el.classList.toggle("on", k >= 0);
        el.textContent = k >= 0 ? String(k + 1) : "";
        el.dataset.id = id;
      });
      const len = route.length ? length() : 0;
      const value = route.reduce((s, id) => s + byId[id].value, 0);
      $("patrol-length").textContent = km(len) + " km";
      $("patrol-length").className = len > ex.range_m ? "over" : "";
      $("patrol-value").textContent = number(value, 1) + " ha";
      $("patrol-route").textContent = route.join(" → ") || "–";
    }
    function toggle(id) {
      if ($("patrol-send").disabled) return;
      const k = route.indexOf(id);
      if (k === route.length - 1 && k >= 0) route.pop();
      else if (k < 0) route.push(id);
      redraw();
    }
    $("patrol-undo").onclick = () => { if (!$("patrol-send").disabled) { route.pop(); redraw(); } };
    $("patrol-clear").onclick = () => { if (!$("patrol-send").disabled) { route.length = 0; redraw(); } };
    const shown = performance.now();
    $("patrol-send").onclick = async () => {
      if (!route.length) { feedback(t("Choose at least one hot spot."), "bad"); return; }
      $("patrol-send").disabled = true;
      try {
        const r = await ctx.api("/api/training/sessions/" + encodeURIComponent(ctx.session.id) + "/patrol?lang=" + yvyI18n.lang,
          { method: "POST", body: { route: route.slice(), seconds: (performance.now() - shown) / 1000 } });
        best.setLatLngs([base, ...r.planner.route.map((id) => [byId[id].lat, byId[id].lon]), base]);
        feedback(r.feedback, r.result.within_range && r.result.ratio >= 0.9 ? "ok" : "bad");
        $("patrol-planner").textContent = r.planner.route.join(" → ");
        ctx.done();
      } catch (e) { $("patrol-send").disabled = false; feedback(e.message, "bad"); }
    };
    function feedback(text, cls) { $("patrol-feedback").hidden = false; $("patrol-feedback").className = "msg " + cls; $("patrol-feedback").textContent = text; }
    redraw();
    if (ctx.previous) {  // a resumed session whose flight was sent already
      ctx.previous.route.forEach((id) => { if (byId[id]) route.push(id); });
      $("patrol-send").disabled = true;
      redraw();
      feedback(t("This flight was already sent."), "ok");
      ctx.done();
    }
  }

  /* The instructor's table for a patrol exercise: one row per session. */
  function resultRows(sessions) {
    return sessions.map((s) => {
      const p = s.score.patrol;
      return [s.trainee, s.score.answered + " / 1", p ? km(p.length_m) : "–", p ? (p.within_range ? t("yes") : t("no")) : "–",
        p ? number(p.value, 1) : "–", p && p.ratio != null ? number(100 * p.ratio, 0) + " %" : "–"];
    });
  }
  const N_ = (text) => text;  // marked for the catalogs, translated where shown
  const RESULT_HEADINGS = [N_("Trainee"), N_("Answered"), N_("Flight (km)"), N_("Within range"), N_("Hectares"),
    N_("Share of the planner")];

  window.yvyPatrol = { start, resultRows, RESULT_HEADINGS };
})();
