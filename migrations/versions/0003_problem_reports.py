"""problem reports from residents

Revision ID: 0003_problem_reports
Revises: 0002_search
"""
from alembic import op
import sqlalchemy as sa


revision = "0003_problem_reports"
down_revision = "0002_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "problem_report",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "closed", name="reportstatus", native_enum=False, create_constraint=True, length=40),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["user_account.id"],
            name=op.f("fk_problem_report_closed_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_problem_report_service_id_service"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_report")),
    )
    with op.batch_alter_table("problem_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_report_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_problem_report_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_problem_report_status"), ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("problem_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_report_status"))
        batch_op.drop_index(batch_op.f("ix_problem_report_service_id"))
        batch_op.drop_index(batch_op.f("ix_problem_report_created_at"))
    op.drop_table("problem_report")
