"""baseline: the schema of yvy's SQL migrations 0001-0005 (catalog, alerts, users, feeds)

A database written by a release that kept its own ``schema_migrations`` table (versions 1, 2,
4 and 5) is stamped at this revision by :func:`yvy.storage.db.migrate`, then upgraded. New
databases are created from :data:`yvy.storage.schema.metadata` and stamped at the head, so
this revision has nothing to run.

Revision ID: 0001
Revises:
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing: the baseline is only ever stamped."""
    from alembic import op

    if not op.get_bind().dialect.has_table(op.get_bind(), "collections"):
        raise RuntimeError("create new yvy databases with `yvy init` (yvy.storage.db.migrate)")


def downgrade() -> None:
    """Nothing before the baseline."""
