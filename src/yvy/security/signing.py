"""Detached Ed25519 signatures of files, signed evidence manifests and their offline check.

A signature file ``NAME.sig`` beside ``NAME`` is JSON::

    {"type": "yvy-signature", "signed": "manifest.json", "sha256": "<hex of NAME>",
     "kid": "<key id>", "alg": "EdDSA", "signed_at": "2026-01-05T10:00:00Z",
     "signature": "<base64url Ed25519 signature>"}

The signature covers the canonical JSON (sorted keys, no spaces) of every member but
``signature``: the file's SHA-256, its name, the key id and the time, so none can be swapped.
A key signs only inside its validity period (a signature dated after the key was retired is
refused). Imports ``cryptography`` (through :mod:`.keys`), nothing from yvy but errors, io.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature

from ..dates import now_iso
from ..errors import InputError, NotFoundError, YvyError
from ..io import atomic_path, sha256_file
from .keys import KeyRing, SigningKey, b64url_decode, b64url_encode

__all__ = ["SIG_SUFFIX", "TamperedError", "sign_file", "verify_file", "verify_evidence", "EvidenceReport"]

SIG_SUFFIX = ".sig"
MANIFEST = "manifest.json"


class TamperedError(YvyError, ValueError):
    """A signed file, its signature or a file it lists does not match (``subject`` names the file)."""


def _payload(doc: dict) -> bytes:
    body = {k: v for k, v in doc.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_file(path: str | os.PathLike, key: SigningKey, *, at: str | None = None) -> Path:
    """Write ``PATH.sig``, the detached signature of ``path``; returns its path."""
    p = Path(path)
    doc = {"type": "yvy-signature", "signed": p.name, "sha256": sha256_file(p), "kid": key.kid, "alg": "EdDSA",
           "signed_at": at or now_iso()}
    doc["signature"] = b64url_encode(key.sign(_payload(doc)))
    sig = p.with_name(p.name + SIG_SUFFIX)
    with atomic_path(sig) as tmp:
        tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return sig


def _read_sig(sig: Path) -> dict:
    if not sig.exists():
        raise TamperedError(sig.name, "signature file missing (the package is not signed)")
    try:
        doc = json.loads(sig.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("type") != "yvy-signature":
            raise ValueError("not a yvy signature")
        b64url_decode(doc["signature"])
        return doc
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise TamperedError(sig.name, "not a readable yvy signature file") from None


def verify_file(path: str | os.PathLike, ring: KeyRing) -> dict:
    """Check ``PATH.sig`` against ``path`` and the key ring; return the signature document.

    Raises :class:`TamperedError` naming the file that does not match.
    """
    p = Path(path)
    sig = p.with_name(p.name + SIG_SUFFIX)
    doc = _read_sig(sig)
    try:
        key = ring.get(str(doc.get("kid")))
    except NotFoundError:
        raise TamperedError(sig.name, f"signed with key {doc.get('kid')!r}, which is not in the key ring") from None
    try:
        key.key.verify(b64url_decode(doc["signature"]), _payload(doc))
    except InvalidSignature:
        raise TamperedError(sig.name, "signature does not verify (the signature file was altered)") from None
    if doc.get("signed") != p.name:
        raise TamperedError(sig.name, f"signs {doc.get('signed')!r}, not {p.name!r}")
    if not key.valid_at(str(doc.get("signed_at"))):
        raise TamperedError(sig.name, f"dated {doc.get('signed_at')}, outside the validity of key {key.kid} "
                                      f"({key.not_before} to {key.not_after or 'now'})")
    if not p.exists():
        raise TamperedError(p.name, "file missing")
    if sha256_file(p) != doc["sha256"]:
        raise TamperedError(p.name, "SHA-256 differs from the signed one (the file was altered)")
    return doc


@dataclass(frozen=True)
class EvidenceReport:
    """Outcome of a successful :func:`verify_evidence`."""

    folder: str
    alert_id: str | None
    files: int
    kid: str
    signed_at: str


def verify_evidence(folder: str | os.PathLike, ring: KeyRing) -> EvidenceReport:
    """Check an evidence package offline: the manifest's signature, then every file's SHA-256.

    Files in the folder that the manifest does not list are refused too. Raises
    :class:`TamperedError` (``subject`` is the file) at the first mismatch.
    """
    d = Path(folder)
    if not d.is_dir():
        raise InputError(d, "not a folder")
    doc = verify_file(d / MANIFEST, ring)
    try:
        manifest = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
        files = [(str(f["path"]), str(f["sha256"])) for f in manifest["files"]]
    except (ValueError, KeyError, TypeError):
        raise TamperedError(MANIFEST, "not a readable evidence manifest") from None
    listed = {MANIFEST, MANIFEST + SIG_SUFFIX}
    for name, digest in files:
        p = d / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise TamperedError(name, "manifest names a file outside the package")
        if not p.is_file():
            raise TamperedError(name, "file listed in the manifest is missing")
        if sha256_file(p) != digest:
            raise TamperedError(name, "SHA-256 differs from the signed manifest (the file was altered)")
        listed.add(name)
    extra = sorted(p.name for p in d.iterdir() if p.name not in listed)
    if extra:
        raise TamperedError(extra[0], "file is not in the signed manifest")
    return EvidenceReport(str(d), manifest.get("alert_id"), len(files), doc["kid"], doc["signed_at"])
