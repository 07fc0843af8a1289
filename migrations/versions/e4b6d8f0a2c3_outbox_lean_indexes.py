"""the outbox's lean indexes: live deliveries and snoozed records only, BRIN by creation

Revision ID: e4b6d8f0a2c3
Revises: d2a4c6e8f0b1
Create Date: 2026-12-07 14:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e4b6d8f0a2c3"
down_revision = "d2a4c6e8f0b1"
branch_labels = None
depends_on = None

NOT_NULL = {
    "deliveries": "next_attempt_at IS NOT NULL",
    "notifications": "snoozed_until IS NOT NULL",
}


def _partial(table: str, column: str) -> None:
    where = sa.text(NOT_NULL[table])
    op.drop_index(f"ix_{table}_{column}", table_name=table)
    op.create_index(
        f"ix_{table}_{column}", table, [column], postgresql_where=where, sqlite_where=where
    )


def upgrade():
    _partial("deliveries", "next_attempt_at")
    _partial("notifications", "snoozed_until")
    op.drop_index("ix_deliveries_created_at", table_name="deliveries")
    op.create_index(
        "ix_deliveries_created_at", "deliveries", ["created_at"], postgresql_using="brin"
    )


def downgrade():
    for table, column in (("deliveries", "next_attempt_at"), ("notifications", "snoozed_until")):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.create_index(f"ix_{table}_{column}", table, [column])
    op.drop_index("ix_deliveries_created_at", table_name="deliveries")
    op.create_index("ix_deliveries_created_at", "deliveries", ["created_at"])
