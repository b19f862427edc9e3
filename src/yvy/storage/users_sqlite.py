"""Former module of the user store, kept for imports; see :mod:`yvy.storage.users`."""

from .users import (
    ROLES,
    ApiKey,
    SQLiteUserStore,
    SQLUserStore,
    User,
    check_role,
    hash_password,
    verify_password,
)

__all__ = ["ROLES", "ApiKey", "SQLUserStore", "SQLiteUserStore", "User", "check_role",
           "hash_password", "verify_password"]
