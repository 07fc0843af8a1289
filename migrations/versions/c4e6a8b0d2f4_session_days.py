"""the patient list's maintained session summary: session_days, kept by the session logs' trigger

Revision ID: c4e6a8b0d2f4
Revises: b8e2d4f6a1c3
Create Date: 2026-12-07 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f4'
down_revision = 'b8e2d4f6a1c3'
branch_labels = None
depends_on = None

# A frozen copy of the session logs' trigger of server.tracking.models.summary_trigger_ddl as of
# this revision (tests/foundation/test_migrations.py checks that both install the same triggers),
# and of the one it replaces (b8e2d4f6a1c3), for the downgrade.
RANK = "CASE {r}.status WHEN 'skipped' THEN 1 WHEN 'partial' THEN 2 WHEN 'completed' THEN 3 ELSE 0 END"
PAIN = {
    "sqlite": "max(coalesce({r}.pain_during, {r}.pain_after), "
    "coalesce({r}.pain_after, {r}.pain_during))",
    "postgresql": "greatest({r}.pain_during, {r}.pain_after)",
}


def _session_logs_trigger(dialect, with_days):
    if dialect == "sqlite":
        value = PAIN["sqlite"].format(r="NEW")
        body = [
            "INSERT INTO pain_days (patient_id, local_date, clinic_id, max_pain) "
            f"SELECT NEW.patient_id, NEW.local_date, NEW.clinic_id, {value} "
            f"WHERE {value} IS NOT NULL "
            "ON CONFLICT (patient_id, local_date) DO UPDATE SET max_pain = "
            "max(max_pain, excluded.max_pain);",
            "INSERT INTO patient_activity (patient_id, clinic_id, last_recorded_at) "
            "SELECT NEW.patient_id, NEW.clinic_id, NEW.recorded_at WHERE true "
            "ON CONFLICT (patient_id) DO UPDATE SET last_recorded_at = "
            "max(last_recorded_at, excluded.last_recorded_at);",
        ]
        if with_days:
            body.append(
                "INSERT INTO session_days (patient_id, local_date, slot, clinic_id, best_rank) "
                "SELECT NEW.patient_id, NEW.local_date, NEW.slot, NEW.clinic_id, "
                f"{RANK.format(r='NEW')} WHERE true "
                "ON CONFLICT (patient_id, local_date, slot) DO UPDATE SET best_rank = "
                "max(best_rank, excluded.best_rank);"
            )
        return [
            "DROP TRIGGER IF EXISTS summarise_session_logs",
            "CREATE TRIGGER IF NOT EXISTS summarise_session_logs AFTER INSERT ON session_logs "
            f"BEGIN {' '.join(body)} END",
        ]
    value = PAIN["postgresql"].format(r="inserted")
    body = [
        "INSERT INTO pain_days AS d (patient_id, local_date, clinic_id, max_pain) "
        f"SELECT patient_id, local_date, clinic_id, max({value}) FROM inserted "
        f"WHERE {value} IS NOT NULL GROUP BY patient_id, local_date, clinic_id "
        "ORDER BY patient_id, local_date "
        "ON CONFLICT (patient_id, local_date) DO UPDATE SET max_pain = excluded.max_pain "
        "WHERE excluded.max_pain > d.max_pain;",
        "INSERT INTO patient_activity AS a (patient_id, clinic_id, last_recorded_at) "
        "SELECT patient_id, clinic_id, max(recorded_at) FROM inserted "
        "GROUP BY patient_id, clinic_id ORDER BY patient_id "
        "ON CONFLICT (patient_id) DO UPDATE SET last_recorded_at = excluded.last_recorded_at "
        "WHERE excluded.last_recorded_at > a.last_recorded_at;",
    ]
    if with_days:
        body.append(
            "INSERT INTO session_days AS s (patient_id, local_date, slot, clinic_id, best_rank) "
            f"SELECT patient_id, local_date, slot, clinic_id, max({RANK.format(r='inserted')}) "
            "FROM inserted GROUP BY patient_id, local_date, slot, clinic_id "
            "ORDER BY patient_id, local_date, slot "
            "ON CONFLICT (patient_id, local_date, slot) DO UPDATE SET best_rank = "
            "excluded.best_rank WHERE excluded.best_rank > s.best_rank;"
        )
    return [
        "CREATE OR REPLACE FUNCTION summarise_session_logs() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {' '.join(body)} RETURN NULL; END $$",
    ]


def upgrade():
    op.create_table('session_days',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('slot', sa.String(length=40), nullable=False),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('best_rank', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_session_days_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_session_days_patient_id_patients')),
    sa.PrimaryKeyConstraint('patient_id', 'local_date', 'slot', name=op.f('pk_session_days'))
    )
    dialect = op.get_bind().dialect.name
    # The summary of the sessions already logged.
    op.execute(
        "INSERT INTO session_days (patient_id, local_date, slot, clinic_id, best_rank) "
        f"SELECT patient_id, local_date, slot, clinic_id, max({RANK.format(r='session_logs')}) "
        "FROM session_logs GROUP BY patient_id, local_date, slot, clinic_id"
    )
    for statement in _session_logs_trigger(dialect, with_days=True):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in _session_logs_trigger(dialect, with_days=False):
        op.execute(statement)
    op.drop_table('session_days')
