"""training simulator: exercises, cases, sessions and answers; the ``trainee`` role

Creates the ``training_exercises``, ``training_cases``, ``training_sessions`` and
``training_answers`` tables and lets ``users.role`` be ``trainee`` (between viewer and analyst).
On SQLite the CHECK constraint's text is edited in place (other tables reference ``users``, so
it is not rebuilt); on PostgreSQL the constraint is replaced.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from yvy.storage import schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_NEW_TABLES = ("training_exercises", "training_cases", "training_sessions", "training_answers")
_ROLES = {"up": ("viewer", "trainee", "analyst", "admin"), "down": ("viewer", "analyst", "admin")}


def _set_roles(roles: tuple[str, ...]) -> None:
    """Make ``users.role`` accept exactly ``roles``."""
    bind = op.get_bind()
    check = "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"
    if bind.dialect.name == "postgresql":
        names = bind.execute(sa.text(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'c' "
            "AND pg_get_constraintdef(oid) LIKE '%role%'")).scalars().all()
        for name in names:
            op.drop_constraint(name, "users", type_="check")
        op.create_check_constraint("users_role_check", "users", check)
        return
    _sqlite_users_check(bind, check)


def _sqlite_users_check(bind, check: str) -> None:
    """Replace the users table's role CHECK in SQLite's schema text (SQLite's documented way to
    change a CHECK constraint without rebuilding the table, which other tables reference: edit
    ``sqlite_schema`` under ``writable_schema`` and bump ``schema_version``). Only the list of
    allowed roles changes; the stored rows satisfy both lists (trainees are made viewers first)."""
    import re

    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").scalar()
    new, n = re.subn(r"role IN \([^)]*\)", check, sql, count=1)
    if n != 1:
        raise RuntimeError("users table: role CHECK constraint not found")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'users'", (new,))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    """Create the training tables; allow the trainee role."""
    bind = op.get_bind()
    for name in _NEW_TABLES:
        schema.metadata.tables[name].create(bind)
    _set_roles(_ROLES["up"])


def downgrade() -> None:
    """Drop the training tables; trainees become viewers."""
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE users SET role = 'viewer' WHERE role = 'trainee'"))
    _set_roles(_ROLES["down"])
    for name in reversed(_NEW_TABLES):
        schema.metadata.tables[name].drop(bind)
