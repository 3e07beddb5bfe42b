"""drop assignments.accepted_at: no service ever wrote it (签收 time lives in the event log)

A plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35 and PostgreSQL alike): a batch copy of the
table on SQLite would have to rebuild its CHECK constraints and partial index by hand.

Revision ID: 2d0729c0b1ab
Revises: 0cbc430527c2
Create Date: 2026-11-24 04:55:13.554905

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2d0729c0b1ab'
down_revision = '0cbc430527c2'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("ALTER TABLE assignments DROP COLUMN accepted_at")


def downgrade():
    op.add_column('assignments', sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True))
