"""clinic settings: a digest time per clinic; a programme's flag thresholds live on its revisions

Revision ID: d5a9e3c7b1f2
Revises: c4e8d1f0a2b6
Create Date: 2026-12-06 21:00:00.000000

"""

from datetime import time

import sqlalchemy as sa
from alembic import op

import server.db

# revision identifiers, used by Alembic.
revision = "d5a9e3c7b1f2"
down_revision = "c4e8d1f0a2b6"
branch_labels = None
depends_on = None

clinics = sa.table("clinics", sa.column("digest_time", sa.Time()))
programmes = sa.table(
    "programmes", sa.column("id"), sa.column("flag_thresholds", server.db.JSONType())
)
revisions = sa.table(
    "programme_revisions",
    sa.column("programme_id"),
    sa.column("number"),
    sa.column("flag_thresholds", server.db.JSONType()),
)


def upgrade():
    with op.batch_alter_table("clinics") as batch_op:
        batch_op.add_column(sa.Column("digest_time", sa.Time(), nullable=True))
    op.execute(clinics.update().values(digest_time=time(8, 0)))
    with op.batch_alter_table("clinics") as batch_op:
        batch_op.alter_column("digest_time", existing_type=sa.Time(), nullable=False)

    with op.batch_alter_table("programme_revisions") as batch_op:
        batch_op.add_column(
            sa.Column("flag_thresholds", server.db.JSONType(), nullable=True)
        )
    # Every revision of a programme takes the programme's overrides.
    own = (
        sa.select(programmes.c.flag_thresholds)
        .where(programmes.c.id == revisions.c.programme_id)
        .scalar_subquery()
    )
    op.execute(revisions.update().values(flag_thresholds=own))
    with op.batch_alter_table("programme_revisions") as batch_op:
        batch_op.alter_column(
            "flag_thresholds", existing_type=server.db.JSONType(), nullable=False
        )
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.drop_column("flag_thresholds")


def downgrade():
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.add_column(sa.Column("flag_thresholds", server.db.JSONType(), nullable=True))
    newest = (
        sa.select(revisions.c.flag_thresholds)
        .where(revisions.c.programme_id == programmes.c.id)
        .order_by(revisions.c.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    op.execute(programmes.update().values(flag_thresholds=newest))
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.alter_column("flag_thresholds", existing_type=server.db.JSONType(), nullable=False)
    with op.batch_alter_table("programme_revisions") as batch_op:
        batch_op.drop_column("flag_thresholds")
    with op.batch_alter_table("clinics") as batch_op:
        batch_op.drop_column("digest_time")
