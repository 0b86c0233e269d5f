"""Resident queries against the demo directory, with graded judgments written from the listings' content.

Every judgment below was written by reading ``microdir/demo/content.py`` (the kinds of service, their names,
sentences, needs and ways of working), never from what the search engine returns. A judgment is a rule over a
listing's own content, so it stays true whichever of the generated names and towns a listing gets:

- ``kind:X``      the listing is of demo kind X (its name and description come from that kind's pool);
- ``need:X`` / ``cat:X``   the listing carries that need or category code;
- ``word:RE`` / ``name:RE``   its name, description or eligibility (or only its name) matches RE (case-insensitive);
- ``cost:X``      it has a cost option of type X;
- atoms joined with ``&`` must all hold. A listing's grade is the highest grade of the rules it meets.

Grades: 2 = what the resident asked for; 1 = a reasonable partial answer.

With a place (``where``), a listing counts only if it is local to that place (``near``: a point; ``lads``: the
councils the place means): a venue within 5 miles (or in one of the councils), an area served that covers the
place's council, or a "comes to you" listing covering it. A venue 5–10 miles away, and phone or online
services, lose one grade. With filters, a listing counts only if its own content meets every filter.
A query with no relevant listing is honest when it returns nothing (or says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Judged:
    """One resident query and how good each kind of answer is."""

    text: str
    type: str  # plain | need | typo | place | filter
    rules: dict[str, int]
    where: str = ""
    near: tuple[float, float] | None = None
    lads: tuple[str, ...] = ()
    filters: dict[str, list[str]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        parts = [self.type, self.text]
        if self.where:
            parts.append("@" + self.where)
        for name, values in sorted(self.filters.items()):
            parts.append(f"{name}={','.join(values)}")
        return " | ".join(parts)


# Councils (ONS codes) and points used by the place queries.
WALSALL, SANDWELL, KIRKLEES, STOCKPORT = "E08000030", "E08000028", "E08000034", "E08000007"
BIRMINGHAM, COVENTRY, DUDLEY, SOLIHULL, WOLVERHAMPTON = "E08000025", "E08000026", "E08000027", "E08000029", "E08000031"
WEST_MIDLANDS = (BIRMINGHAM, COVENTRY, DUDLEY, SANDWELL, SOLIHULL, WALSALL, WOLVERHAMPTON)

TRANSPORT = {"kind:community_transport": 2}
DEMENTIA = {"kind:memory_singing": 2, "kind:home_companion&need:dementia": 1, "kind:carers_cafe&need:dementia": 1}
LONELY = {"kind:befriending": 2, "kind:phone_friendship": 2, "kind:mens_shed": 1, "need:loneliness": 1}
BEREAVED = {"kind:bereavement": 2, "need:bereavement": 1}
CARERS = {"kind:carers_cafe": 2, "kind:short_breaks": 1, "need:carers": 1}
LUNCH = {"kind:lunch_club": 2, "kind:seasonal_event&word:lunch|meal|supper": 1}
EXERCISE = {"kind:gentle_exercise": 2, "kind:long_term_conditions&word:exercise": 1}
FORMS = {"kind:advocacy": 2, "kind:supported_living&word:paperwork": 1}
HANDY = {"kind:handyperson": 2}
BREAKS = {"kind:short_breaks": 2, "kind:carers_cafe": 1, "kind:home_companion&word:few hours off": 1}
GARDEN = {"kind:gardening": 2}
SINGING = {"kind:memory_singing": 2, "kind:long_term_conditions&word:singing": 1}
AUTISM = {"need:autism": 2, "word:autis": 1}

P = "plain"
N = "need"
T = "typo"
PL = "place"
F = "filter"

COLLECTION: list[Judged] = [
    # ---- plain English: what residents type when they describe a need -----------------------------------------
    Judged("transport to hospital", P, TRANSPORT),
    Judged("hospital transport", P, TRANSPORT),
    Judged("a lift to the doctors", P, TRANSPORT),
    Judged("lift to my hospital appointment", P, TRANSPORT),
    Judged("grief support", P, BEREAVED),
    Judged("bereavement support group", P, BEREAVED),
    Judged("lost my husband", P, {"kind:bereavement": 2, "need:bereavement": 1, "kind:befriending": 1}),
    Judged("cooking classes", P, {}),  # nobody teaches cooking: an honest "none" (or partial) is right
    Judged("knitting circle", P, {}),  # no knitting in the directory
    Judged("computer help", P, {"kind:phone_friendship&word:online": 1, "kind:sensory&word:phones and apps": 1}),
    Judged("someone to talk to", P, {**LONELY, "kind:bereavement": 1, "kind:carers_cafe": 1}),
    Judged("I feel lonely", P, LONELY),
    Judged("help for my mum who has dementia", P, {**DEMENTIA, "kind:home_companion&need:dementia": 2}),
    Judged("getting forgetful", P, DEMENTIA),
    Judged("memory problems", P, DEMENTIA),
    Judged("time off from caring", P, BREAKS),
    Judged("a break from caring", P, BREAKS),
    Judged("sorting out paperwork", P, FORMS),
    Judged("help filling in forms", P, FORMS),
    Judged("help with benefits", P, {"kind:advocacy": 2}),
    Judged("hot dinner for my dad", P, LUNCH),
    Judged("somewhere to eat with other people", P, LUNCH),
    Judged("exercise for older people", P, EXERCISE),
    Judged("keep fit", P, EXERCISE),
    Judged("walking group", P, {"kind:gentle_exercise&word:walk": 2, "kind:gentle_exercise": 1,
                                "kind:bereavement&word:walk": 1}),
    Judged("garden club", P, GARDEN),
    Judged("growing vegetables", P, GARDEN),
    Judged("craft group", P, {"kind:ld_arts&word:arts|makers|materials": 2, "kind:phone_friendship&word:craft": 1,
                              "kind:family_autism&word:crafts": 1, "kind:mens_shed": 1}),
    Judged("carers support group", P, {"kind:carers_cafe": 2, "kind:short_breaks": 1,
                                       "kind:advocacy&word:carer": 1, "kind:family_autism&word:carers": 1}),
    Judged("someone to help round the house", P, {**HANDY, "kind:home_companion": 1, "kind:supported_living": 1}),
    Judged("odd jobs", P, HANDY),
    Judged("help with shopping", P, {"kind:handyperson&word:shop": 2, "kind:home_companion": 1,
                                     "kind:befriending&word:shops": 1, "kind:supported_living": 1,
                                     "kind:community_transport&word:shop": 1}),
    Judged("singing", P, SINGING),
    Judged("choir", P, SINGING),
    Judged("dance classes for learning disabilities", P, {"kind:ld_arts&word:danc": 2, "kind:ld_arts": 1}),
    Judged("things to do for autistic children", P, {"kind:family_autism&word:autis": 2,
                                                     "kind:short_breaks&need:autism": 1}),
    Judged("support for young carers", P, {"kind:family_autism&word:young carer": 2,
                                           "kind:carers_cafe&word:young adult carers": 1}),
    Judged("men's shed", P, {"kind:mens_shed": 2}),
    Judged("woodwork", P, {"kind:mens_shed": 2}),
    Judged("phone calls for lonely people", P, {"kind:phone_friendship": 2, "kind:befriending": 1}),
    Judged("christmas dinner", P, {"kind:seasonal_event&word:christmas": 2, "kind:seasonal_event&word:meal": 1,
                                   "kind:lunch_club&word:christmas": 1}),
    Judged("deaf club", P, {"kind:sensory&word:deaf": 2, "kind:sensory": 1}),
    Judged("help for people losing their sight", P, {"kind:sensory&word:sight": 2, "kind:sensory": 1}),
    Judged("stroke recovery group", P, {"kind:long_term_conditions&word:stroke": 2, "kind:long_term_conditions": 1}),
    Judged("lung condition support", P, {"kind:long_term_conditions&word:lung|copd": 2,
                                         "kind:long_term_conditions": 1}),
    Judged("living independently with a learning disability", P, {"kind:supported_living": 2, "kind:ld_arts": 1,
                                                                   "kind:advocacy&need:learning-disability": 1}),
    Judged("days out for disabled young people", P, {"kind:short_breaks": 2, "kind:family_autism": 1}),
    Judged("respite for parents", P, {"kind:short_breaks": 2, "kind:family_autism&word:parent": 1}),
    Judged("someone to visit my gran", P, {"kind:befriending": 2, "kind:home_companion": 2}),
    Judged("company at home", P, {"kind:home_companion": 2, "kind:befriending": 2}),
    Judged("tai chi", P, {"kind:gentle_exercise&word:tai chi": 2}),
    Judged("chair exercise", P, {"kind:gentle_exercise&word:chair|seated": 2, "kind:gentle_exercise": 1,
                                 "kind:long_term_conditions&word:seated exercise": 1}),
    Judged("coffee morning", P, {"name:coffee": 2, "word:coffee morning": 2, "kind:carers_cafe": 1}),
    Judged("support group near me", P, {"kind:long_term_conditions": 2, "kind:carers_cafe": 1, "kind:bereavement": 1}),
    Judged("help with getting out of the house", P, {"need:getting-out": 2, "kind:befriending": 1,
                                                     "kind:home_companion": 1}),
    Judged("day trips for carers", P, {"kind:carers_cafe&word:trip": 2, "kind:short_breaks": 1, "kind:carers_cafe": 1}),
    # ---- needs: the one or two words of a need ------------------------------------------------------------------
    Judged("dementia", N, DEMENTIA),
    Judged("alzheimer's", N, DEMENTIA),
    Judged("loneliness", N, LONELY),
    Judged("lonely", N, LONELY),
    Judged("isolated", N, LONELY),
    Judged("carers", N, CARERS),
    Judged("bereavement", N, BEREAVED),
    Judged("grief", N, BEREAVED),
    Judged("widow", N, BEREAVED),
    Judged("autism", N, AUTISM),
    Judged("learning disability", N, {"need:learning-disability": 2}),
    Judged("mental health", N, {"kind:gardening": 2, "need:mental-health": 2}),
    Judged("anxiety", N, {"kind:gardening": 1, "need:mental-health": 1}),
    Judged("sight loss", N, {"kind:sensory&word:sight": 2}),
    Judged("hearing loss", N, {"kind:sensory&word:hear|deaf": 2}),
    Judged("parkinson's", N, {"kind:long_term_conditions&word:parkinson": 2, "word:parkinson": 1}),
    Judged("respite", N, BREAKS),
    Judged("advocacy", N, {"kind:advocacy": 2}),
    Judged("transport", N, TRANSPORT),
    Judged("befriending", N, {"kind:befriending": 2, "kind:phone_friendship": 1}),
    Judged("lunch club", N, LUNCH),
    Judged("meals", N, LUNCH),
    Judged("physical activity", N, {"need:physical-activity": 2}),
    Judged("older people", N, {"need:older-people": 2}),
    Judged("young people", N, {"need:young-people": 2}),
    Judged("copd", N, {"kind:long_term_conditions&word:copd|lung": 2}),
    Judged("diabetes", N, {"name:diabetes": 2, "kind:long_term_conditions": 1}),
    Judged("short breaks", N, BREAKS),
    Judged("handyman", N, HANDY),
    Judged("practical help", N, {"need:practical-help": 2}),
    Judged("wheelchair", N, {"word:wheelchair": 2}),
    Judged("sign language", N, {"word:sign language|bsl": 2}),
    Judged("gardening", N, GARDEN),
    Judged("exercise", N, EXERCISE),
    # ---- typos: one slip of the finger --------------------------------------------------------------------------
    Judged("befriendign", T, {"kind:befriending": 2, "kind:phone_friendship": 1}),
    Judged("befreinding", T, {"kind:befriending": 2, "kind:phone_friendship": 1}),
    Judged("accssible", T, {"word:accessible": 2}),
    Judged("gardneing", T, GARDEN),
    Judged("demntia", T, DEMENTIA),
    Judged("dementa cafe", T, {"kind:memory_singing&name:caf": 2, "kind:memory_singing": 2,
                               "kind:carers_cafe&need:dementia": 1}),
    Judged("bereavment", T, BEREAVED),
    Judged("transprot", T, TRANSPORT),
    Judged("lunch clbu", T, LUNCH),
    Judged("singnig", T, SINGING),
    Judged("carres", T, CARERS),
    Judged("autsim", T, AUTISM),
    Judged("respit", T, BREAKS),
    Judged("lonley", T, LONELY),
    Judged("excercise", T, EXERCISE),
    Judged("walkign group", T, {"kind:gentle_exercise&word:walk": 2, "kind:gentle_exercise": 1}),
    Judged("advocasy", T, {"kind:advocacy": 2}),
    Judged("stroek club", T, {"kind:long_term_conditions&word:stroke": 2}),
    Judged("shoping help", T, {"kind:handyperson&word:shop": 2, "kind:supported_living": 1}),
    Judged("mens shedd", T, {"kind:mens_shed": 2}),
    Judged("dementia singign", T, {"kind:memory_singing": 2}),
    Judged("hospitl transport", T, TRANSPORT),
    # ---- places: need and where ---------------------------------------------------------------------------------
    Judged("lunch club", PL, LUNCH, where="Walsall", near=(52.5860, -1.9829), lads=(WALSALL,)),
    Judged("transport to hospital", PL, TRANSPORT, where="Huddersfield", near=(53.6458, -1.7850), lads=(KIRKLEES,)),
    Judged("hospital transport", PL, TRANSPORT, where="HD1 2TA", near=(53.64393, -1.78264), lads=(KIRKLEES,)),
    Judged("transport", PL, TRANSPORT, where="Walsall", near=(52.5860, -1.9829), lads=(WALSALL,)),
    Judged("dementia cafe", PL, DEMENTIA, where="Stockport", near=(53.4083, -2.1494), lads=(STOCKPORT,)),
    Judged("carers", PL, CARERS, where="Smethwick", near=(52.4925, -1.9684), lads=(SANDWELL,)),
    Judged("befriending", PL, {"kind:befriending": 2, "kind:phone_friendship": 1}, where="B66 1AA",
           near=(52.49643, -1.97264), lads=(SANDWELL,)),
    Judged("lunch club", PL, {}, where="SW1A 1AA", near=(51.50101, -0.14156),
           lads=("E09000033",)),  # nothing within reach of London
    Judged("gardening", PL, GARDEN, where="Dudley", near=(52.5087, -2.0877), lads=(DUDLEY,)),
    Judged("men's shed", PL, {"kind:mens_shed": 2}, where="Wolverhampton", near=(52.5855, -2.1230),
           lads=(WOLVERHAMPTON,)),
    Judged("singing", PL, SINGING, where="Birmingham", near=(52.4814, -1.8998), lads=(BIRMINGHAM,)),
    Judged("walking group", PL, {"kind:gentle_exercise&word:walk": 2, "kind:gentle_exercise": 1},
           where="Solihull", near=(52.4142, -1.7809), lads=(SOLIHULL,)),
    Judged("bereavement", PL, BEREAVED, where="Kirklees", lads=(KIRKLEES,)),
    Judged("lunch club", PL, LUNCH, where="Sandwell", lads=(SANDWELL,)),
    Judged("advice", PL, {"kind:advocacy": 2, "kind:sensory&cat:advice": 1}, where="West Midlands (metropolitan county)",
           lads=WEST_MIDLANDS),  # the choice a resident makes on "Which West Midlands did you mean?",
    Judged("transport", PL, TRANSPORT, where="West Yorkshire", lads=(KIRKLEES, "E08000032", "E08000033",
                                                                     "E08000035", "E08000036")),
    Judged("befriending", PL, {"kind:befriending": 2, "kind:phone_friendship": 1}, where="Huddersfield",
           near=(53.6458, -1.7850), lads=(KIRKLEES,)),
    Judged("short breaks", PL, BREAKS, where="CV1", near=(52.40936, -1.50642), lads=(COVENTRY,)),
    Judged("carers cafe", PL, CARERS, where="SK1", near=(53.40765, -2.15186), lads=(STOCKPORT,)),
    Judged("phone friendship", PL, {"kind:phone_friendship": 2, "kind:befriending": 1}, where="Walsall",
           near=(52.5860, -1.9829), lads=(WALSALL,)),
    Judged("autism", PL, AUTISM, where="Birmingham", near=(52.4814, -1.8998), lads=(BIRMINGHAM,)),
    Judged("stroke club", PL, {"kind:long_term_conditions&word:stroke": 2, "kind:long_term_conditions": 1},
           where="Coventry", near=(52.4066, -1.5122), lads=(COVENTRY,)),
    Judged("lunch club", PL, LUNCH, where="Sandwell Council", lads=(SANDWELL,)),
    Judged("odd jobs", PL, HANDY, where="Stockport", near=(53.4083, -2.1494), lads=(STOCKPORT,)),
    # ---- filters: need plus a ticked filter ---------------------------------------------------------------------
    Judged("lunch club", F, LUNCH, filters={"cost": ["free"]}),
    Judged("befriending", F, {"kind:befriending": 2, "kind:phone_friendship": 1}, filters={"cost": ["free"]}),
    Judged("exercise", F, EXERCISE, filters={"cost": ["free"]}),
    Judged("singing", F, SINGING, filters={"cost": ["free"]}),
    Judged("gardening", F, GARDEN, filters={"cost": ["free"]}),
    Judged("dementia", F, DEMENTIA, filters={"category": ["leisure-arts"]}),
    Judged("carers", F, CARERS, filters={"category": ["short-breaks"]}),
    Judged("lonely", F, LONELY, filters={"need": ["older-people"]}),
    Judged("dance", F, {"kind:ld_arts&word:danc": 2, "word:danc": 1}, filters={"need": ["learning-disability"]}),
    Judged("walking", F, {"kind:gentle_exercise&word:walk": 2, "kind:gentle_exercise": 1}, filters={"age": ["70"]}),
    Judged("autism", F, AUTISM, filters={"age": ["10"]}),
    Judged("support group", F, {"kind:long_term_conditions": 2}, filters={"need": ["long-term-conditions"]}),
    Judged("company", F, {"kind:home_companion": 2, "kind:befriending": 1}, filters={"cost": ["personal_budget"]}),
    Judged("help at home", F, {"kind:handyperson": 2, "kind:home_companion": 2, "kind:supported_living": 1},
           filters={"need": ["practical-help"]}),
    Judged("short breaks", F, BREAKS, filters={"age": ["12"]}),
    Judged("social", F, {"kind:sensory": 2}, filters={"need": ["sensory-impairment"]}),
    Judged("cafe", F, {"kind:carers_cafe": 2, "kind:memory_singing&name:caf": 1}, filters={"need": ["carers"]}),
    Judged("hospital transport", F, TRANSPORT, filters={"cost": ["personal_budget"]}),
    Judged("grief", F, BEREAVED, filters={"cost": ["free"]}),
    Judged("someone to talk to", F, LONELY, filters={"cost": ["free"]}),
    Judged("time off from caring", F, BREAKS, filters={"cost": ["personal_budget"]}),
]


def check_collection() -> dict[str, Any]:
    """Return counts per type (and fail on duplicate keys): the collection's own sanity check."""
    keys = [q.key for q in COLLECTION]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise ValueError(f"duplicate queries: {sorted(duplicates)}")
    counts: dict[str, int] = {}
    for q in COLLECTION:
        counts[q.type] = counts.get(q.type, 0) + 1
    return counts
