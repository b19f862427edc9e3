"""Alembic environment of yvy's workspace database: runs on the connection that
:func:`yvy.storage.db.migrate` passes in ``config.attributes["connection"]`` (no alembic.ini, no
URL of its own), against :data:`yvy.storage.schema.metadata`."""

from alembic import context

from yvy.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("yvy migrations run through yvy.storage.db.migrate (`yvy db migrate`)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
