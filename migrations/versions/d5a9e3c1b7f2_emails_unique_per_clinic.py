"""email addresses are unique per clinic, not across clinics

Revision ID: d5a9e3c1b7f2
Revises: d5a9e3c7b1f2
Create Date: 2026-12-06 21:10:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "d5a9e3c1b7f2"
down_revision = "d5a9e3c7b1f2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("uq_users_email", type_="unique")
        batch_op.create_unique_constraint("uq_users_clinic_id_email", ["clinic_id", "email"])
        batch_op.create_index("ix_users_email", ["email"], unique=False)


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_index("ix_users_email")
        batch_op.drop_constraint("uq_users_clinic_id_email", type_="unique")
        batch_op.create_unique_constraint("uq_users_email", ["email"])
