"""listing revisions keep the published listing they were made from, so moderators are warned only when it changed

Pending changes saved before this have no starting point (``base_data`` NULL): the review page judges them by
version, as before.

Revision ID: 0020_review
Revises: 0019_insights2
"""
from alembic import op
import sqlalchemy as sa


revision = '0020_review'
down_revision = '0019_insights2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('listing_revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_data', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('listing_revision', schema=None) as batch_op:
        batch_op.drop_column('base_data')
