"""draft sections saved: the task list's record of optional-only sections a provider has answered

Revision ID: 0009_draft_sections
Revises: 0008_referral_lifecycle
"""
from alembic import op
import sqlalchemy as sa


revision = "0009_draft_sections"
down_revision = "0008_referral_lifecycle"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "draft_section_saved",
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("section", sa.String(length=20), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"], name=op.f("fk_draft_section_saved_service_id_service"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("service_id", "section", name=op.f("pk_draft_section_saved")),
    )


def downgrade():
    op.drop_table("draft_section_saved")
