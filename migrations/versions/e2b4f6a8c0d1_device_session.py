"""a push device remembers the login session that registered it

Revision ID: e2b4f6a8c0d1
Revises: d5a9e3c1b7f2
Create Date: 2026-12-06 21:15:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e2b4f6a8c0d1"
down_revision = "d5a9e3c1b7f2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("devices") as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_devices_session_id_token_families",
            "token_families",
            ["session_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("devices") as batch_op:
        batch_op.drop_constraint("fk_devices_session_id_token_families", type_="foreignkey")
        batch_op.drop_column("session_id")
