"""UK phone numbers: the one place that parses, validates and formats them (with phonenumbers)."""

from __future__ import annotations

import phonenumbers


class PhoneError(ValueError):
    """Not a phone number we can call."""


def parse_phone(text: str) -> str:
    """Return a UK (or international) phone number as E.164, or raise PhoneError."""
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException as error:
        raise PhoneError(text) from error
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_number(e164: str | None) -> str:
    """Show a stored number the way people in the UK write it ("0121 496 0711"); "" for none."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "GB"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164
