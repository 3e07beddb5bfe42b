"""assignment_facts: what the statistics count, one row per assignment, kept by the services

The rows are derived data: after this upgrade on a database that has cases, `flask stats rebuild
--missing` computes them (`make run` does).

Revision ID: e48829f77d42
Revises: 0886cd860b42
Create Date: 2026-11-24 06:49:13.208971

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e48829f77d42'
down_revision = '0886cd860b42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assignment_facts',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=20), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('lead', sa.Boolean(), nullable=False),
    sa.Column('open', sa.Boolean(), nullable=False),
    sa.Column('assigned_on', sa.Date(), nullable=False),
    sa.Column('assigned_ym', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replied_on', sa.Date(), nullable=True),
    sa.Column('replied_ym', sa.Integer(), nullable=True),
    sa.Column('opinion_on', sa.Date(), nullable=True),
    sa.Column('due_then', sa.Date(), nullable=False),
    sa.Column('due_then_assigned', sa.Date(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=True),
    sa.Column('first_overall', sa.String(length=30), nullable=True),
    sa.Column('final_overall', sa.String(length=30), nullable=True),
    sa.Column('met', sa.Boolean(), nullable=False),
    sa.Column('contacted', sa.Boolean(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('withheld', sa.Boolean(), nullable=False),
    sa.Column('followed_up', sa.Boolean(), nullable=False),
    sa.Column('converted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_assignment_facts_assignment_id_assignments')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_assignment_facts_case_id_cases')),
    sa.ForeignKeyConstraint(['class_id'], ['result_classes.id'], name=op.f('fk_assignment_facts_class_id_result_classes')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_assignment_facts_session_id_sessions')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_assignment_facts_unit_id_units')),
    sa.PrimaryKeyConstraint('assignment_id', name=op.f('pk_assignment_facts'))
    )
    with op.batch_alter_table('assignment_facts', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_facts_assigned_ym', ['assigned_ym'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_facts_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_assignment_facts_replied_ym', ['replied_ym'], unique=False)
        batch_op.create_index('ix_assignment_facts_year_body', ['year', 'body'], unique=False)
        batch_op.create_index('ix_assignment_facts_year_unit_id', ['year', 'unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('assignment_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_facts_year_unit_id')
        batch_op.drop_index('ix_assignment_facts_year_body')
        batch_op.drop_index('ix_assignment_facts_replied_ym')
        batch_op.drop_index(batch_op.f('ix_assignment_facts_case_id'))
        batch_op.drop_index('ix_assignment_facts_assigned_ym')

    op.drop_table('assignment_facts')
