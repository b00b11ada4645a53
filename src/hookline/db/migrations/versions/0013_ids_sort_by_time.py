"""Deliveries and events are found by time through their ids, which sort by creation time
(hookline.ids): an index on `created_at` is one more to write per delivery stored, claimed
and finished. A hook's deliveries are listed by (hook_id, id).

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("deliveries_created", "deliveries")
    op.drop_index("deliveries_hook_created", "deliveries")
    op.drop_index("events_created", "events")
    op.create_index("deliveries_hook", "deliveries", ["hook_id", "id"])


def downgrade() -> None:
    op.drop_index("deliveries_hook", "deliveries")
    op.create_index("events_created", "events", ["created_at"])
    op.create_index("deliveries_hook_created", "deliveries", ["hook_id", "created_at"])
    op.create_index("deliveries_created", "deliveries", ["created_at"])
