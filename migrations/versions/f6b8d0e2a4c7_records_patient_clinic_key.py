"""records: one foreign key on (patient_id, clinic_id) instead of one on each column

A row's check is one lookup instead of two (a 500-item sync made 1,000), and a record cannot
name another clinic than its patient's; the clinic exists through the patient's own key.

Revision ID: f6b8d0e2a4c7
Revises: e4b6d8f0a2c3
Create Date: 2026-12-07 13:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f6b8d0e2a4c7"
down_revision = "e4b6d8f0a2c3"
branch_labels = None
depends_on = None

RECORDS = (
    "session_logs",
    "pain_ratings",
    "headache_entries",
    "posture_breaks",
    "symptom_checks",
    "measure_responses",
)


def _triggers(table):
    """SQLite: the table's triggers, which a batch operation's copy of the table loses."""
    if op.get_bind().dialect.name != "sqlite":
        return []
    query = sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :name")
    return list(op.get_bind().execute(query, {"name": table}).scalars())


def upgrade():
    op.create_index("uq_patients_id_clinic_id", "patients", ["id", "clinic_id"], unique=True)
    for table in RECORDS:
        triggers = _triggers(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_clinic_id_clinics", type_="foreignkey")
            batch_op.drop_constraint(f"fk_{table}_patient_id_patients", type_="foreignkey")
            batch_op.create_foreign_key(
                f"fk_{table}_patient_id_patients",
                "patients",
                ["patient_id", "clinic_id"],
                ["id", "clinic_id"],
            )
        for trigger in triggers:
            op.execute(trigger)


def downgrade():
    for table in RECORDS:
        triggers = _triggers(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_patient_id_patients", type_="foreignkey")
            batch_op.create_foreign_key(
                f"fk_{table}_clinic_id_clinics", "clinics", ["clinic_id"], ["id"]
            )
            batch_op.create_foreign_key(
                f"fk_{table}_patient_id_patients", "patients", ["patient_id"], ["id"]
            )
        for trigger in triggers:
            op.execute(trigger)
    op.drop_index("uq_patients_id_clinic_id", table_name="patients")
