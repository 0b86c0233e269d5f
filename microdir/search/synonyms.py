"""Synonyms: read from the database at query time, so a moderator's change works at once without a rebuild."""

from __future__ import annotations

import re

from ..domain import audit
from ..extensions import db
from ..models import Synonym
from .analysis import fold

# What people type → the words listings use. Written for adult social care and community services.
STARTER_SYNONYMS: dict[str, str] = {
    "someone to talk to": "befriending, companionship",
    "lonely": "befriending, companionship",
    "isolated": "befriending, companionship",
    "loneliness": "befriending, companionship",
    "lift": "community transport",
    "ride": "community transport",
    "transport": "community transport",
    "respite": "short breaks",
    "break": "short breaks",
    "memory": "dementia",
    "alzheimer's": "dementia",
    "alzheimers": "dementia",
    "memory loss": "dementia",
    "carer": "carers",
    "caring for": "carers",
    "looking after": "carers",
    "lunch": "lunch club, meal",
    "dinner": "lunch club, meal",
    "hot meal": "lunch club, meals",
    "exercise": "physical activity, walking, chair exercise",
    "keep fit": "physical activity, exercise",
    "walks": "walking group",
    "grief": "bereavement",
    "widow": "bereavement",
    "widower": "bereavement",
    "anxiety": "mental health, wellbeing",
    "depression": "mental health, wellbeing",
    "low mood": "mental health, wellbeing",
    "elderly": "older people",
    "pensioner": "older people",
    "pensioners": "older people",
    "oap": "older people",
    "deaf": "hearing loss, sign language",
    "blind": "sight loss, visual impairment",
    "autistic": "autism",
    "asd": "autism",
    "ld": "learning disability",
    "learning difficulties": "learning disability",
    "advocate": "advocacy",
    "benefits": "advice, welfare rights",
    "odd jobs": "practical help, handyperson",
    "handyman": "practical help, handyperson",
    "shopping": "practical help, shopping help",
    "singing": "choir, music",
    "cuppa": "coffee morning, drop-in",
    "day centre": "day opportunities, drop-in",
    "holiday": "short breaks",
    # Plain-English needs, as residents put them (issue 17), mapped to the words listings and categories use.
    "hospital transport": "community transport, hospital appointments",
    "transport to hospital": "community transport, hospital appointments",
    "hospital appointment": "community transport, hospital appointments",
    "doctors": "gp, appointments",
    "doctor": "gp, appointments",
    "getting forgetful": "dementia, memory",
    "forgetful": "dementia, memory",
    "memory problems": "dementia, memory",
    "time off from caring": "short breaks, respite, carers",
    "time off": "short breaks, respite",
    "break from caring": "short breaks, respite, carers",
    "sorting out paperwork": "forms, letters, advocacy, paperwork",
    "paperwork": "forms, letters, advice, paperwork",
    "filling in forms": "forms, advocacy",
    "lost my husband": "bereavement, widow",
    "lost my wife": "bereavement, widow",
    "lost my partner": "bereavement",
    "widowed": "bereavement, widow",
    "computer": "online, apps, phones",
    "computers": "online, apps, phones",
    "garden": "gardening, growing, allotment",
    "growing vegetables": "gardening, growing, allotment",
    "craft": "arts, crafts, makers, materials",
    "crafts": "arts, crafts, makers, materials",
    "woodwork": "workshop, men's shed, tools",
    "diy": "workshop, tools, odd jobs",
    "company": "companion, befriending, companionship",
    "round the house": "handyperson, small jobs, odd jobs",
    "around the house": "handyperson, small jobs, odd jobs",
    "eat": "lunch club, meal",
    "gran": "older people",
    "nan": "older people",
    "grandma": "older people",
    "grandad": "older people",
    "kids": "children, young people",
    "losing their sight": "sight loss",
    "losing my sight": "sight loss",
    "going blind": "sight loss",
    "hard of hearing": "hearing loss, deaf",
    "recovery": "recovering",
    "days out": "trips, outings, short breaks",
    "day trips": "trips, outings, days out",
}


def normalise_term(text: str) -> str:
    """Return the stored form of a synonym term: folded, lowercase, single spaces."""
    return fold(text)


def normalise_expansions(text: str) -> str:
    """Return expansions as a clean comma-separated list."""
    parts = [fold(p) for p in re.split(r"[,\n]", text)]
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return ", ".join(seen)


def current_synonyms() -> dict[str, list[str]]:
    """Return every synonym as term → expansions (one small query per search: changes apply at once)."""
    rows = db.session.execute(db.select(Synonym.term, Synonym.expansions)).all()
    return {term: [e.strip() for e in expansions.split(",") if e.strip()] for term, expansions in rows}


def seed_synonyms() -> int:
    """Add the starter synonyms that are missing; return how many were added. Never overwrites an edit."""
    existing = set(db.session.scalars(db.select(Synonym.term)))
    added = 0
    for term, expansions in STARTER_SYNONYMS.items():
        key = normalise_term(term)
        if key not in existing:
            db.session.add(Synonym(term=key, expansions=normalise_expansions(expansions)))
            added += 1
    db.session.flush()
    return added


def find_synonym(term: str) -> Synonym | None:
    return db.session.scalar(db.select(Synonym).where(Synonym.term == normalise_term(term)))


def add_synonym(term: str, expansions: str) -> Synonym:
    """Add a synonym and audit it; the caller commits."""
    synonym = Synonym(term=normalise_term(term), expansions=normalise_expansions(expansions))
    db.session.add(synonym)
    db.session.flush()
    audit.record("synonym.add", "synonym", synonym.id, term=synonym.term, expansions=synonym.expansions)
    return synonym


def update_synonym(synonym: Synonym, term: str, expansions: str) -> Synonym:
    """Change a synonym and audit the before and after; the caller commits."""
    before = {"term": synonym.term, "expansions": synonym.expansions}
    synonym.term = normalise_term(term)
    synonym.expansions = normalise_expansions(expansions)
    db.session.flush()
    audit.record("synonym.edit", "synonym", synonym.id, before=before, term=synonym.term, expansions=synonym.expansions)
    return synonym


def delete_synonym(synonym: Synonym) -> None:
    """Delete a synonym and audit it; the caller commits."""
    audit.record("synonym.delete", "synonym", synonym.id, term=synonym.term, expansions=synonym.expansions)
    db.session.delete(synonym)
    db.session.flush()
