"""``--help`` in the user's language: click help texts translated through the catalogs when shown,
and the language of the CLI's reports (:func:`cli_language`).

The help texts stay English in the code (cleaned as click shows them, they are the message ids);
:func:`localize` swaps each
command's ``help``/``short_help`` and each option's ``help`` for the catalog's text of the chosen
language when a command is loaded, keeping the English original so a later call in another
language starts from it. Epilogs (``Example: yvy ...``) are commands and stay as written.

:data:`TRANSLATED` names the user-facing commands whose help the Spanish catalog must hold
(checked by the catalog test through :func:`help_messages`).
"""

from __future__ import annotations

import inspect
import os

import click

__all__ = ["TRANSLATED", "cli_language", "help_messages", "localize"]

TRANSLATED = ("alerts", "context", "stats", "demo", "init", "evidence", "serve")
"""Commands used by analysts, forest police and prosecutors: their help must exist in Spanish."""
_ORIGINAL = "_yvy_help_en"


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


def localize(cmd: click.Command, locale: str) -> click.Command:
    """Translate ``cmd``'s help texts (and its sub-commands') into ``locale``'s language, in place."""
    from ..i18n import translator

    tr = translator(locale)
    for owner, attr in _texts(cmd):
        originals = owner.__dict__.setdefault(_ORIGINAL, {})
        if attr not in originals:
            originals[attr] = getattr(owner, attr, None)
        text = originals[attr]
        if text:
            setattr(owner, attr, tr.gettext(inspect.cleandoc(text)))
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
    """Help texts of the :data:`TRANSLATED` commands (and the root's) that ``lang``'s catalog lacks."""
    import importlib

    from ..i18n import catalog
    from .main import COMMANDS, cli

    cmds = {n: importlib.import_module(COMMANDS[n][0]).command for n in TRANSLATED}
    found = help_messages({**cmds, "yvy": cli})
    for n in TRANSLATED:
        found.setdefault(COMMANDS[n][1], []).append("cli:yvy")
    have = catalog(lang)
    return {k: v for k, v in sorted(found.items()) if k not in have}


if __name__ == "__main__":  # pragma: no cover - python -m yvy.cli._help_i18n
    gaps = missing_help()
    for text, where in gaps.items():
        print(f"es: {text!r} ({where[0]})")
    raise SystemExit(1 if gaps else 0)
