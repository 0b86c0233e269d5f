"""A rebuild reads listings as plain rows and writes with worker processes: the index must be the one the ORM
listings and a single writer give, term by term, and a failing worker must leave the current index in place."""

from __future__ import annotations

import os
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.reading import SegmentReader

from microdir.demo.builder import DemoBuilder
from microdir.extensions import db
from microdir.models import (
    Accessibility,
    Address,
    AreaType,
    Language,
    Location,
    LocationType,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    utcnow,
)
from microdir.search import SearchRequest, build_workers, indexer, search_services, sidecars
from microdir.search.documents import is_indexable, service_document
from microdir.search.listing_rows import read_listings
from tests import factories


def _listing_with_every_kind_of_detail() -> Service:
    """One listing with what the demo directory may not have: a home venue, an online venue, venue languages,
    a radius, a one-off session, a moderator's override and an empty eligibility."""
    organization = factories.create_organization()
    profile = organization.profile
    profile.paid_workers, profile.paid_workers_fte = 9, Decimal("7.5")
    profile.unpaid_workers, profile.unpaid_workers_fte = 1, Decimal("0.5")
    profile.independent, profile.parent_body = False, "Big Charity"
    profile.moderator_override, profile.moderator_override_reason = True, "Runs on its own in practice"
    service = factories.build_service(organization, name="Café Crochet", alternate_name="Hooks",
                                      description="Crochet and chat.", eligibility_description=None,
                                      minimum_age=16, area=AreaType.COUNCILS)
    hall = service.locations[0]
    hall.accessibility.append(Accessibility(feature="step_free"))
    hall.accessibility.append(Accessibility(feature="hearing_loop"))
    hall.languages.append(Language(code="pa", name="Punjabi"))
    home = Location(organization=organization, name="My front room", latitude=52.5, longitude=-1.9,
                    is_private_home=True)
    home.addresses.append(Address(address_1="2 Side Street", city="Oldbury", state_province="Sandwell",
                                  postal_code="B69 4AA"))
    online = Location(organization=organization, name="Video call", location_type=LocationType.VIRTUAL)
    service.service_at_locations += [ServiceAtLocation(location=home), ServiceAtLocation(location=online)]
    service.schedules.append(Schedule(dtstart=date(2026, 12, 19), opens_at=time(18, 30)))
    service.schedules.append(Schedule(freq="MONTHLY", byday="-1FR", opens_at=time(13, 0)))
    service.service_areas.append(ServiceArea(area_type=AreaType.RADIUS, centre_latitude=52.48,
                                             centre_longitude=-1.95, radius_miles=3))
    service.service_areas.append(ServiceArea(area_type=AreaType.COMES_TO_YOU, outcodes=["b66 ", "B67"]))
    service.languages.append(Language(code="en", name="English"))
    db.session.commit()
    return service


def test_rows_give_the_same_documents_as_the_listings(ctx: Any) -> None:
    DemoBuilder(1).build()
    special = _listing_with_every_kind_of_detail()
    hidden = factories.create_service(name="Stale", last_verified_at=utcnow() - timedelta(days=900),
                                      first_published_at=utcnow() - timedelta(days=900))
    db.session.expire_all()
    services = {s.id: s for s in db.session.scalars(db.select(Service))}
    rows = read_listings(db.session, list(services))
    assert rows.keys() == services.keys()
    now, days = utcnow(), int(ctx.config["STALE_HIDE_DAYS"])
    for service_id, service in services.items():
        assert is_indexable(rows[service_id], now, days) == is_indexable(service, now, days), service.name
        assert service_document(rows[service_id]) == service_document(service), service.name
    assert not is_indexable(rows[hidden.id], now, days)
    document = service_document(rows[special.id])
    assert document["verified"] == "yes"  # the override, although 8 FTE and part of a larger body
    assert document["mode"] == "comes_to_you,remote,venue"
    assert document["language"] == "en,pa"
    assert document["day"] == "fr,sa,tu"
    assert document["time"] == "afternoon,evening,morning"
    assert "B69" not in document["text"].upper().split()  # the home venue's district is never indexed
    assert len(document["points"]) == 1
    assert document["area"]["outcodes"] == ["B66", "B67"]
    assert "eligibility" not in document and "access" in document


def _index_content(directory: str) -> dict[str, Any]:
    """Everything a search reads, by listing id instead of docnum (segments differ between builds)."""
    ix = whoosh_index.open_dir(directory)
    content: dict[str, Any] = {"postings": {}, "lengths": {}, "stored": {}}
    with ix.reader() as top:
        for reader in (top.leaf_readers() if hasattr(top, "leaf_readers") else [(top, 0)]):
            reader = reader[0]
            ids = {d: reader.stored_fields(d)["id"] for d in reader.all_doc_ids()}
            for docnum, service_id in ids.items():
                content["stored"][service_id] = reader.stored_fields(docnum)
                content["lengths"][service_id] = {f: reader.doc_field_length(docnum, f, 0)
                                                  for f in ("text", "name", "topics")}
            for fieldname, btext in reader.all_terms():
                postings = reader.postings(fieldname, btext)
                found = content["postings"].setdefault((fieldname, btext), {})
                while postings.is_active():
                    found[ids[postings.id()]] = postings.weight()
                    postings.next()
    return content


def test_two_workers_build_the_index_one_writer_builds(ctx: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(indexer, "BATCH", 40)  # several batches, so both workers get some
    DemoBuilder(1).build()
    _listing_with_every_kind_of_detail()
    count_one, _ = indexer.rebuild(ctx, procs=1)
    one = _index_content(indexer.current_dir(indexer.get_manager().root))
    count_two, _ = indexer.rebuild(ctx, procs=2)
    directory = indexer.current_dir(indexer.get_manager().root)
    two = _index_content(directory)
    assert count_two == count_one > 100
    assert len(whoosh_index.open_dir(directory)._read_toc().segments) == 2  # one segment a worker
    assert two["stored"] == one["stored"]
    assert two["lengths"] == one["lengths"]
    assert two["postings"] == one["postings"]
    assert indexer.check(ctx) == []
    # Each worker wrote its segment's sidecar, with the arrays a read-back gives.
    toc = whoosh_index.open_dir(directory)._read_toc()
    for segment in toc.segments:
        written = sidecars.Sidecar(sidecars.path_for(directory, segment.segment_id()))
        assert written.matches(segment.segment_id(), segment.doc_count_all())
        reader = SegmentReader(whoosh_index.open_dir(directory).storage, toc.schema, segment)
        try:
            expected = sidecars.build(reader)
            assert written.arrays.keys() == expected.keys()
            for name, array in expected.items():
                assert written.arrays[name].dtype == array.dtype and np.array_equal(written.arrays[name], array), name
        finally:
            reader.close()
    assert search_services(SearchRequest(text="crochet")).hits[0].service_id is not None


def test_an_index_without_empty_fields_is_the_same_index(ctx: Any, tmp_path: Any) -> None:
    # service_document leaves out empty text (Whoosh spent as long on it as on a full field).
    services = [factories.create_service(name=f"Walk {i}", categories=() if i % 2 else ("friendship",),
                                         needs=()) for i in range(6)]
    directories = []
    for keep_empty in (True, False):
        directory = tmp_path / f"keep-{keep_empty}"
        directory.mkdir()
        ix = whoosh_index.create_in(str(directory), indexer.SCHEMA)
        with ix.writer() as writer:
            for service in services:
                document = service_document(service)
                if keep_empty:
                    document = {**{name: "" for name in indexer.SCHEMA.names() if name not in ("area", "points")},
                                **document}
                writer.add_document(**document)
        directories.append(str(directory))
    with_empty, without = (_index_content(d) for d in directories)
    assert "topics" not in service_document(services[1])
    assert with_empty == without


def test_a_failing_worker_fails_the_rebuild_and_the_current_index_stays(ctx: Any, monkeypatch: Any) -> None:
    kept = [factories.create_service(name=f"Knit {i}") for i in range(4)]
    indexer.rebuild(ctx, procs=1)
    root = indexer.get_manager().root
    before = indexer.current_dir(root)

    def broken(session: Any, ids: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(build_workers, "read_listings", broken)  # the workers are forked: they see it too
    with pytest.raises(build_workers.BuildFailed, match="disk full"):
        indexer.rebuild(ctx, procs=2)
    assert indexer.current_dir(root) == before
    assert [n for n in os.listdir(root) if n.startswith("gen-")] == [os.path.basename(before)]
    assert {h.service_id for h in search_services(SearchRequest(text="knit")).hits} == {s.id for s in kept}


def test_a_worker_that_dies_fails_the_rebuild(ctx: Any, monkeypatch: Any) -> None:
    factories.create_service(name="Knit")

    def dies(session: Any, ids: Any) -> Any:
        os._exit(3)

    monkeypatch.setattr(build_workers, "read_listings", dies)
    with pytest.raises(build_workers.BuildFailed, match="exit code 3"):
        indexer.rebuild(ctx, procs=2)


def test_a_forked_process_opens_its_own_gazetteer_connection(ctx: Any) -> None:
    from microdir.geo import get_gazetteer

    gazetteer = get_gazetteer()
    assert gazetteer.geocode_postcode("B66 1AA") is not None
    inherited = gazetteer._connection()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether it reused the parent's connection, and that lookups still work
        ok = gazetteer._connection() is not inherited and gazetteer.geocode_postcode("B66 1AA") is not None
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert gazetteer._connection() is inherited  # the parent's is untouched
