"""insight page cache: a page's figures as shown, shared by every web process and warmed by the insights.refresh job

Revision ID: 0019_insights2
Revises: 0018_insights
Create Date: 2026-12-03 10:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_insights2'
down_revision = '0018_insights'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('insight_page_cache',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('figures', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_insight_page_cache'))
    )


def downgrade():
    op.drop_table('insight_page_cache')
