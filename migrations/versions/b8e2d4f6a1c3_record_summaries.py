"""the patient list's maintained summaries: pain_days, patient_activity and their triggers

Revision ID: b8e2d4f6a1c3
Revises: b7d2e4f6a8c1
Create Date: 2026-12-07 05:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import server.db


# revision identifiers, used by Alembic.
revision = 'b8e2d4f6a1c3'
down_revision = 'b7d2e4f6a8c1'
branch_labels = None
depends_on = None

# A frozen copy of server.tracking.models.SUMMARISED and summary_trigger_ddl as of this revision
# (tests/foundation/test_migrations.py checks that both install the same triggers).
SUMMARISED = {
    "session_logs": {
        "sqlite": "max(coalesce({r}.pain_during, {r}.pain_after), "
        "coalesce({r}.pain_after, {r}.pain_during))",
        "postgresql": "greatest({r}.pain_during, {r}.pain_after)",
    },
    "pain_ratings": {"sqlite": "{r}.score", "postgresql": "{r}.score"},
    "headache_entries": {"sqlite": "{r}.intensity", "postgresql": "{r}.intensity"},
    "posture_breaks": None,
    "symptom_checks": None,
}


def _trigger_ddl(table, dialect):
    pain = SUMMARISED[table]
    if dialect == "sqlite":
        body = [
            "INSERT INTO patient_activity (patient_id, clinic_id, last_recorded_at) "
            "SELECT NEW.patient_id, NEW.clinic_id, NEW.recorded_at WHERE true "
            "ON CONFLICT (patient_id) DO UPDATE SET last_recorded_at = "
            "max(last_recorded_at, excluded.last_recorded_at);"
        ]
        if pain:
            value = pain["sqlite"].format(r="NEW")
            body.insert(
                0,
                "INSERT INTO pain_days (patient_id, local_date, clinic_id, max_pain) "
                f"SELECT NEW.patient_id, NEW.local_date, NEW.clinic_id, {value} "
                f"WHERE {value} IS NOT NULL "
                "ON CONFLICT (patient_id, local_date) DO UPDATE SET max_pain = "
                "max(max_pain, excluded.max_pain);",
            )
        return [
            f"CREATE TRIGGER IF NOT EXISTS summarise_{table} AFTER INSERT ON {table} "
            f"BEGIN {' '.join(body)} END"
        ]
    body = [
        "INSERT INTO patient_activity AS a (patient_id, clinic_id, last_recorded_at) "
        "SELECT patient_id, clinic_id, max(recorded_at) FROM inserted "
        "GROUP BY patient_id, clinic_id ORDER BY patient_id "
        "ON CONFLICT (patient_id) DO UPDATE SET last_recorded_at = excluded.last_recorded_at "
        "WHERE excluded.last_recorded_at > a.last_recorded_at;"
    ]
    if pain:
        value = pain["postgresql"].format(r="inserted")
        body.insert(
            0,
            "INSERT INTO pain_days AS d (patient_id, local_date, clinic_id, max_pain) "
            f"SELECT patient_id, local_date, clinic_id, max({value}) FROM inserted "
            f"WHERE {value} IS NOT NULL GROUP BY patient_id, local_date, clinic_id "
            "ORDER BY patient_id, local_date "
            "ON CONFLICT (patient_id, local_date) DO UPDATE SET max_pain = excluded.max_pain "
            "WHERE excluded.max_pain > d.max_pain;",
        )
    return [
        f"CREATE OR REPLACE FUNCTION summarise_{table}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {' '.join(body)} RETURN NULL; END $$",
        f"CREATE OR REPLACE TRIGGER summarise_{table} AFTER INSERT ON {table} "
        "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT "
        f"EXECUTE FUNCTION summarise_{table}()",
    ]


def _backfill(dialect):
    """The summaries of the records already stored."""
    pains = " UNION ALL ".join(
        f"SELECT patient_id, local_date, clinic_id, {pain[dialect].format(r=table)} AS pain "
        f"FROM {table}"
        for table, pain in SUMMARISED.items()
        if pain
    )
    op.execute(
        "INSERT INTO pain_days (patient_id, local_date, clinic_id, max_pain) "
        f"SELECT patient_id, local_date, clinic_id, max(pain) FROM ({pains}) AS pains "
        "WHERE pain IS NOT NULL GROUP BY patient_id, local_date, clinic_id"
    )
    recorded = " UNION ALL ".join(
        f"SELECT patient_id, clinic_id, recorded_at FROM {table}" for table in SUMMARISED
    )
    op.execute(
        "INSERT INTO patient_activity (patient_id, clinic_id, last_recorded_at) "
        f"SELECT patient_id, clinic_id, max(recorded_at) FROM ({recorded}) AS recorded "
        "GROUP BY patient_id, clinic_id"
    )


def upgrade():
    op.create_table('pain_days',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('max_pain', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_pain_days_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_pain_days_patient_id_patients')),
    sa.PrimaryKeyConstraint('patient_id', 'local_date', name=op.f('pk_pain_days'))
    )
    op.create_table('patient_activity',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('last_recorded_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_patient_activity_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_activity_patient_id_patients')),
    sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_patient_activity'))
    )
    dialect = op.get_bind().dialect.name
    _backfill(dialect)
    for table in SUMMARISED:
        for statement in _trigger_ddl(table, dialect):
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in SUMMARISED:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS summarise_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS summarise_{table}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS summarise_{table}")
    op.drop_table('patient_activity')
    op.drop_table('pain_days')
