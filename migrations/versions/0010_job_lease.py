"""job lease: one run of each job at a time, across cron, RQ workers and app nodes

Revision ID: 0010_job_lease
Revises: 0009_draft_sections
"""
from alembic import op
import sqlalchemy as sa


revision = "0010_job_lease"
down_revision = "0009_draft_sections"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_lease",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_lease")),
    )


def downgrade():
    op.drop_table("job_lease")
