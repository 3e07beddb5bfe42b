"""unit suggestions: what 智能交办 suggested for a case and what the dispatcher chose

``unit_suggestions`` holds one row per suggestion shown (the choice is filled at 交办, for the
hit rate); ``suggested_units`` its units in rank order per role, with their confidences.

Revision ID: c125ef5aad56
Revises: e48829f77d42
Create Date: 2026-11-24 05:27:09.614470

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c125ef5aad56'
down_revision = 'e48829f77d42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('unit_suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('suggested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('suggested_by_id', sa.Integer(), nullable=True),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('chosen_rank', sa.Integer(), nullable=True),
    sa.Column('chosen_unit_id', sa.Integer(), nullable=True),
    sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(chosen_rank IS NULL) = (chosen_at IS NULL)', name=op.f('ck_unit_suggestions_chosen_rank_with_time')),
    sa.CheckConstraint('chosen_rank IS NULL OR chosen_rank >= 0', name=op.f('ck_unit_suggestions_chosen_rank_not_negative')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_unit_suggestions_case_id_cases')),
    sa.ForeignKeyConstraint(['chosen_unit_id'], ['units.id'], name=op.f('fk_unit_suggestions_chosen_unit_id_units')),
    sa.ForeignKeyConstraint(['suggested_by_id'], ['users.id'], name=op.f('fk_unit_suggestions_suggested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_suggestions'))
    )
    with op.batch_alter_table('unit_suggestions', schema=None) as batch_op:
        batch_op.create_index('ix_unit_suggestions_case_id_chosen_at', ['case_id', 'chosen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_suggestions_chosen_at'), ['chosen_at'], unique=False)

    op.create_table('suggested_units',
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.CheckConstraint("role IN ('lead', 'co')", name=op.f('ck_suggested_units_role')),
    sa.CheckConstraint('confidence >= 0 AND confidence <= 1', name=op.f('ck_suggested_units_confidence_range')),
    sa.CheckConstraint('rank > 0', name=op.f('ck_suggested_units_rank_positive')),
    sa.ForeignKeyConstraint(['suggestion_id'], ['unit_suggestions.id'], name=op.f('fk_suggested_units_suggestion_id_unit_suggestions')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_suggested_units_unit_id_units')),
    sa.PrimaryKeyConstraint('suggestion_id', 'role', 'rank', name=op.f('pk_suggested_units')),
    sa.UniqueConstraint('suggestion_id', 'unit_id', name=op.f('uq_suggested_units_suggestion_id_unit_id'))
    )
    with op.batch_alter_table('suggested_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggested_units_unit_id'), ['unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('suggested_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggested_units_unit_id'))

    op.drop_table('suggested_units')
    with op.batch_alter_table('unit_suggestions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_suggestions_chosen_at'))
        batch_op.drop_index('ix_unit_suggestions_case_id_chosen_at')

    op.drop_table('unit_suggestions')
