"""referrals, their events and wellbeing scores

Revision ID: 0004_referrals
Revises: 0003_problem_reports

Personal columns are Text holding Fernet tokens (microdir/crypto.py), never plaintext.
"""
from alembic import op
import sqlalchemy as sa


revision = "0004_referrals"
down_revision = "0003_problem_reports"
branch_labels = None
depends_on = None

STATUSES = ("draft", "sent", "accepted", "declined", "expired", "first_contact", "engaged", "closed", "withdrawn")


def _status(name="referralstatus"):
    return sa.Enum(*STATUSES, name=name, native_enum=False, create_constraint=True, length=40)


def upgrade():
    op.create_table(
        "referral",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("status", _status(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("consent_given_at", sa.DateTime(), nullable=True),
        sa.Column("consent_wording_version", sa.String(length=20), nullable=True),
        sa.Column("consent_wording", sa.Text(), nullable=True),
        sa.Column("capacity_warning_seen", sa.Boolean(), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column(
            "decline_reason",
            sa.Enum("no_capacity", "not_eligible", "could_not_contact", "other", name="declinereason",
                    native_enum=False, create_constraint=True, length=40),
            nullable=True,
        ),
        sa.Column(
            "outcome",
            sa.Enum("completed", "stopped_attending", "person_declined", "moved_away", "other", name="closeoutcome",
                    native_enum=False, create_constraint=True, length=40),
            nullable=True,
        ),
        sa.Column("person_name", sa.Text(), nullable=True),
        sa.Column("contact_method", sa.Text(), nullable=True),
        sa.Column("contact_details", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Text(), nullable=True),
        sa.Column("reasons_text", sa.Text(), nullable=True),
        sa.Column("provider_notes", sa.Text(), nullable=True),
        sa.Column("safeguarding_flag", sa.Boolean(), nullable=False),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"], name=op.f("fk_referral_created_by_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], name=op.f("fk_referral_organization_id_organization"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"], name=op.f("fk_referral_service_id_service"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_referral_team_id_team"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
        sa.UniqueConstraint("reference", name=op.f("uq_referral_reference")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_sent_at"), ["sent_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_team_id"), ["team_id"], unique=False)

    op.create_table(
        "referral_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_status", _status("from_status"), nullable=True),
        sa.Column("to_status", _status("to_status"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"], name=op.f("fk_referral_event_actor_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_referral_event_referral_id_referral"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_event")),
    )
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_event_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "wellbeing_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("scale", sa.String(length=40), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"], name=op.f("fk_wellbeing_score_recorded_by_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_wellbeing_score_referral_id_referral"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wellbeing_score")),
    )
    with op.batch_alter_table("wellbeing_score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wellbeing_score_referral_id"), ["referral_id"], unique=False)


def downgrade():
    with op.batch_alter_table("wellbeing_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wellbeing_score_referral_id"))
    op.drop_table("wellbeing_score")
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_event_referral_id"))
    op.drop_table("referral_event")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        for name in ("team_id", "status", "service_id", "sent_at", "organization_id"):
            batch_op.drop_index(batch_op.f(f"ix_referral_{name}"))
    op.drop_table("referral")
