"""The microdir category list: eight kinds of micro-provider service, and a list of needs.

Ids are uuid5 of a stable URI, so every deployment, export and import agrees on them.
"""

from __future__ import annotations

import uuid

from ..extensions import db
from ..models import Taxonomy, TaxonomyTerm

TAXONOMY_URI = "https://microdir.org.uk/taxonomy/"
CATEGORIES_TAXONOMY_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, TAXONOMY_URI + "categories"))
NEEDS_TAXONOMY_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, TAXONOMY_URI + "needs"))

# (code, name, description, search keywords)
CATEGORIES: list[tuple[str, str, str, str]] = [
    ("supported-living", "Supported living and tenancies", "Help to live in your own home or tenancy, with support from people you know.", "supported living, tenancy, home support, independent living"),
    ("wellbeing-health", "Wellbeing and health", "Activities and support that help you feel well in body and mind.", "wellbeing, health, exercise, mental health, mindfulness"),
    ("leisure-arts", "Leisure and arts", "Music, dance, crafts, drama, gardening and other things to enjoy with others.", "arts, crafts, music, dance, singing, drama, gardening, hobbies"),
    ("short-breaks", "Holidays and short breaks", "Breaks away or days out, for people who need support and for the people who care for them.", "short breaks, respite, holidays, days out, break"),
    ("friendship", "Friendship and good neighbour", "Befriending, visiting and good-neighbour help, so nobody has to feel alone.", "befriending, friendship, companionship, visiting, good neighbour, someone to talk to"),
    ("drop-ins-lunch-clubs", "Drop-ins and lunch clubs", "Places to drop in, have a meal and meet people.", "lunch club, drop-in, cafe, meal, coffee morning"),
    ("advice", "Advice and representation", "Help to understand your options and have your say, including advocacy.", "advice, advocacy, representation, forms, benefits"),
    ("transport", "Transport", "Community transport, lifts and help getting to places.", "community transport, lift, ride, driver, minibus, transport"),
]

NEEDS: list[tuple[str, str, str, str]] = [
    ("loneliness", "Loneliness and isolation", "For people who feel lonely or cut off.", "lonely, isolated, isolation, alone, someone to talk to"),
    ("dementia", "Dementia and memory", "For people living with dementia or memory loss, and those who care for them.", "dementia, memory, alzheimer's, alzheimers, forgetful"),
    ("carers", "Carers", "For people who look after a family member or friend.", "carer, carers, caring for, looking after"),
    ("learning-disability", "Learning disability", "For people with a learning disability.", "learning disability, learning disabilities, down's syndrome"),
    ("autism", "Autism", "For autistic people and their families.", "autism, autistic, asd, asperger's"),
    ("mental-health", "Mental health", "For people looking after their mental health.", "mental health, anxiety, depression, low mood, stress"),
    ("physical-activity", "Physical activity", "Ways to move more, at your own pace.", "exercise, walking, walks, fitness, movement, chair exercise"),
    ("food", "Food and meals", "Meals, cooking and food support.", "food, meals, lunch, cooking, hot meal"),
    ("getting-out", "Getting out and about", "Help to get out of the house and about.", "getting out, out and about, trips, outings"),
    ("physical-disability", "Physical disability", "For people with a physical disability.", "physical disability, wheelchair, mobility"),
    ("older-people", "Older people", "For older people.", "older people, elderly, pensioners, later life"),
    ("young-people", "Children and young people", "For children, young people and families.", "young people, children, teenagers, youth, families"),
    ("bereavement", "Bereavement", "For people who have lost someone.", "bereavement, grief, loss, widowed"),
    ("sensory-impairment", "Sight or hearing loss", "For people with sight or hearing loss.", "sight loss, blind, deaf, hearing loss, visual impairment"),
    ("long-term-conditions", "Long-term health conditions", "For people living with a long-term condition.", "long-term condition, stroke, parkinson's, diabetes, copd"),
    ("practical-help", "Practical help at home", "Help with everyday jobs at home.", "shopping, gardening help, odd jobs, household tasks, cleaning"),
]


def term_id(taxonomy: str, code: str) -> str:
    """Return the stable id of a category or need."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{TAXONOMY_URI}{taxonomy}/{code}"))


def seed_taxonomy() -> tuple[int, int]:
    """Create or update the category and needs taxonomies; return (created, updated). Safe to run again."""
    created = updated = 0
    for tax_id, name, description, slug, rows in (
        (CATEGORIES_TAXONOMY_ID, "microdir service categories", "The eight kinds of micro-provider service.", "categories", CATEGORIES),
        (NEEDS_TAXONOMY_ID, "microdir needs", "What matters to the person: the needs a service meets.", "needs", NEEDS),
    ):
        taxonomy = db.session.get(Taxonomy, tax_id)
        if taxonomy is None:
            taxonomy = Taxonomy(id=tax_id)
            db.session.add(taxonomy)
        taxonomy.name, taxonomy.description, taxonomy.uri, taxonomy.version = name, description, TAXONOMY_URI + slug, "1"
        for code, term_name, term_description, keywords in rows:
            term = db.session.get(TaxonomyTerm, term_id(slug, code))
            values = {
                "code": code,
                "name": term_name,
                "description": term_description,
                "keywords": keywords,
                "taxonomy": name,
                "taxonomy_id": tax_id,
                "term_uri": f"{TAXONOMY_URI}{slug}/{code}",
                "language": "en",
            }
            if term is None:
                db.session.add(TaxonomyTerm(id=term_id(slug, code), **values))
                created += 1
            elif any(getattr(term, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(term, key, value)
                updated += 1
    db.session.flush()
    return created, updated


def categories() -> list[TaxonomyTerm]:
    return list(db.session.scalars(db.select(TaxonomyTerm).where(TaxonomyTerm.taxonomy_id == CATEGORIES_TAXONOMY_ID).order_by(TaxonomyTerm.name)))


def needs() -> list[TaxonomyTerm]:
    return list(db.session.scalars(db.select(TaxonomyTerm).where(TaxonomyTerm.taxonomy_id == NEEDS_TAXONOMY_ID).order_by(TaxonomyTerm.name)))


def term_by_code(code: str) -> TaxonomyTerm | None:
    return db.session.scalar(db.select(TaxonomyTerm).where(TaxonomyTerm.code == code))
