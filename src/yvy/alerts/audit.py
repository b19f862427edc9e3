"""The append-only, hash-chained audit log of alert decisions (pure: no storage here).

Every entry carries the SHA-256 of the previous entry; its own hash covers its sequence
number, time, actor, alert id, action, payload and that previous hash, serialised as canonical
JSON (sorted keys, no spaces, UTF-8). Changing, deleting or reordering any stored entry breaks
the chain from that entry on, which :func:`verify_chain` reports. The store appends entries in
the same transaction as the change they record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["GENESIS", "AuditEntry", "VerifyResult", "chain_entry", "entry_hash", "verify_chain"]

GENESIS = "0" * 64
"""``prev_hash`` of the first entry."""


@dataclass(frozen=True)
class AuditEntry:
    """One audit record."""

    seq: int
    """1, 2, 3... without gaps."""
    at: str
    """ISO UTC timestamp."""
    actor: str
    """Who: a reviewer's name, or ``system`` for detection updates."""
    alert_id: str | None
    action: str
    """``created``, ``updated``, ``merged``, ``status``, ``context``."""
    payload: dict = field(default_factory=dict)
    """What changed and why (from/to status, reason, note, authority, case, changes...)."""
    prev_hash: str = GENESIS
    hash: str = ""


def _canonical(seq: int, at: str, actor: str, alert_id, action: str, payload: dict, prev: str) -> bytes:
    doc = {
        "seq": seq, "at": at, "actor": actor, "alert_id": alert_id,
        "action": action, "payload": payload, "prev_hash": prev,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: AuditEntry) -> str:
    """The SHA-256 (hex) an entry must carry."""
    return hashlib.sha256(
        _canonical(entry.seq, entry.at, entry.actor, entry.alert_id, entry.action, entry.payload,
                   entry.prev_hash)
    ).hexdigest()


def chain_entry(prev: AuditEntry | None, *, at: str, actor: str, alert_id: str | None, action: str,
                payload: dict) -> AuditEntry:
    """The entry that follows ``prev`` (None for the first one), with its hash filled in."""
    seq = 1 if prev is None else prev.seq + 1
    prev_hash = GENESIS if prev is None else prev.hash
    # round-trip the payload through JSON so what is hashed is exactly what is stored
    payload = json.loads(json.dumps(payload, sort_keys=True, default=str))
    e = AuditEntry(seq=seq, at=at, actor=actor, alert_id=alert_id, action=action, payload=payload,
                   prev_hash=prev_hash)
    return AuditEntry(**{**e.__dict__, "hash": entry_hash(e)})


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify_chain`."""

    ok: bool
    entries: int
    """Entries checked."""
    first_bad_seq: int | None = None
    problem: str | None = None
    head: str = GENESIS
    """Hash of the last entry (publish it to anchor the log)."""


def verify_chain(entries: Iterable[AuditEntry]) -> VerifyResult:
    """Check sequence, links and hashes of entries given in ``seq`` order."""
    prev_hash, expected_seq, n = GENESIS, 1, 0
    for e in entries:
        n += 1
        if e.seq != expected_seq:
            return VerifyResult(False, n, e.seq, f"entry {e.seq}: expected sequence number {expected_seq} "
                                                 "(an entry was deleted or inserted)", prev_hash)
        if e.prev_hash != prev_hash:
            return VerifyResult(False, n, e.seq, f"entry {e.seq}: link to the previous entry is broken",
                                prev_hash)
        if entry_hash(e) != e.hash:
            return VerifyResult(False, n, e.seq, f"entry {e.seq}: content does not match its hash "
                                                 "(the entry was altered)", prev_hash)
        prev_hash, expected_seq = e.hash, expected_seq + 1
    return VerifyResult(True, n, None, None, prev_hash)
