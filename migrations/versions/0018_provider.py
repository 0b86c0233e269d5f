"""provider workforce and documents: the people behind the workforce figures, and files backing quality checks

Workforce figures already stored stay as they are (the micro-provider rule keeps reading them); ``people`` is empty
for them until the provider next answers person by person. Downgrading drops the document rows, not the files under
the instance folder's ``documents/``.

Revision ID: 0018_provider
Revises: 0017_staffout
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_provider'
down_revision = '0017_staffout'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('quality_check_document',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('quality_check_id', sa.String(length=36), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['quality_check_id'], ['quality_check.id'], name=op.f('fk_quality_check_document_quality_check_id_quality_check'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_quality_check_document_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_check_document')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_quality_check_document_stored_name'))
    )
    with op.batch_alter_table('quality_check_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_check_document_quality_check_id'), ['quality_check_id'], unique=True)

    with op.batch_alter_table('micro_provider_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('people', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('micro_provider_profile', schema=None) as batch_op:
        batch_op.drop_column('people')

    with op.batch_alter_table('quality_check_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_check_document_quality_check_id'))

    op.drop_table('quality_check_document')
