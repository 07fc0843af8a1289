"""reminder replans: a record marks its patient, the dispatch tick replans the streams

Revision ID: b7d2e4f6a8c1
Revises: a3f7c9e1d2b4
Create Date: 2026-12-07 05:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import server.db


# revision identifiers, used by Alembic.
revision = 'b7d2e4f6a8c1'
down_revision = 'a3f7c9e1d2b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reminder_replans',
        sa.Column('patient_id', sa.Uuid(), nullable=False),
        sa.Column('clinic_id', sa.Uuid(), nullable=False),
        sa.Column('marked_at', server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_reminder_replans_clinic_id_clinics')),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_reminder_replans_patient_id_patients')),
        sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_reminder_replans')),
    )


def downgrade():
    op.drop_table('reminder_replans')
