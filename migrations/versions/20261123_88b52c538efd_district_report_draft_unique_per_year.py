"""district report draft unique per year

The district report's narrative is a ReportDraft without a unit; NULL unit ids never collide in
UNIQUE(kind, unit_id, year), so a partial unique index keeps it to one draft per year.

Revision ID: 88b52c538efd
Revises: 855f97514dd8
Create Date: 2026-11-23 15:23:00.408959

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '88b52c538efd'
down_revision = '855f97514dd8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_drafts', schema=None) as batch_op:
        batch_op.create_index('uq_report_drafts_kind_year_without_unit', ['kind', 'year'], unique=True, sqlite_where=sa.text('unit_id IS NULL'), postgresql_where=sa.text('unit_id IS NULL'))


def downgrade():
    with op.batch_alter_table('report_drafts', schema=None) as batch_op:
        batch_op.drop_index('uq_report_drafts_kind_year_without_unit', sqlite_where=sa.text('unit_id IS NULL'), postgresql_where=sa.text('unit_id IS NULL'))
