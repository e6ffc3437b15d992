"""contacts: a trigram index for search on PostgreSQL

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 12:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Search is LIKE '%term%' on search_text: only a trigram index serves that. SQLite has
    # none (its search stays a bounded scan); the extension needs a role that may create it.
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_index(
        'ix_contacts_search_text_trgm',
        'contacts',
        ['search_text'],
        postgresql_using='gin',
        postgresql_ops={'search_text': 'gin_trgm_ops'},
    )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_contacts_search_text_trgm', table_name='contacts')
