"""Signed links: a link works for its own purpose only, and not after it has expired."""

import pytest
import time_machine

from microdir.signed_links import LinkExpired, LinkInvalid, LinkPurpose, make_link_token, read_link_token


def test_a_link_carries_its_payload_for_its_own_purpose(app_ctx):
    token = make_link_token(LinkPurpose.CONFIRM_LISTING, {"reminder": 7})
    assert read_link_token(LinkPurpose.CONFIRM_LISTING, token, 60) == {"reminder": 7}


def test_a_link_made_for_one_purpose_is_refused_for_another(app_ctx):
    token = make_link_token(LinkPurpose.CONFIRM_LISTING, {"reminder": 7})
    with pytest.raises(LinkInvalid):
        read_link_token(LinkPurpose.CLAIM_LISTING, token, 60)


def test_an_altered_link_is_refused(app_ctx):
    token = make_link_token(LinkPurpose.VERIFY_EMAIL, {"email": "a@example.com"})
    with pytest.raises(LinkInvalid):
        read_link_token(LinkPurpose.VERIFY_EMAIL, token[:-2] + "xx", 60)


def test_an_old_link_has_expired(app_ctx):
    with time_machine.travel("2026-01-01 09:00", tick=False):
        token = make_link_token(LinkPurpose.VERIFY_EMAIL, {"email": "a@example.com"})
    with time_machine.travel("2026-01-02 09:00:01", tick=False), pytest.raises(LinkExpired):
        read_link_token(LinkPurpose.VERIFY_EMAIL, token, 24 * 3600)
