"""Refuse common and guessable passwords, offline.

The lists are zxcvbn's (the pinned ``zxcvbn`` package, from Dropbox's password-strength estimator): 30,000 of the
most common passwords from breach corpora, plus English words, names and surnames, matched with the variations
attackers try first (repeats such as "passwordpassword", l33t, keyboard walks, dates, reversal). Nothing is sent
anywhere. Following NCSC guidance there are no composition rules: a long password that is not on the lists and
not built from them is accepted, and what the person typed is never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

# zxcvbn score 3 = "safely unguessable: moderate protection from an offline slow-hash scenario" (about 10^8 guesses
# or more). Scores 0-2 are a common password or one built from common parts.
MIN_SCORE = 3
# zxcvbn's matching grows faster than linearly with length; past this, length alone makes a password strong.
CHECKED_LENGTH = 100

COMMON = "Your password is one of the most common passwords, so it is easy to guess. Choose another."
GUESSABLE = (
    "Your password is too easy to guess: it is built from a common password, word, name or pattern. "
    "A few unrelated words together make a strong password."
)
PERSONAL = "Your password must not contain your name or email address"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Return the bundled list of common and breached passwords, in lower case."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def weakness(password: str, personal: Sequence[str] = ()) -> str | None:
    """Return why ``password`` is too weak, in words for the person, or None when it is fine."""
    if password.lower() in common_passwords():
        return COMMON
    inputs = [part for value in personal if value for part in _personal_parts(value)]
    result = zxcvbn(password[:CHECKED_LENGTH], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return None
    if any(match.get("dictionary_name") == "user_inputs" for match in result["sequence"]):
        return PERSONAL
    return GUESSABLE


def _personal_parts(value: str) -> list[str]:
    """Split a name or email address into the pieces someone might build a password from."""
    pieces = [value.lower()]
    for separator in ("@", ".", " ", "-", "_"):
        pieces = [part for piece in pieces for part in piece.split(separator)]
    return [value.lower(), *[piece for piece in pieces if len(piece) >= 3]]
