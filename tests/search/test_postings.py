"""Scoring from posting arrays gives Whoosh's own scores, and an index update keeps what unchanged segments held."""

from __future__ import annotations

from pathlib import Path

from whoosh import query as Q
from whoosh.writing import NO_MERGE

from microdir.search import indexer, postings, queries
from microdir.search.queries import SearchRequest, run_search

WORDS = "lunch club dementia cafe walking group carers garden knitting befriending".split()


def _doc(i: int, extra: str = "") -> dict[str, object]:
    words = " ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 2 + i % 5))
    name = f"{WORDS[i % len(WORDS)].title()} {i}"
    return {"id": f"svc-{i}", "version": 1, "name": name, "topics": WORDS[(i + 3) % len(WORDS)],
            "text": f"{name} . {words} {extra}", "cost": "free" if i % 2 else "fixed", "points": [], "area": {}}


def _index(tmp_path: Path) -> indexer.IndexManager:
    root = str(tmp_path / "index")
    indexer.ensure_index(root)
    manager = indexer.IndexManager(root)
    ix = manager.open_index()
    for start in (0, 40):  # two segments
        with ix.writer(mergetype=NO_MERGE) as writer:
            for i in range(start, start + 40):
                writer.add_document(**_doc(i))
    return manager


def _whoosh_scores(searcher: object, fieldname: str, text: str) -> tuple[list[int], list[float]]:
    docs, scores = [], []
    context = searcher.context()  # type: ignore[attr-defined]
    for sub, offset in searcher.leaf_searchers():  # type: ignore[attr-defined]
        if (fieldname, text) not in sub.reader():
            continue
        matcher = Q.Term(fieldname, text).matcher(sub, context)
        while matcher.is_active():
            docs.append(matcher.id() + offset)
            scores.append(float(matcher.score()))
            matcher.next()
    return docs, scores


def test_scores_from_posting_arrays_are_whooshs_own(tmp_path: Path) -> None:
    manager = _index(tmp_path)
    with manager.use() as state:
        assert len(list(state.searcher.leaf_searchers())) == 2
        for fieldname, text in [("text", "lunch"), ("text", "club"), ("name", "dementia"), ("topics", "garden")]:
            docs, scores = postings.term_scores(state.store, state.searcher, fieldname, text)
            assert (docs.tolist(), scores.tolist()) == _whoosh_scores(state.searcher, fieldname, text)
    manager.close()


def test_an_update_keeps_unchanged_segments_and_shows_the_change(tmp_path: Path) -> None:
    manager = _index(tmp_path)
    with manager.use() as state:
        before = run_search(state, SearchRequest(text="lunch"), {})
        kept = {key[:2] for key in state.store.postings}
    assert len(kept) == 2 and before.total > 0
    ix = manager.open_index()
    # An edit as the change-log follower makes it; NO_MERGE stands for a big index, whose large segments the
    # default policy leaves alone (it merges only small ones).
    with ix.writer(mergetype=NO_MERGE) as writer:
        writer.update_document(**_doc(1, extra="zebrafinch"))
        writer.delete_by_term("id", "svc-2")
    with manager.use() as state:
        segments = {postings.segment_key(sub.reader()) for sub, _ in state.searcher.leaf_searchers()}
        assert len(segments) == 3 and kept <= segments
        assert {key[:2] for key in state.store.postings} == kept  # read before the update, still held
        found = run_search(state, SearchRequest(text="zebrafinch"), {})
        assert [hit.service_id for hit in found.hits] == ["svc-1"]
        after = run_search(state, SearchRequest(text="lunch"), {})
        ids = {hit.service_id for hit in after.hits}
        assert "svc-2" not in ids and after.total == before.total - ("lunch" in str(_doc(2)["text"]))
        docs, scores = postings.term_scores(state.store, state.searcher, "text", "lunch")
        assert (docs.tolist(), scores.tolist()) == _whoosh_scores(state.searcher, "text", "lunch")
    manager.close()


def test_one_edit_lookup_finds_the_words_whooshs_walk_finds(tmp_path: Path) -> None:
    from whoosh.reading import IndexReader

    manager = _index(tmp_path)
    with manager.use() as state:
        vocabularies = [postings.vocabulary(state.store, sub.reader(), "text")
                        for sub, _ in state.searcher.leaf_searchers()]
        for typo in ["lnch", "lunhc", "clubb", "demntia", "gardne", "knittingg", "xyz", "cafe", "waking"]:
            for prefix in (0, 1, 2):
                walked = {w.decode() if isinstance(w, bytes) else w
                          for w in IndexReader.terms_within(state.searcher.reader(), "text", typo, 1, prefix=prefix)}
                assert postings.words_within_one(vocabularies, typo, prefix) == walked, (typo, prefix)
    manager.close()


def test_reopening_ahead_keeps_what_unchanged_segments_held(tmp_path: Path) -> None:
    manager = _index(tmp_path)
    with manager.use() as state:
        run_search(state, SearchRequest(text="lunch club"), {})
        kept = {key[:2] for key in state.store.postings}
    with manager.open_index().writer(mergetype=NO_MERGE) as writer:
        writer.update_document(**_doc(5, extra="zebrafinch"))
    assert manager.reopen_ahead(lambda state: None)  # the warming thread's step
    with manager.use() as state:
        assert {key[:2] for key in state.store.postings} == kept
        assert [hit.service_id for hit in run_search(state, SearchRequest(text="zebrafinch"), {}).hits] == ["svc-5"]
    manager.close()


def _reference_order(state: indexer.SearcherState, text: str) -> list[tuple[str, float]]:
    """Rank as Whoosh itself would: its matcher's BM25F score for every full match, the name/topics bonus, by score."""
    from microdir.search import queries

    cache = queries._Cache(state)
    plan = queries.build_text_query(cache, text, {})
    assert plan.query is not None
    score_query = Q.Or(plan.groups + plan.optional) if plan.optional else plan.query
    s = state.searcher
    matched = sorted(s.docs_for_query(plan.query))
    scores = queries.score_docs(s, score_query, matched)
    name = set(s.docs_for_query(Q.And([Q.Term("name", t) for t in plan.stems])))
    topics = set(s.docs_for_query(Q.And([Q.Term("topics", t) for t in plan.stems])))
    for d in scores:
        scores[d] *= queries.NAME_MATCH_BONUS if d in name else queries.TOPICS_MATCH_BONUS if d in topics else 1.0
    best = sorted(scores, key=lambda d: (-scores[d], d))[:20]
    return [(s.stored_fields(d)["id"], scores[d]) for d in best]


def _app_doc(i: int, extra: str = "") -> dict[str, object]:
    doc = _doc(i, extra)
    doc["text"] = f"{doc['text']} {doc['topics']}"  # as documents.py writes it: the topics are in ``text`` too
    return doc


def test_results_come_in_whooshs_own_order(tmp_path: Path) -> None:
    root = str(tmp_path / "index")
    indexer.ensure_index(root)
    manager = indexer.IndexManager(root)
    for start in (0, 40):  # two segments
        with manager.open_index().writer(mergetype=NO_MERGE) as writer:
            for i in range(start, start + 40):
                writer.add_document(**_app_doc(i))
    with manager.open_index().writer(mergetype=NO_MERGE) as writer:  # a third segment and a deletion
        writer.update_document(**_app_doc(7, extra="lunch lunch club"))
        writer.delete_by_term("id", "svc-12")
    with manager.use() as state:
        for text in ["lunch", "lunch club", "dementia cafe", "garden club", "carers knitting", "befriendng"]:
            results = run_search(state, SearchRequest(text=text), {})
            assert not results.relaxed and results.hits, text
            expected = _reference_order(state, text)
            assert [h.service_id for h in results.hits] == [i for i, _ in expected], text
            assert [h.score for h in results.hits] == [round(v, 4) for _, v in expected], text
    manager.close()


def test_best_first_is_the_order_a_full_sort_gives() -> None:
    import heapq

    import numpy as np

    from microdir.search.queries import _best

    rng = np.random.default_rng(3)
    for size, count in [(0, 5), (3, 20), (50, 20), (500, 20), (5000, 40)]:
        docs = np.sort(rng.choice(100_000, size=size, replace=False)).astype(np.int64)
        scores = rng.integers(0, 6, size=size).astype(np.float64) / 4  # many ties
        tiers = rng.integers(0, 2, size=size).astype(np.int8)
        expected = heapq.nsmallest(count, range(size), key=lambda i: (tiers[i], -scores[i], docs[i]))
        assert _best(count, tiers, scores, docs).tolist() == expected


def test_a_spelling_candidates_form_is_what_the_analyser_gives() -> None:
    from microdir.search.analysis import analyse
    from microdir.search.queries import letters_form

    for word in ["befriending", "befriendign", "the", "a", "walks", "café", "naïve", "ponies", "generously", "x",
                 "dying", "skies", "news", "organizations", "alzheimers", "gardneing"]:
        assert [letters_form(word)] == (analyse(word) or [None]), word


def _sidecar_index(tmp_path: Path) -> indexer.IndexManager:
    """Two segments with venues and served radii, a deletion, and each segment's sidecar written after its commit."""
    from microdir.search import sidecars
    from microdir.search.schema import geocell

    root = str(tmp_path / "index")
    indexer.ensure_index(root)
    manager = indexer.IndexManager(root)
    for start in (0, 40):
        with manager.open_index().writer(mergetype=NO_MERGE) as writer:
            for i in range(start, start + 40):
                doc = _app_doc(i)
                doc["points"] = [[52.4 + i / 100, -1.9 - i / 200]] * (1 + i % 2) if i % 3 else []
                doc["area"] = {"radius": [[52.5, -1.8, 5.0 + i % 4]]} if i % 5 == 0 else \
                    {"comes_to_you": True} if i % 7 == 0 else {"remote": True} if i % 11 == 0 else {}
                doc["area_kind"] = "radius" if i % 5 == 0 else ""
                doc["geocell"] = ",".join(geocell(lat, lon) for lat, lon in doc["points"])  # type: ignore[attr-defined]
                doc["mode"] = "venue" if doc["points"] else "remote"
                writer.add_document(**doc)
        sidecars.write_missing(indexer.current_dir(root))
    with manager.open_index().writer(mergetype=NO_MERGE) as writer:
        writer.delete_by_term("id", "svc-12")
    return manager


def test_a_sidecar_holds_exactly_what_whoosh_reads(tmp_path: Path) -> None:
    from microdir.search import sidecars

    manager = _sidecar_index(tmp_path)
    with manager.use() as state:
        for sub, _offset in state.searcher.leaf_searchers():
            reader = sub.reader()
            side = sidecars.open_for(reader)
            assert side is not None
            for fieldname in sidecars.posting_fields(reader.schema):
                for btext in reader.lexicon(fieldname):
                    text = reader.schema[fieldname].from_bytes(btext)
                    ids, tf = side.postings(fieldname, btext)
                    docs, weights = [], []  # Whoosh stepping its own matcher, deleted documents included
                    matcher = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format, scorer=None)
                    while matcher.is_active():
                        docs.append(matcher.id())
                        weights.append(matcher.weight())
                        matcher.next()
                    assert (ids.tolist(), tf.tolist()) == (docs, weights), (fieldname, text)
            for fieldname in sidecars.SCORED_FIELDS:
                codes = side.length_codes(fieldname)
                assert codes is not None
                assert postings._LENGTHS[codes].tolist() == [float(reader.doc_field_length(d, fieldname, 0))
                                                            for d in range(reader.doc_count_all())]
            for d in range(reader.doc_count_all()):
                stored = reader.stored_fields(d)
                flags = int(side.arrays["docs.flags"][d])
                assert (side.arrays["docs.id"][d].decode(), bool(flags & sidecars.FLAG_COMES_TO_YOU),
                        bool(flags & sidecars.FLAG_REMOTE)) == (stored["id"], bool(stored["area"].get("comes_to_you")),
                                                                bool(stored["area"].get("remote")))
            starts, lats, lons = postings.segment_points(state.store, reader) or ([], [], [])
            for d in range(reader.doc_count_all()):
                points = [[lats[i], lons[i]] for i in range(starts[d], starts[d + 1])]
                assert points == (reader.stored_fields(d).get("points") or [])
    manager.close()


def test_searches_answer_the_same_with_and_without_sidecars(tmp_path: Path) -> None:
    from microdir.geo import PlaceKind, ResolvedPlace

    manager = _sidecar_index(tmp_path)
    near = ResolvedPlace(query="B66", kind=PlaceKind.DISTRICT, label="B66", lat=52.5, lon=-1.9, lad_code="E08000028",
                         council="Sandwell", outcode="B66")
    requests = [SearchRequest(text="lunch club"), SearchRequest(text="dementia", place=near), SearchRequest(text="cafe"),
                SearchRequest(text="garden", place=near, order="nearest"), SearchRequest(text="knittng")]

    def answers() -> list[object]:
        with manager.use() as state:
            found = [run_search(state, r, {}) for r in requests]
            return [(r.total, [(h.service_id, h.score, h.distance_miles, h.label) for h in r.hits]) for r in found]

    with_sidecars = answers()
    assert all(total for total, _ in with_sidecars), with_sidecars
    with manager.use() as state:
        assert all(side is not None for _, _, side, _ in queries._Cache(state).segments())
    manager.close()
    for path in Path(indexer.current_dir(manager.root)).glob("*.mdarrays"):
        path.unlink()
    manager = indexer.IndexManager(manager.root)
    with manager.use() as state:
        assert all(side is None for _, _, side, _ in queries._Cache(state).segments())
    assert answers() == with_sidecars
    manager.close()


def test_a_sidecar_that_does_not_match_its_segment_is_ignored(tmp_path: Path) -> None:
    from microdir.search import sidecars

    manager = _sidecar_index(tmp_path)
    folder = indexer.current_dir(manager.root)
    paths = sorted(Path(folder).glob("*.mdarrays"))
    paths[0].write_bytes(b"not a sidecar")
    segment_id = paths[1].name.removesuffix(sidecars.SUFFIX)
    sidecars.write(folder, segment_id, 3, {"text.terms": postings.np.array([b"x"])})  # another document count
    with manager.use() as state:
        assert all(sidecars.open_for(sub.reader()) is None for sub, _ in state.searcher.leaf_searchers())
        expected = len(list(state.searcher.docs_for_query(Q.Term("text", "lunch"))))
        assert run_search(state, SearchRequest(text="lunch"), {}).total == expected > 0
    manager.close()


def test_an_edit_writes_its_segments_sidecar_and_is_found(tmp_path: Path) -> None:
    from microdir.search import sidecars

    manager = _sidecar_index(tmp_path)
    with manager.use() as state:
        assert run_search(state, SearchRequest(text="lunch"), {}).total
    ix = manager.open_index()
    with ix.writer(mergetype=NO_MERGE) as writer:
        writer.update_document(**_app_doc(3, extra="zebrafinch"))
    assert len(sidecars.write_missing(indexer.current_dir(manager.root))) == 1  # only the new segment
    with manager.use() as state:
        assert all(sidecars.open_for(sub.reader()) is not None for sub, _ in state.searcher.leaf_searchers())
        assert [h.service_id for h in run_search(state, SearchRequest(text="zebrafinch"), {}).hits] == ["svc-3"]
    manager.close()
