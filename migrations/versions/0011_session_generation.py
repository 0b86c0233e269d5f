"""session generation: signing out, a password change or "stop sign-in" ends a session server-side

Revision ID: 0011_secauth_sessions
Revises: 0010_job_lease
"""
from alembic import op
import sqlalchemy as sa


revision = "0011_secauth_sessions"
down_revision = "0010_job_lease"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("session_generation")
