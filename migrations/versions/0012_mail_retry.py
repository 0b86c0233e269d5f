"""mail retry: the delivery job backs off between tries of a message

Revision ID: 0012_mail_retry
Revises: 0011_secauth
"""
from alembic import op
import sqlalchemy as sa


revision = "0012_mail_retry"
down_revision = "0011_secauth"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbound_email") as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbound_email_next_attempt_at"), ["next_attempt_at"], unique=False)


def downgrade():
    with op.batch_alter_table("outbound_email") as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_email_next_attempt_at"))
        batch_op.drop_column("next_attempt_at")
