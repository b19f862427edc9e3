"""auth hardening and fires: scoped, expiring API keys; sign-in throttling; FIRMS hotspots and
fire events

Adds ``api_keys.scope`` and ``api_keys.expires`` (existing keys keep working: unscoped, no
expiry), the ``auth_throttle`` table of failed sign-ins and lockouts, and the ``fire_hotspots``
and ``fire_events`` tables of ``yvy fires``.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from yvy.storage import schema
from yvy.storage.db import create_tables, drop_tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_NEW_TABLES = ("auth_throttle", "fire_hotspots", "fire_events")


def upgrade() -> None:
    """Add the two API key columns and create the new tables from their definitions."""
    with op.batch_alter_table("api_keys") as batch:  # SQLite: ADD COLUMN, no table copy
        for name in ("scope", "expires"):  # a free copy of each column's definition
            batch.add_column(sa.Column(name, schema.api_keys.c[name].type, nullable=True))
    create_tables(op.get_bind(), _NEW_TABLES)


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    drop_tables(op.get_bind(), _NEW_TABLES)
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("expires")
        batch.drop_column("scope")
