"""facts: partial indexes of the open and the withheld assignments by year

The dashboard's overdue list reads a year's open assignments (a few thousand of ~75,000 facts)
and its 不予公开 reasons a year's withheld ones: partial indexes find them without reading the
year's other facts.

Revision ID: 5b7e1f0c9a21
Revises: 4c62d6f8578d
Create Date: 2026-11-24 08:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7e1f0c9a21'
down_revision = '4c62d6f8578d'
branch_labels = None
depends_on = None

OPEN, WITHHELD = sa.text("open"), sa.text("withheld")


def upgrade():
    with op.batch_alter_table('assignment_facts', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_facts_open_year_due_date', ['year', 'due_date'], unique=False,
                              postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.create_index('ix_assignment_facts_withheld_year', ['year'], unique=False,
                              postgresql_where=WITHHELD, sqlite_where=WITHHELD)


def downgrade():
    with op.batch_alter_table('assignment_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_facts_withheld_year')
        batch_op.drop_index('ix_assignment_facts_open_year_due_date')
