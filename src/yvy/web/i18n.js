/* yvy web i18n: the page's language (?lang=, then the saved choice, then the browser's, else Spanish),
   its catalog from /i18n/<lang>.json, t("English text") for scripts and data-i18n attributes for HTML:
     <span data-i18n>Sign in</span>            text content translated (the English text is the id)
     <input data-i18n-placeholder="user">      placeholder translated
     <img data-i18n-alt="before">               alt text translated
     <x data-i18n-title="...">                  title translated
   Load it before the page's scripts; they await window.yvyI18n.ready before drawing text. */
(function () {
  "use strict";
  const LANGS = ["es", "en", "gn"];
  const DEFAULT = "es";
  function pick() {
    const q = new URLSearchParams(location.search).get("lang");
    if (q && LANGS.includes(q)) return q;
    let saved = null;
    try { saved = localStorage.getItem("yvy.lang"); } catch (e) { saved = null; }
    if (saved && LANGS.includes(saved)) return saved;
    return DEFAULT;
  }
  const state = { lang: pick(), messages: {} };
  function t(text) {
    const s = state.messages[text];
    return s ? s : text;
  }
  function apply(root) {
    const r = root || document;
    r.querySelectorAll("[data-i18n]").forEach((el) => {
      if (!el.dataset.i18nId) el.dataset.i18nId = el.dataset.i18n || el.textContent.trim();
      el.textContent = t(el.dataset.i18nId);
    });
    ["placeholder", "alt", "title", "aria-label"].forEach((attr) => {
      const key = "i18n" + attr.replace(/(^|-)(\w)/g, (m, d, c) => c.toUpperCase());
      r.querySelectorAll("[data-i18n-" + attr + "]").forEach((el) => {
        el.setAttribute(attr, t(el.dataset[key] || el.getAttribute(attr) || ""));
      });
    });
  }
  async function load(lang) {
    state.lang = LANGS.includes(lang) ? lang : DEFAULT;
    try {
      const r = await fetch("/i18n/" + state.lang + ".json", { credentials: "same-origin" });
      state.messages = r.ok ? (await r.json()).messages : {};
    } catch (e) { state.messages = {}; }
    document.documentElement.lang = state.lang;
    apply(document);
    document.dispatchEvent(new CustomEvent("yvy:lang", { detail: { lang: state.lang } }));
  }
  function setLang(lang) {
    try { localStorage.setItem("yvy.lang", lang); } catch (e) { /* private mode */ }
    return load(lang);
  }
  window.t = t;
  window.yvyI18n = { t, apply, setLang, languages: LANGS, get lang() { return state.lang; }, ready: load(state.lang) };
})();
