"""Security of the platform: signed evidence (the agency's Ed25519 key ring, detached signatures,
signed audit checkpoints) and structured security events for a CSIRT (:mod:`.events`).

Order of imports: ``events``; ``keys`` <- ``signing`` <- ``checkpoint``.
Must not import: click, fastapi, yvy.storage, yvy.api, yvy.cli.
"""

from .keys import KeyRing, PublicKey, SigningKey, init_keys, load_keyring, load_signing_key, rotate_keys
from .signing import TamperedError, sign_file, verify_evidence, verify_file

__all__ = ["KeyRing", "PublicKey", "SigningKey", "TamperedError", "init_keys", "load_keyring", "load_signing_key",
           "rotate_keys", "sign_file", "verify_evidence", "verify_file"]
