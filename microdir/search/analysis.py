"""Text analysis for search: one analyser for indexing and querying, so both sides agree on every word.

English stemming (walks → walk, befriending → befriend), English stop words, accent folding (café → cafe).
Synonyms are NOT applied here: they are expanded at query time from the database (see ``synonyms.py``),
so a moderator's new synonym works at once, with no rebuild.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from whoosh.analysis import Analyzer, CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter, Token
from whoosh.analysis.analyzers import CompositeAnalyzer
from whoosh.support.charset import accent_map

# Words with inner apostrophes stay whole ("alzheimer's" → "alzheimer's"), so the stemmer sees the word.
TOKEN_PATTERN = r"\w+(?:['’]\w+)*"


# Words remembered by the fused analyser (raw word → indexed form); ~50 bytes each, cleared when full.
WORD_CACHE_SIZE = 200_000


class FusedTextAnalyzer(CompositeAnalyzer):
    """The chain below, run as one loop with a cache from each raw word to its indexed form (or to "stop").

    Profiled on a 10k-listing build, the five chained generators (one Python call per filter per word) were
    ~40% of ``add_document``; most words repeat, so after the first time a word costs one dict lookup.
    The tokens are exactly the chain's: same text, same positions (stop words renumbered away), so index
    and query agree. Unusual calls (character offsets, stop words kept, no tokenising, no stemming) take the
    chain itself. It is pickled into the index's schema, so it must stay importable under this name.
    """

    def __init__(self) -> None:
        super().__init__(
            RegexTokenizer(TOKEN_PATTERN),
            LowercaseFilter(),
            CharsetFilter(accent_map),
            # renumber=True (the default) closes the gaps stop words leave, so a quoted phrase such as
            # "transport to hospital" matches the same way at index and query time.
            StopFilter(),
            StemFilter(lang="en", cachesize=50000),
        )
        self._words: dict[str, str | None] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"items": self.items}  # the word cache is not part of the schema

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.items = state["items"]
        self._words = {}

    def _form(self, word: str) -> str | None:
        """Return the indexed form of one raw token, or None for a stop word (what the chain does to it)."""
        stop: StopFilter = self.items[3]  # type: ignore[assignment]
        stem: StemFilter = self.items[4]  # type: ignore[assignment]
        text = word.lower().translate(accent_map)  # type: ignore[arg-type]  # whoosh keys it by code point
        if len(text) < stop.min or (stop.max is not None and len(text) > stop.max) or text in stop.stops:
            return None
        return text if text in stem.ignore else stem._stem(text)

    def __call__(self, value: str, no_morph: bool = False, **kwargs: Any) -> Iterator[Token]:  # type: ignore[override]
        if (no_morph or kwargs.get("chars") or kwargs.get("keeporiginal") or not kwargs.get("removestops", True)
                or not kwargs.get("tokenize", True)):
            return super().__call__(value, no_morph=no_morph, **kwargs)
        return self._fast(value, **kwargs)

    def _fast(self, value: str, positions: bool = False, start_pos: int = 0, mode: str = "",
              **kwargs: Any) -> Iterator[Token]:
        kwargs.pop("chars", None), kwargs.pop("keeporiginal", None), kwargs.pop("removestops", None)
        kwargs.pop("tokenize", None), kwargs.pop("start_char", None)
        words = self._words
        if len(words) > WORD_CACHE_SIZE:
            words.clear()
        t = Token(positions, False, removestops=True, mode=mode, **kwargs)
        pos: int | None = None
        for index, match in enumerate(self.items[0].expression.finditer(value)):  # type: ignore[attr-defined]
            raw = match.group(0)
            try:
                form = words[raw]
            except KeyError:
                form = words[raw] = self._form(raw)
            if form is None:
                continue
            t.text = form
            t.boost = 1.0
            t.stopped = False
            if positions:
                # As StopFilter(renumber=True): the first kept word keeps its place, the rest follow on.
                pos = start_pos + index if pos is None else pos + 1
                t.pos = pos
            yield t


@lru_cache(maxsize=1)
def text_analyzer() -> Analyzer:
    """Return the analyser for every free-text field: tokenise, lowercase, fold accents, drop stop words, stem."""
    return FusedTextAnalyzer()


def fold(text: str) -> str:
    """Return ``text`` lowercased, without accents, with runs of spaces made one: the form stored in logs."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().lower()


def analyse(text: str) -> list[str]:
    """Return the indexed forms of the words in ``text``."""
    return [t.text for t in text_analyzer()(text)]
