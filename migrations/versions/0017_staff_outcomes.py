"""referral outcomes that match practice: "did not start" outcomes, and the follow-up date for wellbeing scores

Revision ID: 0017_staffout
Revises: 0016_insights
"""
from alembic import op
import sqlalchemy as sa


revision = "0017_staffout"
down_revision = "0016_insights"
branch_labels = None
depends_on = None

OLD = ("completed", "stopped_attending", "person_declined", "moved_away", "other")
NEW = OLD + ("not_reached", "changed_mind", "not_suitable")


def _check(values):
    return "outcome IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_on", sa.Date(), nullable=True))
        batch_op.drop_constraint(op.f("ck_referral_closeoutcome"), type_="check")
        batch_op.create_check_constraint(op.f("ck_referral_closeoutcome"), _check(NEW))


def downgrade():
    op.execute("UPDATE referral SET outcome = 'other' WHERE outcome IN ('not_reached', 'changed_mind', 'not_suitable')")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_referral_closeoutcome"), type_="check")
        batch_op.create_check_constraint(op.f("ck_referral_closeoutcome"), _check(OLD))
        batch_op.drop_column("follow_up_on")
