"""Signed links sent by email: one place that makes and reads them.

Each purpose has its own salt, so a link made for one job cannot be used for another. A link is single-use when
its payload carries something the action changes (an account's session epoch, a reminder's id that is marked done
once used); the caller checks that, because only the caller knows what "used" means for its purpose.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class LinkPurpose(str, Enum):
    """What a signed link is for; the value is the salt."""

    VERIFY_EMAIL = "microdir.verify-email"
    CLAIM_LISTING = "microdir.claim-listing"
    CONFIRM_LISTING = "microdir.confirm-listing"
    REFERRAL_RECEIPT = "microdir.referral-receipt"
    PASSWORD_RESET = "microdir.password-reset"
    INVITATION = "microdir.invitation"


class LinkInvalid(Exception):
    """The link was altered, made for another purpose, or is not a link at all."""


class LinkExpired(LinkInvalid):
    """The link was genuine but is older than it may be."""


def _serializer(purpose: LinkPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose.value)


def make_link_token(purpose: LinkPurpose, payload: dict[str, Any]) -> str:
    """Return a URL-safe token carrying ``payload``, signed for ``purpose``."""
    return _serializer(purpose).dumps(payload)


def read_link_token(purpose: LinkPurpose, token: str, max_age_seconds: int) -> dict[str, Any]:
    """Return the payload of a token made for ``purpose`` no more than ``max_age_seconds`` ago.

    Raises ``LinkExpired`` for a genuine but old token and ``LinkInvalid`` for anything else.
    """
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise LinkExpired(str(error)) from error
    except BadSignature as error:
        raise LinkInvalid(str(error)) from error
    if not isinstance(payload, dict):
        raise LinkInvalid("not a microdir link")
    return payload
