"""replies.returned_note: the leader's 退回修改 note; a draft carrying one is back with the handler

Revision ID: 0886cd860b42
Revises: 2d0729c0b1ab
Create Date: 2026-11-24 06:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0886cd860b42'
down_revision = '2d0729c0b1ab'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('replies', sa.Column('returned_note', sa.Text(), nullable=True))


def downgrade():
    op.execute("ALTER TABLE replies DROP COLUMN returned_note")
