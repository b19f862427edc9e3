"""Workspace location and layout.

A workspace is a folder (``YVY_HOME``, default ``./yvy-data``) holding ``yvy.db`` (catalog,
jobs and later alerts), ``assets/`` (files yvy wrote: demo scenes, detection products, copies),
``exports/`` and ``reports/``. ``YVY_DATABASE_URL`` may point the database elsewhere. ``yvy.toml``
marks the folder and holds its settings (``locale``: the language of reports and feeds, es_PY by
default; ``YVY_LANG`` overrides it).

Imports nothing from yvy but ``errors``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import WorkspaceError

__all__ = ["DEFAULT_HOME", "Workspace", "resolve_home"]

DEFAULT_HOME = "yvy-data"
DEFAULT_LOCALE = "es_PY"
MARKER = "yvy.toml"


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    """The workspace folder: ``home`` if given, else ``$YVY_HOME``, else ``./yvy-data``."""
    return Path(home or os.environ.get("YVY_HOME") or DEFAULT_HOME).expanduser().absolute()


def _locale_name(locale: str) -> str:
    """A locale name safe to write into TOML (letters, digits, '_' and '-')."""
    if not locale.replace("_", "").replace("-", "").isalnum():
        raise WorkspaceError("locale", f"{locale!r} is not a locale name (es_PY, en, gn)")
    return locale


@dataclass(frozen=True)
class Workspace:
    """Paths of one workspace."""

    home: Path
    """The workspace folder."""

    @property
    def db_path(self) -> Path:
        """SQLite catalog file."""
        return self.home / "yvy.db"

    @property
    def database_url(self) -> str:
        """``YVY_DATABASE_URL`` if set, else the workspace's SQLite file."""
        return os.environ.get("YVY_DATABASE_URL") or f"sqlite:///{self.db_path}"

    @property
    def locale(self) -> str:
        """``YVY_LANG`` if set, else ``locale`` of the workspace's ``yvy.toml``, else ``es_PY``."""
        env = os.environ.get("YVY_LANG")
        if env:
            return env
        try:
            doc = tomllib.loads((self.home / MARKER).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            return DEFAULT_LOCALE
        return str(doc.get("locale") or DEFAULT_LOCALE)

    @property
    def assets(self) -> Path:
        """Files written by yvy."""
        return self.home / "assets"

    @property
    def exports(self) -> Path:
        """User exports."""
        return self.home / "exports"

    @property
    def reports(self) -> Path:
        """Reports and evidence packages."""
        return self.home / "reports"

    @classmethod
    def create(cls, home: str | os.PathLike | None = None, locale: str | None = None) -> Workspace:
        """Create (or re-open) a workspace folder with its sub-folders and marker file; a new one
        records ``locale`` (default es_PY) as its language."""
        ws = cls(resolve_home(home))
        if ws.home.exists() and not ws.home.is_dir():
            raise WorkspaceError(ws.home, "exists and is not a folder")
        for p in (ws.home, ws.assets, ws.exports, ws.reports):
            p.mkdir(parents=True, exist_ok=True)
        marker = ws.home / MARKER
        if not marker.exists():
            marker.write_text('# yvy workspace\nversion = 1\n'
                              '# language of reports, feeds and messages: es_PY, en or gn\n'
                              f'locale = "{_locale_name(locale or DEFAULT_LOCALE)}"\n')
        return ws

    @classmethod
    def open(cls, home: str | os.PathLike | None = None) -> Workspace:
        """Open an existing workspace or raise :class:`~yvy.errors.WorkspaceError`."""
        ws = cls(resolve_home(home))
        if not (ws.home / MARKER).exists():
            raise WorkspaceError(
                ws.home,
                "no yvy workspace here; run `yvy init` (or pass --home / set YVY_HOME)",
            )
        return ws
