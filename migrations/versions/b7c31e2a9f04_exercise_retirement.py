"""exercises can be retired

Revision ID: b7c31e2a9f04
Revises: 9df12475685a
Create Date: 2026-11-24 10:55:00.000000

"""

import sqlalchemy as sa
from alembic import op

import server.db

# revision identifiers, used by Alembic.
revision = "b7c31e2a9f04"
down_revision = "9df12475685a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("exercises") as batch_op:
        batch_op.add_column(
            sa.Column("retired_at", server.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("exercises") as batch_op:
        batch_op.drop_column("retired_at")
