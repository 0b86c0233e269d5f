"""Scoring from posting arrays gives Whoosh's own scores, and an index update keeps what unchanged segments held."""

from __future__ import annotations

from pathlib import Path

from whoosh import query as Q
from whoosh.writing import NO_MERGE

from microdir.search import indexer, postings
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
