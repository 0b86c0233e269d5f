"""The search schema: one place, a comment per field on why it has its type and boost.

Measured (SEARCH-NOTES.md): NUMERIC(float) lat/lon with trie tiers made the index 3× bigger and the build 2.7×
slower, so points are STORED and filtered through a coarse ``geocell`` term; sort-only numbers use
``shift_step=0``; long text is not stored (the page reads it from the database).
"""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import text_analyzer

# Geocells are 0.1° squares (about 11 × 7 km in England): small enough that a 5-mile search reads few cells.
GEOCELL_DEGREES = 0.1

# Every searchable word goes once into ``text`` (matching, phrases, counts); the name and the topics are ALSO
# indexed in small fields of their own, which the scoring query adds with these boosts. This replaced repeating
# the name 3× and topics 2× inside ``text``, which made every document ~35% longer to analyse and store.
# Measured at 10k listings: matching uses only ``text`` through cached docnum bitmaps, and only the candidates
# are scored, so the extra fields cost one small posting list each per word at scoring time.
TEXT_PARTS: tuple[str, ...] = ("name", "topics", "description", "eligibility", "place", "organisation")
NAME_FIELD = "name"
NAME_BOOST = 2.0  # what people remember: the strongest match
TOPICS_FIELD = "topics"
TOPICS_BOOST = 1.0  # category and need names plus the taxonomy keywords ("memory, alzheimer's")
TEXT_FIELD = "text"

# Facet name used by the API and pages → index field.
FACETS: dict[str, str] = {
    "category": "category",
    "need": "need",
    "cost": "cost",
    "day": "day",
    "time": "time",
    "access": "access",
    "language": "language",
    "verified": "verified",
    "capacity": "capacity",
    "mode": "mode",
}

AGE_UNKNOWN_MIN = 0
AGE_UNKNOWN_MAX = 150


def build_schema() -> Schema:
    """Return the schema of the listings index."""
    analyzer = text_analyzer()
    return Schema(
        # The service's UUID; unique so update_document replaces the one old copy.
        id=ID(stored=True, unique=True),
        # Service.version at indexing time; `flask index check` compares it with the database.
        version=NUMERIC(int, bits=32, stored=True, shift_step=0),
        # The listing's name: stored for listing by name, and indexed (no positions) for the name boost.
        name=TEXT(analyzer=analyzer, stored=True, phrase=False),
        # Category and need names and keywords, for the topics boost (no positions: phrases use ``text``).
        topics=TEXT(analyzer=analyzer, phrase=False),
        # All searchable words, once each part (see TEXT_PARTS). Stemmed, stop words dropped, accents folded;
        # positions kept so quoted phrases work. No spelling=True: it analysed every document twice (a third of
        # the build time); "Did you mean" corrects against this field's own stems (see queries._correct).
        text=TEXT(analyzer=analyzer),
        # Facets: KEYWORD (comma-separated, exact, lowercase) so each value is one term; not scored.
        category=KEYWORD(commas=True, lowercase=True),  # category codes ("friendship")
        need=KEYWORD(commas=True, lowercase=True),  # need codes ("dementia")
        cost=KEYWORD(commas=True, lowercase=True),  # CostType values
        day=KEYWORD(commas=True, lowercase=True),  # mo..su
        time=KEYWORD(commas=True, lowercase=True),  # morning, afternoon, evening
        access=KEYWORD(commas=True, lowercase=True),  # accessibility feature keys
        language=KEYWORD(commas=True, lowercase=True),  # language codes or names
        verified=KEYWORD(commas=True, lowercase=True),  # "yes" when the organisation passes the micro-provider rule
        capacity=KEYWORD(commas=True, lowercase=True),  # CapacityStatus value
        mode=KEYWORD(commas=True, lowercase=True),  # venue, comes_to_you, remote
        # Ages: NUMERIC for range filters; shift_step=0 because there are only ~100 distinct values
        # (sortable: a column for cheap sorting). Unknown ages are indexed as 0 and 150.
        min_age=NUMERIC(int, bits=32, shift_step=0, sortable=True),
        max_age=NUMERIC(int, bits=32, shift_step=0, sortable=True),
        # One 0.1° cell per venue ("524:-198"): a cheap term filter before exact distances in Python.
        geocell=KEYWORD(commas=True),
        # [[lat, lon], …] of every public venue, for exact distances on the hits.
        points=STORED(),
        # Area served, for matching places without a venue: lad codes and outcodes as terms,
        # radius and flags in ``area`` (stored).
        area_lad=KEYWORD(commas=True),
        area_outcode=KEYWORD(commas=True, lowercase=True),
        area_kind=KEYWORD(commas=True),  # councils, districts, radius, comes_to_you, remote
        # The council (LAD code) of each public venue, so a council, county or region is searched as an area.
        venue_lad=KEYWORD(commas=True),
        area=STORED(),
    )


SCHEMA = build_schema()

# Bump whenever build_schema() or the document converter changes shape. A node whose index was built with
# another version rebuilds it on `flask index update`/`follow`, and /healthz reports it until then.
SCHEMA_VERSION = 3  # 3: venue_lad


def geocell(lat: float, lon: float) -> str:
    """Return the id of the 0.1° cell holding a point."""
    return f"{int((lat + 90) / GEOCELL_DEGREES)}:{int((lon + 180) / GEOCELL_DEGREES)}"
