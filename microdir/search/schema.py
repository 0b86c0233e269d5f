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

# The one searchable text field is built from these parts, each repeated this many times: repetition is the
# boost. Measured at 10k listings: an Or over six separately boosted fields per word cost 190 ms p50 (the union
# matchers dominate); one field costs one posting list per word.
TEXT_PARTS: dict[str, int] = {
    "name": 3,  # what people remember: the strongest match
    "topics": 2,  # category and need names plus the taxonomy keywords ("memory, alzheimer's")
    "description": 1,
    "eligibility": 1,
    "place": 1,  # town, council and postcode district of venues and areas served
    "organisation": 1,
}
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
        # The listing's name, stored for listing by name; not indexed (it is inside ``text``, boosted ×3).
        name=STORED(),
        # All searchable words (see TEXT_PARTS for what goes in and how often). Stemmed, stop words dropped,
        # accents folded; positions kept so quoted phrases work; spelling=True also indexes the unstemmed words
        # for "Did you mean" and typo correction.
        text=TEXT(analyzer=analyzer, spelling=True),
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
        area=STORED(),
    )


SCHEMA = build_schema()


def geocell(lat: float, lon: float) -> str:
    """Return the id of the 0.1° cell holding a point."""
    return f"{int((lat + 90) / GEOCELL_DEGREES)}:{int((lon + 180) / GEOCELL_DEGREES)}"
