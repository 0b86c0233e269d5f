"""listing upkeep: stale-listing chasing, quality-check reminders, suspend/archive/purge

Revision ID: 0007_listing_upkeep
Revises: 0006_registration
"""
from alembic import op
import sqlalchemy as sa


revision = "0007_listing_upkeep"
down_revision = "0006_registration"
branch_labels = None
depends_on = None


def _enum(*values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


LISTING_STATUSES = ("draft", "pending_review", "published", "suspended", "archived")


def upgrade():
    op.create_table(
        "listing_reminder",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column(
            "stage", _enum("first_reminder", "second_reminder", "escalated", "hidden", name="chasestage"),
            nullable=False,
        ),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_listing_reminder_service_id_service"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_reminder")),
        sa.UniqueConstraint("service_id", "stage", "checked_at", name="uq_listing_reminder_period"),
    )
    with op.batch_alter_table("listing_reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listing_reminder_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listing_reminder_created_at"), ["created_at"], unique=False)

    op.create_table(
        "quality_check_notice",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("quality_check_id", sa.String(length=36), nullable=False),
        sa.Column("kind", _enum("expiry_reminder", "expired", name="qualitychecknoticekind"), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["quality_check_id"], ["quality_check.id"],
            name=op.f("fk_quality_check_notice_quality_check_id_quality_check"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_check_notice")),
        sa.UniqueConstraint("quality_check_id", "kind", "expires_on", name="uq_quality_check_notice_once"),
    )
    with op.batch_alter_table("quality_check_notice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_check_notice_quality_check_id"), ["quality_check_id"], unique=False
        )

    op.create_table(
        "listing_hold",
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("status", _enum(*LISTING_STATUSES, name="listingstatus"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_label", sa.String(length=255), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user_account.id"],
            name=op.f("fk_listing_hold_decided_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_listing_hold_service_id_service"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_listing_hold")),
    )
    with op.batch_alter_table("listing_hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listing_hold_decided_at"), ["decided_at"], unique=False)


def downgrade():
    with op.batch_alter_table("listing_hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_hold_decided_at"))
    op.drop_table("listing_hold")
    with op.batch_alter_table("quality_check_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_check_notice_quality_check_id"))
    op.drop_table("quality_check_notice")
    with op.batch_alter_table("listing_reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_reminder_created_at"))
        batch_op.drop_index(batch_op.f("ix_listing_reminder_service_id"))
    op.drop_table("listing_reminder")
