"""Deliveries, events and attempt logs are found by time through their ids, which sort by
creation time (hookline.ids): an index on `created_at` is one more to write per delivery
stored, claimed and finished, and per attempt. Logs of attempts made before 0008 have ids of
the form `log_<delivery id>_<attempt>`, which sort by their delivery's creation time.

A hook's deliveries are found newest first along the ids, and its failed ones (to list, to
recover) by an index of those alone: an index of every delivery by hook is written at as many
places per transaction as there are hooks, and cost an eighth of the deliveries per second.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("deliveries_created", "deliveries")
    op.drop_index("deliveries_hook_created", "deliveries")
    op.drop_index("events_created", "events")
    op.drop_index("logs_created", "logs")
    op.create_index(
        "deliveries_failed",
        "deliveries",
        ["hook_id", "id"],
        sqlite_where=sa.text("status = 3"),
        postgresql_where=sa.text("status = 3"),
    )


def downgrade() -> None:
    op.drop_index("deliveries_failed", "deliveries")
    op.create_index("logs_created", "logs", ["created_at"])
    op.create_index("events_created", "events", ["created_at"])
    op.create_index("deliveries_hook_created", "deliveries", ["hook_id", "created_at"])
    op.create_index("deliveries_created", "deliveries", ["created_at"])
