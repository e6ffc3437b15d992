"""drop the pushes' unused mapping_version and campaign_id

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pushes', schema=None) as batch_op:
        batch_op.drop_column('campaign_id')
        batch_op.drop_column('mapping_version')


def downgrade():
    with op.batch_alter_table('pushes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mapping_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('campaign_id', sa.String(length=18), nullable=True))
