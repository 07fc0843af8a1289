"""a programme ended by a therapist keeps the reason

Revision ID: c4e8d1f0a2b6
Revises: b7c31e2a9f04
Create Date: 2026-11-24 11:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4e8d1f0a2b6"
down_revision = "b7c31e2a9f04"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.add_column(sa.Column("end_reason", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.drop_column("end_reason")
