"""Restore a backup (:mod:`.workspace`) into a new workspace, verifying it before and after.

Before: the manifest's signature (when a key ring is given), the SHA-256 of the database dump
and of every file. After: every restored file re-hashed, the audit chain re-verified, and its
head, the counts and the catalog and alert fingerprints compared with the backup's; signed
audit checkpoints, if the workspace has some, must still be extended by the restored log.
Stores are opened through the ``open_stores(url) -> (store, alert_store)`` callable given by
the caller, so this module imports no storage adapter.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import ConflictError, InputError
from .database import engine_of, restore_database, sqlite_path
from .workspace import BackupReport, Progress, _report, _verify_files, fingerprint, read_backup

__all__ = ["restore_workspace"]


def _check_empty(new_home: Path) -> None:
    if new_home.exists() and (not new_home.is_dir() or any(new_home.iterdir())):
        raise ConflictError(new_home, "exists and is not empty; restore into a new folder")


def _check_target(new_home: Path, database_url: str, engine: str) -> None:
    target = engine_of(database_url)
    if target != engine:
        raise InputError("--database-url", f"the backup holds a {engine} database, the target is {target}; "
                                           "restore to the same engine, then `yvy db copy`")
    if target == "sqlite" and sqlite_path(database_url).absolute() != new_home / "yvy.db":
        raise InputError("--database-url", f"a SQLite restore goes to {new_home / 'yvy.db'}")


def _move_hrefs(store, old: str, new: str) -> int:
    """Point asset hrefs under the old workspace at the new one; returns the items changed."""
    old, new = old.rstrip("/") + "/", new.rstrip("/") + "/"
    changed = 0
    for item in list(store.iter_items()):
        assets = item.get("assets") or {}
        moved = [a for a in assets.values() if str(a.get("href", "")).startswith(old)]
        for a in moved:
            a["href"] = new + a["href"][len(old):]
        if moved:
            store.upsert_item(item)
            changed += 1
    return changed


def _compare(expected: dict, got: dict) -> None:
    from ..security.signing import TamperedError

    for key in ("collections", "items", "alerts", "catalog_sha256", "alerts_sha256"):
        if expected[key] != got[key]:
            raise TamperedError("restored database", f"{key} {got[key]} differs from the backup's {expected[key]}")
    a, b = expected["audit"], got["audit"]
    if not b["ok"]:
        raise TamperedError("restored audit log", b["problem"])  # i18n: relayed
    if (a["entries"], a["head"]) != (b["entries"], b["head"]):
        raise TamperedError("restored audit log", f"{b['entries']} entries, head {b['head'][:16]}, but the backup "
                                                  f"recorded {a['entries']} entries, head {a['head'][:16]}")


def _check_checkpoints(home: Path, alert_store) -> int:
    from ..security.checkpoint import read_checkpoints, verify_checkpoints
    from ..security.keys import KEYRING_FILE, load_keyring

    if not (home / "keys" / KEYRING_FILE).exists():
        return 0
    return verify_checkpoints(alert_store.iter_audit(), read_checkpoints(home, load_keyring(home)))


def restore_workspace(backup: Path, new_home: Path, database_url: str, *,
                      open_stores: Callable[[str], tuple], ring=None,
                      progress: Progress | None = None) -> BackupReport:
    """Restore ``backup`` into the new workspace ``new_home`` with its database at ``database_url``.

    Raises :class:`~yvy.security.signing.TamperedError` naming the first file or check that
    does not match; nothing is left at ``new_home`` when a check before the rename fails.
    """
    backup, new_home = Path(backup).absolute(), Path(new_home).absolute()
    _check_empty(new_home)
    doc = read_backup(backup, ring)
    _check_target(new_home, database_url, doc["engine"])
    _verify_files(backup, [doc["database"]], progress, "before restore")
    _verify_files(backup / "files", doc["files"], progress, "before restore", "files/")
    new_home.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{new_home.name}.", suffix=".restoring", dir=new_home.parent))
    try:
        os.chmod(tmp, 0o700)
        for r in doc["files"]:
            (tmp / r["path"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(backup / "files" / r["path"], tmp / r["path"])
        _verify_files(tmp, doc["files"], progress, "after restore")
        url = f"sqlite:///{tmp / 'yvy.db'}" if doc["engine"] == "sqlite" else database_url
        restore_database(doc["engine"], backup / doc["database"]["path"], url)
        store, alert_store = open_stores(url)
        try:
            _move_hrefs(store, doc["source_home"], str(new_home))
            _compare(doc, fingerprint(store, alert_store, new_home))
            _check_checkpoints(tmp, alert_store)
        finally:
            store.close()
        if new_home.exists():
            new_home.rmdir()
        os.rename(tmp, new_home)
        os.chmod(new_home, 0o750)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _report(new_home, doc)
