"""Providers' forms, in GOV.UK voice. Each form turns what was typed into the data its operation takes."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from .. import documents
from ..domain.listing_edits import (
    COST_LABELS,
    HOW_TO_JOIN_MAX,
    LANGUAGES,
    SECTION_FIELDS,
    TERM_LISTS,
    EditError,
    ListingData,
    council_label,
    find_council,
    language_label,
    parse_website,
    venue_text,
)
from ..domain.provider_profiles import Person, Workforce
from ..domain.schedules import DAY_NAMES, SCHEDULE_KINDS, WEEKDAY_CODES, WEEKS_OF_MONTH, parse_time_text, time_words
from ..forms import (
    EMAIL_ERROR,
    PHONE_ERROR,
    BaseForm,
    DecimalTextField,
    OptionalDateField,
    RowForm,
    WholeNumberField,
    choices,
    submit_button,
)
from ..geo import GazetteerUnavailable, PostcodeError, geocode_postcode, outcode_centroid, parse_outcode, parse_postcode
from ..models import (
    ACCESSIBILITY_FEATURES,
    LEGAL_FORM_LABELS,
    QUALITY_CHECK_LABELS,
    CapacityStatus,
    CostType,
    LegalForm,
    QualityCheckType,
)
from ..phones import PhoneError, national_number, parse_phone
from ..wording import CAPACITY_LABELS

MAX_ROWS = 20  # sessions or venues on one listing
MAX_WEEKLY_HOURS = Decimal("100")  # a person's usual hours in a week


class ListingForm(BaseForm):
    """The core fields of a listing. Hidden fields carry what the form was filled from, to notice others' edits."""

    version = HiddenField()
    revision_id = HiddenField()
    base = HiddenField()

    name = StringField(
        "Name of the service", widget=GovTextInput(),
        validators=[DataRequired("Enter the name of the service"),
                    Length(max=255, message="Name must be 255 characters or fewer")],
    )
    description = TextAreaField(
        "Describe what you offer", widget=GovTextArea(),
        validators=[DataRequired("Enter a description of what you offer"),
                    Length(max=5000, message="Description must be 5,000 characters or fewer")],
    )
    eligibility_description = TextAreaField(
        "Who it is for (optional)", widget=GovTextArea(),
        validators=[Optional(), Length(max=2000, message="Who it is for must be 2,000 characters or fewer")],
    )
    minimum_age = WholeNumberField("Youngest age (optional)", message="Youngest age must be a whole number from 0 to 120", maximum=120)
    maximum_age = WholeNumberField("Oldest age (optional)", message="Oldest age must be a whole number from 0 to 120", maximum=120)
    capacity_status = RadioField(
        "Are you taking new people?", widget=GovRadioInput(),
        choices=choices([(c.value, CAPACITY_LABELS[c]) for c in CapacityStatus]),
        validators=[InputRequired("Select whether you are taking new people")],
    )
    capacity_places = WholeNumberField("Places (optional)", message="Places must be a whole number, like 6")
    email = StringField(
        "Email address (optional)", widget=GovTextInput(),
        validators=[Optional(), Length(max=255, message="Email address must be 255 characters or fewer")],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    phone = StringField(
        "Phone number (optional)", widget=GovTextInput(), validators=[Optional()],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    costs = SelectMultipleField(
        "What does it cost?", widget=GovCheckboxesInput(),
        choices=choices([(c.value, COST_LABELS[c]) for c in CostType]),
        validators=[InputRequired("Select what it costs")],
    )
    fixed_amount = DecimalTextField("Fixed price, in pounds", message="Fixed price must be an amount in pounds, like 5 or 12.50")
    submit = submit_button("Save")

    def validate_email(self, field: Any) -> None:
        try:
            field.data = validate_email(field.data, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise ValidationError(EMAIL_ERROR) from error

    def validate_phone(self, field: Any) -> None:
        try:
            self.phone_e164 = parse_phone(field.data)
        except PhoneError as error:
            raise ValidationError(PHONE_ERROR) from error

    def validate_maximum_age(self, field: Any) -> None:
        low, high = self.minimum_age.number, field.number
        if low is not None and high is not None and high < low:
            raise ValidationError("Oldest age must be the same as or more than the youngest age")

    def validate_fixed_amount(self, field: Any) -> None:
        fixed = CostType.FIXED.value in (self.costs.data or [])
        if fixed and field.number is None and not field.errors:
            raise ValidationError("Enter the fixed price, like 5 or 12.50")
        if fixed and field.number == 0:
            raise ValidationError("Fixed price must be more than £0. If it costs nothing, select Free")

    def validate_costs(self, field: Any) -> None:
        if CostType.FREE.value in (field.data or []) and len(field.data) > 1:
            raise ValidationError("Select Free on its own, or the ways people pay")

    def fill(self, data: ListingData) -> None:
        """Fill the fields from a snapshot (on GET)."""
        self.name.data = data["name"]
        self.description.data = data["description"]
        self.eligibility_description.data = data["eligibility_description"]
        self.minimum_age.data = "" if data["minimum_age"] is None else str(data["minimum_age"])
        self.maximum_age.data = "" if data["maximum_age"] is None else str(data["maximum_age"])
        self.capacity_status.data = data["capacity_status"]
        self.capacity_places.data = "" if data["capacity_places"] is None else str(data["capacity_places"])
        self.email.data = data["email"] or ""
        self.phone.data = _national(data["phone"])
        self.costs.data = [c["type"] for c in data["costs"]]
        fixed = next((c for c in data["costs"] if c["type"] == CostType.FIXED.value), None)
        self.fixed_amount.data = fixed["amount"] if fixed and fixed["amount"] else ""

    def listing_data(self) -> ListingData:
        """Return what was typed as a snapshot (after validation)."""
        costs = [
            {"type": kind, "amount": f"{self.fixed_amount.number:.2f}" if kind == CostType.FIXED.value else None}
            for kind in self.costs.data or []
        ]
        return {
            "name": self.name.data,
            "description": self.description.data,
            "eligibility_description": self.eligibility_description.data or "",
            "minimum_age": self.minimum_age.number,
            "maximum_age": self.maximum_age.number,
            "capacity_status": self.capacity_status.data,
            "capacity_places": self.capacity_places.number,
            "email": self.email.data or None,
            "phone": getattr(self, "phone_e164", None) if self.phone.data else None,
            "costs": costs,
        }

    def expected_version(self) -> int:
        try:
            return int(self.version.data or "")
        except ValueError:
            return -1  # never matches: treated as "changed by someone else"


_national = national_number


class VersionForm(BaseForm):
    """A button that acts on the listing as the person saw it (its fingerprint; the version for older pages)."""

    version = HiddenField()
    fingerprint = HiddenField()

    def expected_version(self) -> int:
        try:
            return int(self.version.data or "")
        except ValueError:
            return -1


MAX_PEOPLE = 60  # rows on the workforce page; a micro-provider with many volunteers fits
BLANK_PEOPLE_ROWS = 3  # rows shown to someone answering for the first time
HOURS_HINT = "like 12 or 7.5"


class PersonRowForm(RowForm):
    """One person: paid or unpaid, and their usual weekly hours. No names."""

    paid = RadioField("Paid or unpaid", widget=GovRadioInput(), validate_choice=False,
                      choices=choices([("paid", "Paid"), ("unpaid", "Unpaid, for example a volunteer")]))
    hours = StringField("Usual hours a week", widget=GovTextInput(),
                        render_kw={"inputmode": "decimal", "spellcheck": "false"})

    def is_blank(self) -> bool:
        return not ((self.hours.data or "").strip() or self.paid.data)

    def check(self, number: int) -> Decimal | None:
        """Put a message naming person ``number`` on each bad answer; return the hours when the row is good."""
        hours = None
        text = (self.hours.data or "").strip()
        if self.paid.data not in ("paid", "unpaid"):
            self.paid.errors = [f"Select whether person {number} is paid or unpaid"]
        if not text:
            self.hours.errors = [f"Enter the hours person {number} usually works in a week, {HOURS_HINT}"]
            return None
        try:
            hours = Decimal(text)
        except InvalidOperation:
            hours = None
        exponent = hours.as_tuple().exponent if hours is not None else None
        if hours is None or not hours.is_finite() or not isinstance(exponent, int) or -exponent > 2 \
                or not Decimal("0") < hours <= MAX_WEEKLY_HOURS:
            self.hours.errors = [f"Hours for person {number} must be a number more than 0 and no more than "
                                 f"{MAX_WEEKLY_HOURS}, {HOURS_HINT}"]
            return None
        return hours if not self.paid.errors else None

    def fill(self, person: Person) -> None:
        self.paid.data = "paid" if person.paid else "unpaid"
        self.hours.data = format(person.hours.normalize(), "f") if person.hours > 0 else ""


def _people_field() -> Any:
    return FieldList(FormField(PersonRowForm), min_entries=BLANK_PEOPLE_ROWS, max_entries=MAX_PEOPLE)


class PeopleForm(BaseForm):
    """Who works for the organisation, one row per person (GOV.UK "add another", without JavaScript)."""

    people = _people_field()
    submit = submit_button("Save")

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            # Repeated rows take no filters themselves; their own fields strip spaces (see RowForm).
            if unbound_field.field_class in (FieldList, FormField):
                return unbound_field.bind(form=form, **options)
            return BaseForm.Meta.bind_field(self, form, unbound_field, options)  # type: ignore[arg-type]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        self.checked_people: list[Person] = []
        rows = [entry.form for entry in self.people.entries]
        for number, row in enumerate(rows, start=1):
            row.hours.errors, row.paid.errors = [], []
            if row.is_blank():
                continue
            hours = row.check(number)
            if hours is not None:
                self.checked_people.append(Person(paid=row.paid.data == "paid", hours=hours))
        if not any(not row.is_blank() for row in rows) and rows:
            rows[0].hours.errors = ["Enter the usual weekly hours of at least one person, counting yourself"]
        for row in rows:
            row._errors = None  # wtforms caches a form's errors; the messages above were set after it did
        self.people.errors = [row.errors for row in rows]
        self._errors = None
        return ok and not any(self.people.errors)

    def fill_people(self, people: list[Person]) -> None:
        """Show the people as last given (on GET), with a blank row to add one more when there is room."""
        while len(self.people.entries) < min(len(people) + 1, MAX_PEOPLE):
            self.people.append_entry()
        for entry, person in zip(self.people.entries, people, strict=False):
            entry.form.fill(person)

    def people_answers(self) -> tuple[Person, ...]:
        return tuple(getattr(self, "checked_people", []))


class WorkforceForm(PeopleForm):
    """The whole workforce page under "Your listings": kind of organisation, its people, and independence."""

    legal_form = RadioField(
        "What kind of organisation are you?", widget=GovRadioInput(),
        choices=choices([(f.value, LEGAL_FORM_LABELS[f]) for f in LegalForm]),
        validators=[InputRequired("Select what kind of organisation you are")],
    )
    people = _people_field()  # made again here, so errors are listed in the order the page asks
    independent = RadioField(
        "Are you independent of any larger or parent organisation?", widget=GovRadioInput(),
        choices=choices([("yes", "Yes, we are independent"), ("no", "No, we are part of or run by a larger organisation")]),
        validators=[InputRequired("Select whether you are independent of any larger organisation")],
    )
    parent_body = StringField(
        "If not, which organisation? (optional)", widget=GovTextInput(),
        validators=[Optional(), Length(max=255, message="Organisation name must be 255 characters or fewer")],
    )
    submit = submit_button("Save")

    def fill(self, profile: Any) -> None:
        if profile is None:
            return
        self.legal_form.data = profile.legal_form.value
        self.independent.data = "yes" if profile.independent else "no"
        self.parent_body.data = profile.parent_body or ""

    def answers(self) -> Workforce:
        return Workforce(
            legal_form=LegalForm(self.legal_form.data),
            people=self.people_answers(),
            independent=self.independent.data == "yes",
            parent_body=self.parent_body.data or None,
        )


class NewServiceForm(BaseForm):
    name = StringField(
        "What is the service called?", widget=GovTextInput(),
        validators=[DataRequired("Enter the name of the service"),
                    Length(max=255, message="Name must be 255 characters or fewer")],
    )
    submit = submit_button("Continue")


class QualityCheckForm(BaseForm):
    check_type = RadioField(
        "What kind of check?", widget=GovRadioInput(),
        choices=choices([(t.value, QUALITY_CHECK_LABELS[t]) for t in QualityCheckType]),
        validators=[InputRequired("Select what kind of check it is")],
    )
    reference = StringField(
        "Certificate, policy or registration number", widget=GovTextInput(),
        validators=[DataRequired("Enter the certificate, policy or registration number"),
                    Length(max=255, message="Number must be 255 characters or fewer")],
    )
    description = StringField(
        "Details (optional)", widget=GovTextInput(),
        validators=[Optional(), Length(max=500, message="Details must be 500 characters or fewer")],
    )
    cover_amount = DecimalTextField(
        "Insurance cover, in pounds (public liability insurance only)",
        message="Insurance cover must be an amount in pounds, like 5000000", maximum=Decimal("9999999999"),
    )
    expires_on = OptionalDateField("Expiry date (optional)", widget=GovDateInput(), validators=[Optional()],
                                   message="Expiry date must be a real date, for example 27 3 2027")
    submit = submit_button("Save check")

    def validate_cover_amount(self, field: Any) -> None:
        if self.check_type.data == QualityCheckType.PUBLIC_LIABILITY.value and field.number is None and not field.errors:
            raise ValidationError("Enter how much your public liability insurance covers, like 5000000")


class DocumentForm(BaseForm):
    file = FileField("Upload a file", widget=GovFileInput(), validators=[FileRequired(documents.NO_FILE)])
    submit = submit_button("Upload document")


# ---- the listing editor's sections ------------------------------------------------------------------------------
# Each section form edits only its own fields (listing_edits.SECTION_FIELDS) and carries the same hidden markers
# as ListingForm, so a save made meanwhile by someone else is noticed the same way.

TIME_ERROR_HINT = "like 10am, 2:30pm or 14:30"


class ScheduleRowForm(RowForm):
    kind = RadioField(
        "How often does it run?", widget=GovRadioInput(), validate_choice=False,
        choices=choices(list(SCHEDULE_KINDS.items())),
    )
    weekday = SelectField(
        "Day of the week", widget=GovSelect(), validate_choice=False,
        choices=choices([("", "Choose a day")] + [(code, DAY_NAMES[code]) for code in WEEKDAY_CODES]),
    )
    week = SelectField(
        "Which week of the month (for once a month)", widget=GovSelect(), validate_choice=False,
        choices=choices([("", "Choose a week")] + [(str(n), label) for n, label in WEEKS_OF_MONTH.items()]),
    )
    date = OptionalDateField("Date (for one date only, or the date of one session if every other week)",
                            widget=GovDateInput(), validators=[Optional()])
    opens_at = StringField("Start time", widget=GovTextInput())
    closes_at = StringField("End time (optional)", widget=GovTextInput())
    term_time_only = BooleanField("Term time only", widget=GovCheckboxInput())

    def is_blank(self) -> bool:
        return not (self.kind.data or self.weekday.data or self.week.data or self.date.data or self.opens_at.data
                    or self.closes_at.data or self.term_time_only.data or any(self.date.raw_data or []))

    def validate(self, extra_validators: Any = None) -> bool:
        if self.is_blank():
            return super().validate(extra_validators)  # an empty row is ignored
        ok = super().validate(extra_validators)
        kind = self.kind.data
        if kind not in SCHEDULE_KINDS:
            self.kind.errors.append("Select how often it runs")
            return False
        if kind in ("weekly", "monthly") and not self.weekday.data:
            self.weekday.errors.append("Select the day it runs")
        if kind == "monthly" and not self.week.data:
            self.week.errors.append("Select which week of the month it runs, like the second")
        if kind in ("fortnightly", "one_off") and self.date.data is None and not self.date.errors:
            self.date.errors.append("Enter the date of one session, for example 27 3 2027" if kind == "fortnightly"
                                    else "Enter the date it runs, for example 27 3 2027")
        if kind == "fortnightly" and self.date.data is not None and self.weekday.data and \
                WEEKDAY_CODES[self.date.data.weekday()] != self.weekday.data:
            self.date.errors.append(f"The date must be a {DAY_NAMES[self.weekday.data]}")
        starts = ends = None
        try:
            starts = parse_time_text(self.opens_at.data) if self.opens_at.data else None
            if starts is None:
                self.opens_at.errors.append(f"Enter the start time, {TIME_ERROR_HINT}")
        except ValueError:
            self.opens_at.errors.append(f"Start time must be a time, {TIME_ERROR_HINT}")
        try:
            ends = parse_time_text(self.closes_at.data) if self.closes_at.data else None
        except ValueError:
            self.closes_at.errors.append(f"End time must be a time, {TIME_ERROR_HINT}")
        if starts and ends and ends <= starts:
            self.closes_at.errors.append("End time must be after the start time")
        return ok and not self.errors

    def fill(self, row: dict[str, Any]) -> None:
        self.kind.data = row["kind"]
        self.weekday.data = row.get("weekday") or ""
        self.week.data = "" if row.get("week") is None else str(row["week"])
        self.date.data = date.fromisoformat(row["date"]) if row.get("date") else None
        self.opens_at.data = time_words(row.get("opens_at"))
        self.closes_at.data = time_words(row.get("closes_at"))
        self.term_time_only.data = bool(row.get("term_time_only"))

    def row(self) -> dict[str, Any]:
        kind = self.kind.data
        weekday = self.weekday.data or None
        if kind == "fortnightly" and self.date.data is not None:
            weekday = WEEKDAY_CODES[self.date.data.weekday()]
        return {
            "kind": kind,
            "weekday": None if kind == "one_off" else weekday,
            "week": int(self.week.data) if kind == "monthly" else None,
            "date": self.date.data.isoformat() if kind in ("fortnightly", "one_off") and self.date.data else None,
            "opens_at": parse_time_text(self.opens_at.data),
            "closes_at": parse_time_text(self.closes_at.data) if self.closes_at.data else None,
            "term_time_only": bool(self.term_time_only.data),
        }


def _geocoded(postcode_text: str) -> Any:
    """Check a postcode against the offline gazetteer; raise ValidationError in the person's words."""
    try:
        postcode = parse_postcode(postcode_text)
        found = geocode_postcode(postcode)
    except PostcodeError as error:
        raise ValidationError(error.message) from error
    except GazetteerUnavailable as error:
        raise ValidationError("We cannot check postcodes at the moment. Try again later") from error
    if found is None:
        raise ValidationError(f"We could not find the postcode {postcode}. Check it and enter it again")
    return found


class VenueRowForm(RowForm):
    name = StringField("Name of the venue (optional)", widget=GovTextInput(),
                       validators=[Optional(), Length(max=255, message="Venue name must be 255 characters or fewer")])
    address_1 = StringField("Address line 1", widget=GovTextInput(),
                            validators=[Length(max=255, message="Address line 1 must be 255 characters or fewer")])
    address_2 = StringField("Address line 2 (optional)", widget=GovTextInput(),
                            validators=[Length(max=255, message="Address line 2 must be 255 characters or fewer")])
    town = StringField("Town or city", widget=GovTextInput(),
                       validators=[Length(max=100, message="Town or city must be 100 characters or fewer")])
    postcode = StringField("Postcode", widget=GovTextInput(), render_kw={"autocomplete": "postal-code"})

    def is_blank(self) -> bool:
        return not any((self.name.data, self.address_1.data, self.address_2.data, self.town.data, self.postcode.data))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.is_blank():
            return ok
        if not self.address_1.data:
            self.address_1.errors.append("Enter the first line of the venue’s address")
        if not self.town.data:
            self.town.errors.append("Enter the venue’s town or city")
        try:
            self.postcode.data = str(_geocoded(self.postcode.data or "").postcode)
        except ValidationError as error:
            self.postcode.errors.append(str(error))
        return ok and not self.errors

    def fill(self, venue: dict[str, Any]) -> None:
        for key in ("name", "address_1", "address_2", "town", "postcode"):
            getattr(self, key).data = venue.get(key) or ""

    def venue(self) -> dict[str, Any]:
        return {key: getattr(self, key).data or "" for key in ("name", "address_1", "address_2", "town", "postcode")}


class SectionForm(ListingForm):
    """One section of the listing editor. Subclasses drop ListingForm's fields that are not theirs."""

    section = ""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            # Repeated rows take no filters themselves; their own fields strip spaces (see RowForm).
            if unbound_field.field_class in (FieldList, FormField):
                return unbound_field.bind(form=form, **options)
            # wtforms joins every base form's Meta into one class at run time, so ``self`` is a BaseForm.Meta too.
            return BaseForm.Meta.bind_field(self, form, unbound_field, options)  # type: ignore[arg-type]

    def fill(self, data: ListingData) -> None:
        """Fill this section's fields from a snapshot (on GET)."""
        for name in self._fields:
            filler = getattr(self, f"_fill_{name}", None)
            if filler is not None:
                filler(data)

    def answers(self) -> ListingData:
        """Return this section's answers as snapshot fields (after validation)."""
        return {field: getattr(self, f"_answer_{field}")() for field in SECTION_FIELDS[self.section]}

    # Fillers and answers for ListingForm's own fields, one per snapshot key.
    def _fill_name(self, data: ListingData) -> None:
        self.name.data = data["name"]

    def _fill_description(self, data: ListingData) -> None:
        self.description.data = data["description"]

    def _fill_eligibility_description(self, data: ListingData) -> None:
        self.eligibility_description.data = data["eligibility_description"]

    def _fill_minimum_age(self, data: ListingData) -> None:
        self.minimum_age.data = "" if data["minimum_age"] is None else str(data["minimum_age"])

    def _fill_maximum_age(self, data: ListingData) -> None:
        self.maximum_age.data = "" if data["maximum_age"] is None else str(data["maximum_age"])

    def _fill_capacity_status(self, data: ListingData) -> None:
        self.capacity_status.data = data["capacity_status"]

    def _fill_capacity_places(self, data: ListingData) -> None:
        self.capacity_places.data = "" if data["capacity_places"] is None else str(data["capacity_places"])

    def _fill_email(self, data: ListingData) -> None:
        self.email.data = data["email"] or ""

    def _fill_phone(self, data: ListingData) -> None:
        self.phone.data = _national(data["phone"])

    def _fill_costs(self, data: ListingData) -> None:
        self.costs.data = [c["type"] for c in data["costs"]]
        fixed = next((c for c in data["costs"] if c["type"] == CostType.FIXED.value), None)
        self.fixed_amount.data = fixed["amount"] if fixed and fixed["amount"] else ""

    def _answer_name(self) -> Any:
        return self.name.data

    def _answer_description(self) -> Any:
        return self.description.data

    def _answer_eligibility_description(self) -> Any:
        return self.eligibility_description.data or ""

    def _answer_minimum_age(self) -> Any:
        return self.minimum_age.number

    def _answer_maximum_age(self) -> Any:
        return self.maximum_age.number

    def _answer_capacity_status(self) -> Any:
        return self.capacity_status.data

    def _answer_capacity_places(self) -> Any:
        return self.capacity_places.number

    def _answer_email(self) -> Any:
        return self.email.data or None

    def _answer_phone(self) -> Any:
        return getattr(self, "phone_e164", None) if self.phone.data else None

    def _answer_costs(self) -> Any:
        return [
            {"type": kind, "amount": f"{self.fixed_amount.number:.2f}" if kind == CostType.FIXED.value else None}
            for kind in self.costs.data or []
        ]


_TERM_NAMES = {key: names for key, _taxonomy_id, _slug, names in TERM_LISTS}


class AboutForm(SectionForm):
    section = "about"
    eligibility_description = minimum_age = maximum_age = email = phone = costs = fixed_amount = None  # type: ignore[assignment]
    categories = SelectMultipleField(
        "What kind of service is it?", widget=GovCheckboxesInput(),
        choices=choices(list(_TERM_NAMES["categories"].items())),
        validators=[InputRequired("Select at least one kind of service, so people can find it")],
    )
    needs = SelectMultipleField("What does it help with? (optional)", widget=GovCheckboxesInput(),
                                choices=choices(list(_TERM_NAMES["needs"].items())))
    website = StringField("Website (optional)", widget=GovTextInput(),
                          render_kw={"autocomplete": "url", "spellcheck": "false", "inputmode": "url"})

    def validate_website(self, field: Any) -> None:
        try:
            field.data = parse_website(field.data) or ""
        except EditError as error:
            raise ValidationError(str(error)) from error

    def _fill_categories(self, data: ListingData) -> None:
        self.categories.data = list(data.get("categories") or [])

    def _fill_needs(self, data: ListingData) -> None:
        self.needs.data = list(data.get("needs") or [])

    def _fill_website(self, data: ListingData) -> None:
        self.website.data = data.get("website") or ""

    def _answer_categories(self) -> Any:
        return list(self.categories.data or [])

    def _answer_needs(self) -> Any:
        return list(self.needs.data or [])

    def _answer_website(self) -> Any:
        return self.website.data or None


class CostForm(SectionForm):
    section = "cost"
    name = description = eligibility_description = minimum_age = maximum_age = None  # type: ignore[assignment]
    capacity_status = capacity_places = email = phone = None  # type: ignore[assignment]


class WhoForm(SectionForm):
    section = "who"
    name = description = capacity_status = capacity_places = email = phone = costs = fixed_amount = None  # type: ignore[assignment]
    eligibility_description = TextAreaField(
        "Who is it for?", widget=GovTextArea(),
        validators=[DataRequired("Enter who it is for, like “carers of people living with dementia” or “anyone”"),
                    Length(max=2000, message="Who it is for must be 2,000 characters or fewer")],
    )
    # Made again after the question above, so errors are listed in the order the page asks.
    minimum_age = WholeNumberField("Youngest age (optional)", message="Youngest age must be a whole number from 0 to 120", maximum=120)
    maximum_age = WholeNumberField("Oldest age (optional)", message="Oldest age must be a whole number from 0 to 120", maximum=120)


class ContactForm(SectionForm):
    section = "contact"
    name = description = eligibility_description = minimum_age = maximum_age = None  # type: ignore[assignment]
    capacity_status = capacity_places = costs = fixed_amount = None  # type: ignore[assignment]
    application_process = TextAreaField(
        "How does someone join? (optional)", widget=GovTextArea(),
        validators=[Length(max=HOW_TO_JOIN_MAX,
                           message=f"How to join must be {HOW_TO_JOIN_MAX:,} characters or fewer")],
    )

    def _fill_application_process(self, data: ListingData) -> None:
        self.application_process.data = data.get("application_process") or ""

    def _answer_application_process(self) -> Any:
        return self.application_process.data or ""

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not self.email.data and not self.phone.data:
            self.email.errors = [*self.email.errors, "Enter an email address or a phone number, so people can get in touch"]
            return False
        return ok


class _RowSectionForm(SectionForm):
    """A section without ListingForm's fields, built of repeated rows."""

    name = description = eligibility_description = minimum_age = maximum_age = None  # type: ignore[assignment]
    capacity_status = capacity_places = email = phone = costs = fixed_amount = None  # type: ignore[assignment]


class WhenForm(_RowSectionForm):
    section = "when"
    schedules = FieldList(FormField(ScheduleRowForm), min_entries=1, max_entries=MAX_ROWS)

    def _fill_schedules(self, data: ListingData) -> None:
        rows = [r for r in data.get("schedules", []) if r["kind"] != "other"]
        while len(self.schedules.entries) < len(rows):
            self.schedules.append_entry()
        for entry, row in zip(self.schedules.entries, rows, strict=False):
            entry.form.fill(row)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not self._answer_schedules():
            self.schedules.errors = [{"kind": ["Add at least one time it runs"]}]
            return False
        return ok

    def _answer_schedules(self) -> Any:
        return [entry.form.row() for entry in self.schedules.entries if not entry.form.is_blank()]


class WhereForm(_RowSectionForm):
    section = "where"
    venues = FieldList(FormField(VenueRowForm), min_entries=1, max_entries=MAX_ROWS)
    councils = StringField("Councils (optional)", widget=GovTextInput(),
                           validators=[Length(max=1000, message="Councils must be 1,000 characters or fewer")])
    districts = StringField("Postcode districts (optional)", widget=GovTextInput(),
                            validators=[Length(max=500, message="Postcode districts must be 500 characters or fewer")])
    radius_miles = DecimalTextField("Miles (optional)", message="Miles must be a number, like 3 or 2.5",
                                    maximum=Decimal("200"), places=1)
    radius_postcode = StringField("Around this postcode", widget=GovTextInput())
    ways = SelectMultipleField(
        "Do you also reach people another way?", widget=GovCheckboxesInput(),
        choices=choices([("comes_to_you", "We visit people at home"), ("remote", "By phone or online")]),
    )

    def validate_councils(self, field: Any) -> None:
        self.lad_codes: list[str] = []
        names = [n.strip() for n in (field.data or "").split(",") if n.strip()]
        for name in names:
            try:
                code = find_council(name)
            except GazetteerUnavailable as error:
                raise ValidationError("We cannot check council names at the moment. Try again later") from error
            if code is None:
                raise ValidationError(f"We could not find a council called {name}. Enter its name, like Sandwell")
            self.lad_codes.append(code)

    def validate_districts(self, field: Any) -> None:
        self.outcodes: list[str] = []
        for text in [t for t in re.split(r"[,\s]+", field.data or "") if t]:
            try:
                code = parse_outcode(text)
                known = outcode_centroid(code)
            except PostcodeError as error:
                raise ValidationError(error.message) from error
            except GazetteerUnavailable as error:
                raise ValidationError("We cannot check postcode districts at the moment. Try again later") from error
            if known is None:
                raise ValidationError(f"We could not find the postcode district {code}. Enter one like B66")
            self.outcodes.append(code)

    def validate_radius_postcode(self, field: Any) -> None:
        if self.radius_miles.number and not field.data:
            raise ValidationError("Enter the postcode at the centre of the area you cover")
        if field.data:
            field.data = str(_geocoded(field.data).postcode)
            if not self.radius_miles.number and not self.radius_miles.errors:
                raise ValidationError("Enter how many miles around the postcode you cover, like 3")

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not self._answer_venues() and not any(self._answer_area().values()):
            self.councils.errors = ["Add a venue, or say which area you serve"]
            return False
        return ok

    def _fill_venues(self, data: ListingData) -> None:
        while len(self.venues.entries) < len(data.get("venues", [])):
            self.venues.append_entry()
        for entry, venue in zip(self.venues.entries, data.get("venues", []), strict=False):
            entry.form.fill(venue)

    def _fill_councils(self, data: ListingData) -> None:
        self.councils.data = ", ".join(council_label(c) for c in data["area"]["lad_codes"])
        self.districts.data = ", ".join(data["area"]["outcodes"])
        miles = data["area"]["radius_miles"]
        self.radius_miles.data = "" if not miles else f"{miles:g}"
        self.radius_postcode.data = data["area"]["radius_postcode"] or ""
        self.ways.data = [k for k in ("comes_to_you", "remote") if data["area"][k]]

    def _answer_venues(self) -> Any:
        return [entry.form.venue() for entry in self.venues.entries if not entry.form.is_blank()]

    def _answer_area(self) -> Any:
        miles = self.radius_miles.number
        return {
            "lad_codes": getattr(self, "lad_codes", []),
            "outcodes": getattr(self, "outcodes", []),
            "radius_miles": float(miles) if miles else None,
            "radius_postcode": self.radius_postcode.data or None if miles else None,
            "comes_to_you": "comes_to_you" in (self.ways.data or []),
            "remote": "remote" in (self.ways.data or []),
        }


class VenueAccessibilityRow(RowForm):
    """The accessibility features of one venue; ``venue`` names it (as ``venue_text``), so a row maps to its venue."""

    venue = HiddenField()
    features = SelectMultipleField("Features", widget=GovCheckboxesInput(),
                                   choices=choices(list(ACCESSIBILITY_FEATURES.items())))


class AccessibilityForm(_RowSectionForm):
    section = "accessibility"
    accessibility = FieldList(FormField(VenueAccessibilityRow), min_entries=0, max_entries=MAX_ROWS)
    languages = SelectMultipleField("Which languages can people use?", widget=GovCheckboxesInput(),
                                    choices=choices(list(LANGUAGES.items())))

    def __init__(self, *args: Any, venues: list[dict[str, Any]] | tuple[()] = (),
                 extra_languages: list[str] | tuple[str, ...] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        # One group of checkboxes per venue the listing has now, whatever was posted.
        posted = {entry.form.venue.data: entry.form.features.data for entry in self.accessibility.entries}
        self.accessibility.entries = []
        self.accessibility.last_index = -1
        for name in (venue_text(v) for v in venues):
            entry = self.accessibility.append_entry()
            entry.form.venue.data = name
            entry.form.features.data = list(posted.get(name) or [])
        # A language stored under a name we have no code for (imported) stays offered, so it is not lost.
        extra = [(k, language_label(k)) for k in extra_languages if k not in LANGUAGES]
        self.languages.choices = choices(list(LANGUAGES.items()) + extra)

    def _fill_accessibility(self, data: ListingData) -> None:
        for entry in self.accessibility.entries:
            entry.form.features.data = list(data["accessibility"].get(entry.form.venue.data, []))

    def _fill_languages(self, data: ListingData) -> None:
        self.languages.data = list(data["languages"])

    def _answer_accessibility(self) -> Any:
        return {entry.form.venue.data: list(entry.form.features.data or []) for entry in self.accessibility.entries}

    def _answer_languages(self) -> Any:
        return list(self.languages.data or [])


SECTION_FORMS: dict[str, type[SectionForm]] = {
    "about": AboutForm, "when": WhenForm, "where": WhereForm, "cost": CostForm, "who": WhoForm,
    "accessibility": AccessibilityForm, "contact": ContactForm,
}
