"""security events: API token created / revoked

Revision ID: 7d3f2b8e1c40
Revises: 5e1a7c0d9b21
Create Date: 2026-11-24 12:20:00

"""
from alembic import op

revision = '7d3f2b8e1c40'
down_revision = '5e1a7c0d9b21'
branch_labels = None
depends_on = None

KINDS = ['login_success', 'login_failure', 'login_throttled', 'logout', 'password_changed', 'password_reset',
         'sessions_ended', 'account_deactivated', 'link_created', 'link_revoked']
TOKEN_KINDS = ['token_created', 'token_revoked']


def _allow(kinds):
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_security_events_kind'), type_='check')
        batch_op.create_check_constraint('kind', "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")")


def upgrade():
    _allow(KINDS + TOKEN_KINDS)


def downgrade():
    op.execute("DELETE FROM security_events WHERE kind IN ('token_created', 'token_revoked')")
    _allow(KINDS)
