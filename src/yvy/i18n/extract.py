"""Find every translatable text in yvy's sources with Babel's extractors, and the ones a catalog lacks.

Python: ``gettext`` / ``ngettext`` / ``_`` / ``N_`` calls (Babel's Python extractor, which also
matches ``tr.gettext(...)``), and the progress bars' descriptions and stage names: the literal first
argument of ``progress_bar(...)`` and third of the domain's ``progress(done, total, "stage")``.
yvy's error lines have their own extractor and catalog (:mod:`yvy.i18n.errors`).

JavaScript under ``web/``: ``t(...)`` and ``N_(...)`` (Babel's
JavaScript extractor). HTML under ``web/``: ``data-i18n`` elements (the attribute's value or the
element's text) and ``data-i18n-placeholder|alt|title|aria-label`` attributes (an HTML extractor
written for Babel's interface). Used by the catalog test and by ``python -m yvy.i18n.extract``.

Texts of the public map and feeds (under ``web/`` except :data:`STAFF_PAGES`, and :data:`PUBLIC_MODULES`) must
also be in the Guaraní catalog.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.extract import extract

from . import LANGUAGES, catalog

__all__ = ["PUBLIC_MODULES", "extract_html", "messages", "missing"]

PACKAGE = Path(__file__).resolve().parent.parent
PUBLIC_MODULES = ("api/feeds.py", "api/features.py", "api/fires.py", "api/stac.py", "alerts/notify.py",
                  "alerts/_feed_text.py", "disaster/_feed_text.py")
"""Python modules whose texts reach the public (feeds, OGC API Features, the STAC API's landing page,
notifications): Guaraní required too."""
STAFF_PAGES = ("web/training.html", "web/training.js", "web/training_patrol.js", "web/field.js", "web/offline.js",
               "web/geo.js")
"""Pages of the web app for staff (the training simulator, the field team's tools): Spanish
required, Guaraní not (the public map's texts are under ``web/`` otherwise)."""
PY_KEYWORDS = {"gettext": None, "ngettext": (1, 2), "_": None, "N_": None, "progress_bar": None, "progress": (3,)}
JS_KEYWORDS = {"t": None, "N_": None, "tf": None}
ATTRS = ("placeholder", "alt", "title", "aria-label")


class _I18nHTML(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._open: list[tuple[str, int, list[str]]] = []  # data-i18n elements waiting for their text

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        line = self.getpos()[0]
        for attr in ATTRS:
            if f"data-i18n-{attr}" in a:
                text = a[f"data-i18n-{attr}"] or a.get(attr) or ""
                if text:
                    self.found.append((line, text))
        if "data-i18n" in a:
            if a["data-i18n"]:
                self.found.append((line, a["data-i18n"]))
            else:
                self._open.append((tag, line, []))

    def handle_data(self, data):
        for _tag, _line, parts in self._open:
            parts.append(data)

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            _, line, parts = self._open.pop()
            text = " ".join("".join(parts).split())
            if text:
                self.found.append((line, text))


def extract_html(fileobj, keywords, comment_tags, options):
    """Babel extraction method for the web map's HTML (``data-i18n`` attributes)."""
    parser = _I18nHTML()
    parser.feed(fileobj.read().decode(options.get("encoding", "utf-8")))
    for line, text in parser.found:
        yield line, None, text, []


def _files(root: Path, pattern: str):
    return sorted(p for p in root.glob(pattern) if "vendor" not in p.parts)


def messages(root: Path = PACKAGE) -> dict[str, list[str]]:
    """Every marked text under the package ``root``: ``{msgid: ["path:line", ...]}``."""
    out: dict[str, list[str]] = {}
    jobs = [("python", PY_KEYWORDS, p) for p in _files(root, "**/*.py")]
    jobs += [("javascript", JS_KEYWORDS, p) for p in _files(root, "web/*.js") if p.name != "i18n.js"]
    jobs += [(extract_html, {}, p) for p in _files(root, "web/*.html")]
    for method, keywords, path in jobs:
        with path.open("rb") as fh:
            for line, msg, _comments, _ctx in extract(method, fh, keywords=keywords, strip_comment_tags=True):
                for text in msg if isinstance(msg, tuple) else (msg,):
                    if text:
                        out.setdefault(text, []).append(f"{path.relative_to(root).as_posix()}:{line}")
    return out


def _public(locations: list[str]) -> bool:
    files = [loc.split(":")[0] for loc in locations]
    return any((f.startswith("web/") and f not in STAFF_PAGES) or f in PUBLIC_MODULES for f in files)


def missing(lang: str, root: Path = PACKAGE) -> dict[str, list[str]]:
    """Marked texts the ``lang`` catalog lacks (Spanish: all of them; Guaraní: the public ones)."""
    have = catalog(lang)
    found = messages(root)
    if lang == "gn":
        found = {k: v for k, v in found.items() if _public(v)}
    return {k: v for k, v in sorted(found.items()) if k not in have}


def main(argv: list[str] | None = None) -> int:
    """Print the texts missing from the es and gn catalogs; exit 1 if any."""
    bad = 0
    for lang in (x for x in LANGUAGES if x != "en"):
        for text, where in missing(lang).items():
            bad += 1
            print(f"{lang}: {text!r} ({where[0]})")
    return 1 if bad else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
