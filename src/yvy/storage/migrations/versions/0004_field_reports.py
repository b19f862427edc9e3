"""field reports: the ranger role, field_reports and field_photos

Widens the ``users.role`` check to admit ``ranger`` (field teams: read, and file field reports)
and creates the ``field_reports`` and ``field_photos`` tables.

On SQLite a CHECK constraint cannot be altered and the ``users`` table cannot be copied while
``api_keys``, ``sessions`` and ``webhooks`` reference it with foreign keys enforced, so the check
is rewritten in the schema text, the procedure SQLite documents for constraint changes that
existing rows cannot violate ("Making Other Kinds Of Table Schema Changes": ``writable_schema``,
then ``schema_version`` + 1, then ``integrity_check``). On PostgreSQL the check is dropped and
added again.

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

_NEW_TABLES = ("field_reports", "field_photos")
_OLD_CHECK = "role IN ('viewer', 'analyst', 'admin')"


def _set_role_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check")
        op.execute(f"ALTER TABLE users ADD CONSTRAINT users_role_check CHECK ({new})")
        return
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").scalar()
    if old not in sql:
        raise RuntimeError(f"users table: role check {old!r} not found")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'users'"),
                     {"sql": sql.replace(old, new)})
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = [r[0] for r in bind.exec_driver_sql("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise RuntimeError(f"integrity check after changing the role check: {problems[:3]}")


def upgrade() -> None:
    """Admit the ranger role and create the field report tables."""
    _set_role_check(_OLD_CHECK, schema.ROLE_CHECK)
    bind = op.get_bind()
    for name in _NEW_TABLES:
        schema.metadata.tables[name].create(bind)


def downgrade() -> None:
    """Drop the field report tables; refuse while ranger accounts exist."""
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM users WHERE role = 'ranger'")).scalar():
        raise RuntimeError("ranger accounts exist: change their role before downgrading")
    for name in reversed(_NEW_TABLES):
        schema.metadata.tables[name].drop(bind)
    _set_role_check(schema.ROLE_CHECK, _OLD_CHECK)
