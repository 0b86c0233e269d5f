"""form submissions: a create form sent twice makes one draft or note

Revision ID: 0015_form_submissions
Revises: 0014_consent_template
"""
from alembic import op
import sqlalchemy as sa


revision = "0015_form_submissions"
down_revision = "0014_consent_template"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_submission",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("result_url", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_form_submission")),
    )
    with op.batch_alter_table("form_submission") as batch_op:
        batch_op.create_index(batch_op.f("ix_form_submission_created_at"), ["created_at"], unique=False)


def downgrade():
    op.drop_table("form_submission")
