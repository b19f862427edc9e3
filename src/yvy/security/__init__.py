"""Signed evidence: the agency's Ed25519 key ring, detached signatures, signed audit checkpoints.

Order of imports: ``keys`` <- ``signing`` <- ``checkpoint``. Never imports storage, api or cli.
"""

from .keys import KeyRing, PublicKey, SigningKey, init_keys, load_keyring, load_signing_key, rotate_keys
from .signing import TamperedError, sign_file, verify_evidence, verify_file

__all__ = ["KeyRing", "PublicKey", "SigningKey", "TamperedError", "init_keys", "load_keyring", "load_signing_key",
           "rotate_keys", "sign_file", "verify_evidence", "verify_file"]
