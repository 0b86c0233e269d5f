"""provider registration: verified sign-up, claims of existing listings

Revision ID: 0006_registration
Revises: 0005_revisions
"""
from alembic import op
import sqlalchemy as sa


revision = "0006_registration"
down_revision = "0005_revisions"
branch_labels = None
depends_on = None


def _enum(*values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def upgrade():
    op.create_table(
        "email_verification",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_verification")),
    )
    with op.batch_alter_table("email_verification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_verification_email"), ["email"], unique=False)

    op.create_table(
        "organization_setup",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("workforce_answered_at", sa.DateTime(), nullable=True),
        sa.Column("quality_checks", _enum("incomplete", "completed", name="taskprogress"), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"],
            name=op.f("fk_organization_setup_created_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"],
            name=op.f("fk_organization_setup_organization_id_organization"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_organization_setup")),
    )

    op.create_table(
        "listing_claim",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("claimant_id", sa.Integer(), nullable=False),
        sa.Column("method", _enum("email_link", "moderator", name="claimmethod"), nullable=False),
        sa.Column("status", _enum("pending", "approved", "rejected", name="claimstatus"), nullable=False),
        sa.Column("connection", sa.Text(), nullable=False),
        sa.Column("sent_to", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claimant_id"], ["user_account.id"],
            name=op.f("fk_listing_claim_claimant_id_user_account"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user_account.id"],
            name=op.f("fk_listing_claim_decided_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"],
            name=op.f("fk_listing_claim_organization_id_organization"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_listing_claim_service_id_service"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_claim")),
    )
    with op.batch_alter_table("listing_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listing_claim_claimant_id"), ["claimant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listing_claim_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_listing_claim_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listing_claim_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listing_claim_status"), ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("listing_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_claim_status"))
        batch_op.drop_index(batch_op.f("ix_listing_claim_service_id"))
        batch_op.drop_index(batch_op.f("ix_listing_claim_organization_id"))
        batch_op.drop_index(batch_op.f("ix_listing_claim_created_at"))
        batch_op.drop_index(batch_op.f("ix_listing_claim_claimant_id"))
    op.drop_table("listing_claim")
    op.drop_table("organization_setup")
    with op.batch_alter_table("email_verification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_verification_email"))
    op.drop_table("email_verification")
