"""Revision 0005 down and up again: trainees become viewers, the training tables go and come back,
the role CHECK follows (on the engine under test)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import raw_sql


def test_downgrade_and_upgrade_0005(tmp_path, store_url):
    from alembic import command

    from yvy.storage import open_store
    from yvy.storage.db import _config
    from yvy.storage.users import SQLUserStore

    store = open_store(store_url(tmp_path / "yvy.db"), create=True)
    SQLUserStore(store).add_user("tom", "trainee", "trainee-pass-12")
    with store.engine.connect().execution_options(yvy_write=True) as conn, conn.begin():
        command.downgrade(_config(conn), "0004")
    assert raw_sql(store, "SELECT role FROM users WHERE username = 'tom'") == [("viewer",)]
    assert not sa.inspect(store.engine).has_table("training_exercises")
    with pytest.raises(sa.exc.IntegrityError):
        raw_sql(store, "UPDATE users SET role = 'trainee' WHERE username = 'tom'")
    with store.engine.connect().execution_options(yvy_write=True) as conn, conn.begin():
        command.upgrade(_config(conn), "head")
    raw_sql(store, "UPDATE users SET role = 'trainee' WHERE username = 'tom'")
    assert sa.inspect(store.engine).has_table("training_answers")
    store.close()
