"""Signed checkpoints of the audit-log head, so a court can check the log was not rewritten.

The hash chain of :mod:`yvy.alerts.audit` catches an edited entry, but someone with write
access to the database could rewrite the whole chain from an entry on, recomputing every hash.
A checkpoint fixes the head at a moment: ``{seq, head, at}`` in a file under
``<home>/checkpoints/`` with a detached Ed25519 signature (:mod:`.signing`). Copies may be
handed to a court or a notary. The log still *extends* a checkpoint when its entry ``seq``
carries exactly that hash and the chain verifies up to it. Imports nothing from yvy's adapters.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..alerts.audit import AuditEntry, verify_chain
from ..dates import now_iso
from ..errors import ConflictError
from ..io import atomic_path
from .keys import KeyRing, SigningKey
from .signing import TamperedError, sign_file, verify_file

__all__ = ["Checkpoint", "checkpoints_dir", "write_checkpoint", "read_checkpoints", "verify_checkpoints"]


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: the audit log had ``seq`` entries and head ``head`` at ``at``."""

    seq: int
    head: str
    at: str
    path: str = ""


def checkpoints_dir(home: str | os.PathLike) -> Path:
    """Where a workspace keeps its checkpoints."""
    return Path(home) / "checkpoints"


def write_checkpoint(home: str | os.PathLike, entries: Iterable[AuditEntry], key: SigningKey) -> Checkpoint:
    """Verify the chain, then write and sign a checkpoint of its head; ConflictError if broken."""
    res = verify_chain(entries)
    if not res.ok:
        raise ConflictError("audit log", f"TAMPERED: {res.problem}; no checkpoint written")
    at = now_iso()
    doc = {"type": "yvy-audit-checkpoint", "seq": res.entries, "head": res.head, "at": at}
    path = checkpoints_dir(home) / f"audit-{res.entries:08d}-{at.replace(':', '')}.json"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    sign_file(path, key, at=at)
    return Checkpoint(res.entries, res.head, at, str(path))


def read_checkpoints(home: str | os.PathLike, ring: KeyRing) -> list[Checkpoint]:
    """Every checkpoint of the workspace, signature checked (TamperedError otherwise), oldest first."""
    out = []
    for p in sorted(checkpoints_dir(home).glob("audit-*.json")):
        verify_file(p, ring)
        doc = json.loads(p.read_text(encoding="utf-8"))
        out.append(Checkpoint(int(doc["seq"]), str(doc["head"]), str(doc["at"]), str(p)))
    return sorted(out, key=lambda c: (c.seq, c.at))


def verify_checkpoints(entries: Iterable[AuditEntry], checkpoints: list[Checkpoint]) -> int:
    """Check that the log extends every checkpoint (one pass); returns how many were checked.

    Raises :class:`TamperedError` naming the first checkpoint the log no longer extends.
    """
    wanted = {c.seq for c in checkpoints}
    seen: dict[int, str] = {}

    def tap(it):
        for e in it:
            if e.seq in wanted:
                seen[e.seq] = e.hash
            yield e

    res = verify_chain(tap(entries))
    for c in checkpoints:
        name = Path(c.path).name or f"checkpoint {c.seq}"
        if c.seq == 0:
            continue
        if not res.ok and res.first_bad_seq is not None and res.first_bad_seq <= c.seq:
            raise TamperedError(name, f"the chain is broken before entry {c.seq}: {res.problem}")
        if c.seq not in seen:
            raise TamperedError(name, f"the audit log has {res.entries} entries, fewer than the {c.seq} "
                                      f"signed on {c.at} (entries were deleted)")
        if seen[c.seq] != c.head:
            raise TamperedError(name, f"entry {c.seq} no longer has the hash signed on {c.at} "
                                      "(the log was rewritten)")
    return len(checkpoints)

