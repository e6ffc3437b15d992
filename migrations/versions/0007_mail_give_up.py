"""mail jobs given up: the reason on the push and the connection

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pushes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mail_failed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('mail_error', sa.String(length=255), nullable=True))

    with op.batch_alter_table('salesforce_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reconnect_mail_error', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('salesforce_connections', schema=None) as batch_op:
        batch_op.drop_column('reconnect_mail_error')

    with op.batch_alter_table('pushes', schema=None) as batch_op:
        batch_op.drop_column('mail_error')
        batch_op.drop_column('mail_failed_at')
