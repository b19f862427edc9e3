/* yvy offline outbox: changes made in the field (reports with their photos, status proposals) are
   kept in IndexedDB and sent when the network is back, oldest first, one sender at a time.
   A report carries an id made on the phone (crypto.randomUUID), so sending it twice (an answer
   lost on the way back) stores it once on the server; photos are uploaded by their SHA-256
   (PUT, idempotent). The server's review rules decide conflicts: an entry it refuses (409, 400)
   leaves the queue and is listed with the server's reason. Exposes window.yvyOutbox and fires
   "yvy:outbox" events ({queued, sent, refused}). */
(function () {
  "use strict";
  const DB = "yvy-field", VERSION = 1;
  let dbp = null, running = null;  // eslint-disable-line prefer-const

  function open() {
    if (!dbp) {
      dbp = new Promise((resolve, reject) => {
        const r = indexedDB.open(DB, VERSION);
        r.onupgradeneeded = () => {
          const db = r.result;
          db.createObjectStore("outbox", { keyPath: "id" });
          db.createObjectStore("done", { keyPath: "id" });
        };
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    }
    return dbp;
  }

  async function tx(store, mode, fn) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const s = t.objectStore(store);
      let out;
      Promise.resolve(fn(s)).then((v) => { out = v; });
      t.oncomplete = () => resolve(out);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }

  function all(store) {
    return tx(store, "readonly", (s) => new Promise((res) => { const r = s.getAll(); r.onsuccess = () => res(r.result); }));
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  async function sha256(blob) {
    const d = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
    return Array.from(new Uint8Array(d), (x) => x.toString(16).padStart(2, "0")).join("");
  }

  async function counts() {
    const [q, d] = await Promise.all([all("outbox"), all("done")]);
    return { queued: q.length, sent: d.filter((x) => x.outcome === "sent").length,
      refused: d.filter((x) => x.outcome === "refused").length, items: q, done: d };
  }

  async function announce() {
    document.dispatchEvent(new CustomEvent("yvy:outbox", { detail: await counts() }));
  }

  /* Queue a change: {kind: "report"|"review", alert_id, body, photos: [{sha256, blob, type}]}. */
  async function enqueue(entry) {
    const e = Object.assign({ id: entry.body && entry.body.id || uuid(), created: new Date().toISOString(), attempts: 0 }, entry);
    await tx("outbox", "readwrite", (s) => s.put(e));
    await announce();
    flush();
    return e;
  }

  async function csrf() {
    const r = await fetch("/api/me", { credentials: "same-origin", cache: "no-store" });
    if (!r.ok) throw new Error("offline");
    return (await r.json()).csrf || null;
  }

  async function send(e, token) {
    const headers = token ? { "X-CSRF-Token": token } : {};
    headers["Accept-Language"] = (window.yvyI18n && window.yvyI18n.lang) || "es";  // a refusal's reason in the page's language
    for (const p of e.photos || []) {
      const r = await fetch("/api/field/photos/" + p.sha256, { method: "PUT", credentials: "same-origin",
        headers: Object.assign({ "Content-Type": p.type || "application/octet-stream" }, headers), body: p.blob });
      if (!r.ok) return r;
    }
    const path = "/api/alerts/" + encodeURIComponent(e.alert_id) + (e.kind === "review" ? "/review" : "/reports");
    return fetch(path, { method: "POST", credentials: "same-origin",
      headers: Object.assign({ "Content-Type": "application/json" }, headers), body: JSON.stringify(e.body) });
  }

  async function settle(e, outcome, answer) {
    await tx("outbox", "readwrite", (s) => s.delete(e.id));
    await tx("done", "readwrite", (s) => s.put({ id: e.id, kind: e.kind, alert_id: e.alert_id, outcome: outcome,
      answer: answer, at: new Date().toISOString() }));
  }

  async function flushOnce() {
    const items = (await all("outbox")).sort((a, b) => a.created.localeCompare(b.created));
    if (!items.length) return;
    let token;
    try { token = await csrf(); } catch (e) { return; }
    for (const e of items) {
      let r;
      try { r = await send(e, token); } catch (err) { break; }  // the network went away: later
      let body = null;
      try { body = await r.json(); } catch (err) { body = null; }
      if (r.ok) await settle(e, "sent", body);
      else if (r.status === 409 || r.status === 400 || r.status === 404 || r.status === 422) {
        await settle(e, "refused", (body && body.description) || r.status + "");
      } else break;  // 401/403 (signed out), 5xx, 503 offline: keep it queued
    }
  }

  /* Send what is queued (one run at a time; a call during a run waits for it). */
  let again = false;
  function flush() {
    if (running) { again = true; return running; }
    running = flushOnce().catch(() => {}).finally(() => {
      running = null;
      announce();
      if (again) { again = false; flush(); }
    });
    return running;
  }

  window.addEventListener("online", () => flush());
  setInterval(() => { if (navigator.onLine) all("outbox").then((q) => { if (q.length) flush(); }); }, 20000);
  window.yvyOutbox = { enqueue, flush, counts, uuid, sha256, announce };
  announce().then(() => flush());
})();
