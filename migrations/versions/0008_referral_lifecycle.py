"""referral lifecycle: nudges, consent receipts, withdrawal, retention

Revision ID: 0008_referral_lifecycle
Revises: 0007_listing_upkeep
"""
from alembic import op
import sqlalchemy as sa


revision = "0008_referral_lifecycle"
down_revision = "0007_listing_upkeep"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt_email_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("receipt_sms_text", sa.Text(), nullable=True))  # a Fernet token

    op.create_table(
        "referral_nudge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_referral_nudge_referral_id_referral"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_nudge")),
        sa.UniqueConstraint("referral_id", "kind", name="uq_referral_nudge_referral_id_kind"),
    )
    with op.batch_alter_table("referral_nudge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_nudge_referral_id"), ["referral_id"], unique=False)


def downgrade():
    with op.batch_alter_table("referral_nudge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_nudge_referral_id"))
    op.drop_table("referral_nudge")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("receipt_sms_text")
        batch_op.drop_column("receipt_email_id")
