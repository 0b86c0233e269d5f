"""listing revisions: providers' pending changes and new listings awaiting review

Revision ID: 0005_revisions
Revises: 0004_referrals
"""
from alembic import op
import sqlalchemy as sa


revision = "0005_revisions"
down_revision = "0004_referrals"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "listing_revision",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("is_new_listing", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "approved", "rejected", "superseded",
                name="revisionstatus", native_enum=False, create_constraint=True, length=40,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user_account.id"],
            name=op.f("fk_listing_revision_decided_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"],
            name=op.f("fk_listing_revision_organization_id_organization"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_listing_revision_service_id_service"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["user_account.id"],
            name=op.f("fk_listing_revision_submitted_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_revision")),
    )
    with op.batch_alter_table("listing_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listing_revision_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listing_revision_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listing_revision_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_listing_revision_submitted_at"), ["submitted_at"], unique=False)


def downgrade():
    with op.batch_alter_table("listing_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_revision_submitted_at"))
        batch_op.drop_index(batch_op.f("ix_listing_revision_status"))
        batch_op.drop_index(batch_op.f("ix_listing_revision_service_id"))
        batch_op.drop_index(batch_op.f("ix_listing_revision_organization_id"))
    op.drop_table("listing_revision")
