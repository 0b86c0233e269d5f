"""Personal fields are encrypted at rest; keys rotate without losing data."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask

from microdir import crypto
from microdir.extensions import db
from microdir.models import Referral
from microdir.referrals.keys import count_old_values
from tests.referrals.helpers import PERSON_NAME, PHONE, S, make_referral

PERSONAL = ("person_name", "contact_method", "contact_details", "date_of_birth", "reasons_text", "provider_notes")


def _raw(referral_id: str) -> dict[str, Any]:
    columns = ", ".join(PERSONAL)
    row = db.session.execute(db.text(f"SELECT {columns} FROM referral WHERE id = :id"), {"id": referral_id}).one()
    return dict(zip(PERSONAL, row, strict=True))


def test_personal_fields_are_not_stored_in_plain_text(app_ctx: Any) -> None:
    referral = make_referral(S.SENT, date_of_birth=date(1948, 3, 27))
    raw = _raw(referral.id)
    for name, value in raw.items():
        assert value is not None and value.startswith("gAAAA"), f"{name} is not a Fernet token"
    stored = " ".join(raw.values())
    for secret in (PERSON_NAME, "Winifred", PHONE, "1948-03-27", "walking frame", "husband"):
        assert secret not in stored
    db.session.expire_all()
    again = db.session.get(Referral, referral.id)
    assert (again.person_name, again.contact_details, again.date_of_birth) == (PERSON_NAME, PHONE, date(1948, 3, 27))


def test_event_notes_are_encrypted_too(app_ctx: Any) -> None:
    referral = make_referral(S.DRAFT)
    from microdir.domain import referrals as ops

    ops.transition(referral, "withdraw", actor=referral.created_by, note="Winifred moved to her daughter's",
                   expected_version=referral.version)
    db.session.commit()
    notes = db.session.execute(db.text("SELECT note FROM referral_event WHERE note IS NOT NULL")).scalars().all()
    assert len(notes) == 1 and "Winifred" not in notes[0]


def test_keys_rotate_without_losing_data(app: Any, cli_runner: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    saved = app.config.get("FIELD_ENCRYPTION_KEYS")
    try:
        with app.app_context():
            app.config["FIELD_ENCRYPTION_KEYS"] = [old]
            referral = make_referral(S.SENT)
            rid = referral.id
            before = _raw(rid)

            # Step 1: new key first, old key still there; old rows read fine.
            app.config["FIELD_ENCRYPTION_KEYS"] = [new, old]
            db.session.expire_all()
            assert db.session.get(Referral, rid).person_name == PERSON_NAME
            assert count_old_values() == len(PERSONAL) - 1  # date of birth was not given
            db.session.remove()

        # Step 2: re-encrypt everything under the new key.
        result = cli_runner.invoke(args=["referrals", "rotate-keys"])
        assert result.exit_code == 0, result.output
        assert "Re-encrypted 5 values" in result.output
        assert cli_runner.invoke(args=["referrals", "rotate-keys", "--check"]).output.strip() == "0 values left under old keys"
        assert "Re-encrypted 0 values" in cli_runner.invoke(args=["referrals", "rotate-keys"]).output  # idempotent

        with app.app_context():
            after = _raw(rid)
            assert all(after[n] != before[n] for n in PERSONAL if before[n] is not None)
            # Step 3: drop the old key; everything still reads.
            app.config["FIELD_ENCRYPTION_KEYS"] = [new]
            stored = db.session.get(Referral, rid)
            assert (stored.person_name, stored.contact_details, stored.version) == (PERSON_NAME, PHONE, referral_version(stored))
            db.session.remove()
            # And the old key alone can no longer read it: the data really moved.
            app.config["FIELD_ENCRYPTION_KEYS"] = [old]
            with pytest.raises(crypto.DecryptionFailed):
                db.session.get(Referral, rid).person_name  # noqa: B018
            db.session.remove()
    finally:
        app.config["FIELD_ENCRYPTION_KEYS"] = saved


def referral_version(referral: Referral) -> int:
    return referral.version  # rotation is SQL-level: it does not bump the version people are working from


def test_production_refuses_to_start_without_keys() -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="x", FIELD_ENCRYPTION_KEYS=[], FIELD_ENCRYPTION_KEYS_REQUIRED=True)
    with pytest.raises(crypto.EncryptionNotConfigured, match="FIELD_ENCRYPTION_KEYS"):
        crypto.check_configuration(app)
    app.config["FIELD_ENCRYPTION_KEYS"] = "not-a-key"
    with pytest.raises(crypto.EncryptionNotConfigured, match="not a Fernet key"):
        crypto.check_configuration(app)
    app.config["FIELD_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()  # a single key as a plain string works
    crypto.check_configuration(app)


def test_development_key_is_derived_from_the_secret_key() -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="one", FIELD_ENCRYPTION_KEYS=[])
    assert crypto.keys_for(app) == [crypto.development_key("one")]
    assert crypto.development_key("one") != crypto.development_key("two")
