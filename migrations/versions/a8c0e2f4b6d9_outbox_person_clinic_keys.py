"""notifications and deliveries: one foreign key on (person, clinic) instead of one on each

A reminder's record and its push each check one key instead of two (a 500-reminder tick batch
made 2,000 lookups for them, now 1,000), and neither can name another clinic than its person's:
an alert can no longer be addressed to another clinic's therapist.

Revision ID: a8c0e2f4b6d9
Revises: f6b8d0e2a4c7
Create Date: 2026-12-07 15:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a8c0e2f4b6d9"
down_revision = "f6b8d0e2a4c7"
branch_labels = None
depends_on = None

# table: (its person column, the person's table)
KEYED = {"notifications": ("patient_id", "patients"), "deliveries": ("recipient_id", "users")}


def _triggers(table):
    """SQLite: the table's triggers, which a batch operation's copy of the table loses."""
    if op.get_bind().dialect.name != "sqlite":
        return []
    query = sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :name")
    return list(op.get_bind().execute(query, {"name": table}).scalars())


def upgrade():
    op.create_index("uq_users_id_clinic_id", "users", ["id", "clinic_id"], unique=True)
    for table, (person, people) in KEYED.items():
        triggers = _triggers(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_clinic_id_clinics", type_="foreignkey")
            batch_op.drop_constraint(f"fk_{table}_{person}_{people}", type_="foreignkey")
            batch_op.create_foreign_key(
                f"fk_{table}_{person}_{people}", people, [person, "clinic_id"], ["id", "clinic_id"]
            )
        for trigger in triggers:
            op.execute(trigger)


def downgrade():
    for table, (person, people) in KEYED.items():
        triggers = _triggers(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_{person}_{people}", type_="foreignkey")
            batch_op.create_foreign_key(
                f"fk_{table}_clinic_id_clinics", "clinics", ["clinic_id"], ["id"]
            )
            batch_op.create_foreign_key(f"fk_{table}_{person}_{people}", people, [person], ["id"])
        for trigger in triggers:
            op.execute(trigger)
    op.drop_index("uq_users_id_clinic_id", table_name="users")
