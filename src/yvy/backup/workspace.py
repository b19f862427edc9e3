"""Backup and restore of a whole workspace: the database dump, every file with its SHA-256,
the audit chain's head and fingerprints of the catalog and the alerts.

A backup is a folder::

    backup.json          what is inside: engine, files with sizes and SHA-256, audit head,
                         counts and fingerprints (signed as backup.json.sig when the workspace
                         has an agency key)
    database/yvy.db      SQLite online backup, or database/yvy.pgdump (pg_dump -Fc)
    files/...            every other file of the workspace, same relative paths

It is written under a temporary name beside ``OUT`` and renamed at the end, so a killed backup
leaves no folder that looks complete. Restore checks every hash before copying, restores into a
temporary folder (SQLite) or an empty database (PostgreSQL, one transaction), re-hashes what it
wrote, re-verifies the audit chain and compares head, counts and fingerprints with the backup.
Asset hrefs that pointed into the old workspace are moved to the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..dates import now_iso
from ..errors import ConflictError, InputError
from ..io import atomic_path, sha256_file
from .database import DUMP_NAMES, dump_database, engine_of

__all__ = ["BACKUP_FILE", "BackupReport", "backup_workspace", "fingerprint", "read_backup"]

BACKUP_FILE = "backup.json"
FORMAT = "yvy-backup/1"
SKIP = {"yvy.db", "yvy.db-wal", "yvy.db-shm", "yvy.db-journal"}
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class BackupReport:
    """What a backup holds (also what a restore re-checked)."""

    path: str
    engine: str
    files: int
    bytes: int
    audit_entries: int
    audit_head: str
    items: int
    alerts: int
    audit_problem: str | None = None
    """Set when the audit chain was already broken at backup time (restore will refuse it)."""


def _workspace_files(home: Path, exclude: Path | None) -> list[Path]:
    out = []
    for root, dirs, files in os.walk(home):
        r = Path(root)
        dirs[:] = sorted(d for d in dirs if not (exclude and (r / d).resolve() == exclude)
                         and not (d.startswith(".") and d.endswith((".partial", ".restoring"))))
        for f in sorted(files):
            p = r / f
            if (r == home and f in SKIP) or p.is_symlink() or not p.is_file():
                continue
            out.append(p)
    return out


def _norm(text: str, home: Path) -> str:
    return text.replace(str(home).rstrip("/") + "/", "$YVY_HOME/")


def fingerprint(store, alert_store, home: Path) -> dict:
    """Counts and SHA-256 fingerprints of the catalog, the alerts and the audit chain.

    Paths inside the workspace are written relative to it, so a restore elsewhere compares equal.
    """
    from ..alerts.audit import verify_chain
    from ..alerts.model import to_feature
    from ..alerts.ports import AlertQuery

    items = sorted(hashlib.sha256(_norm(json.dumps(it, sort_keys=True), home).encode()).hexdigest()
                   for it in store.iter_items())
    alerts = sorted(hashlib.sha256(json.dumps(to_feature(a), sort_keys=True, default=str).encode()).hexdigest()
                    for a in alert_store.find_alerts(AlertQuery(include_merged=True)))
    chain = verify_chain(alert_store.iter_audit())
    return {"collections": len(store.list_collections()), "items": len(items), "alerts": len(alerts),
            "catalog_sha256": hashlib.sha256("".join(items).encode()).hexdigest(),
            "alerts_sha256": hashlib.sha256("".join(alerts).encode()).hexdigest(),
            "audit": {"ok": chain.ok, "entries": chain.entries, "head": chain.head, "problem": chain.problem}}


def _consistent_dump(database_url: str, dump: Path, store, alert_store, home: Path, progress,
                     attempts: int = 3) -> dict:
    """Dump the database; the fingerprints taken before and after must agree (no write in
    between), else dump again. Returns the fingerprints of what the dump holds."""
    before = fingerprint(store, alert_store, home)
    for _ in range(attempts):
        dump.unlink(missing_ok=True)
        dump_database(database_url, dump, progress)
        after = fingerprint(store, alert_store, home)
        if after == before:
            return after
        before = after
    raise ConflictError("database", f"kept changing during {attempts} dumps; back up when it is quieter")


def _copy_hashed(src: Path, dst: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while block := fin.read(chunk):
            h.update(block)
            fout.write(block)
    shutil.copystat(src, dst)
    return h.hexdigest()


def backup_workspace(home: Path, database_url: str, out: Path, *, store, alert_store,
                     signer: Callable[[Path], Path] | None = None, progress: Progress | None = None) -> BackupReport:
    """Back up the workspace at ``home`` (database at ``database_url``) into the new folder ``out``."""
    home, out = Path(home).absolute(), Path(out).absolute()
    if out.exists():
        raise ConflictError(out, "exists already; give a new folder")
    engine = engine_of(database_url)
    files = _workspace_files(home, out.resolve())
    total = sum(p.stat().st_size for p in files)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        os.chmod(tmp, 0o700)  # the backup holds the database and keys: owner only
        (tmp / "database").mkdir()
        dump = tmp / "database" / DUMP_NAMES[engine]
        fp = _consistent_dump(database_url, dump, store, alert_store, home, progress)
        rows, done = [], 0
        for p in files:
            rel = p.relative_to(home).as_posix()
            digest = _copy_hashed(p, tmp / "files" / rel)
            size = (tmp / "files" / rel).stat().st_size
            rows.append({"path": rel, "bytes": size, "sha256": digest})
            done += size
            if progress:
                progress(done, total, rel)
        doc = {"format": FORMAT, "created": now_iso(), "yvy_version": __version__, "source_home": str(home),
               "engine": engine, "database": {"path": f"database/{dump.name}", "bytes": dump.stat().st_size,
                                              "sha256": sha256_file(dump)},
               **fp, "files": rows}
        with atomic_path(tmp / BACKUP_FILE) as t:
            t.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        if signer is not None:
            signer(tmp / BACKUP_FILE)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _report(out, doc)


def _report(path: Path, doc: dict) -> BackupReport:
    return BackupReport(str(path), doc["engine"], len(doc["files"]), sum(f["bytes"] for f in doc["files"]),
                        doc["audit"]["entries"], doc["audit"]["head"], doc["items"], doc["alerts"],
                        doc["audit"].get("problem"))


def read_backup(backup: Path, ring=None) -> dict:
    """The backup's manifest; its signature is checked when it has one and ``ring`` is given."""
    path = Path(backup) / BACKUP_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(backup, f"not a yvy backup (no readable {BACKUP_FILE})") from None
    if doc.get("format") != FORMAT:
        raise InputError(backup, f"unknown backup format {doc.get('format')!r} (this yvy reads {FORMAT})")
    if ring is not None:
        from ..security.signing import verify_file

        verify_file(path, ring)
    return doc


def _verify_files(base: Path, rows: list[dict], progress: Progress | None, label: str, prefix: str = "") -> None:
    from ..security.signing import TamperedError

    total, done = sum(r["bytes"] for r in rows), 0
    for r in rows:
        p = base / r["path"]
        if Path(r["path"]).is_absolute() or ".." in Path(r["path"]).parts:
            raise TamperedError(r["path"], "path leaves the backup")
        if not p.is_file():
            raise TamperedError(prefix + r["path"], f"missing ({label})")
        if sha256_file(p) != r["sha256"]:
            raise TamperedError(prefix + r["path"], f"SHA-256 differs from the backup manifest ({label})")
        done += r["bytes"]
        if progress:
            progress(done, total, r["path"])
