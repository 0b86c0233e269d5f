"""mail encrypted: queued recipients and bodies encrypted at rest, erased once sent

Revision ID: 0013_mail_encrypted
Revises: 0012_mail_retry

Needs the app's field-encryption keys (run through `flask db upgrade`): unsent messages are encrypted in place;
sent ones keep only the anonymous record (subject, dates, attempts).
"""
from alembic import op
import sqlalchemy as sa


revision = "0013_mail_encrypted"
down_revision = "0012_mail_retry"
branch_labels = None
depends_on = None

outbound = sa.table("outbound_email", sa.column("id", sa.Integer), sa.column("to", sa.Text),
                    sa.column("body", sa.Text), sa.column("sent_at", sa.DateTime))


def upgrade():
    from microdir.crypto import encrypt

    with op.batch_alter_table("outbound_email") as batch_op:
        batch_op.alter_column("to", existing_type=sa.String(length=255), type_=sa.Text(), nullable=True)
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=True)
    bind = op.get_bind()
    bind.execute(outbound.update().where(outbound.c.sent_at.is_not(None)).values(to=None, body=None))
    for row in bind.execute(sa.select(outbound.c.id, outbound.c.to, outbound.c.body)
                            .where(outbound.c.sent_at.is_(None))).all():
        bind.execute(outbound.update().where(outbound.c.id == row.id).values(
            to=encrypt(row.to or ""), body=encrypt(row.body or "")))


def downgrade():
    from microdir.crypto import decrypt

    bind = op.get_bind()
    for row in bind.execute(sa.select(outbound.c.id, outbound.c.to, outbound.c.body)).all():
        bind.execute(outbound.update().where(outbound.c.id == row.id).values(
            to=decrypt(row.to) if row.to else "(removed after sending)",
            body=decrypt(row.body) if row.body else "(removed after sending)"))
    with op.batch_alter_table("outbound_email") as batch_op:
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("to", existing_type=sa.Text(), type_=sa.String(length=255), nullable=False)
