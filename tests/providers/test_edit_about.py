""""What you offer" also edits the listing's categories, the needs it helps with and its website.

They go the same way as every other field: edit → pending revision → the moderator's diff in words → approve →
the resident's listing page and the search filters. Terms from another taxonomy (imported) are never touched.
"""

from __future__ import annotations

from typing import Any

from microdir.domain import listing_edits, moderation, revisions
from microdir.extensions import db
from microdir.models import Attribute, ListingRevision, ListingStatus, Service, Taxonomy, TaxonomyTerm
from microdir.search.queries import SearchRequest, search_services
from tests import factories
from tests.pages import ClientRequest, Page
from tests.providers.test_edit_sections import _approve, _diff_rows, _post, _provider_with_service, _url

WEBSITE_ERROR = "Enter a website address that starts with https:// or http://, like https://www.example.org"


def _search_ids(**filters: list[str]) -> set[str]:
    db.session.expire_all()
    return {h.service_id for h in search_services(SearchRequest(filters=dict(filters))).hits}


def _codes(service: Service, taxonomy_id: str | None = None) -> set[str]:
    db.session.expire_all()
    return {t.code for t in service.taxonomy_terms if taxonomy_id is None or t.taxonomy_id == taxonomy_id}


def _ticked(page: Page, name: str) -> list[str]:
    return [box["value"] for box in page.soup.select(f"input[type=checkbox][name={name}]") if box.has_attr("checked")]


def test_categories_needs_and_website_round_trip_to_the_listing_and_search(
    app_ctx: Any, client_request: ClientRequest, search_index: Any
) -> None:
    provider, service = _provider_with_service()
    client_request.sign_in(provider)
    assert service.id in _search_ids(category=["friendship"])
    assert service.id not in _search_ids(category=["transport"])

    page = client_request.get(_url(service, "about"))
    assert _ticked(page, "categories") == ["friendship"] and _ticked(page, "needs") == ["loneliness"]
    assert len(page.select("input[name=categories]")) == 8  # the eight microdir categories
    assert page.soup.select_one("input[name=website]")["value"] == ""

    _post(client_request, service, "about", page=page, categories=["transport", "friendship"],
          needs=["older-people", "getting-out"], website="  https://tea.example.org/club  ")

    # Nothing is live until a moderator approves: the listing and the search are as they were.
    assert _codes(service) == {"friendship", "loneliness"} and service.url is None
    assert service.id not in _search_ids(category=["transport"])
    diff = _diff_rows(client_request, service)
    assert diff == {
        "Categories": ("Friendship and good neighbour", "Friendship and good neighbour, Transport"),
        "Helps with": ("Loneliness and isolation", "Getting out and about, Older people"),
        "Website": ("Not given", "https://tea.example.org/club"),
    }

    _approve(service)
    assert _codes(service) == {"friendship", "transport", "getting-out", "older-people"}
    listing = client_request.get(f"/services/{service.id}")
    assert listing.soup.select_one("a[href='https://tea.example.org/club']") is not None
    # The change log moved the search index on: the category and need filters find it now.
    assert service.id in _search_ids(category=["transport"])
    assert service.id in _search_ids(need=["older-people"])
    assert service.id not in _search_ids(need=["loneliness"])

    # And back again: a category taken off and the website cleared are taken off everywhere.
    page = client_request.get(_url(service, "about"))
    assert _ticked(page, "categories") == ["friendship", "transport"]
    assert page.soup.select_one("input[name=website]")["value"] == "https://tea.example.org/club"
    _post(client_request, service, "about", page=page, categories=["transport"], website="")
    assert _diff_rows(client_request, service)["Website"] == ("https://tea.example.org/club", "Not given")
    _approve(service)
    assert _codes(service) == {"transport", "getting-out", "older-people"} and service.url is None
    assert service.id not in _search_ids(category=["friendship"])
    assert "tea.example.org" not in client_request.get(f"/services/{service.id}").text()


def test_a_draft_saves_at_once_and_needs_a_category_to_be_completed(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service(listing_status=ListingStatus.DRAFT, categories=(), needs=())
    client_request.sign_in(provider)
    assert listing_edits.section_status(listing_edits.snapshot(service))["about"] is False
    _post(client_request, service, "about", categories=["advice"], website="http://advice.example.org")
    db.session.expire_all()
    assert _codes(service) == {"advice"} and service.url == "http://advice.example.org"
    assert listing_edits.section_status(listing_edits.snapshot(service))["about"] is True
    rows = listing_edits.summary_rows(listing_edits.snapshot(service))
    assert ("about", "Categories", "Advice and representation") in rows
    assert ("about", "Helps with", "Not given") in rows
    assert ("about", "Website", "http://advice.example.org") in rows


def test_a_bad_website_or_no_category_gets_clear_errors_and_changes_nothing(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, service = _provider_with_service()
    draft = factories.create_service(service.organization, name="Draft Club", listing_status=ListingStatus.DRAFT)
    client_request.sign_in(provider)
    versions = {s.id: s.version for s in (service, draft)}

    for listing in (service, draft):
        page = _post(client_request, listing, "about", expected_status=200, categories=[], needs=["carers"],
                     website="javascript:alert(1)")
        assert page.error_summary() == ["Select at least one kind of service, so people can find it", WEBSITE_ERROR]
        assert page.title.startswith("Error: ")
        assert page.soup.select_one("input[name=website]")["value"] == "javascript:alert(1)"  # kept to correct
        assert _ticked(page, "needs") == ["carers"]
        for bad in ("www.example.org", "ftp://files.example.org", "https://", "https://localhost", "tea club",
                    "mailto:tea@example.org", "https://exa mple.org", "https://" + "a" * 500 + ".org"):
            page = _post(client_request, listing, "about", expected_status=200, website=bad)
            expected = "Website must be 500 characters or fewer" if len(bad) > 500 else WEBSITE_ERROR
            assert page.error_summary() == [expected], bad
        page = _post(client_request, listing, "about", expected_status=200, categories=["not-a-category"])
        assert len(page.error_summary()) == 1

    db.session.expire_all()
    assert {s.id: s.version for s in (service, draft)} == versions
    assert _codes(service) == _codes(draft) == {"friendship", "loneliness"}
    assert service.url is None and draft.url is None
    assert db.session.scalar(db.select(db.func.count()).select_from(ListingRevision)) == 0


def _imported_term(service: Service) -> TaxonomyTerm:
    """Link ``service`` to a term of another ORUK taxonomy, as an import would."""
    taxonomy = Taxonomy(name="esd service types", uri="https://example.org/esd")
    term = TaxonomyTerm(name="Befriending services", code="BEF-1", taxonomy="esd service types",
                        taxonomy_obj=taxonomy)
    db.session.add_all([taxonomy, term])
    db.session.flush()
    service.attributes.append(Attribute(link_id=service.id, link_type="service", taxonomy_term=term))
    db.session.commit()
    return term


def test_terms_from_another_taxonomy_are_kept(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service()
    imported = _imported_term(service)
    client_request.sign_in(provider)

    page = client_request.get(_url(service, "about"))
    assert "BEF-1" not in [box["value"] for box in page.select("input[type=checkbox]")]
    assert "BEF-1" not in str(listing_edits.snapshot(service))
    _post(client_request, service, "about", page=page, categories=["advice"], needs=[])
    assert set(_diff_rows(client_request, service)) == {"Categories", "Helps with"}
    _approve(service)

    assert _codes(service) == {"advice", "BEF-1"}
    assert imported.id in {t.id for t in service.taxonomy_terms}
    # The whole-listing page and a section that does not edit terms leave every term as it is.
    _post(client_request, service, "who", eligibility_description="Anyone")
    _approve(service)
    assert _codes(service) == {"advice", "BEF-1"}


def test_an_older_pending_change_without_these_fields_leaves_them_alone(app_ctx: Any) -> None:
    provider, service = _provider_with_service(url="https://old.example.org")
    old_style = {k: v for k, v in listing_edits.snapshot(service).items() if k not in ("categories", "needs", "website")}
    revisions.submit_revision(service, {**old_style, "name": "Renamed"}, provider, base_version=service.version)
    db.session.commit()
    assert [c.field for c in moderation.revision_diff(revisions.pending_revision(service))] == ["name"]
    _approve(service)
    assert service.name == "Renamed" and service.url == "https://old.example.org"
    assert _codes(service) == {"friendship", "loneliness"}


def test_the_moderator_diff_labels_are_human(app_ctx: Any) -> None:
    provider, service = _provider_with_service()
    data = {**listing_edits.snapshot(service), "categories": ["short-breaks"], "needs": ["dementia", "carers"]}
    changes = {c.label: (c.before, c.after) for c in listing_edits.diff(listing_edits.snapshot(service), data)}
    assert changes == {
        "Categories": ("Friendship and good neighbour", "Holidays and short breaks"),
        "Helps with": ("Loneliness and isolation", "Dementia and memory, Carers"),
    }
