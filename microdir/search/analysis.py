"""Text analysis for search: one analyser for indexing and querying, so both sides agree on every word.

English stemming (walks → walk, befriending → befriend), English stop words, accent folding (café → cafe).
Synonyms are NOT applied here: they are expanded at query time from the database (see ``synonyms.py``),
so a moderator's new synonym works at once, with no rebuild.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import Analyzer, CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.support.charset import accent_map

# Words with inner apostrophes stay whole ("alzheimer's" → "alzheimer's"), so the stemmer sees the word.
TOKEN_PATTERN = r"\w+(?:['’]\w+)*"


@lru_cache(maxsize=1)
def text_analyzer() -> Analyzer:
    """Return the analyser for every free-text field: tokenise, lowercase, fold accents, drop stop words, stem."""
    # renumber=True (the default) closes the gaps stop words leave, so a quoted phrase such as
    # "transport to hospital" matches the same way at index and query time.
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter()
        | StemFilter(lang="en", cachesize=50000)
    )


def fold(text: str) -> str:
    """Return ``text`` lowercased, without accents, with runs of spaces made one: the form stored in logs."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().lower()


def analyse(text: str) -> list[str]:
    """Return the indexed forms of the words in ``text``."""
    return [t.text for t in text_analyzer()(text)]
