"""The consent words are kept as shown, but the person's name is never stored in plain text: the template keeps
"{person}" and the name comes from the encrypted field (issue 13, item 6)."""

from __future__ import annotations

import importlib.util
from typing import Any

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import text

from microdir.domain import referrals as ops
from microdir.extensions import db
from microdir.models import Referral, Role
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import PERSON_NAME, S, make_referral
from tests.test_migrations import REPO_MIGRATIONS


def _raw_wording(referral_id: str) -> str:
    return db.session.execute(text("SELECT consent_wording FROM referral WHERE id = :id"),
                              {"id": referral_id}).scalar_one()


def test_consent_is_stored_as_a_template_with_its_version_and_shown_with_the_name(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    link_worker = factories.create_user(Role.LINK_WORKER)
    referral = make_referral(S.DRAFT, team_user=link_worker)
    stored = _raw_wording(referral.id)
    assert PERSON_NAME not in stored and "Winifred" not in stored  # no name in plain text
    assert stored.startswith("{person} agreed that I can share") and referral.reference in stored
    assert referral.consent_wording_version == ops.CONSENT_WORDING_VERSION
    assert referral.consent_text.startswith(f"{PERSON_NAME} agreed that I can share")

    client_request.sign_in(link_worker)
    check = client_request.get(f"/referrals/{referral.id}/check")
    assert f"{PERSON_NAME} agreed that I can share" in check.text()


def test_the_migration_takes_the_name_out_of_existing_consent_words(app_ctx: Any) -> None:
    referral = make_referral(S.SENT)
    old_words = referral.consent_text  # as rows were stored before: the name in plain text
    db.session.execute(text("UPDATE referral SET consent_wording = :w WHERE id = :id"),
                       {"w": old_words, "id": referral.id})
    db.session.commit()
    assert PERSON_NAME in _raw_wording(referral.id)

    spec = importlib.util.spec_from_file_location("m0014", REPO_MIGRATIONS / "0014_consent_template.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    connection = db.session.connection()
    with Operations.context(MigrationContext.configure(connection)):
        module.upgrade()
    db.session.commit()

    assert _raw_wording(referral.id) == old_words.replace(PERSON_NAME, "{person}")
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).consent_text == old_words
