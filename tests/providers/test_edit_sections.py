"""The listing editor's sections: every field goes edit → pending revision → diff → approve → listing page.

Each test posts a section the way a browser would (every field on the page, as filled in), so the forms, the
snapshot, the moderator's diff and the resident's listing page are all exercised for real.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import time_machine

from microdir.domain import listing_edits, moderation, revisions
from microdir.extensions import db
from microdir.geo import resolve_place
from microdir.models import AreaType, ListingRevision, ListingStatus, Role, Service
from microdir.search.queries import SearchRequest, search_services
from tests import factories
from tests.pages import ClientRequest, Page
from tests.providers.helpers import dbs_check


def _provider_with_service(**overrides: Any) -> tuple[Any, Service]:
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    return provider, factories.create_service(organization, name="Tuesday Tea Club", **overrides)


def _url(service: Service, section: str) -> str:
    return f"/provider/services/{service.id}/edit/{section}"


def filled_form(page: Page) -> dict[str, Any]:
    """Return every field of the page's edit form as a browser would send it (checked boxes, chosen options)."""
    form = page.soup.select_one("main form[method=post]")
    data: dict[str, Any] = {}
    for element in form.select("input, textarea, select"):
        name = element.get("name")
        if not name or (element.name == "input" and element.get("type") in ("submit", "button")):
            continue
        if element.name == "input" and element.get("type") in ("checkbox", "radio"):
            if element.has_attr("checked"):
                data.setdefault(name, []).append(element.get("value", "y"))
            continue
        if element.name == "textarea":
            value = element.get_text()
        elif element.name == "select":
            chosen = element.select_one("option[selected]")
            value = chosen.get("value", "") if chosen is not None else ""
        else:
            value = element.get("value", "")
        if name in data:  # a date is three boxes with one name: day, month, year
            data[name] = [*(data[name] if isinstance(data[name], list) else [data[name]]), value]
        else:
            data[name] = value
    return data


def _post(client_request: ClientRequest, service: Service, section: str, expected_status: int = 302,
          page: Page | None = None, **changes: Any) -> Page:
    """Open the section (or use ``page``), change some answers, and press Save."""
    page = page or client_request.get(_url(service, section))
    data = {**filled_form(page), **changes}
    response = Page(client_request.client.post(page_action(page), data=data))
    assert response.status == expected_status, response.text()[:1500]
    return response


def page_action(page: Page) -> str:
    return page.soup.select_one("main form[method=post]")["action"]


def _approve(service: Service) -> None:
    moderator = factories.create_user(Role.MODERATOR)
    revision = revisions.pending_revision(service)
    assert revision is not None
    moderation.approve(revision, moderator, seen=moderation.listing_seen(revision))
    db.session.commit()
    db.session.expire_all()


def _diff_rows(client_request: ClientRequest, service: Service) -> dict[str, tuple[str, str]]:
    revision = revisions.pending_revision(service)
    moderator = ClientRequest(client_request.app)
    moderator.sign_in(factories.create_user(Role.MODERATOR))
    page = moderator.get(f"/moderation/revisions/{revision.id}")
    rows = [[c.get_text(" ", strip=True) for c in row.select("th, td")] for row in page.select("#diff tbody")]
    return {label: (before, after) for label, before, after in rows}


def _listing_text(client_request: ClientRequest, service: Service) -> str:
    return client_request.get(f"/services/{service.id}").text()


def test_every_section_opens_with_the_listing_as_it_is(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service()
    client_request.sign_in(provider)
    headings = {}
    for key, _title in listing_edits.SECTIONS:
        page = client_request.get(_url(service, key))
        headings[key] = page.h1
    assert headings == dict(listing_edits.SECTIONS)
    when = client_request.get(_url(service, "when"))
    assert when.soup.select_one("input[name='schedules-0-kind'][value=weekly]").has_attr("checked")
    assert when.soup.select_one("select[name='schedules-0-weekday'] option[selected]")["value"] == "TU"
    assert when.soup.select_one("input[name='schedules-0-opens_at']")["value"] == "10am"
    where = client_request.get(_url(service, "where"))
    assert where.soup.select_one("input[name='venues-0-postcode']")["value"] == "B66 1AA"
    edit = client_request.get(f"/provider/services/{service.id}/edit")
    assert [a["href"] for a in edit.select("#sections a")] == [_url(service, key) for key, _ in listing_edits.SECTIONS]
    client_request.get(f"/provider/services/{service.id}/edit/nonsense", expected_status=404)


@time_machine.travel(datetime(2026, 11, 24, 9, 0), tick=False)
def test_schedules_round_trip_to_the_residents_listing(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service()
    client_request.sign_in(provider)
    before = listing_edits.snapshot(service)

    page = client_request.get(_url(service, "when"))
    for _ in range(3):  # "Add another time" three times, without JavaScript: the page comes back with a new row
        page = _post(client_request, service, "when", expected_status=200, page=page, row_action="add")
    assert len(page.select("fieldset[id^=session-]")) == 4
    _post(client_request, service, "when", page=page, **{
        "schedules-0-kind": "monthly", "schedules-0-weekday": "TU", "schedules-0-week": "2",
        "schedules-0-opens_at": "10am", "schedules-0-closes_at": "midday",
        "schedules-1-kind": "fortnightly", "schedules-1-weekday": "TH", "schedules-1-date": ["3", "12", "2026"], "schedules-1-opens_at": "2pm",
        "schedules-1-closes_at": "4:30pm",
        "schedules-2-kind": "one_off", "schedules-2-date": ["19", "12", "2026"], "schedules-2-opens_at": "18:00",
        "schedules-3-kind": "weekly", "schedules-3-weekday": "FR", "schedules-3-opens_at": "9:30am",
        "schedules-3-closes_at": "11am", "schedules-3-term_time_only": "y",
    })

    db.session.expire_all()
    assert listing_edits.snapshot(service) == before  # nothing live until a moderator approves
    diff = _diff_rows(client_request, service)
    assert list(diff) == ["When it runs"]
    assert diff["When it runs"][0] == "Every Tuesday, 10am to midday"
    for words in ("On the second Tuesday of each month, 10am to midday", "Every other Thursday, 2pm to 4:30pm",
                  "On Saturday 19 December 2026 only, from 6pm", "Every Friday, 9:30am to 11am (term time only)"):
        assert words in diff["When it runs"][1]

    _approve(service)
    text = _listing_text(client_request, service)
    assert "On the second Tuesday of each month, 10am to midday" in text
    assert "Every Friday, 9:30am to 11am (term time only)" in text
    # Next sessions come from the same rules: Thursday 3 December is the fortnightly one's first.
    assert "Thursday 3 December 2026 at 2pm" in text
    assert "Friday 27 November 2026 at 9:30am" in text
    rows = {(s.freq, s.interval, s.byday, s.term_time_only) for s in service.schedules}
    assert rows == {("MONTHLY", 1, "2TU", False), ("WEEKLY", 2, "TH", False), (None, None, None, False),
                    ("WEEKLY", 1, "FR", True)}


def test_removing_a_time_without_javascript(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service(listing_status=ListingStatus.DRAFT)
    client_request.sign_in(provider)
    page = _post(client_request, service, "when", expected_status=200, row_action="add")
    assert len(page.select("fieldset[id^=session-]")) == 2
    page = _post(client_request, service, "when", expected_status=200, page=page, row_action="remove-0", **{
        "schedules-1-kind": "weekly", "schedules-1-weekday": "WE", "schedules-1-opens_at": "1pm"})
    assert len(page.select("fieldset[id^=session-]")) == 1  # what was typed in the row kept is still there
    assert page.soup.select_one("select[name='schedules-1-weekday'] option[selected]")["value"] == "WE"
    _post(client_request, service, "when", page=page)
    db.session.expire_all()
    assert [(s.byday, s.opens_at.hour) for s in service.schedules] == [("WE", 13)]  # a draft saves at once


def test_venues_and_area_round_trip_and_are_found_by_search(
    app_ctx: Any, client_request: ClientRequest, search_index: Any
) -> None:
    provider, service = _provider_with_service()
    client_request.sign_in(provider)
    coventry = resolve_place("CV1 1AA")
    assert service.id not in [h.service_id for h in search_services(SearchRequest(text="tea club", place=coventry)).hits
                              if h.mode == "venue" and h.distance_miles is not None and h.distance_miles < 1]

    page = _post(client_request, service, "where", expected_status=200, row_action="add")
    assert page.soup.select_one("input[name='venues-1-postcode']") is not None
    page = _post(client_request, service, "where", expected_status=200, page=page, row_action="remove-0")
    _post(client_request, service, "where", page=page, **{
        "venues-1-name": "Upper Room", "venues-1-address_1": "2 Priory Row", "venues-1-town": "Coventry",
        "venues-1-postcode": "cv11aa",
        "councils": "Sandwell", "districts": "CV1, sk1", "radius_miles": "3", "radius_postcode": "HD1 1AA",
        "ways": ["comes_to_you", "remote"],
    })

    db.session.expire_all()
    assert [loc.postcode for loc in service.locations] == ["B66 1AA"]  # still live as it was
    diff = _diff_rows(client_request, service)
    assert set(diff) == {"Venues", "Area served"}
    assert diff["Venues"] == ("Community Hall, 1 High Street, Smethwick, B66 1AA", "Upper Room, 2 Priory Row, Coventry, CV1 1AA")
    assert diff["Area served"] == ("Not given", "Councils: Sandwell; Postcode districts: CV1, SK1; "
                                   "Within 3 miles of HD1 1AA; Comes to people at home; By phone or online")

    _approve(service)
    text = _listing_text(client_request, service)
    assert "2 Priory Row" in text and "1 High Street" not in text
    assert "People living in Sandwell" in text and "People living in the postcode areas CV1 and SK1" in text
    assert "People living within 3 miles" in text and "By phone or online, wherever you live" in text
    location = service.locations[0]
    assert (round(location.latitude, 2), round(location.longitude, 2)) == (round(coventry.lat, 2), round(coventry.lon, 2))
    assert {a.area_type for a in service.service_areas} == {
        AreaType.COUNCILS, AreaType.DISTRICTS, AreaType.RADIUS, AreaType.COMES_TO_YOU, AreaType.REMOTE}

    # The change log moved the index on: the new venue is found near Coventry, the area from Stockport.
    db.session.expire_all()
    near = [h for h in search_services(SearchRequest(text="tea club", place=coventry)).hits if h.service_id == service.id]
    assert near and near[0].mode == "venue" and near[0].distance_miles < 1
    stockport = [h for h in search_services(SearchRequest(place=resolve_place("SK1 1AA"))).hits
                 if h.service_id == service.id]
    assert stockport and stockport[0].mode != "venue"
    assert service.id in [h.service_id for h in search_services(SearchRequest(text="coventry")).hits]


def test_accessibility_languages_and_the_other_sections_round_trip(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service()
    client_request.sign_in(provider)
    _post(client_request, service, "accessibility", languages=["pa", "ur"],
          **{"accessibility-0-features": ["step_free", "hearing_loop"]})
    db.session.expire_all()
    for section, changes in [
        ("about", {"name": "Tuesday Tea and Chat", "description": "Tea, cake and a chat.",
                   "capacity_status": "waiting_list", "capacity_places": "4"}),
        ("cost", {"costs": ["fixed", "personal_budget"], "fixed_amount": "3.50"}),
        ("who", {"eligibility_description": "Carers of people living with dementia", "minimum_age": "18",
                 "maximum_age": "99"}),
        ("contact", {"email": "tea@example.org", "phone": "0121 496 0000"}),
    ]:
        _post(client_request, service, section, **changes)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(ListingRevision)) == 5  # each save replaces the last
    diff = _diff_rows(client_request, service)
    assert diff["Accessibility"] == ("Not given",
                                     "Community Hall, 1 High Street, Smethwick, B66 1AA: Step-free access, Hearing loop")
    assert diff["Languages"] == ("Not given", "Punjabi, Urdu")
    assert diff["Name"][1] == "Tuesday Tea and Chat" and diff["Places"][1] == "4"
    assert diff["Cost"][1] == "Fixed price: £3.50; Personal budgets or direct payments"
    assert diff["Who it is for"][1] == "Carers of people living with dementia"
    assert diff["Phone number"][1] == "0121 496 0000" and diff["Email address"][1] == "tea@example.org"

    _approve(service)
    text = _listing_text(client_request, service)
    for words in ("Tuesday Tea and Chat", "Step-free access", "Hearing loop", "Punjabi", "Urdu", "£3.50",
                  "personal budget", "Carers of people living with dementia", "Ages 18 to 99", "0121 496 0000",
                  "tea@example.org", "Waiting list"):
        assert words in text, words


def _nothing_changed(service: Service, version: int) -> None:
    db.session.expire_all()
    assert service.version == version
    assert db.session.scalar(db.select(db.func.count()).select_from(ListingRevision)) == 0


def test_bad_answers_get_clear_errors_and_change_nothing(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service(listing_status=ListingStatus.DRAFT)
    client_request.sign_in(provider)
    version = service.version

    page = _post(client_request, service, "when", expected_status=200, **{
        "schedules-0-kind": "monthly", "schedules-0-weekday": "", "schedules-0-week": "",
        "schedules-0-opens_at": "2pm", "schedules-0-closes_at": "1pm"})
    assert page.error_summary() == ["Select the day it runs", "Select which week of the month it runs, like the second",
                                    "End time must be after the start time"]
    assert page.title.startswith("Error: ")
    assert page.soup.select_one("input[name='schedules-0-closes_at']")["value"] == "1pm"
    page = _post(client_request, service, "when", expected_status=200, **{
        "schedules-0-kind": "fortnightly", "schedules-0-weekday": "MO", "schedules-0-date": ["31", "2", "2027"], "schedules-0-opens_at": "half ten"})
    assert page.error_summary() == ["Date must be a real date, for example 27 3 2027",
                                    "Start time must be a time, like 10am, 2:30pm or 14:30"]
    page = _post(client_request, service, "when", expected_status=200, **{"schedules-0-kind": "one_off",
                                                                        "schedules-0-opens_at": ""})
    assert page.error_summary() == ["Enter the date it runs, for example 27 3 2027", "Enter the start time, like 10am, 2:30pm or 14:30"]

    page = _post(client_request, service, "where", expected_status=200, **{
        "venues-0-postcode": "B66 9ZZ", "councils": "Gotham", "districts": "B66, ZZ9", "radius_miles": "3"})
    assert page.error_summary() == [
        "We could not find the postcode B66 9ZZ. Check it and enter it again",
        "We could not find a council called Gotham. Enter its name, like Sandwell",
        "We could not find the postcode district ZZ9. Enter one like B66",
        "Enter the postcode at the centre of the area you cover",
    ]
    page = _post(client_request, service, "where", expected_status=200, **{
        "venues-0-name": "", "venues-0-address_1": "", "venues-0-town": "", "venues-0-postcode": "B66"})
    assert page.error_summary() == ["Enter the first line of the venue’s address", "Enter the venue’s town or city",
                                    "Enter a full UK postcode, like B66 1AA"]
    page = _post(client_request, service, "where", expected_status=200, **{
        "venues-0-name": "", "venues-0-address_1": "", "venues-0-town": "", "venues-0-postcode": ""})
    assert page.error_summary() == ["Add a venue, or say which area you serve"]

    page = _post(client_request, service, "contact", expected_status=200, phone="123", email="")
    assert page.error_summary() == ["Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"]
    page = _post(client_request, service, "contact", expected_status=200, phone="", email="")
    assert page.error_summary() == ["Enter an email address or a phone number, so people can get in touch"]
    page = _post(client_request, service, "who", expected_status=200, eligibility_description="", minimum_age="70",
                 maximum_age="7")
    assert page.error_summary() == ["Enter who it is for, like “carers of people living with dementia” or “anyone”",
                                    "Oldest age must be the same as or more than the youngest age"]
    _nothing_changed(service, version)


def test_without_a_venue_the_accessibility_section_says_so_and_keeps_languages(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, service = _provider_with_service(postcode=None, area=AreaType.REMOTE)
    client_request.sign_in(provider)
    page = client_request.get(_url(service, "accessibility"))
    assert "You have not added a venue, so there is nothing to answer here" in page.soup.select_one("#no-venues").text
    assert not page.soup.select("input[name$='-features']")
    # A forged feature for a venue the listing does not have is ignored; the languages are saved.
    _post(client_request, service, "accessibility", page=page, languages=["cy"],
          **{"accessibility-0-venue": "Somewhere, B66 1AA", "accessibility-0-features": ["step_free"]})
    _approve(service)
    assert [lang.code for lang in service.languages] == ["cy"]
    assert all(not loc.accessibility for loc in service.locations)


def test_each_venue_has_its_own_accessibility(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service()
    client_request.sign_in(provider)
    _post(client_request, service, "where", **{"venues-1-name": "Upper Room", "venues-1-address_1": "2 Priory Row",
                                               "venues-1-town": "Coventry", "venues-1-postcode": "CV1 1AA"})
    _approve(service)
    page = client_request.get(_url(service, "accessibility"))
    legends = [legend.get_text(strip=True) for legend in page.soup.select("legend")]
    hall, upper = "Community Hall, 1 High Street, Smethwick, B66 1AA", "Upper Room, 2 Priory Row, Coventry, CV1 1AA"
    assert legends[:2] == [f"What does {hall} have?", f"What does {upper} have?"]
    _post(client_request, service, "accessibility", page=page, **{
        "accessibility-0-features": ["step_free", "accessible_toilet"], "accessibility-1-features": ["hearing_loop"]})
    diff = _diff_rows(client_request, service)
    assert diff["Accessibility"] == (
        "Not given", f"{hall}: Step-free access, Accessible toilet; {upper}: Hearing loop")

    _approve(service)
    by_venue = {loc.addresses[0].postal_code: sorted(a.feature for a in loc.accessibility) for loc in service.locations}
    assert by_venue == {"B66 1AA": ["accessible_toilet", "step_free"], "CV1 1AA": ["hearing_loop"]}
    listing = client_request.get(f"/services/{service.id}").soup.select_one("#accessibility")
    groups = {h.get_text(strip=True): [li.get_text(strip=True) for li in h.find_next("ul").select("li")]
              for h in listing.select("h3")}
    assert groups == {"Community Hall": ["Step-free access", "Accessible toilet"], "Upper Room": ["Hearing loop"]}

    # The form shows each venue's own answers again.
    page = client_request.get(_url(service, "accessibility"))
    ticked = sorted(i["name"] + "=" + i["value"] for i in page.soup.select("input[type=checkbox][checked]")
                    if i["name"].endswith("-features"))
    assert ticked == ["accessibility-0-features=accessible_toilet", "accessibility-0-features=step_free",
                      "accessibility-1-features=hearing_loop"]


def test_a_pending_change_from_before_features_were_per_venue_means_every_venue() -> None:
    venues = [{"name": "Hall", "address_1": "1 High Street", "address_2": "", "town": "Smethwick", "postcode": "B66 1AA"},
              {"name": "", "address_1": "2 Priory Row", "address_2": "", "town": "Coventry", "postcode": "CV1 1AA"}]
    old = listing_edits.normalise({"venues": venues, "accessibility": ["hearing_loop", "step_free"]})
    assert old["accessibility"] == {"2 Priory Row, Coventry, CV1 1AA": ["step_free", "hearing_loop"],
                                    "Hall, 1 High Street, Smethwick, B66 1AA": ["step_free", "hearing_loop"]}
    # A venue no longer listed loses its features; one whose text changed only in case keeps them.
    moved = listing_edits.normalise({"venues": venues[:1], "accessibility": {
        "HALL, 1 HIGH STREET, SMETHWICK, B66 1AA": ["step_free"], "2 Priory Row, Coventry, CV1 1AA": ["hearing_loop"]}})
    assert moved["accessibility"] == {"Hall, 1 High Street, Smethwick, B66 1AA": ["step_free"]}


def test_a_section_save_meanwhile_by_someone_else_is_caught(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service()
    colleague = factories.create_user(Role.PROVIDER, organizations=[service.organization])
    client_request.sign_in(provider)
    mine = client_request.get(_url(service, "where"))

    other = ClientRequest(client_request.app)
    other.sign_in(colleague)
    _post(other, service, "about", name="Colleague’s name")

    page = _post(client_request, service, "where", expected_status=409, page=mine, districts="B66")
    assert "This listing was changed by someone else while you were editing" in page.text()
    assert [r.select_one("th").get_text(strip=True) for r in page.select("#conflict-changes tbody")] == ["Name"]
    assert page.soup.select_one("input[name=districts]")["value"] == "B66"  # nothing typed is lost
    assert revisions.pending_revision(service).data["area"]["outcodes"] == []

    _post(client_request, service, "where", page=page, districts="B66")  # saving again, on purpose, goes through
    db.session.expire_all()
    data = revisions.pending_revision(service).data
    assert data["area"]["outcodes"] == ["B66"] and data["name"] == "Colleague’s name"  # both kept


def test_after_saving_goes_to_a_safe_next_page_only(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service(listing_status=ListingStatus.DRAFT)
    client_request.sign_in(provider)
    for target, expected in [("/provider/?from=task-list", "/provider/?from=task-list"),
                             ("//evil.example.com/x", "/provider/"), ("https://evil.example.com/", "/provider/"),
                             ("/\\evil.example.com", "/provider/")]:
        page = client_request.get(_url(service, "cost") + "?" + urlencode({"next": target}))
        response = client_request.client.post(page_action(page), data={**filled_form(page), "costs": ["time_credits"]})
        assert response.status_code == 302
        assert response.headers["Location"] == expected, target


def test_summary_rows_and_section_status(app_ctx: Any) -> None:
    _, service = _provider_with_service(email="tea@example.org")
    data = listing_edits.snapshot(service)
    rows = listing_edits.summary_rows(data)
    assert [key for key, _ in listing_edits.SECTIONS] == list(dict.fromkeys(r[0] for r in rows))
    assert ("when", "When it runs", "Every Tuesday, 10am to midday") in rows
    assert ("where", "Venues", "Community Hall, 1 High Street, Smethwick, B66 1AA") in rows
    assert ("contact", "Email address", "tea@example.org") in rows
    status = listing_edits.section_status(data)
    assert status == {"about": True, "when": True, "where": True, "cost": True, "who": False,
                      "accessibility": True, "contact": True}
    empty = {**data, "schedules": [], "venues": [], "area": {}, "costs": [], "email": None, "phone": None}
    assert [k for k, done in listing_edits.section_status(empty).items() if not done] == [
        "when", "where", "cost", "who", "contact"]


def test_an_older_pending_change_without_the_new_fields_leaves_them_alone(app_ctx: Any) -> None:
    provider, service = _provider_with_service()
    old_style = {k: v for k, v in listing_edits.snapshot(service).items()
                 if k not in ("schedules", "venues", "area", "accessibility", "languages")}
    revisions.submit_revision(service, {**old_style, "name": "Renamed"}, provider, base_version=service.version)
    db.session.commit()
    revision = revisions.pending_revision(service)
    assert [c.field for c in moderation.revision_diff(revision)] == ["name"]
    _approve(service)
    assert service.name == "Renamed" and len(service.schedules) == 1 and service.locations


def test_saving_a_section_as_it_is_changes_nothing(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service(area=AreaType.COUNCILS, email="tea@example.org",
                                               eligibility_description="Anyone")
    client_request.sign_in(provider)
    version = service.version
    for key, _title in listing_edits.SECTIONS:
        _post(client_request, service, key)
        assert "You did not change anything" in client_request.get("/provider/").text(), key
    _nothing_changed(service, version)


def test_the_whole_listing_page_keeps_the_sections_it_does_not_show(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service()
    client_request.sign_in(provider)
    _post(client_request, service, "when", **{"schedules-0-weekday": "WE"})
    edit_url = f"/provider/services/{service.id}/edit"
    _post(client_request, service, "about", page=client_request.get(edit_url), name="Wednesday Tea Club")
    db.session.expire_all()
    data = revisions.pending_revision(service).data
    assert data["name"] == "Wednesday Tea Club"
    assert [row["weekday"] for row in data["schedules"]] == ["WE"]  # the earlier pending change is kept


def test_a_document_uploaded_while_the_provider_edits_does_not_refuse_their_save(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    # An upload moves the listing's version (its quality checks show on it) but none of the fields being edited: the
    # provider was told "This listing was changed by someone else while you were editing" and had to save again.
    from tests.providers.test_check_documents import PDF, _upload

    provider, service = _provider_with_service()
    check = dbs_check(service.organization, provider)
    db.session.commit()
    client_request.sign_in(provider)
    section = client_request.get(_url(service, "where"))

    _upload(client_request, check, PDF, "dbs.pdf")  # in another tab, while the section is open
    db.session.expire_all()
    version = service.version

    _post(client_request, service, "where", page=section, districts="B66")
    db.session.expire_all()
    assert revisions.pending_revision(service).data["area"]["outcodes"] == ["B66"]
    assert service.version == version  # a change to review, the listing as it was

    whole = client_request.get(f"/provider/services/{service.id}/edit")  # then the whole listing's page
    _upload(client_request, check, PDF, "dbs-again.pdf")
    _post(client_request, service, "edit", page=whole, name="Tuesday Tea and Chat")  # "Send change for review"
    db.session.expire_all()
    assert revisions.pending_revision(service).data["name"] == "Tuesday Tea and Chat"
    assert revisions.pending_revision(service).data["area"]["outcodes"] == ["B66"]


def test_a_document_uploaded_in_another_tab_does_not_refuse_sending_a_draft_for_review(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    # The same as for a save: the upload moves the version, not the listing the provider is sending. Refused, they
    # were told "changed by someone else". A change to the listing itself meanwhile is still refused.
    from microdir.models import DraftSectionSaved, ListingStatus
    from tests.providers.test_check_documents import PDF, _upload

    finished = {"listing_status": ListingStatus.DRAFT, "first_published_at": None, "email": "tea@example.org",
                "eligibility_description": "Anyone who would like company."}
    provider, service = _provider_with_service(**finished)
    other = factories.create_service(service.organization, name="Friday Walk", **finished)
    db.session.add_all([DraftSectionSaved(service_id=s.id, section="accessibility") for s in (service, other)])
    check = dbs_check(service.organization, provider)
    db.session.commit()
    client_request.sign_in(provider)
    listings = client_request.get("/provider/")
    button = f"form[action='/provider/services/{service.id}/submit']"
    sent = listings.form_data(button)
    other_sent = listings.form_data(f"form[action='/provider/services/{other.id}/submit']")

    _upload(client_request, check, PDF, "dbs.pdf")  # in another tab
    page = Page(client_request.client.post(f"/provider/services/{service.id}/submit", data=sent))
    assert page.status == 302
    shown = client_request.get(page.response.headers["Location"]).text()
    assert "has been sent for review" in shown, shown[shown.find("Your listings"):][:600]
    db.session.expire_all()
    assert service.listing_status is ListingStatus.PENDING_REVIEW

    other.description = "Changed in another tab."  # the listing itself changed since the page was shown
    db.session.commit()
    page = Page(client_request.client.post(f"/provider/services/{other.id}/submit", data=other_sent))
    assert "changed" in client_request.get(page.response.headers["Location"]).text()
    db.session.expire_all()
    assert other.listing_status is ListingStatus.DRAFT
