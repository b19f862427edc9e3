"""The agency's Ed25519 signing key and its public key ring (``keys/`` in the workspace).

Layout of ``<home>/keys``::

    signing.key    the current private key, mode 0600: PKCS#8 PEM, or with a passphrase a
                   JSON envelope (scrypt N=2^15 r=8 p=1, AES-256-GCM over the PKCS#8 DER)
    keyring.json   every public key the agency ever signed with, as a JWK Set (RFC 7517/8037):
                   kty OKP, crv Ed25519, x, kid (RFC 7638 thumbprint), plus ``yvy:not_before``
                   and ``yvy:not_after`` (null while the key is current)

Rotation writes a new private key, closes the old key's validity period and deletes the old
private key: signatures made before keep verifying with the old public key, no new ones can be
made with it. Imports ``cryptography`` and the standard library; nothing from yvy but
``errors`` and ``io``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ..dates import now_iso
from ..errors import ConflictError, InputError, NotFoundError
from ..io import atomic_path

__all__ = ["KEY_FILE", "KEYRING_FILE", "PublicKey", "KeyRing", "SigningKey", "init_keys", "rotate_keys",
           "load_keyring", "load_signing_key", "export_public_pem", "thumbprint", "b64url_encode",
           "b64url_decode"]

KEY_FILE = "signing.key"
KEYRING_FILE = "keyring.json"
SEALED = "yvy-sealed-key/1"
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
"""scrypt cost of the passphrase (32 MiB, about 0.1 s per unlock on an idle core): PKCS#8 PEM encryption in
``cryptography`` uses 2,048 PBKDF2 rounds, too few against offline guessing."""



def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Inverse of :func:`b64url_encode`."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw(pub: Ed25519PublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def thumbprint(x: str) -> str:
    """RFC 7638 JWK thumbprint (base64url SHA-256) of an Ed25519 public key ``x``."""
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True)
class PublicKey:
    """One public key of the ring with its validity period."""

    kid: str
    key: Ed25519PublicKey
    not_before: str
    not_after: str | None = None

    def valid_at(self, when: str) -> bool:
        """True when ``when`` (ISO UTC) falls inside the validity period."""
        return self.not_before <= when and (self.not_after is None or when <= self.not_after)

    def to_jwk(self) -> dict:
        """The JWK (RFC 8037 OKP) form, with the validity period as ``yvy:`` members."""
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(_raw(self.key)), "kid": self.kid, "alg": "EdDSA",
                "use": "sig", "yvy:not_before": self.not_before, "yvy:not_after": self.not_after}

    @classmethod
    def from_jwk(cls, jwk: dict) -> PublicKey:
        """Read a JWK written by :meth:`to_jwk` (checks that the kid is the key's thumbprint)."""
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise InputError(jwk.get("kid", "key"), "not an Ed25519 (OKP) JWK")
        x = jwk["x"]
        if jwk.get("kid") != thumbprint(x):
            raise InputError(jwk.get("kid", "key"), "kid is not the RFC 7638 thumbprint of the key")
        return cls(jwk["kid"], Ed25519PublicKey.from_public_bytes(b64url_decode(x)),
                   jwk.get("yvy:not_before") or "0000", jwk.get("yvy:not_after"))


@dataclass(frozen=True)
class KeyRing:
    """Every public key the agency signed with, current one last."""

    keys: tuple[PublicKey, ...]

    def get(self, kid: str) -> PublicKey:
        """The key with this id, or NotFoundError."""
        for k in self.keys:
            if k.kid == kid:
                return k
        raise NotFoundError(kid, "no public key with this key id in the key ring")

    @property
    def current(self) -> PublicKey | None:
        """The key valid now (no end of validity), if any."""
        return next((k for k in reversed(self.keys) if k.not_after is None), None)

    def to_jwks(self) -> dict:
        """The JWK Set document (what ``/.well-known/yvy-keys.json`` serves)."""
        return {"keys": [k.to_jwk() for k in self.keys]}

    @classmethod
    def from_jwks(cls, doc: dict) -> KeyRing:
        """Parse a JWK Set; non-Ed25519 keys are an error."""
        if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
            raise InputError("key ring", "not a JWK Set (an object with a 'keys' list)")
        return cls(tuple(PublicKey.from_jwk(k) for k in doc["keys"]))

    @classmethod
    def read(cls, path: str | os.PathLike) -> KeyRing:
        """Read a JWK Set file, or a PEM public key file (one key, valid forever)."""
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise InputError(p, f"cannot read the key file ({exc.strerror})") from None
        if data.lstrip().startswith(b"-----BEGIN PUBLIC KEY"):
            pub = serialization.load_pem_public_key(data)
            if not isinstance(pub, Ed25519PublicKey):
                raise InputError(p, "not an Ed25519 public key")
            return cls((PublicKey(thumbprint(b64url_encode(_raw(pub))), pub, "0000"),))
        try:
            return cls.from_jwks(json.loads(data))
        except (ValueError, KeyError) as exc:
            raise InputError(p, f"not a JWK Set or PEM public key ({exc})") from None


@dataclass(frozen=True)
class SigningKey:
    """The current private key and its key id."""

    kid: str
    key: Ed25519PrivateKey

    def sign(self, data: bytes) -> bytes:
        """Ed25519 signature of ``data``."""
        return self.key.sign(data)


def _keys_dir(home: str | os.PathLike) -> Path:
    return Path(home) / "keys"


def _seal(der: bytes, passphrase: str) -> bytes:
    """JSON envelope: scrypt-derived key, AES-256-GCM over the PKCS#8 DER."""
    salt, nonce = os.urandom(16), os.urandom(12)
    kek = Scrypt(salt=salt, length=32, **SCRYPT).derive(passphrase.encode())
    doc = {"format": SEALED, "kdf": {"name": "scrypt", "salt": b64url_encode(salt), **SCRYPT},
           "cipher": "AES-256-GCM", "nonce": b64url_encode(nonce),
           "pkcs8": b64url_encode(AESGCM(kek).encrypt(nonce, der, SEALED.encode()))}
    return (json.dumps(doc, indent=1) + "\n").encode()


def _unseal(data: bytes, passphrase: str) -> bytes:
    doc = json.loads(data)
    kdf = doc["kdf"]
    kek = Scrypt(salt=b64url_decode(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(
        passphrase.encode())
    try:
        return AESGCM(kek).decrypt(b64url_decode(doc["nonce"]), b64url_decode(doc["pkcs8"]), SEALED.encode())
    except InvalidTag:
        raise ValueError("wrong passphrase") from None


def _write_private(path: Path, key: Ed25519PrivateKey, passphrase: str | None) -> None:
    if passphrase:
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        data = _seal(der, passphrase)
    else:
        data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    with atomic_path(path, mode=0o600) as tmp:  # created 0600: never readable by others, even briefly
        os.chmod(tmp, 0o600)
        tmp.write_bytes(data)


def _write_ring(path: Path, ring: KeyRing) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(ring.to_jwks(), indent=1) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o644)


def load_keyring(home: str | os.PathLike) -> KeyRing:
    """The workspace's key ring, or NotFoundError when ``yvy keys init`` was never run."""
    path = _keys_dir(home) / KEYRING_FILE
    if not path.exists():
        raise NotFoundError(path, "no signing keys in this workspace; run `yvy keys init`")
    return KeyRing.read(path)


def _new_key(home: Path, passphrase: str | None, ring: tuple[PublicKey, ...], at: str) -> PublicKey:
    key = Ed25519PrivateKey.generate()
    x = b64url_encode(_raw(key.public_key()))
    pub = PublicKey(thumbprint(x), key.public_key(), at)
    d = _keys_dir(home)
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_private(d / KEY_FILE, key, passphrase)
    _write_ring(d / KEYRING_FILE, KeyRing((*ring, pub)))
    return pub


def init_keys(home: str | os.PathLike, passphrase: str | None = None) -> PublicKey:
    """Create the agency key pair; ConflictError when the workspace already has one."""
    if (_keys_dir(home) / KEYRING_FILE).exists():
        raise ConflictError(_keys_dir(home), "signing keys exist already; use `yvy keys rotate` for a new one")
    return _new_key(Path(home), passphrase, (), now_iso())


def rotate_keys(home: str | os.PathLike, passphrase: str | None = None,
                old_passphrase: str | None = None) -> tuple[PublicKey, PublicKey]:
    """Retire the current key (its validity ends now, its private key is deleted) and make a new
    one; returns (old, new). The old key must be loadable (right passphrase) before it is retired."""
    ring = load_keyring(home)
    old = load_signing_key(home, old_passphrase if old_passphrase is not None else passphrase)
    at = now_iso()
    kept = tuple(PublicKey(k.kid, k.key, k.not_before, at) if k.kid == old.kid else k for k in ring.keys)
    new = _new_key(Path(home), passphrase, kept, at)
    return KeyRing(kept).get(old.kid), new


def load_signing_key(home: str | os.PathLike, passphrase: str | None = None) -> SigningKey:
    """The current private key; one-line errors for a missing key or a wrong passphrase."""
    path = _keys_dir(home) / KEY_FILE
    if not path.exists():
        raise NotFoundError(path, "no signing key in this workspace; run `yvy keys init`")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConflictError(path, f"private key is readable by others (mode {mode:o}); chmod 600 it")
    data = path.read_bytes()
    sealed = data.lstrip().startswith(b"{")
    if sealed != bool(passphrase):
        raise InputError(path, "the private key is not encrypted but a passphrase was given" if passphrase
                         else "the private key is encrypted; set YVY_KEY_PASSPHRASE")
    try:
        if sealed:
            key = serialization.load_der_private_key(_unseal(data, passphrase), None)
        else:
            key = serialization.load_pem_private_key(data, None)
    except (ValueError, KeyError, TypeError):
        raise InputError(path, "wrong passphrase or damaged private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(path, "not an Ed25519 private key")
    kid = thumbprint(b64url_encode(_raw(key.public_key())))
    ring = load_keyring(home)
    with contextlib.suppress(NotFoundError):
        if ring.get(kid).not_after is None:
            return SigningKey(kid, key)
    raise ConflictError(path, f"private key {kid} is not the current key of the key ring")


def export_public_pem(ring: KeyRing, kid: str | None = None) -> bytes:
    """PEM (SubjectPublicKeyInfo) of one key of the ring (default: the current one)."""
    key = ring.get(kid) if kid else ring.current
    if key is None:
        raise NotFoundError("key ring", "no current key")
    return key.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
