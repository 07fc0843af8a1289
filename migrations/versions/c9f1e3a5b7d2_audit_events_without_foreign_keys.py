"""audit_events without foreign keys: an append-only journal written only by our own code

Revision ID: c9f1e3a5b7d2
Revises: c4e6a8b0d2f4
Create Date: 2026-12-07 08:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "c9f1e3a5b7d2"
down_revision = "c4e6a8b0d2f4"
branch_labels = None
depends_on = None

KEYS = (
    ("fk_audit_events_actor_id_users", "users", "actor_id"),
    ("fk_audit_events_clinic_id_clinics", "clinics", "clinic_id"),
    ("fk_audit_events_patient_id_patients", "patients", "patient_id"),
)


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        for name, _, _ in KEYS:
            batch_op.drop_constraint(name, type_="foreignkey")


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        for name, parent, column in KEYS:
            batch_op.create_foreign_key(name, parent, [column], ["id"])
