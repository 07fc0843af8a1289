"""the patient list's maintained active flag counts: active_flag_counts, kept by triggers on flags

Revision ID: e7a9c1b3d5f8
Revises: a8c0e2f4b6d9
Create Date: 2026-12-07 18:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a9c1b3d5f8'
down_revision = 'a8c0e2f4b6d9'
branch_labels = None
depends_on = None

# A frozen copy of server.flags.models.active_count_trigger_ddl as of this revision
# (tests/foundation/test_migrations.py checks that both install the same triggers).
TRIGGERS = {
    "sqlite": [
        'CREATE TRIGGER IF NOT EXISTS count_active_flags_inserted AFTER INSERT ON flags BEGIN '
        'INSERT INTO active_flag_counts (patient_id, clinic_id, urgent, high, normal, low, info) '
        "SELECT NEW.patient_id, NEW.clinic_id, NEW.severity = 'urgent', NEW.severity = 'high', "
        "NEW.severity = 'normal', NEW.severity = 'low', NEW.severity = 'info' WHERE NEW.status IN"
        " ('open', 'acknowledged') ON CONFLICT (patient_id) DO UPDATE SET urgent = urgent + "
        'excluded.urgent, high = high + excluded.high, normal = normal + excluded.normal, low = '
        'low + excluded.low, info = info + excluded.info; END',
        'CREATE TRIGGER IF NOT EXISTS count_active_flags_updated AFTER UPDATE OF patient_id, '
        'severity, status ON flags BEGIN UPDATE active_flag_counts SET urgent = urgent - '
        "(OLD.severity = 'urgent'), high = high - (OLD.severity = 'high'), normal = normal - "
        "(OLD.severity = 'normal'), low = low - (OLD.severity = 'low'), info = info - "
        "(OLD.severity = 'info') WHERE patient_id = OLD.patient_id AND OLD.status IN ('open', "
        "'acknowledged'); INSERT INTO active_flag_counts (patient_id, clinic_id, urgent, high, "
        "normal, low, info) SELECT NEW.patient_id, NEW.clinic_id, NEW.severity = 'urgent', "
        "NEW.severity = 'high', NEW.severity = 'normal', NEW.severity = 'low', NEW.severity = "
        "'info' WHERE NEW.status IN ('open', 'acknowledged') ON CONFLICT (patient_id) DO UPDATE "
        'SET urgent = urgent + excluded.urgent, high = high + excluded.high, normal = normal + '
        'excluded.normal, low = low + excluded.low, info = info + excluded.info; END',
        'CREATE TRIGGER IF NOT EXISTS count_active_flags_deleted AFTER DELETE ON flags BEGIN '
        "UPDATE active_flag_counts SET urgent = urgent - (OLD.severity = 'urgent'), high = high -"
        " (OLD.severity = 'high'), normal = normal - (OLD.severity = 'normal'), low = low - "
        "(OLD.severity = 'low'), info = info - (OLD.severity = 'info') WHERE patient_id = "
        "OLD.patient_id AND OLD.status IN ('open', 'acknowledged'); END",
    ],
    "postgresql": [
        'CREATE OR REPLACE FUNCTION count_active_flags() RETURNS trigger LANGUAGE plpgsql AS $$ '
        "BEGIN IF TG_OP <> 'INSERT' AND OLD.status IN ('open', 'acknowledged') THEN UPDATE "
        "active_flag_counts SET urgent = urgent - (OLD.severity = 'urgent')::int, high = high - "
        "(OLD.severity = 'high')::int, normal = normal - (OLD.severity = 'normal')::int, low = "
        "low - (OLD.severity = 'low')::int, info = info - (OLD.severity = 'info')::int WHERE "
        "patient_id = OLD.patient_id; END IF; IF TG_OP <> 'DELETE' AND NEW.status IN ('open', "
        "'acknowledged') THEN INSERT INTO active_flag_counts AS c (patient_id, clinic_id, urgent,"
        ' high, normal, low, info) VALUES (NEW.patient_id, NEW.clinic_id, (NEW.severity = '
        "'urgent')::int, (NEW.severity = 'high')::int, (NEW.severity = 'normal')::int, "
        "(NEW.severity = 'low')::int, (NEW.severity = 'info')::int) ON CONFLICT (patient_id) DO "
        'UPDATE SET urgent = c.urgent + excluded.urgent, high = c.high + excluded.high, normal = '
        'c.normal + excluded.normal, low = c.low + excluded.low, info = c.info + excluded.info; '
        'END IF; RETURN NULL; END $$',
        'CREATE OR REPLACE TRIGGER count_active_flags AFTER INSERT OR DELETE OR UPDATE OF '
        'patient_id, severity, status ON flags FOR EACH ROW EXECUTE FUNCTION count_active_flags()',
    ],
}
SEVERITIES = ("urgent", "high", "normal", "low", "info")


def upgrade():
    op.create_table('active_flag_counts',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('urgent', sa.Integer(), nullable=False),
    sa.Column('high', sa.Integer(), nullable=False),
    sa.Column('normal', sa.Integer(), nullable=False),
    sa.Column('low', sa.Integer(), nullable=False),
    sa.Column('info', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_active_flag_counts_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_active_flag_counts_patient_id_patients')),
    sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_active_flag_counts'))
    )
    # The counts of the flags already active.
    counted = ", ".join(f"count(CASE WHEN severity = '{s}' THEN 1 END)" for s in SEVERITIES)
    op.execute(
        f"INSERT INTO active_flag_counts (patient_id, clinic_id, {', '.join(SEVERITIES)}) "
        f"SELECT patient_id, clinic_id, {counted} FROM flags "
        "WHERE status IN ('open', 'acknowledged') GROUP BY patient_id, clinic_id"
    )
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for event in ("inserted", "updated", "deleted"):
            op.execute(f"DROP TRIGGER IF EXISTS count_active_flags_{event}")
    else:
        op.execute("DROP TRIGGER IF EXISTS count_active_flags ON flags")
        op.execute("DROP FUNCTION IF EXISTS count_active_flags()")
    op.drop_table('active_flag_counts')
