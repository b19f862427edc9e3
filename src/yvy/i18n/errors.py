"""yvy's own error lines in the user's language: templates extracted from the raise sites, matched
when an error is shown.

Raise sites stay plain English: ``raise InputError(path, f"{n} bands, expected {want}")``. The
extractor (:func:`error_messages`) reads the AST of every module under ``yvy/`` and turns the problem
of each call of a :class:`yvy.errors.YvyError` subclass (found by name, subclasses defined anywhere in
the package included) and the message of each ``click.UsageError`` / ``BadParameter`` /
``ClickException`` / ``MissingParameter`` into a *template*: the literal text, whitespace collapsed
as :class:`~yvy.errors.YvyError` does, with each f-string expression as a placeholder named after it
(``{n}``, ``{scene.id}``; ``{0}``, ``{1}`` for calls, subscripts and other expressions). Literal
braces are doubled. A conditional expression with string branches gives one template per branch;
``"text " + value`` concatenations give ``text {0}``. A literal subject in words (``"audit log"``, not a
path, flag or id) is a template too.

The templates are the message ids of ``errors.po``; :func:`translate_message` compiles each one to an
anchored regular expression, takes the most specific template that matches a shown message (the one
with the most literal text) and substitutes the captured values, unchanged, into the translation
(a value that is itself one of yvy's problems, as in ``TAMPERED: {0}``, or a part of the message
marked with ``E_`` where it is written, as the ``{what}`` of ``{what} not found``, is translated too).

A call whose message is not a literal or f-string (a message relayed from another error or from a
library) cannot be extracted: its line must carry the marker comment ``# i18n: relayed`` (the text
is then matched as it is when shown, being the problem of an error raised elsewhere, or left as it
is); :func:`unextractable` lists the calls that lack it. A problem built by a helper away from the
raise site is marked for extraction with :func:`yvy.errors.E_` (``return E_(f"{kind} missing")``).

``python -m yvy.i18n.errors`` prints the templates the Spanish catalog lacks and the unmarked calls;
``--update`` rewrites ``errors.po`` with every template (new ones untranslated, translations kept).
"""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from itertools import product
from pathlib import Path

from . import FALLBACK, LOCALE_DIR, language_of

__all__ = ["MARKER", "error_messages", "missing", "translate_message", "unextractable"]

PACKAGE = Path(__file__).resolve().parent.parent
MARKER = "# i18n: relayed"
"""Comment marking a raise site whose message is relayed (not extractable) as such."""
CATALOG = "errors.po"
BASE_ERRORS = ("YvyError", "InputError", "CorruptRasterError", "ProjectionError", "EmptyAOIError",
               "DateRangeError", "WorkspaceError", "NotFoundError", "ConflictError", "MissingDependencyError")
CLICK_ERRORS = ("UsageError", "BadParameter", "ClickException", "MissingParameter")
_MAX_VARIANTS = 16
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def _name(node: ast.expr) -> str | None:
    """``n`` or ``scene.id`` for a name or an attribute chain of names, else ``None``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _name(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    return None


def _literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


class _Template:
    """Variants of one message expression, as lists of parts: ``str`` literal or ``("ph", name)``."""

    def __init__(self):
        self.complex = 0

    def placeholder(self, node: ast.expr) -> list[list]:
        name = _name(node)
        if name is None:
            name, self.complex = str(self.complex), self.complex + 1
        return [[("ph", name)]]

    def parts(self, node: ast.expr) -> list[list] | None:
        """The variants of ``node`` as a text; ``None`` when it is not a text at all."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [[_literal(node.value)]]
        if isinstance(node, ast.JoinedStr):
            out: list[list] = [[]]
            for v in node.values:
                if isinstance(v, ast.Constant):
                    sub = [[_literal(str(v.value))]]
                else:
                    sub = self._branches(v.value) or self.placeholder(v.value)
                out = [a + b for a, b in product(out, sub)]
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.parts(node.left), self.parts(node.right)
            if left is None and right is None:
                return None
            left = left or self.placeholder(node.left)
            right = right or self.placeholder(node.right)
            return [a + b for a, b in product(left, right)]
        return self._branches(node)

    def _branches(self, node: ast.expr) -> list[list] | None:
        if isinstance(node, ast.IfExp):
            a, b = self.parts(node.body), self.parts(node.orelse)
            if a is not None and b is not None:
                return a + b
        return None


def _render(parts: list) -> str:
    text = "".join(p if isinstance(p, str) else "{" + p[1] + "}" for p in parts)
    # collapse whitespace outside placeholders, as YvyError does with the whole problem
    return " ".join(text.split())


def templates(node: ast.expr) -> list[str]:
    """The templates of a message expression (empty when it is not a literal, f-string or such)."""
    variants = _Template().parts(node)
    if not variants:
        return []
    out = list(dict.fromkeys(_render(v) for v in variants[:_MAX_VARIANTS]))
    return [t for t in out if _has_words(t)]


def _has_words(template: str) -> bool:
    """A template with some literal letters (``{0}`` alone, or ``{path}: {0}``, would match any text)."""
    return bool(re.search(r"[A-Za-z]{2}", _TOKEN.sub(" ", template)))


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    names = set(BASE_ERRORS)
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for n in ast.walk(tree):
                if isinstance(n, ast.ClassDef) and n.name not in names and any(
                        (_name(b) or "").split(".")[-1] in names for b in n.bases):
                    names.add(n.name)
                    grew = True
    return names


def _message_arg(call: ast.Call, name: str, errors: set[str]) -> ast.expr | None | bool:
    """The message argument of an error construction; ``False`` when ``call`` is none."""
    if name in errors:
        for k in call.keywords:
            if k.arg == "problem":
                return k.value
        return call.args[1] if len(call.args) >= 2 else (call.args[0] if call.args else None)
    if name in CLICK_ERRORS:
        for k in call.keywords:
            if k.arg == "message":
                return k.value
        return call.args[0] if call.args else None
    return False


def _sites(root: Path):
    """``(location, templates, marked)`` of every error construction under ``root``."""
    files = sorted(p for p in root.rglob("*.py") if "vendor" not in p.parts)
    sources = {p: p.read_text(encoding="utf-8") for p in files}
    trees = {p: ast.parse(src) for p, src in sources.items()}
    errors = _error_classes(trees)
    for path, tree in trees.items():
        lines = sources[path].splitlines()
        rel = path.relative_to(root).as_posix()
        for n in ast.walk(tree):
            if not isinstance(n, ast.Call):
                continue
            func = n.func
            if isinstance(func, ast.Name):
                name = func.id
            elif isinstance(func, ast.Attribute) and (func.attr in errors or _name(func.value) == "click"):
                name = func.attr
            else:
                continue
            if name == "E_" and n.args:
                yield f"{rel}:{n.lineno}", templates(n.args[0]), True
                continue
            arg = _message_arg(n, name, errors)
            if arg is False or arg is None:
                continue
            marked = any(MARKER in line for line in lines[n.lineno - 1:(n.end_lineno or n.lineno)])
            yield f"{rel}:{n.lineno}", templates(arg), marked
            subject = n.args[0] if name in errors and len(n.args) >= 2 else None
            if isinstance(subject, ast.Constant) and isinstance(subject.value, str) and " " in subject.value:
                yield f"{rel}:{n.lineno}", templates(subject), True  # a subject in words ("audit log")


def error_messages(root: Path = PACKAGE) -> dict[str, list[str]]:
    """Every error template under the package ``root``: ``{template: ["path:line", ...]}``."""
    out: dict[str, list[str]] = {}
    for where, found, _marked in _sites(root):
        for t in found:
            out.setdefault(t, []).append(where)
    return out


def unextractable(root: Path = PACKAGE) -> list[str]:
    """``path:line`` of each error construction whose message gives no template and is not marked."""
    return [where for where, found, marked in _sites(root) if not found and not marked]


def _read(lang: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / CATALOG
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        cat = read_po(fh, locale=None)
    return {m.id: m.string for m in cat if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def catalog(lang: str) -> dict[str, str]:
    """The error translations of ``lang`` (its fallback language's beneath), ``{template: text}``."""
    lang = language_of(lang)
    return {**_read(FALLBACK[lang]), **_read(lang)} if lang in FALLBACK else _read(lang)


def placeholders(template: str) -> list[str]:
    """The placeholder names of a template, in order."""
    return [m.group(1) for m in _TOKEN.finditer(template) if m.group(1) is not None]


def _pattern(template: str) -> re.Pattern:
    out, last, names = [], 0, []
    for m in _TOKEN.finditer(template):
        out.append(re.escape(template[last:m.start()]))
        if m.group(1) is None:
            out.append(re.escape(m.group(0)[0]))
        else:
            names.append(m.group(1))
            out.append(f"(?P<g{len(names) - 1}>.*?)")
        last = m.end()
    out.append(re.escape(template[last:]))
    return re.compile(r"\A" + "".join(out) + r"\Z", re.DOTALL)


@cache
def _compiled(lang: str) -> list[tuple[re.Pattern, list[str], str]]:
    """(regex, placeholder names, translation) of each template, the most literal text first."""
    rows = []
    for template, text in catalog(lang).items():
        literal = len(_TOKEN.sub("", template))
        rows.append((-literal, template, _pattern(template), placeholders(template), text))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [(pat, names, text) for _, _, pat, names, text in rows]


def _fill(text: str, values: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        if m.group(1) is None:
            return m.group(0)[0]
        return values.get(m.group(1), m.group(0))

    return _TOKEN.sub(sub, text)


def _translate_exact(message: str, lang: str, depth: int = 0) -> str | None:
    for pat, names, text in _compiled(lang):
        m = pat.match(message)
        if m:
            values: dict[str, str] = {}
            for i, name in enumerate(names):
                value = m.group(f"g{i}")
                if depth < 2:  # a value may be another problem, or a part marked with E_ ("optical scene")
                    value = _translate_line(value, lang, depth + 1) or value
                values.setdefault(name, value)
            return _fill(text, values)
    return None


def translate_message(message: str, lang: str | None) -> str:
    """``message`` (an error's problem, or a ``subject: problem`` line) in ``lang``; as it is when no
    template matches it or the language is English."""
    if not message or language_of(lang) == "en":
        return message
    found = _translate_line(" ".join(str(message).split()), lang)
    return message if found is None else found


def _translate_line(text: str, lang: str, depth: int = 0) -> str | None:
    found = _translate_exact(text, lang, depth)
    if found is not None:
        return found
    # "subject: problem" (an error relayed as its whole line): translate the problem
    for m in re.finditer(r": ", text):
        found = _translate_exact(text[m.end():], lang, depth)
        if found is not None:
            return f"{text[:m.end()]}{found}"
    return None


def missing(lang: str = "es", root: Path = PACKAGE) -> dict[str, list[str]]:
    """Error templates that ``lang``'s catalog lacks."""
    have = catalog(lang)
    return {k: v for k, v in sorted(error_messages(root).items()) if k not in have}


HEADER = """\
# yvy's own error lines ({lang}): the problems of the errors raised in yvy/ (message ids are the
# templates extracted from the raise sites by yvy/i18n/errors.py; placeholders such as {{path}} or
# {{0}} are the values, passed through unchanged). Regenerate: python -m yvy.i18n.errors --update
msgid ""
msgstr ""
"Project-Id-Version: yvy\\n"
"Language: {lang}\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"""


def update(root: Path = PACKAGE, lang: str = "es") -> Path:
    """Rewrite ``lang``'s ``errors.po`` with every template, sorted (translations kept, stale ones dropped)."""
    from babel.messages.pofile import normalize

    path = LOCALE_DIR / lang / "LC_MESSAGES" / CATALOG
    have = _read(lang)
    out = [HEADER.format(lang=lang)]
    for template in sorted(error_messages(root)):
        out.append(f"msgid {normalize(template, width=120)}\nmsgstr {normalize(have.get(template, ''), width=120)}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Print the templates missing from the Spanish catalog and the unmarked calls; exit 1 if any."""
    argv = sys.argv[1:] if argv is None else argv
    if "--update" in argv:
        print(update())
    gaps = missing("es")
    for text, where in gaps.items():
        print(f"es: {text!r} ({where[0]})")
    loose = unextractable()
    for where in loose:
        print(f"{where}: message not extractable (use a literal or f-string, or mark it {MARKER!r})")
    return 1 if gaps or loose else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
