"""referral lifecycle: nudges, consent receipts, withdrawal, retention

Revision ID: 0008_referral_lifecycle
Revises: 0007_listing_upkeep
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = "0008_referral_lifecycle"
down_revision = "0007_listing_upkeep"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
