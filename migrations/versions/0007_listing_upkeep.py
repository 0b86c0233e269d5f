"""listing upkeep: stale-listing chasing, quality-check reminders, suspend/archive/purge

Revision ID: 0007_listing_upkeep
Revises: 0006_registration
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = "0007_listing_upkeep"
down_revision = "0006_registration"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
