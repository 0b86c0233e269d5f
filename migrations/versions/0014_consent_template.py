"""consent template: the stored consent words hold "{person}", never the person's name in plain text

Revision ID: 0014_consent_template
Revises: 0013_mail_encrypted

Needs the app's field-encryption keys (run through `flask db upgrade`): each row's encrypted name is decrypted
to find it in the words and put the placeholder in its place.
"""
from alembic import op
import sqlalchemy as sa


revision = "0014_consent_template"
down_revision = "0013_mail_encrypted"
branch_labels = None
depends_on = None

referral = sa.table("referral", sa.column("id", sa.String), sa.column("person_name", sa.Text),
                    sa.column("consent_wording", sa.Text))


def upgrade():
    from microdir.crypto import decrypt
    from microdir.domain.referrals import consent_template

    bind = op.get_bind()
    rows = bind.execute(sa.select(referral.c.id, referral.c.person_name, referral.c.consent_wording)
                        .where(referral.c.consent_wording.is_not(None))).all()
    for row in rows:
        name = decrypt(row.person_name) if row.person_name else None
        template = consent_template(row.consent_wording, name)
        if template != row.consent_wording:
            bind.execute(referral.update().where(referral.c.id == row.id).values(consent_wording=template))


def downgrade():
    from microdir.crypto import decrypt

    bind = op.get_bind()
    rows = bind.execute(sa.select(referral.c.id, referral.c.person_name, referral.c.consent_wording)
                        .where(referral.c.consent_wording.contains("{person}"))).all()
    for row in rows:
        name = decrypt(row.person_name) if row.person_name else "The person"
        bind.execute(referral.update().where(referral.c.id == row.id)
                     .values(consent_wording=row.consent_wording.replace("{person}", name)))
