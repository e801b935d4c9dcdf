"""Answers beyond one domain: overviews of the whole catalogue, and the framework applied to an
area the catalogue does not assess.

An overview lists every catalogued domain, the talk's two lists first, grouped feasible,
mixed and infeasible, with one cited line of reasons per condition for each group; what
the question asks for ("where to start", "which are hopeless", "which are in between") decides
which group leads, and each area of a leading group says why it is there: the conditions it meets,
or fails, or (in between) how it rates on each. An
area the question names only as context ("Apart from chip export controls, what else is a dead
end?", read by the router as its background) stays in its group, marked as set aside, with no
reasons given for it: the router cannot tell an area set aside from one given as background ("With
the chip war raging, which areas are hopeless?"), and the second belongs in the list.
A question about the conditions (an overview or a concept whose passages are mostly about them,
or that names one) also gets how the catalogue's areas meet each condition (``conditions_across``).
An area outside the catalogue gets no verdict: per condition, how the nearest catalogued
domains meet it (analogies only, each cited to its card's reasoning), the evidence retrieved
for the area, and what would have to be known.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from rag.answer.citations import CitationBook
from rag.answer.compose import Composed
from rag.answer.evidence import Evidence
from rag.answer.excerpts import RATING_ICONS, VERDICT_ICONS, Labels, best_sentences
from rag.answer.schema import ORIGIN_ORDER, AnalogyOut, ConditionOut, DomainAssessmentOut
from rag.framework import CONDITION_NAMES, CONDITION_QUESTIONS, CONDITION_UNKNOWNS, CONDITIONS, Catalogue, Domain
from rag.retrieve import Hit
from rag.understand import Understanding

GROUPS = ("feasible", "mixed", "infeasible")
LEADS = {"promising": ("feasible",), "hopeless": ("infeasible",), "mixed": ("mixed",), "survey": GROUPS}
ORIGIN_WORDS = {"talk": "the talk's list", "paper": "the FAccT paper", "project": "the project's assessment"}
ANALOGIES = 3
# The ratings that tell why an area sits in its group: what is met where cooperation is feasible,
# what is not met where it is not feasible, and every rating where it is mixed (what holds it back
# is met in part or not at all, and two of the five mixed areas meet no condition "not at all").
TELLING = {"feasible": ("met",), "mixed": ("met", "partial", "not_met"), "infeasible": ("not_met",)}


def _cite(book: CitationBook, hits: Sequence[Hit | None]) -> str:
    return "".join(dict.fromkeys(book.cite(h.id) for h in hits if h is not None and book.can_cite(h.id)))


def _card(ev: Evidence, did: str, facet: str) -> Hit | None:
    return next((h for h in ev.cards.get(did, []) if h.chunk.facet == facet), None)


def ordered(domains: list[Domain]) -> list[Domain]:
    """The talk's areas first, then the paper's, then the project's; by name within each."""
    return sorted(domains, key=lambda d: (ORIGIN_ORDER.get(d.origin, 3), d.name.lower()))


def _slides(ev: Evidence) -> list[Hit]:
    return [h for h in ev.typed if h.chunk.kind == "quotation"]


def overview_answer(u: Understanding, ev: Evidence, book: CitationBook, cat: Catalogue, labels: Labels) -> Composed:
    """Every catalogued domain grouped by verdict, the group the question asks about first."""
    orientation = u.orientation or "survey"
    lead = LEADS.get(orientation, GROUPS)
    groups = {g: ordered([d for d in cat.domains.values() if d.verdict == g]) for g in GROUPS}
    order = [*lead, *(g for g in GROUPS if g not in lead)]
    intro = (
        "The talk gives two lists of example areas, where cooperation between rivals is feasible and where it "
        f"is not {_cite(book, _slides(ev))}. The catalogue assesses {len(cat.domains)} areas in all, "
        "condition by condition; grouped by verdict:"
    )
    aside = [d for d in ordered(list(cat.domains.values())) if d.id in u.route.background]
    if aside:
        names = " and ".join(f"**{d.name}**" for d in aside)
        intro += (
            f" I read {names} as set aside by the question, or as its background: listed in "
            f"{'its group' if len(aside) == 1 else 'their groups'}, marked, with no reasons given."
        )
    out = [intro]
    for g in order:
        if not groups[g]:
            continue
        out += ["", f"#### {VERDICT_ICONS[g]} {labels.verdict(g).capitalize()} ({len(groups[g])})"]
        for d in groups[g]:
            marks = _cite(book, [_card(ev, d.id, "overview")])
            why = (" — *set aside*" if d in aside else _telling(d, ev, book, labels)) if g in lead else ""
            out.append(f"- **{d.name}** ({ORIGIN_WORDS.get(d.origin, d.origin)}) {marks}{why}".rstrip())
        out += _reason_lines(groups[g], ev, book, labels)
    if ev.across:
        out += ["", *conditions_across(ev, book, cat, labels, ev.across)]
    # every area the answer names, the group the question asks about first
    put_forward = [d for g in order for d in groups[g]]
    overview = [
        DomainAssessmentOut(
            domain=d.id,
            name=d.name,
            verdict=d.verdict,
            origin=d.origin,
            conditions={
                cid: ConditionOut(rating=d.conditions[cid].rating, reasoning="", citations=[])  # type: ignore[index]
                for cid in CONDITIONS
            },
        )
        for g in order
        for d in groups[g]
    ]
    return Composed(answer="\n".join(out), overview=overview, domains=[d.id for d in put_forward])


def _telling(d: Domain, ev: Evidence, book: CitationBook, labels: Labels) -> str:
    """Why a domain is in its group, cited: the conditions it meets (feasible), fails (not feasible),
    or how it rates on each (mixed)."""
    parts = []
    for cid in CONDITIONS:
        rating = d.conditions[cid].rating  # type: ignore[index]
        hit = _card(ev, d.id, cid)
        if rating in TELLING.get(d.verdict, ()) and hit is not None and book.can_cite(hit.id):
            parts.append(f"*{labels.condition(cid)}* {labels.rating(rating)} {book.cite(hit.id)}")
    return " — " + "; ".join(parts) if parts else ""


def _reason_lines(domains: list[Domain], ev: Evidence, book: CitationBook, labels: Labels) -> list[str]:
    """One line per condition: how the group's domains rate on it, citing two of their assessments."""
    lines = []
    for cid in CONDITIONS:
        ratings = Counter(d.conditions[cid].rating for d in domains)  # type: ignore[index]
        summary = ", ".join(f"{labels.rating(r)} in {n}" for r, n in ratings.most_common())
        typical = ratings.most_common(1)[0][0]
        examples = [_card(ev, d.id, cid) for d in domains if d.conditions[cid].rating == typical][:2]  # type: ignore[index]
        lines.append(f"  - *{labels.condition(cid)}*: {summary} {_cite(book, examples)}".rstrip())
    return lines


# The ratings an answer counts across the catalogue, in the order it gives them; the areas that fail
# a condition or meet it are named, those that meet it in part counted.
ACROSS_ORDER = ("not_met", "partial", "met")
ACROSS_NAMED = ("not_met", "met")


def conditions_across(
    ev: Evidence, book: CitationBook, cat: Catalogue, labels: Labels, cids: Sequence[str]
) -> list[str]:
    """How the catalogue's areas meet each of ``cids``, from the domain cards: per rating, how many
    areas; those that fail or meet it named with their verdicts, each cited to its card's reasoning
    on that condition. For two or more conditions, the one the areas fail most often, if one does."""
    domains = ordered(list(cat.domains.values()))
    n = len(domains)

    def rated(cid: str, rating: str) -> list[Domain]:
        return [d for d in domains if cid in d.conditions and d.conditions[cid].rating == rating]  # type: ignore[index]

    intro = f"The catalogue rates each of its {n} areas on every condition; the ratings are the project's assessments."
    failing = {cid: len(rated(cid, "not_met")) for cid in cids}
    ranked = sorted(cids, key=lambda c: -failing[c])
    if len(ranked) > 1 and failing[ranked[0]] > failing[ranked[1]]:
        others = ", ".join(f"*{labels.condition(c)}* {failing[c]}" for c in ranked[1:])
        intro += (
            f" *{labels.condition(ranked[0])}* is the condition they most often fail: {labels.rating('not_met')} in "
            f"{failing[ranked[0]]} of {n} ({others})."
        )
    out = [f"#### {labels.heading('across', 'How the assessed areas meet the conditions')}", intro]
    for cid in cids:
        parts = []
        for rating in ACROSS_ORDER:
            areas = rated(cid, rating)
            if not areas:
                continue
            part = f"{RATING_ICONS[rating]} {labels.rating(rating)} in {len(areas)}"
            if rating in ACROSS_NAMED:
                named = [
                    f"{d.name} ({labels.verdict(d.verdict)}) {_cite(book, [_card(ev, d.id, cid)])}".rstrip()
                    for d in areas
                ]
                part += ": " + ", ".join(named)
            else:
                part += f" {_cite(book, [_card(ev, d.id, cid) for d in areas][:2])}".rstrip()
            parts.append(part)
        out.append(f"- *{labels.condition(cid)}*: " + "; ".join(parts))
    return out


def apply_framework_answer(
    u: Understanding, ev: Evidence, book: CitationBook, cat: Catalogue, labels: Labels
) -> Composed:
    """No verdict for an area outside the catalogue: the evidence per condition, analogies, what to know."""
    conditions: dict[str, ConditionOut] = {}
    out = [
        "**No verdict.** The catalogue does not assess this area, so the Navigator gives no verdict of its own "
        "and borrows none from another area. Here is what the knowledge base offers on each of the three "
        "conditions, and what would have to be known to decide.",
        "",
        f"#### {labels.heading('conditions', 'The three conditions')}",
    ]
    shown: set[str] = set()  # a passage already given for one condition is not repeated for the next
    for cid in CONDITIONS:
        hits = ev.per_condition.get(cid, [])
        definition = next((h for h in hits if h.chunk.kind == "quotation"), None)
        notes = [h for h in hits if h.chunk.kind != "quotation"]
        found = next((h for h in notes if h.id not in shown), notes[0] if notes else None)
        if found is not None:
            shown.add(found.id)
        parts = [CONDITION_QUESTIONS[cid]]
        if definition is not None:
            parts.append(f"The talk's definition: {slide_line(definition.chunk.text, cid)} {book.cite(definition.id)}")
        analogous = _condition_analogies(u, ev, book, cat, cid, labels)
        if analogous:
            parts.append(analogous)
        if found is not None:
            excerpt = best_sentences(found.chunk.text, u.standalone, 1)
            # the closest the knowledge base holds, which may speak of cooperation in general
            parts.append(
                f"Closest passage in the knowledge base ({found.chunk.doc_title}): {excerpt} {book.cite(found.id)}"
            )
        parts.append(f"To decide, one would need to know {CONDITION_UNKNOWNS[cid]}.")
        reasoning = " ".join(parts)
        conditions[cid] = ConditionOut(
            rating="unknown", reasoning=reasoning, citations=re.findall(r"\[(c\d+)\]", reasoning)
        )
        out.append(f"**{labels.condition(cid)}: {RATING_ICONS['unknown']} {labels.rating('unknown')}.** {reasoning}")
    analogies = _analogies(u, ev, book, cat, labels)
    if analogies:
        listed = ["", f"#### {labels.heading('analogies', 'Nearest assessed areas (analogies only)')}"]
        listed += [line for _, line in analogies]
        # asked which assessed areas it is nearest to: they come first, the conditions after them
        out = [*out[:1], *listed, *out[1:]] if u.asks_nearest else [*out, *listed]
    return Composed(
        answer="\n".join(out),
        conditions=conditions,
        analogies=[a for a, _ in analogies],
        unknown_domain=True,
    )


def _condition_analogies(
    u: Understanding, ev: Evidence, book: CitationBook, cat: Catalogue, cid: str, labels: Labels
) -> str:
    """How the nearest assessed areas meet one condition, each cited to its card's reasoning."""
    parts = []
    for did, _ in u.route.nearest_areas(ANALOGIES):
        d, hit = cat.domains.get(did), _card(ev, did, cid)
        if d is None or hit is None or not book.can_cite(hit.id) or cid not in d.conditions:
            continue
        rating = d.conditions[cid].rating  # type: ignore[index]
        parts.append(f"*{d.name}*, {labels.rating(rating)} {book.cite(hit.id)}")
    if not parts:
        return ""
    return "In the nearest assessed areas (analogies, not ratings of this area): " + "; ".join(parts) + "."


def slide_line(quotation: str, cid: str) -> str:
    """The line of a quoted slide that names the condition (the whole quotation if none does)."""
    words = CONDITION_NAMES[cid].split()[0].lower()
    lines = [line.strip(" “”") for line in quotation.split(" / ")]
    line = next((x for x in lines if x.lower().startswith(words)), None)
    return f"“{line}”" if line else quotation


def _analogies(
    u: Understanding, ev: Evidence, book: CitationBook, cat: Catalogue, labels: Labels
) -> list[tuple[AnalogyOut, str]]:
    out = []
    for did, p in u.route.nearest_areas(ANALOGIES):
        d = cat.domains.get(did)
        if d is None:
            continue
        marks = _cite(book, [_card(ev, did, "overview")])
        verdict = f"{VERDICT_ICONS[d.verdict]} {labels.verdict(d.verdict)}"
        line = f"- **{d.name}**: {verdict} (an analogy, not this area's verdict) {marks}"
        out.append((AnalogyOut(domain=did, name=d.name, verdict=d.verdict, similarity=round(p, 3)), line.rstrip()))
    return out
