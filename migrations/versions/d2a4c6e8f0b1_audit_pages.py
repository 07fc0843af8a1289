"""audit_pages: a page read's audit events in one row, spread into audit_events by the scheduler

Revision ID: d2a4c6e8f0b1
Revises: c9f1e3a5b7d2
Create Date: 2026-12-07 11:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import server.db

# revision identifiers, used by Alembic.
revision = "d2a4c6e8f0b1"
down_revision = "c9f1e3a5b7d2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_pages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", server.db.UTCDateTime(), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_pages")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # A page's document (~28 kB) is stored out of line uncompressed: pglz took ~1.6 ms of
        # the INSERT for little gain, and the row is deleted once spread.
        op.execute("ALTER TABLE audit_pages ALTER COLUMN events SET STORAGE EXTERNAL")


def downgrade():
    op.drop_table("audit_pages")
