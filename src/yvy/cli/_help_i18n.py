"""The CLI in the user's language: click help texts translated through the catalogs when shown,
click's own texts (``Usage:``, ``Options``, error lines) through the same catalogs, and the language
of the CLI's reports (:func:`cli_language`).

The help texts stay English in the code (cleaned as click shows them, they are the message ids);
:func:`localize` swaps each
command's ``help``/``short_help`` and each option's ``help`` for the catalog's text of the chosen
language when a command is loaded, keeping the English original so a later call in another
language starts from it; likewise the usage line's ``[OPTIONS]``/``COMMAND [ARGS]...`` and the
``Example:`` that starts an epilog's lines (the examples themselves are commands and stay as written).

Click marks its own texts with the standard library's module-level ``gettext``/``ngettext``, which
read compiled ``.mo`` files of the process-wide text domain in the language of ``$LANGUAGE``/
``$LANG``. yvy's catalogs are ``.po`` files read at run time and its language is chosen per
invocation (``--lang``, ``YVY_LANG``, the workspace's locale), so :func:`install_click_catalog`
points the ``gettext``/``ngettext`` names of click's modules at yvy's catalogs, in the language
:func:`speaking` sets for one invocation (``yvy`` sets it around each run). Outside that, click's
texts are its English ones. :func:`missing_click` lists click's texts a catalog lacks, except
:data:`CLICK_PROGRAMMER_TEXTS` (errors in a command's definition, never shown to a user of yvy).

Every command's help must exist in Spanish: :func:`missing_help` walks the whole command tree.
"""

from __future__ import annotations

import gettext as _stdlib_gettext
import importlib
import inspect
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import click

__all__ = [
    "CLICK_PROGRAMMER_TEXTS",
    "FRAME_TEXTS",
    "HELP_OPTION_TEXT",
    "cli_error",
    "cli_language",
    "cli_translator",
    "click_messages",
    "help_messages",
    "install_click_catalog",
    "localize",
    "missing_click",
    "missing_help",
    "speaking",
    "speaking_language",
]

_ORIGINAL = "_yvy_help_en"
HELP_OPTION_TEXT = "Show this message and exit."
"""click's help text of ``-h/--help`` (created by click, translated by :func:`localize`)."""
FRAME_TEXTS = ("[OPTIONS]", "COMMAND [ARGS]...", "Example:", "Examples:")
"""Texts around the help: click's usage metavars and the word starting an epilog's examples."""
_EXAMPLE = re.compile(r"^Examples?:", re.MULTILINE)
TYPE_NAMES = ("text", "integer", "float", "integer range", "float range", "file", "directory", "path")
"""click's names of option types, shown upper-case as an option's value (``--home DIRECTORY``)."""
CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types")
"""click's modules whose texts a user of yvy can see."""
CLICK_PROGRAMMER_TEXTS = frozenset({
    "Name '{name}' defined twice",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Could not determine name for option with declarations {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Unknown color {colour!r}",
    "Value must be an iterable.",
})
"""click texts about a wrongly defined command or a programming error: not translated."""
_SPEAKING: ContextVar[str | None] = ContextVar("yvy_cli_language", default=None)


def cli_language(ctx: click.Context | None) -> str:
    """The language of the CLI's output: ``--lang`` (or ``YVY_LANG``), else the workspace's ``locale``,
    else Spanish (used for ``--help`` and for reports such as the evidence PDF)."""
    from ..config import MARKER, Workspace, resolve_home

    root = ctx.find_root() if ctx is not None else None
    lang = (root.params.get("lang") if root is not None else None) or os.environ.get("YVY_LANG")
    if lang:
        return lang
    home = resolve_home(root.params.get("home") if root is not None else None)
    return Workspace(home).locale if (home / MARKER).exists() else "es_PY"


def cli_translator(ctx: click.Context | None):
    """The :class:`~yvy.i18n.Translator` of the CLI's language (:func:`cli_language`), for reports."""
    from ..i18n import translator

    return translator(cli_language(ctx))


def cli_error(ctx: click.Context | None, message: str) -> str:
    """One of yvy's error lines (``problem`` or ``subject: problem``) in the CLI's language."""
    from ..i18n.errors import translate_message

    return translate_message(message, cli_language(ctx))


def speaking_language() -> str | None:
    """The language :func:`speaking` set for this invocation (``None`` outside the ``yvy`` program)."""
    return _SPEAKING.get()


def _click_gettext(message: str) -> str:
    from ..i18n import translator

    lang = _SPEAKING.get()
    return translator(lang).gettext(message) if lang else message


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    from ..i18n import translator

    lang = _SPEAKING.get()
    return translator(lang).ngettext(singular, plural, n) if lang else (singular if n == 1 else plural)


def install_click_catalog() -> None:
    """Point click's ``gettext``/``ngettext`` at yvy's catalogs (idempotent; see the module's text)."""
    for name in CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if getattr(module, "_", None) is _stdlib_gettext.gettext:
            module._ = _click_gettext
        if getattr(module, "ngettext", None) is _stdlib_gettext.ngettext:
            module.ngettext = _click_ngettext


@contextmanager
def speaking(locale: str | None) -> Iterator[None]:
    """click's texts in ``locale``'s language while the block runs (``None``: click's English)."""
    token = _SPEAKING.set(locale)
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def _texts(cmd: click.Command):
    """(owner, attribute) of every help text of a command and its sub-commands."""
    yield cmd, "help"
    yield cmd, "short_help"
    for p in cmd.params:
        if isinstance(p, click.Option):
            yield p, "help"
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            yield from _texts(sub)


def _frame(cmd: click.Command):
    """(owner, attribute) of the usage metavars and epilogs of a command and its sub-commands."""
    for sub in _commands(cmd):
        yield sub, "options_metavar"
        yield sub, "epilog"
        if isinstance(sub, click.Group):
            yield sub, "subcommand_metavar"


def _commands(cmd: click.Command) -> Iterator[click.Command]:
    yield cmd
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            yield from _commands(sub)


def localize(cmd: click.Command, locale: str, ctx: click.Context | None = None) -> click.Command:
    """Translate ``cmd``'s help texts (and its sub-commands') into ``locale``'s language, in place.

    With ``ctx`` (for its help option names) the ``-h/--help`` option's text too: click creates it
    once per command, in the language of that moment."""
    from ..i18n import translator

    tr = translator(locale)
    for owner, attr in [*_texts(cmd), *_frame(cmd)]:
        originals = owner.__dict__.setdefault(_ORIGINAL, {})
        if attr not in originals:
            originals[attr] = getattr(owner, attr, None)
        text = originals[attr]
        if not text:
            continue
        if attr == "epilog":
            setattr(owner, attr, _EXAMPLE.sub(lambda m: tr.gettext(m.group(0)), text))
        else:
            setattr(owner, attr, tr.gettext(inspect.cleandoc(text)))
    for sub in _commands(cmd):
        for p in sub.params:
            if isinstance(p, click.Option) and not p.is_flag and not p.count:
                originals = p.__dict__.setdefault(_ORIGINAL, {})
                original = originals.setdefault("metavar", p.metavar)
                if original is None and p.type.name in TYPE_NAMES:
                    p.metavar = tr.gettext(p.type.name).upper() + ("..." if p.nargs != 1 else "")
    if ctx is not None:
        for sub in _commands(cmd):
            option = sub.get_help_option(ctx)
            if option is not None:
                option.help = tr.gettext(HELP_OPTION_TEXT)
    return cmd


def help_messages(commands: dict[str, click.Command]) -> dict[str, list[str]]:
    """The help texts of these commands: ``{text: ["cli:<command>", ...]}`` (their English originals)."""
    out: dict[str, list[str]] = {}
    for name, cmd in commands.items():
        for owner, attr in _texts(cmd):
            text = owner.__dict__.get(_ORIGINAL, {}).get(attr, getattr(owner, attr, None))
            if text:
                out.setdefault(inspect.cleandoc(text), []).append(f"cli:{name}")
    return out


def missing_help(lang: str = "es") -> dict[str, list[str]]:
    """Help texts of every command, sub-command and option (and the root's) that ``lang``'s catalog lacks."""
    from ..i18n import catalog
    from .main import COMMANDS, cli

    cmds = {n: importlib.import_module(module).command for n, (module, _short) in COMMANDS.items()}
    found = help_messages({**cmds, "yvy": cli})
    for _module, short in COMMANDS.values():
        found.setdefault(short, []).append("cli:yvy")
    for text in (HELP_OPTION_TEXT, *FRAME_TEXTS, *TYPE_NAMES):
        found.setdefault(text, []).append("cli:usage")
    have = catalog(lang)
    return {k: v for k, v in sorted(found.items()) if k not in have}


def click_messages() -> dict[str, list[str]]:
    """click's translatable texts (Babel's extractor over its modules in :data:`CLICK_MODULES`),
    less :data:`CLICK_PROGRAMMER_TEXTS`: ``{text: ["click/<module>.py:<line>", ...]}``."""
    from babel.messages.extract import extract

    out: dict[str, list[str]] = {}
    folder = Path(click.__file__).parent
    for name in CLICK_MODULES:
        with (folder / f"{name}.py").open("rb") as fh:
            for line, msg, _comments, _ctx in extract("python", fh, keywords={"_": None, "ngettext": (1, 2)}):
                for text in msg if isinstance(msg, tuple) else (msg,):
                    if text and text not in CLICK_PROGRAMMER_TEXTS:
                        out.setdefault(text, []).append(f"click/{name}.py:{line}")
    return out


def missing_click(lang: str = "es") -> dict[str, list[str]]:
    """click's texts (:func:`click_messages`) that ``lang``'s catalog lacks."""
    from ..i18n import catalog

    have = catalog(lang)
    return {k: v for k, v in sorted(click_messages().items()) if k not in have}


if __name__ == "__main__":  # pragma: no cover - python -m yvy.cli._help_i18n
    gaps = {**missing_help(), **missing_click()}
    for text, where in gaps.items():
        print(f"es: {text!r} ({where[0]})")
    raise SystemExit(1 if gaps else 0)
