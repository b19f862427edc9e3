"""Languages: gettext catalogs (Babel) for Spanish (``es``, default), English (``en``) and Guaraní (``gn``).

Catalogs are the ``.po`` files under ``yvy/i18n/locale/<lang>/LC_MESSAGES/``, read at run time with
Babel (no compile step). A language's catalog is the union of every ``.po`` file in its folder, so
parts of the application keep their strings in their own file (``yvy.po``, ``web.po``, ...), except
``errors.po``: the templates of yvy's error lines, matched when an error is shown (:mod:`yvy.i18n.errors`).
Message ids are the English texts; English needs no catalog entries.

Numbers and dates are formatted with Babel's CLDR data: ``es`` as ``es_PY``; Guaraní has no number
or date rules in CLDR, so ``gn`` formats them as ``es_PY`` too. A Guaraní text the ``gn`` catalogs
lack (only the public texts are required there: the CLI, for one, is Spanish) is shown in Spanish,
the other language of Paraguay, rather than in English (:data:`FALLBACK`).

Python code marks strings with :func:`N_` where they are defined and translates them where they are
shown (``translator(locale).gettext(text)``); the web map loads ``/i18n/<lang>.json`` (see
``yvy.api.web``) and translates ``data-i18n`` elements and ``t("...")`` calls (``web/i18n.js``).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _format_decimal

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Translator",
    "N_",
    "accept_language",
    "catalog",
    "catalog_with_fallback",
    "language_of",
    "translator",
]

LANGUAGES = ("es", "en", "gn")
DEFAULT_LANGUAGE = "es"
# the CLDR locale used for numbers and dates of each language (gn has no CLDR number/date rules)
FORMAT_LOCALE = {"es": "es_PY", "en": "en", "gn": "es_PY"}
FALLBACK = {"gn": "es"}
"""The language a translator falls back to for texts its catalog lacks (else the English id)."""
LOCALE_DIR = Path(str(resources.files("yvy") / "i18n" / "locale"))


def N_(text: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``text`` for extraction without translating it (translate where it is shown)."""
    return text


def language_of(locale: str | None) -> str:
    """The catalog language of a locale name (``es_PY`` → ``es``, ``gn`` → ``gn``); unknown → default.

    An empty or unknown locale gives :data:`DEFAULT_LANGUAGE`; callers that must refuse an unknown
    language check membership in :data:`LANGUAGES` themselves.
    """
    if not locale:
        return DEFAULT_LANGUAGE
    lang = str(locale).replace("-", "_").split("_")[0].lower()
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def accept_language(header: str | None) -> str | None:
    """The catalog language an HTTP ``Accept-Language`` header prefers (highest ``q`` first, ties in
    the header's order), or ``None`` when it names none of :data:`LANGUAGES` (``es-PY,en;q=0.5`` → ``es``)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().replace("_", "-").split("-")[0].lower()
        q = 1.0
        for p in params.split(";"):
            key, _, value = p.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if lang in LANGUAGES and q > 0:
            ranked.append((-q, i, lang))
    return min(ranked)[2] if ranked else None


@cache
def catalog(lang: str) -> dict[str, str]:
    """The translations of ``lang`` as ``{msgid: msgstr}`` (untranslated and fuzzy entries left out)."""
    out: dict[str, str] = {}
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    for po in sorted(folder.glob("*.po")) if folder.is_dir() else []:
        if po.name == "errors.po":  # error templates, matched when an error is shown (yvy.i18n.errors)
            continue
        with po.open("rb") as fh:
            cat = read_po(fh, locale=None)
        for msg in cat:
            if not msg.id or msg.fuzzy:
                continue
            if isinstance(msg.id, tuple):  # plural forms: keep singular and plural
                strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
                if strings and all(strings):
                    out[msg.id[0]] = strings[0]
                    out[msg.id[1]] = strings[-1]
            elif msg.string:
                out[msg.id] = msg.string
    return out


@cache
def catalog_with_fallback(lang: str) -> dict[str, str]:
    """:func:`catalog` of ``lang`` over that of its :data:`FALLBACK` language (what is shown)."""
    return {**catalog(FALLBACK[lang]), **catalog(lang)} if lang in FALLBACK else catalog(lang)


@dataclass(frozen=True)
class Translator:
    """Translate and format for one language."""

    lang: str
    _cat: dict[str, str] = field(repr=False, compare=False, default_factory=dict)

    @property
    def format_locale(self) -> Locale:
        """The CLDR locale used for numbers and dates."""
        return Locale.parse(FORMAT_LOCALE[self.lang])

    def gettext(self, text: str) -> str:
        """``text`` in this language (the English text when the catalog has no entry)."""
        return self._cat.get(text, text)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural text for ``n`` (two forms, as es/en/gn use)."""
        return self.gettext(singular if n == 1 else plural)

    def number(self, value: float, digits: int = 1) -> str:
        """``value`` with ``digits`` decimals in the language's format (es: ``1.234,5``)."""
        fmt = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return _format_decimal(value, format=fmt, locale=self.format_locale)

    def area_ha(self, hectares: float, digits: int = 1) -> str:
        """An area in hectares (es: ``1.234,5 ha``)."""
        return f"{self.number(hectares, digits)} ha"

    def date(self, value: _dt.date | _dt.datetime, fmt: str = "medium") -> str:
        """A date in the language's format."""
        if isinstance(value, _dt.datetime):
            value = value.date()
        return _format_date(value, format=fmt, locale=self.format_locale)

    def datetime(self, value: _dt.datetime, fmt: str = "medium") -> str:
        """A date and time in the language's format."""
        return _format_datetime(value, format=fmt, locale=self.format_locale)


def translator(locale: str | None = None) -> Translator:
    """The :class:`Translator` of a locale name (``es_PY``, ``en``, ``gn``; default Spanish)."""
    lang = language_of(locale)
    return Translator(lang, catalog_with_fallback(lang))
