"""training simulator: exercises, cases, sessions and answers; the ``trainee`` role

Creates the ``training_exercises``, ``training_cases``, ``training_sessions`` and
``training_answers`` tables and lets ``users.role`` be ``trainee`` (between viewer and ranger),
through :func:`yvy.storage.db.set_role_check`.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from yvy.storage.db import create_tables, drop_tables, set_role_check

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NEW_TABLES = ("training_exercises", "training_cases", "training_sessions", "training_answers")
_ROLES = {"up": ("viewer", "trainee", "ranger", "analyst", "admin"), "down": ("viewer", "ranger", "analyst", "admin")}


def upgrade() -> None:
    """Create the training tables; allow the trainee role."""
    bind = op.get_bind()
    create_tables(bind, _NEW_TABLES)
    set_role_check(bind, _ROLES["up"])


def downgrade() -> None:
    """Drop the training tables; trainees become viewers."""
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE users SET role = 'viewer' WHERE role = 'trainee'"))
    set_role_check(bind, _ROLES["down"])
    drop_tables(bind, _NEW_TABLES)
