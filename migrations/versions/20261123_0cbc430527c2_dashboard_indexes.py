"""dashboard indexes

The statistics look up, for every assignment, its case's 交办 events and its own 延期 / 重新办理
events: (case_id, transition) and (assignment_id, transition) find them without reading a case's
other events, and replace the single-column indexes, which they serve as well. The overdue list
reads the open assignments by due date from a partial index, a few thousand rows among every
year's.

Revision ID: 0cbc430527c2
Revises: 88b52c538efd
Create Date: 2026-11-23 16:11:18.432440

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0cbc430527c2'
down_revision = '88b52c538efd'
branch_labels = None
depends_on = None

OPEN = sa.text("state NOT IN ('returned', 'opinion_sent', 'answered')")


def upgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_open_due_date', ['due_date'], unique=False, postgresql_where=OPEN, sqlite_where=OPEN)

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_assignment_id_transition', ['assignment_id', 'transition'], unique=False)
        batch_op.create_index('ix_events_case_id_transition', ['case_id', 'transition'], unique=False)
        batch_op.drop_index(batch_op.f('ix_events_assignment_id'))
        batch_op.drop_index(batch_op.f('ix_events_case_id'))


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_assignment_id'), ['assignment_id'], unique=False)
        batch_op.drop_index('ix_events_case_id_transition')
        batch_op.drop_index('ix_events_assignment_id_transition')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_open_due_date', postgresql_where=OPEN, sqlite_where=OPEN)
