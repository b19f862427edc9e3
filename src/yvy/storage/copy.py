"""Copy a whole workspace database to another engine (SQLite -> PostGIS, or back) with proof.

Every table of :data:`yvy.storage.schema.metadata` is copied in one target transaction, in
dependency order (so foreign keys hold), ordered by primary key. Then the row count and a
SHA-256 over the canonicalised rows (ordered by key) of each table are computed on both sides; any difference raises
:class:`CopyMismatchError` and the target transaction is rolled back, leaving it as it was.
Spatial indexes are engine-specific: filled by triggers on the target (SQLite R*Trees) or
generated from the copied columns (PostGIS ``geom``); identity sequences are moved past the
copied keys.

Must not import: click, fastapi, yvy.cli, yvy.api.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from ..errors import ConflictError, WorkspaceError
from .schema import metadata, stored_columns
from .store import Store

__all__ = ["CopyMismatchError", "TableCopy", "copy_store", "table_digest"]

BATCH = 500


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


def _select(table: sa.Table):
    return sa.select(*stored_columns(table)).order_by(*table.primary_key.columns)


def table_digest(c: sa.Connection, table: sa.Table) -> tuple[int, str]:
    """(rows, SHA-256 hex) of ``table``'s stored columns, rows ordered by primary key, each row
    serialised as canonical JSON (one line per row)."""
    h = hashlib.sha256()
    n = 0
    for row in c.execute(_select(table)).yield_per(BATCH):
        h.update(json.dumps([_canon(v) for v in row], ensure_ascii=False, separators=(",", ":")).encode())
        h.update(b"\n")
        n += 1
    return n, h.hexdigest()


def _reset_identity(c: sa.Connection, table: sa.Table) -> None:
    """PostgreSQL: move identity sequences past the largest copied key."""
    for col in table.columns:
        if c.dialect.name == "postgresql" and col.identity is not None:
            c.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{col.name}'), "
                              f"COALESCE((SELECT MAX({col.name}) FROM {table.name}), 0) + 1, false)"))


def copy_store(source: Store, target: Store, *,
               progress: Callable[[str, int, int], None] | None = None) -> list[TableCopy]:
    """Copy every table of ``source`` into the empty ``target``; return per-table reports.

    Raises
    ------
    WorkspaceError
        The schemas differ (migration revisions).
    ConflictError
        The target already holds data.
    CopyMismatchError
        Counts or checksums differ after the copy (the target is rolled back).
    """
    if source.url == target.url:
        raise ConflictError(target.label, "source and target are the same database")
    if source.schema_version() != target.schema_version():
        raise WorkspaceError(target.label, f"schema revisions differ (source {source.schema_version()}, "
                             f"target {target.schema_version()}); upgrade yvy")
    reports = []
    tables = metadata.sorted_tables
    with source.transaction() as sc, target.transaction() as tc:  # the source holds still
        for table in tables:
            if tc.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                raise ConflictError(target.label, f"table {table.name} already has rows; copy into "
                                                  "a new, empty database")
        for table in tables:
            total = sc.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            done = 0
            for rows in sc.execute(_select(table)).mappings().partitions(BATCH):
                tc.execute(sa.insert(table), [dict(r) for r in rows])
                done += len(rows)
                if progress:
                    progress(table.name, done, total)
            _reset_identity(tc, table)
        for table in tables:
            reports.append(TableCopy(table.name, *table_digest(sc, table), *table_digest(tc, table)))
        bad = [r for r in reports if not r.ok]
        if bad:
            raise CopyMismatchError(target.label, "copy rolled back: " + "; ".join(
                f"{r.table}: {r.rows} row(s) sha256 {r.sha256[:12]} in source, {r.target_rows} "
                f"sha256 {r.target_sha256[:12]} in target" for r in bad))
    return reports
