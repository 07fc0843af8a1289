"""outcome flag types (outcome_worsened, not_improving) and the measure reminder stream

Revision ID: a3f7c9e1d2b4
Revises: f3c9a1d7e5b2
Create Date: 2026-12-07 02:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3f7c9e1d2b4'
down_revision = 'f3c9a1d7e5b2'
branch_labels = None
depends_on = None

OLD = ('red_flag', 'flare_up', 'worsening', 'high_pain', 'non_adherence', 'progression_ready')
NEW = (*OLD, 'outcome_worsened', 'not_improving')


def _types(types):
    with op.batch_alter_table("flags") as batch_op:
        batch_op.drop_constraint(op.f("ck_flags_type"), type_="check")
        batch_op.create_check_constraint(op.f("ck_flags_type"), sa.text(f"type IN {types!r}"))


STREAMS_OLD = ('session', 'posture_break')
STREAMS_NEW = (*STREAMS_OLD, 'measure')


def _stream_kinds(kinds):
    with op.batch_alter_table("reminder_streams") as batch_op:
        batch_op.drop_constraint(op.f("ck_reminder_streams_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_reminder_streams_kind"), sa.text(f"kind IN {kinds!r}"))


def upgrade():
    _types(NEW)
    _stream_kinds(STREAMS_NEW)


def downgrade():
    op.execute(sa.text("DELETE FROM reminder_streams WHERE kind = 'measure'"))
    _stream_kinds(STREAMS_OLD)
    op.execute(sa.text("DELETE FROM flags WHERE type IN ('outcome_worsened', 'not_improving')"))
    _types(OLD)
