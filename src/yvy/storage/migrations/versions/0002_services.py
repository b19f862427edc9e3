"""services: leases and cursors tables, alerts.change_seq, items_id index, R*Tree triggers

Adds what the notification service needs (``leases``: one sender at a time; ``cursors``: how far
it has scanned alert changes; ``alerts.change_seq``, indexed), the ``items_id`` index SQLite
lacked, the triggers that keep SQLite's R*Trees in sync with their tables, and drops the old
``schema_migrations`` bookkeeping (Alembic's ``alembic_version`` replaces it).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from yvy.storage import schema
from yvy.storage.db import create_tables, drop_tables, install_guards

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_NEW_TABLES = ("leases", "cursors")


def upgrade() -> None:
    """Create the tables and indexes, install the guards, drop ``schema_migrations``."""
    bind = op.get_bind()
    create_tables(bind, _NEW_TABLES)
    with op.batch_alter_table("alerts") as batch:  # SQLite: ADD COLUMN, no table copy
        batch.add_column(sa.Column("change_seq", schema.BIGINT, nullable=False, server_default="0"))
    op.create_index("alerts_change", "alerts", ["change_seq"])
    if bind.dialect.name == "sqlite":
        op.create_index("items_id", "items", ["id"])
    install_guards(bind)
    op.drop_table("schema_migrations")


def downgrade() -> None:
    """Drop what :func:`upgrade` added (the guards stay)."""
    op.drop_index("alerts_change", "alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("change_seq")
    drop_tables(op.get_bind(), _NEW_TABLES)
