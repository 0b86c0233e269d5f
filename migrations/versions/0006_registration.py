"""provider registration: verified sign-up, claims of existing listings

Revision ID: 0006_registration
Revises: 0005_revisions
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = "0006_registration"
down_revision = "0005_revisions"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
