"""sign-in security: session generation (sign-out ends a session server-side), pending invitations

Revision ID: 0011_secauth
Revises: 0010_job_lease
"""
from alembic import op
import sqlalchemy as sa


revision = "0011_secauth"
down_revision = "0010_job_lease"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("invited_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("invited_at")
        batch.drop_column("session_generation")
