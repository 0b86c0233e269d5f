"""The words pages and emails share: dates and times the GOV.UK way, money, and the labels of listing and
referral states.

One home for each phrase, so a resident's page, a provider's email and a moderator's screen say the same thing.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from .models import CapacityStatus, CloseOutcome, ContactMethod, DeclineReason, ListingStatus, ReferralStatus

# ---- dates, times, money ------------------------------------------------------------------------------------------


def format_date(day: date | datetime) -> str:
    """Return a date the GOV.UK way: "3 March 2026"."""
    return f"{day.day} {day:%B %Y}"


def format_day_date(day: date | datetime) -> str:
    """Return a date with its weekday: "Tuesday 3 March 2026"."""
    return f"{day:%A} {format_date(day)}"


def format_time(moment: time) -> str:
    """Return a time the GOV.UK way: "10am", "10:30am", "midday", "midnight"."""
    if moment.hour == 12 and moment.minute == 0:
        return "midday"
    if moment.hour == 0 and moment.minute == 0:
        return "midnight"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def session_in_words(moment: datetime) -> str:
    """Return "Tuesday 3 March 2026 at 10am"; midnight means no time was given."""
    if moment.time() == time(0, 0):
        return format_day_date(moment.date())
    return f"{format_day_date(moment.date())} at {format_time(moment.time())}"


def join_words(words: list[str]) -> str:
    """Return "a", "a and b", "a, b and c"."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def in_sentence(label: str) -> str:
    """Return a label as it reads mid-sentence: "Public liability insurance" -> "public liability insurance", while
    "DBS check" and "CQC or Ofsted registration" keep their capitals."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def plain_number(value: Decimal | float | int) -> str:
    """Return a number as a person writes it: 1.50 as "1.5", 37.50 as "37.5", 2.00 as "2"."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def format_money(amount: Decimal | float | int) -> str:
    """Return "£3" or "£3.50"."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    return f"£{value:,.0f}" if value == value.to_integral_value() else f"£{value:,.2f}"


# ---- labels -------------------------------------------------------------------------------------------------------

CAPACITY_LABELS: dict[CapacityStatus, str] = {
    CapacityStatus.TAKING_NEW_PEOPLE: "Taking new people",
    CapacityStatus.WAITING_LIST: "Waiting list",
    CapacityStatus.FULL: "Full",
}

# GOV.UK tag colours for the capacity tag residents see on results and listings.
CAPACITY_TAG_CLASSES: dict[CapacityStatus, str] = {
    CapacityStatus.TAKING_NEW_PEOPLE: "govuk-tag--green",
    CapacityStatus.WAITING_LIST: "govuk-tag--yellow",
    CapacityStatus.FULL: "govuk-tag--red",
}

LISTING_STATUS_LABELS: dict[ListingStatus, str] = {
    ListingStatus.DRAFT: "Draft",
    ListingStatus.PENDING_REVIEW: "Pending review",
    ListingStatus.PUBLISHED: "Published",
    ListingStatus.SUSPENDED: "Suspended",
    ListingStatus.ARCHIVED: "Archived",
}

LISTING_STATUS_TAGS: dict[ListingStatus, str] = {
    ListingStatus.DRAFT: "govuk-tag--grey",
    ListingStatus.PENDING_REVIEW: "govuk-tag--blue",
    ListingStatus.PUBLISHED: "govuk-tag--green",
    ListingStatus.SUSPENDED: "govuk-tag--red",
    ListingStatus.ARCHIVED: "govuk-tag--grey",
}

# How a result reaches the resident when no distance applies (search hit modes).
MODE_LABELS: dict[str, str] = {
    "comes_to_you": "Comes to you",
    "remote": "By phone or online",
    "area": "Covers your area",
}

REFERRAL_STATUS_LABELS: dict[ReferralStatus, str] = {
    ReferralStatus.DRAFT: "Draft",
    ReferralStatus.SENT: "Sent",
    ReferralStatus.ACCEPTED: "Accepted",
    ReferralStatus.DECLINED: "Declined",
    ReferralStatus.EXPIRED: "Expired",
    ReferralStatus.FIRST_CONTACT: "First contact made",
    ReferralStatus.ENGAGED: "Taking part",
    ReferralStatus.CLOSED: "Closed",
    ReferralStatus.WITHDRAWN: "Withdrawn",
}

# GOV.UK tag colours for a referral's status on caseloads, the inbox and timelines.
REFERRAL_STATUS_TAGS: dict[ReferralStatus, str] = {
    ReferralStatus.DRAFT: "govuk-tag--grey",
    ReferralStatus.SENT: "govuk-tag--blue",
    ReferralStatus.ACCEPTED: "govuk-tag--turquoise",
    ReferralStatus.DECLINED: "govuk-tag--red",
    ReferralStatus.EXPIRED: "govuk-tag--orange",
    ReferralStatus.FIRST_CONTACT: "govuk-tag--light-blue",
    ReferralStatus.ENGAGED: "govuk-tag--green",
    ReferralStatus.CLOSED: "govuk-tag--grey",
    ReferralStatus.WITHDRAWN: "govuk-tag--grey",
}

DECLINE_REASON_LABELS: dict[DeclineReason, str] = {
    DeclineReason.NO_CAPACITY: "We have no space at the moment",
    DeclineReason.NOT_ELIGIBLE: "The person is not eligible for this service",
    DeclineReason.COULD_NOT_CONTACT: "We could not contact the person",
    DeclineReason.OTHER: "Another reason",
}

CLOSE_OUTCOME_LABELS: dict[CloseOutcome, str] = {
    CloseOutcome.COMPLETED: "Completed",
    CloseOutcome.STOPPED_ATTENDING: "Stopped attending",
    CloseOutcome.PERSON_DECLINED: "The person decided not to take part",
    CloseOutcome.MOVED_AWAY: "Moved away",
    CloseOutcome.OTHER: "Another outcome",
    CloseOutcome.NOT_REACHED: "Did not start: the person could not be reached",
    CloseOutcome.CHANGED_MIND: "Did not start: the person changed their mind",
    CloseOutcome.NOT_SUITABLE: "Did not start: the service was not suitable for them",
}

CONTACT_METHOD_LABELS: dict[ContactMethod, str] = {
    ContactMethod.PHONE: "Phone",
    ContactMethod.EMAIL: "Email",
    ContactMethod.LETTER: "Letter",
    ContactMethod.THROUGH_LINK_WORKER: "Through their link worker",
}
