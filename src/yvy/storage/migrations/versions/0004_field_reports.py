"""field reports: the ranger role, field_reports and field_photos

Widens the ``users.role`` check to admit ``ranger`` (field teams: read, and file field reports)
and creates the ``field_reports`` and ``field_photos`` tables.

The role check is changed by :func:`yvy.storage.db.set_role_check` (SQLite: the schema text,
as SQLite documents; PostgreSQL: drop and add).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from yvy.storage.db import create_tables, drop_tables, set_role_check

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_NEW_TABLES = ("field_reports", "field_photos")
_ROLES = {"up": ("viewer", "ranger", "analyst", "admin"), "down": ("viewer", "analyst", "admin")}


def upgrade() -> None:
    """Admit the ranger role and create the field report tables."""
    bind = op.get_bind()
    set_role_check(bind, _ROLES["up"])
    create_tables(bind, _NEW_TABLES)


def downgrade() -> None:
    """Drop the field report tables; refuse while ranger accounts exist."""
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM users WHERE role = 'ranger'")).scalar():
        raise RuntimeError("ranger accounts exist: change their role before downgrading")
    drop_tables(bind, _NEW_TABLES)
    set_role_check(bind, _ROLES["down"])
