"""Copy a whole workspace database to another engine (SQLite -> PostGIS, or back) with proof.

Every table is copied in one target transaction, in creation order (so foreign keys hold),
ordered by primary key. Then the row count and a SHA-256 over the canonicalised rows (ordered
by key) of each table are computed on both sides; any difference raises
:class:`CopyMismatchError` and the target transaction is rolled back, leaving it as it was.
Spatial indexes are engine-specific and rebuilt on the target (SQLite R*Trees), or generated
from the copied columns (PostGIS ``geom``), and identity sequences are moved past the copied keys.

Must not import: click, fastapi, yvy.cli, yvy.api.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConflictError, WorkspaceError
from .store import Store

__all__ = ["CopyMismatchError", "TableCopy", "copy_store", "table_digest"]

BATCH = 500
SKIP = {"schema_migrations"}


class CopyMismatchError(ConflictError):
    """The copy does not match its source; the target was rolled back."""


@dataclass(frozen=True)
class TableCopy:
    """One table's row counts and digests on both sides."""

    table: str
    rows: int
    sha256: str
    target_rows: int
    target_sha256: str

    @property
    def ok(self) -> bool:
        """Whether the target matches the source."""
        return self.rows == self.target_rows and self.sha256 == self.target_sha256

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {**self.__dict__, "ok": self.ok}


def _canon(value):
    if isinstance(value, bytes | bytearray | memoryview):
        return {"hex": bytes(value).hex()}
    if isinstance(value, bool):
        return int(value)
    return value


def _select(store: Store, c, table: str, columns: list[str]) -> str:
    key = store.engine.primary_key(c, table) or columns
    order = ", ".join(store.engine.sort_key(c, table, k) for k in key)
    cols = ", ".join(f'"{col}"' for col in columns)
    return f'SELECT {cols} FROM "{table}" ORDER BY {order}'


def table_digest(store: Store, table: str, columns: list[str], c=None) -> tuple[int, str]:
    """(rows, SHA-256 hex) of ``columns`` of ``table``, rows ordered by primary key, each row
    serialised as canonical JSON (one line per row)."""
    c = c or store.conn
    h = hashlib.sha256()
    n = 0
    cur = c.execute(_select(store, c, table, columns))
    while rows := cur.fetchmany(BATCH):
        for row in rows:
            h.update(json.dumps([_canon(v) for v in row], ensure_ascii=False,
                                separators=(",", ":")).encode())
            h.update(b"\n")
            n += 1
    return n, h.hexdigest()


def copy_store(source: Store, target: Store, *,
               progress: Callable[[str, int, int], None] | None = None) -> list[TableCopy]:
    """Copy every table of ``source`` into the empty ``target``; return per-table reports.

    Raises
    ------
    WorkspaceError
        The schemas differ (migration versions or columns).
    ConflictError
        The target already holds data.
    CopyMismatchError
        Counts or checksums differ after the copy (the target is rolled back).
    """
    if source.url == target.url:
        raise ConflictError(target.engine.label, "source and target are the same database")
    src_versions, dst_versions = source.applied_migrations(), target.applied_migrations()
    if src_versions != dst_versions:
        raise WorkspaceError(target.engine.label, f"schema versions differ (source "
                             f"{sorted(src_versions)}, target {sorted(dst_versions)}); upgrade yvy")
    sc = source.conn
    tables = [t for t in source.engine.tables(sc) if t not in SKIP]
    plan = []
    for table in tables:
        cols = source.engine.columns(sc, table)
        have = set(target.engine.columns(target.conn, table)) if target.engine.has_table(target.conn, table) else set()
        lost = [col for col in cols if col not in have]
        if lost:
            raise WorkspaceError(target.engine.label, f"table {table} lacks column(s) {', '.join(lost)}")
        plan.append((table, cols))
    reports = []
    with source.transaction(), target.transaction() as tc:
        for table, _ in plan:
            if tc.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
                raise ConflictError(target.engine.label, f"table {table} already has rows; copy into "
                                                         "a new, empty database")
        for table, cols in plan:
            total = int(sc.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
            names = ", ".join(f'"{col}"' for col in cols)
            insert = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(cols))})'
            cur = sc.execute(_select(source, sc, table, cols))
            done = 0
            while rows := cur.fetchmany(BATCH):
                tc.executemany(insert, [tuple(r) for r in rows])
                done += len(rows)
                if progress:
                    progress(table, done, total)
            target.engine.after_copy(tc, table)
        for table, cols in plan:
            n, sha = table_digest(source, table, cols, sc)
            tn, tsha = table_digest(target, table, cols, tc)
            reports.append(TableCopy(table, n, sha, tn, tsha))
        bad = [r for r in reports if not r.ok]
        if bad:
            raise CopyMismatchError(target.engine.label, "copy rolled back: " + "; ".join(
                f"{r.table}: {r.rows} row(s) sha256 {r.sha256[:12]} in source, {r.target_rows} "
                f"sha256 {r.target_sha256[:12]} in target" for r in bad))
    return reports
