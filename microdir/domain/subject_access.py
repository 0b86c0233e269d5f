"""The printable subject access page in plain words. The JSON export keeps the machine values (ISO dates,
codes); this turns one exported record into what a person reads: dates in words, labels, questions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from . import outcomes

NOT_RECORDED = "Not recorded"
BY = {"team": "the link worker’s team", "provider": "the provider", "system": "automatically",
      "person": "the person themself"}
STAGES = {"referral": "when referred", "follow_up": "at follow-up", "close": "when the referral closed"}
REMINDERS = {"provider_reminder": "The provider was reminded to reply",
             "link_worker_unanswered": "The link worker was told the provider had not replied"}


def words_date(value: str | None) -> str:
    """"1948-03-27" -> "27 March 1948"; "2026-12-02T20:07:17.194140" -> "2 December 2026 at 8:07pm"."""
    if not value:
        return NOT_RECORDED
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    day = f"{moment.day} {moment.strftime('%B %Y')}"
    if len(value) <= 10:  # a date without a time
        return day
    hour = moment.hour % 12 or 12
    return f"{day} at {hour}:{moment.minute:02d}{'am' if moment.hour < 12 else 'pm'}"


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return NOT_RECORDED
    return str(value)


def _scale_name(code: str) -> tuple[str, Mapping[str, str]]:
    try:
        scale = outcomes.get_scale(code)
    except KeyError:
        return code, {}
    return scale.name, {item.code: item.question for item in scale.items}


def printable(record: Mapping[str, Any], need_names: Mapping[str, str]) -> dict[str, Any]:
    """Return one exported referral in plain words, for the printable page."""
    consent = record.get("consent") or {}
    rows = [
        ("Status", _text(record.get("status"))),
        ("Service", _text(record.get("service"))),
        ("Organisation", _text(record.get("organisation"))),
        ("Referred by", _text(record.get("referring_team"))),
        ("Started", words_date(record.get("created"))),
        ("Sent", words_date(record.get("sent")) if record.get("sent") else "Not sent"),
        ("Answered", words_date(record.get("answered")) if record.get("answered") else "Not answered"),
        ("Ended", words_date(record.get("ended")) if record.get("ended") else "Not ended"),
        ("Declined because", _text(record.get("decline_reason"))),
        ("Outcome", _text(record.get("outcome"))),
        ("Personal details removed", words_date(record.get("personal_details_removed"))
         if record.get("personal_details_removed") else "No"),
        ("Name", _text(record.get("name"))),
        ("How to contact them", _text(record.get("contact_method"))),
        ("Contact details", _text(record.get("contact_details"))),
        ("Date of birth", words_date(record.get("date_of_birth"))),
        ("What matters to them", ", ".join(need_names.get(code, code.replace("-", " ").capitalize())
                                          for code in record.get("what_matters") or []) or NOT_RECORDED),
        ("In their own words", _text(record.get("in_their_own_words"))),
        ("For the provider", _text(record.get("for_the_provider"))),
        ("Safeguarding concern flagged", "Yes" if record.get("safeguarding_concern_flagged") else "No"),
        ("Consent", (consent.get("wording") or "Not recorded")
         + (f" (agreed on {words_date(consent['given'])}, wording version {consent.get('wording_version')})"
            if consent.get("given") else "")),
        ("Receipt text message", _text(record.get("receipt_text_message"))),
    ]
    wellbeing = []
    for score in record.get("wellbeing") or []:
        name, questions = _scale_name(score.get("scale", ""))
        answers = [f"{questions.get(code, code)}: {value}" for code, value in (score.get("answers") or {}).items()]
        wellbeing.append({"heading": f"{name}, {STAGES.get(score.get('stage'), score.get('stage'))} "
                                     f"({words_date(score.get('recorded'))})", "answers": answers})
    history = [f"{words_date(e.get('when'))}: {e.get('what')}, by {BY.get(e.get('by'), e.get('by'))}"
               + (f". Note: {e['note']}" if e.get("note") else "") for e in record.get("history") or []]
    reminders = [f"{words_date(n.get('sent'))}: {REMINDERS.get(n.get('kind'), n.get('kind'))}"
                 for n in record.get("reminders") or []]
    return {"reference": record.get("reference"), "rows": rows, "wellbeing": wellbeing, "history": history,
            "reminders": reminders}


def exported_on(value: str) -> str:
    return words_date(value)


__all__ = ["exported_on", "printable", "words_date"]
