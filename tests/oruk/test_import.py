"""Importing ORUK/HSDS 3.0 services: validation, upsert by id, idempotence, round trip, CLI and admin upload."""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from microdir.domain import listing_holds
from microdir.extensions import db
from microdir.models import AuditEvent, ListingStatus, Organization, Role, Service, VerifiedHow, utcnow
from microdir.oruk import importer, serialise
from microdir.oruk.validate import errors
from tests import factories
from tests.oruk.conftest import HSDS_EXAMPLES, PUBLISHED_EXAMPLES, load_example
from tests.oruk.roundtrip import differences
from tests.pages import ClientRequest

# Fields of the example files that microdir does not keep, or keeps differently, and why.
NOT_MODELLED = {
    r"funding": "microdir does not record funding",
    r"service_at_locations\[\]\.location\.accessibility\[\]\.accessibility": "accessibility free text: microdir keeps description and details",
    r"attributes\[\]\.link_type": "microdir links attributes to services, so link_type is always 'service'",
    r"attributes\[\]\.taxonomy_term\.parent_id": "the example's parent term is not in the file, so it cannot be linked",
    # HSDS 3.0 fields and objects outside the ORUK 3.0 profile
    r"fees_description": "ORUK's `fees` is kept (the HSDS example gives both, with different text)",
    r"wait_time|licenses|program|required_documents|metadata": "HSDS-only, dropped by ORUK and not modelled",
    r"service_at_locations\[\]\.(contacts|phones|schedules)": "HSDS-only nesting under service_at_location",
    r"service_at_locations\[\]\.location\.(languages|contacts|phones|schedules)": "HSDS-only nesting under location",
    r"organization\.(alternate_name|tax_status|year_incorporated|legal_status|funding|contacts|phones|locations|programs)": "HSDS-only organisation fields",
    r"contacts\[\]\.email": "staff email addresses are kept but never published (ORUK privacy guidance)",
    r"contacts\[\]\.phones\[\]\.languages": "phone languages are not modelled",
    r"phones\[\] id 1554f2e2-a373-45db-a3fa-9fc48a61c15e": "the HSDS example reuses one phone id under the contact; one id is one phone",
    r"phones": "see above: the only service phone shares its id with the contact's phone",
    r"attributes\[\]\.taxonomy_term\.(code|taxonomy_detail)": "ORUK's `term` is kept as microdir's code",
    # kept, but as text: microdir stores these as strings
    r"schedules\[\]\.timezone|contacts\[\]\.phones\[\]\.extension": "stored as text (3 -> '3', 100 -> '100')",
}


def _example() -> dict[str, Any]:
    """The published ORUK example, as published."""
    return load_example(PUBLISHED_EXAMPLES / "service_full.json")


def _export(service_id: str) -> dict[str, Any]:
    db.session.expire_all()
    service = db.session.get(Service, service_id)
    assert service is not None
    return serialise.service(service, today=utcnow().date())


@pytest.mark.parametrize(
    "example",
    [
        pytest.param(PUBLISHED_EXAMPLES / "service_full.json", id="oruk-published"),
        pytest.param(HSDS_EXAMPLES / "service_full.json", id="hsds"),
    ],
)
def test_round_trip_keeps_every_field_microdir_models(app_ctx: Any, example: Path) -> None:
    record = load_example(example)
    report = importer.import_services([record], publish=True)
    db.session.commit()
    assert (report.created, report.rejected) == (1, 0), report.rejections
    exported = _export(record["id"])
    assert errors(exported, "service") == []
    assert differences(record, exported, set(NOT_MODELLED)) == []
    assert exported["last_modified"] == record["last_modified"]


def test_round_trip_through_the_api_and_a_second_import_changes_nothing(app_ctx: Any, client: Any) -> None:
    record = _example()
    importer.import_services([record], publish=True)
    db.session.commit()
    served = client.get(f"/api/oruk/services/{record['id']}").get_json()
    assert differences(record, served, set(NOT_MODELLED)) == []
    again = importer.import_services([served], publish=True)  # our own export, fed back in
    db.session.commit()
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 1, 0)


def test_importing_twice_is_idempotent_and_changes_are_updates(app_ctx: Any) -> None:
    record = _example()
    first = importer.import_services([record], publish=True)
    db.session.commit()
    second = importer.import_services([record], publish=True)
    db.session.commit()
    assert (first.created, second.created, second.updated, second.unchanged) == (1, 0, 0, 1)
    changed = copy.deepcopy(record)
    changed["name"] = "Community Counselling (evenings)"
    changed["schedules"] = []
    third = importer.import_services([changed], publish=True)
    db.session.commit()
    assert (third.updated, third.unchanged) == (1, 0)
    exported = _export(record["id"])
    assert exported["name"] == "Community Counselling (evenings)" and exported["schedules"] == []


def test_invalid_records_are_reported_and_not_imported(app_ctx: Any) -> None:
    good = _example()
    no_status = {k: v for k, v in good.items() if k != "status"} | {"id": "11111111-1111-4111-8111-111111111111"}
    bad_id = dict(good, id="not-a-uuid")
    bad_date = copy.deepcopy(good)
    bad_date["id"] = "22222222-2222-4222-8222-222222222222"
    bad_date["organization"] = dict(good["organization"], id="33333333-3333-4333-8333-333333333333", name="Half-imported Ltd")
    bad_date["schedules"][0]["valid_from"] = "the first of May"  # a plain string to the schema; not a date to us
    report = importer.import_services([no_status, bad_id, bad_date, "nonsense", good], publish=True)
    db.session.commit()
    assert (report.created, report.rejected) == (1, 4)
    reasons = {r.record_id: r.reason for r in report.rejections}
    assert "'status' is a required property" in reasons["11111111-1111-4111-8111-111111111111"]
    assert "is not a 'uuid'" in reasons["not-a-uuid"]
    assert "valid_from 'the first of May' is not a date" in reasons["22222222-2222-4222-8222-222222222222"]
    assert reasons[None] == "record 4 is not a JSON object"
    # No partial records: the rejected record's organisation was rolled back with it.
    assert db.session.get(Organization, "33333333-3333-4333-8333-333333333333") is None
    assert db.session.get(Service, good["id"]) is not None


def test_imported_listings_are_marked_and_queued_or_published(app_ctx: Any) -> None:
    record = _example()
    importer.import_services([record], publish=False, source="file:feed.json")
    db.session.commit()
    service = db.session.get(Service, record["id"])
    assert service.verified_how is VerifiedHow.IMPORTED and service.source == "file:feed.json"
    assert service.listing_status is ListingStatus.PENDING_REVIEW
    importer.import_services([record], publish=True, source="file:feed.json")
    db.session.commit()
    assert db.session.get(Service, record["id"]).listing_status is ListingStatus.PUBLISHED
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "oruk.import")
                                .order_by(AuditEvent.id)).all()
    assert [(e.detail["created"], e.detail["updated"]) for e in events] == [(1, 0), (0, 1)]


def test_a_trusted_feed_publishes_its_listings_through_the_lifecycle(app_ctx: Any) -> None:
    """New listings are published at once; a draft or pending one it brought in before is published again."""
    record = _example()
    importer.import_services([record], publish=True, source="file:feed.json")
    db.session.commit()
    service = db.session.get(Service, record["id"])
    first_published = service.first_published_at
    assert service.listing_status is ListingStatus.PUBLISHED and first_published is not None
    for earlier in (ListingStatus.DRAFT, ListingStatus.PENDING_REVIEW):
        service.listing_status = earlier
        db.session.commit()
        importer.import_services([record], publish=True, source="file:feed.json")
        db.session.commit()
        service = db.session.get(Service, record["id"])
        assert (service.listing_status, service.first_published_at) == (ListingStatus.PUBLISHED, first_published)


@pytest.mark.parametrize("load", [importer.import_services, importer.bulk_load], ids=["import", "bulk-load"])
@pytest.mark.parametrize("decision", ["suspend", "archive"])
def test_a_trusted_feed_updates_a_listing_a_moderator_took_down_but_leaves_it_down(
    app_ctx: Any, api: Any, load: Any, decision: str
) -> None:
    moderator = factories.create_user(Role.MODERATOR)
    record = _example()
    importer.import_services([record], publish=True, source="file:feed.json")
    db.session.commit()
    service = db.session.get(Service, record["id"])
    getattr(listing_holds, decision)(service, moderator, "Not a micro-provider")
    db.session.commit()
    held = service.listing_status

    report = load([dict(record, name="Community Counselling (evenings)")], publish=True, source="file:feed.json")
    db.session.commit()

    db.session.expire_all()
    service = db.session.get(Service, record["id"])
    assert (service.name, service.listing_status) == ("Community Counselling (evenings)", held)
    hold = listing_holds.current_hold(service)
    assert hold is not None and hold.reason == "Not a micro-provider"
    assert report.updated == 1
    assert report.summary().endswith("; 1 stay suspended or archived, as a moderator decided")
    [kept] = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "oruk.import.status_kept")).all()
    assert (kept.object_id, kept.detail) == (record["id"], {"status": held.value, "source": "file:feed.json"})
    api(f"/services/{record['id']}", expected=404)  # still out of the open data


@pytest.mark.parametrize("shape", ["page", "array", "ndjson"])
def test_read_records_accepts_a_page_an_array_or_ndjson(shape: str) -> None:
    record = _example()
    text = {
        "page": json.dumps({"total_items": 2, "contents": [record, record]}),
        "array": json.dumps([record, record]),
        "ndjson": json.dumps(record) + "\n" + json.dumps(record) + "\n",
    }[shape]
    records, problems = importer.read_records(text)
    assert len(records) == 2 and problems == []


def test_read_records_reports_lines_that_are_not_json() -> None:
    records, problems = importer.read_records('{"id": "x"}\n{broken\n')
    assert len(records) == 1 and "line 2 is not JSON" in problems[0].reason


def test_cli_import_export_and_refusal(app_ctx: Any, cli_runner: Any, tmp_path: Path) -> None:
    feed = tmp_path / "feed.ndjson"
    records = [_example(), {"id": "bad", "name": "x"}]
    feed.write_text("\n".join(json.dumps(r) for r in records))
    result = cli_runner.invoke(args=["oruk", "import", str(feed), "--publish"])
    assert result.exit_code == 0, result.output
    assert "2/2" in result.output and "1 created, 0 updated, 0 unchanged, 1 rejected" in result.output
    assert "Rejected bad:" in result.output
    out = tmp_path / "export.ndjson"
    result = cli_runner.invoke(args=["oruk", "export", str(out)])
    assert result.exit_code == 0 and "Wrote 1 services" in result.output
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["id"] for e in exported] == [records[0]["id"]]
    assert differences(records[0], exported[0], set(NOT_MODELLED)) == []
    refused = cli_runner.invoke(args=["oruk", "import", "https://example.org/services"])
    assert refused.exit_code != 0 and "Importing from a web address is turned off" in refused.output


def test_cli_self_test_passes_on_live_data(app_ctx: Any, cli_runner: Any) -> None:
    factories.create_service()
    result = cli_runner.invoke(args=["oruk", "self-test"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("Valid")


def test_admin_uploads_a_file_and_sees_the_report(app_ctx: Any, client_request: ClientRequest) -> None:
    client_request.sign_in(factories.create_user(Role.ADMIN))
    page = client_request.get("/admin/open-data/import")
    assert page.h1 == "Import services from an Open Referral UK file"
    record = _example()
    body = (json.dumps(record) + "\n" + json.dumps({"id": "nope"}) + "\n").encode()
    page = client_request.post(
        "/admin/open-data/import",
        {"file": (io.BytesIO(body), "feed.ndjson"), "then": "publish"},
        expected_status=200,
        content_type="multipart/form-data",
    )
    assert "Import finished: 1 created, 0 updated, 0 unchanged, 1 rejected" in page.text()
    assert "nope:" in page.select("#rejections")[0].get_text()
    service = db.session.get(Service, record["id"])
    assert service.listing_status is ListingStatus.PUBLISHED and service.source == "upload:feed.ndjson"


def test_admin_upload_without_a_file_shows_an_error(app_ctx: Any, client_request: ClientRequest) -> None:
    client_request.sign_in(factories.create_user(Role.ADMIN))
    page = client_request.post("/admin/open-data/import", {"then": "queue"}, expected_status=200)
    assert page.error_summary() == ["Select an Open Referral UK file to import"]
    assert page.title.startswith("Error: ")
    assert db.session.scalar(db.select(db.func.count()).select_from(Service)) == 0


def test_a_value_too_long_for_microdir_is_rejected_with_a_reason(app_ctx: Any) -> None:
    record = load_example(PUBLISHED_EXAMPLES / "service_full.json")
    record["schedules"][0]["attending_type"] = "by arrangement" * 20 + "!" * 20  # 300 characters
    report = importer.import_services([record], publish=True)
    assert [r.reason for r in report.rejections] == ["schedule.attending_type is 300 characters; microdir keeps at most 255"]


def _copies(count: int) -> list[dict[str, Any]]:
    """``count`` copies of the example with their own service, organisation and child ids."""
    import uuid

    out = []
    for n in range(count):
        text = json.dumps(_example())
        for old in set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text)):
            text = text.replace(old, str(uuid.uuid5(uuid.NAMESPACE_URL, f"{old}/{n}")))
        out.append(json.loads(text))
    return out


def test_a_failing_record_in_a_batch_leaves_the_rest_of_the_batch_in(app_ctx: Any) -> None:
    records = _copies(5)
    records[2]["schedules"][0]["valid_from"] = "next Tuesday"  # passes the schema, fails when written
    seen: list[tuple[int, str]] = []
    report = importer.import_services(records, publish=True, batch_size=2, progress=lambda n, r: seen.append((n, r.summary())))
    db.session.commit()
    assert (report.created, report.rejected) == (4, 1)
    assert [r.record_id for r in report.rejections] == [records[2]["id"]]
    assert db.session.get(Service, records[2]["id"]) is None
    assert db.session.get(Organization, records[2]["organization"]["id"]) is None  # nothing half-written
    assert [n for n, _ in seen] == [2, 4, 5] and seen[-1][1] == "4 created, 0 updated, 0 unchanged, 1 rejected"
    again = importer.import_services(records, publish=True, batch_size=2)
    db.session.commit()
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 4, 1)
    for record in records[:2] + records[3:]:
        assert differences(record, _export(record["id"]), set(NOT_MODELLED)) == []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda r: r, id="valid"),
        pytest.param(lambda r: r.pop("status"), id="missing-status"),
        pytest.param(lambda r: r.update(url="https://example.org/a page"), id="uri-with-space"),
        pytest.param(lambda r: r.update(email="not-an-address"), id="email-without-at"),
        pytest.param(lambda r: r.update(id="1234"), id="bad-uuid"),
        pytest.param(lambda r: r["organization"].update(name=7), id="wrong-type"),
        pytest.param(lambda r: r.update(last_modified="yesterday"), id="bad-date-time"),
    ],
)
def test_the_importers_fast_check_agrees_with_jsonschema(change: Any) -> None:
    from microdir.oruk import validate

    record = _example()
    change(record)
    assert validate.record_errors(record, "service") == errors(record, "service")


# ---- the set-based path for new services (see importer._add_new) ----------------------------------------------


def _without_ids(value: Any) -> Any:
    """The same data with every id blanked and lists in a fixed order, to compare two copies of a record."""
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", json.dumps(value))

    def ordered(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: ordered(v) for k, v in item.items()}
        if isinstance(item, list):
            return sorted((ordered(v) for v in item), key=lambda v: json.dumps(v, sort_keys=True))
        return item

    return ordered(json.loads(text))


def test_new_services_are_written_with_one_insert_per_table(app_ctx: Any) -> None:
    from sqlalchemy import event

    records = _copies(30)
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        report = importer.import_services(records, publish=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    db.session.commit()
    assert report.created == 30
    assert len([s for s in statements if re.match(r"\s*INSERT INTO service \(", s)]) == 1
    inserts = [re.sub(r"\s*INSERT INTO (\w+).*", r"\1", s, flags=re.S) for s in statements if s.lstrip().startswith("INSERT")]
    # The change log goes through the ORM like every other edit (one row per service); the rest is set-based.
    assert len([t for t in inserts if t != "directory_change"]) <= 20, str(sorted(inserts))
    for record in records[:3]:
        assert differences(record, _export(record["id"]), set(NOT_MODELLED)) == []


def test_the_set_based_writer_stores_what_the_row_by_row_writer_stores(app_ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _copies(2)
    importer.import_services([fast], publish=True)
    monkeypatch.setattr(importer, "_fresh_records", lambda batch, rows: set())  # every record through the ORM
    importer.import_services([slow], publish=True)
    db.session.commit()
    assert _without_ids(_export(fast["id"])) == _without_ids(_export(slow["id"]))
    monkeypatch.undo()
    again = importer.import_services([fast, slow], publish=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_imported_services_reach_the_change_log_and_the_search_index(app_ctx: Any) -> None:
    from microdir.models import DirectoryChange
    from microdir.search import find_service_ids

    records = _copies(3)
    before = db.session.scalar(db.select(db.func.max(DirectoryChange.id))) or 0
    importer.import_services(records, publish=True)
    db.session.commit()  # the search index follows the change log on commit
    logged = set(db.session.scalars(db.select(DirectoryChange.service_id).where(DirectoryChange.id > before)))
    assert {r["id"] for r in records} <= logged
    found = {service_id for service_id, _ in find_service_ids(records[0]["name"])}
    assert {r["id"] for r in records} <= found


def test_a_batch_mixing_new_shared_and_existing_records_is_counted_right(app_ctx: Any) -> None:
    existing, first, second = _copies(3)
    importer.import_services([existing], publish=True)
    db.session.commit()
    second["service_at_locations"][0]["location"] = copy.deepcopy(first["service_at_locations"][0]["location"])
    existing["name"] = "Renamed in the feed"
    report = importer.import_services([existing, first, second], publish=True)
    db.session.commit()
    assert (report.created, report.updated, report.unchanged, report.rejected) == (2, 1, 0, 0), report.rejections
    venue = lambda record: _export(record["id"])["service_at_locations"][0]["location"]["id"]  # noqa: E731
    assert venue(first) == venue(second)  # one venue, shared
    assert _export(existing["id"])["name"] == "Renamed in the feed"


def test_the_api_serves_exactly_what_the_orm_relationships_hold(app_ctx: Any, client: Any) -> None:
    record = _example()
    importer.import_services([record], publish=True)
    db.session.commit()
    served = client.get(f"/api/oruk/services/{record['id']}").get_json()
    assert served == json.loads(json.dumps(_export(record["id"])))  # set-based loading == lazy loading
