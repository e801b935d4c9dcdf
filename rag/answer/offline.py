"""The offline analyst: composes a grounded answer from the catalogue and retrieved passages.

Verdicts and ratings come from the domain catalogue (knowledge/domains/*.yaml); every
sentence that states a fact points, by marker, at a passage that was retrieved for this
question. Each condition cites the project's assessment and, beside it, the passages
that say what its claims say (matched on the claim's own reference and words). Nothing
here knows any particular domain.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import groupby

from rag.answer.citations import CitationBook
from rag.answer.compose import Composed, Preview
from rag.answer.evidence import Evidence, claims_of, explanation, supports
from rag.answer.excerpts import (
    RATING_ICONS,
    VERDICT_ICONS,
    Labels,
    best_sentences,
    plain,
)
from rag.answer.schema import ConditionOut, DomainAssessmentOut
from rag.answer.wide import GROUPS, apply_framework_answer, conditions_across, overview_answer
from rag.framework import CONDITIONS, RISK_TEST_NAMES, Catalogue, Domain, Rating, lower_first
from rag.retrieve import Hit
from rag.understand import Understanding

RISK_TESTS_LEAD = "The project's application of the FAccT paper's three risk tests"
RATING_SCORE: dict[Rating, int] = {"met": 2, "partial": 1, "not_met": 0}
PASSAGES_FIRST = ("concept", "deepseek", "research", "precedent")


def cite(book: CitationBook, hits: list[Hit | None]) -> str:
    """Markers for the retrieved hits among ``hits``, each once, in order."""
    marks = [book.cite(h.id) for h in hits if h is not None and book.can_cite(h.id)]
    return "".join(dict.fromkeys(marks))


def markers(text: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"\[(c\d+)\]", text)))


class OfflineAnalyst:
    """Turns an Understanding plus Evidence into a Markdown answer with markers."""

    name = "offline"

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    # -- pieces ------------------------------------------------------------------
    @staticmethod
    def facet(ev: Evidence, did: str, facet: str) -> Hit | None:
        return next((h for h in ev.cards.get(did, []) if h.chunk.facet == facet), None)

    @staticmethod
    def supporting(ev: Evidence, did: str, text: str) -> list[Hit]:
        """For each claim of ``text`` that cites a source, the first retrieved passage that says it."""
        pool = [h for h in (*ev.support.get(did, []), *ev.typed, *ev.main) if h.chunk.kind != "domain"]
        found: list[Hit] = []
        for claim in claims_of(text):
            # the source's own passage first (a slide, a one-source section), then the notes that cite it
            ranked = sorted(pool, key=lambda h: h.chunk.source_id not in claim.sources)
            hit = next((h for h in ranked if supports(claim, h)), None)
            if hit is not None and hit not in found:
                found.append(hit)
        return found

    def condition(self, d: Domain, cid: str, ev: Evidence, book: CitationBook) -> ConditionOut:
        """One condition of a domain: the catalogue's rating and reasoning, its assessment and evidence cited."""
        a = d.conditions[cid]  # type: ignore[index]
        marks = cite(book, [self.facet(ev, d.id, cid), *self.supporting(ev, d.id, a.reasoning)[:2]])
        reasoning = f"{plain(a.reasoning)} {marks}".strip()
        return ConditionOut(rating=a.rating, reasoning=reasoning, citations=markers(marks))

    def assess(
        self, d: Domain, ev: Evidence, book: CitationBook, labels: Labels
    ) -> tuple[dict[str, ConditionOut], str]:
        """Per-condition results for one domain, and the verdict sentence."""
        conditions: dict[str, ConditionOut] = {cid: self.condition(d, cid, ev, book) for cid in CONDITIONS}
        marks = cite(book, [*self.supporting(ev, d.id, d.verdict_basis), self.facet(ev, d.id, "overview")])
        sentence = (
            f"{VERDICT_ICONS[d.verdict]} **Cooperation between rivals on {lower_first(d.name)}: "
            f"{labels.verdict(d.verdict)}.** {plain(d.verdict_basis)} {marks}"
        ).strip()
        return conditions, sentence

    @staticmethod
    def conditions_intro(ev: Evidence, book: CitationBook) -> list[str]:
        """Where the three conditions come from, citing the slide that names them."""
        slide = ev.slides.get("conditions")
        if slide is None or not book.can_cite(slide.id):
            return []
        return [
            f"They are the talk's conditions for feasible cooperation {book.cite(slide.id)}; the ratings and "
            "their reasoning are the project's assessment."
        ]

    @staticmethod
    def fairness_intro(ev: Evidence, book: CitationBook) -> str:
        slide = ev.slides.get("fairness")
        return f"The talk warns that feasible is not fair {book.cite(slide.id)}. " if slide is not None else ""

    def condition_lines(self, conditions: dict[str, ConditionOut], labels: Labels) -> list[str]:
        return [
            f"**{labels.condition(cid)}: {RATING_ICONS[conditions[cid].rating]} "
            f"{labels.rating(conditions[cid].rating)}.** {conditions[cid].reasoning}"
            for cid in CONDITIONS
        ]

    def left_out(self, d: Domain, ev: Evidence, book: CitationBook) -> str | None:
        if not d.left_out:
            return None
        marks = cite(book, [self.facet(ev, d.id, "left_out"), *self.supporting(ev, d.id, d.left_out.text)[:2]])
        return f"{plain(d.left_out.text)} {marks}".strip() if marks else None

    def would_change(self, d: Domain, ev: Evidence, book: CitationBook) -> list[str]:
        facet = self.facet(ev, d.id, "would_change")
        if facet is None:
            return []
        marks = cite(book, [facet])
        return [f"- {plain(w.text)} {marks}" for w in d.would_change]

    def precedents(self, d: Domain, ev: Evidence, book: CitationBook, question: str) -> list[str]:
        lines = []
        seen: set[str] = set()
        for h in ev.precedents.get(d.id, []):
            if h.chunk.doc_id in seen:
                continue
            seen.add(h.chunk.doc_id)
            when = f" ({h.chunk.date})" if h.chunk.date else ""
            lines.append(
                f"- **{h.chunk.doc_title}**{when}: {best_sentences(h.chunk.text, question, 1)} {book.cite(h.id)}"
            )
        return lines[:3]

    def risk_tests(self, d: Domain, ev: Evidence, book: CitationBook) -> str | None:
        facet = self.facet(ev, d.id, "risk_tests")
        if facet is None or not d.risk_tests:
            return None
        parts = [f"{RISK_TEST_NAMES[k].lower()}: {t.level}" for k, t in d.risk_tests.items()]
        return f"{RISK_TESTS_LEAD} to {lower_first(d.name)}: {'; '.join(parts)}. {book.cite(facet.id)}"

    # -- answers -----------------------------------------------------------------
    def domain_answer(self, u: Understanding, ev: Evidence, book: CitationBook, labels: Labels) -> Composed:
        d = self.catalogue.domains[u.domains[0]]
        conditions, verdict_sentence = self.assess(d, ev, book, labels)
        heading = labels.heading("conditions", "The three conditions")
        left_heading = f"#### {labels.heading('left_out', 'Who may be left out')}: feasible is not fair"
        left = self.left_out(d, ev, book)
        if left:
            left = self.fairness_intro(ev, book) + left
        out = [verdict_sentence]
        if u.qtype == "fairness" and left:  # who is left out is what was asked: it comes first
            out += ["", left_heading, left]
        out += ["", f"#### {heading}", *self.conditions_intro(ev, book), *self.condition_lines(conditions, labels)]
        risk = self.risk_tests(d, ev, book)
        if risk:
            out += ["", risk]
        if left and u.qtype != "fairness":
            out += ["", left_heading, left]
        prec = self.precedents(d, ev, book, u.standalone)
        if prec:
            out += ["", f"#### {labels.heading('precedents', 'Precedents')}", *prec]
        change = self.would_change(d, ev, book)
        if change:
            out += ["", "#### What would change the assessment", *change]
        return Composed(answer="\n".join(out), verdict=d.verdict, conditions=conditions)

    def comparison_answer(self, u: Understanding, ev: Evidence, book: CitationBook, labels: Labels) -> Composed:
        doms = [self.catalogue.domains[i] for i in u.domains]
        results = [(d, *self.assess(d, ev, book, labels)) for d in doms]
        rows = ["| Condition | " + " | ".join(d.name for d in doms) + " |", "|---" * (len(doms) + 1) + "|"]
        for cid in CONDITIONS:
            cells = [f"{RATING_ICONS[c[cid].rating]} {labels.rating(c[cid].rating)}" for _, c, _ in results]
            rows.append(f"| {labels.condition(cid)} | " + " | ".join(cells) + " |")
        rows.append(
            "| **Verdict** | "
            + " | ".join(f"{VERDICT_ICONS[d.verdict]} {labels.verdict(d.verdict)}" for d in doms)
            + " |"
        )
        out = [
            self.bottom_line([(d, c) for d, c, _ in results], ev, book, labels),
            "",
            "Side by side, condition by condition:",
            *self.conditions_intro(ev, book),
            "",
            *rows,
        ]
        for d, conditions, sentence in results:
            out += ["", f"### {d.name}", sentence, *self.condition_lines(conditions, labels)]
            left = self.left_out(d, ev, book)
            if left:
                out += [f"*{labels.heading('left_out', 'Who may be left out')}:* {left}"]
        comparison = [
            DomainAssessmentOut(domain=d.id, name=d.name, verdict=d.verdict, conditions=c, origin=d.origin)  # type: ignore[arg-type]
            for d, c, _ in results
        ]
        return Composed(answer="\n".join(out), verdict=doms[0].verdict, conditions=results[0][1], comparison=comparison)

    def bottom_line(
        self, results: list[tuple[Domain, dict[str, ConditionOut]]], ev: Evidence, book: CitationBook, labels: Labels
    ) -> str:
        """Which compared area the catalogue favours: by verdict first, then by how fully the conditions are met."""

        def score(item: tuple[Domain, dict[str, ConditionOut]]) -> tuple[int, int]:
            d, conditions = item
            return -GROUPS.index(d.verdict), sum(RATING_SCORE.get(c.rating, 0) for c in conditions.values())

        def brief(item: tuple[Domain, dict[str, ConditionOut]]) -> str:
            d, conditions = item
            counts = Counter(c.rating for c in conditions.values())
            met = ", ".join(f"{counts[r]} {labels.rating(r)}" for r in RATING_SCORE if counts[r])
            marks = cite(book, [self.facet(ev, d.id, "overview")])
            return f"**{d.name}** ({labels.verdict(d.verdict)}; conditions: {met}) {marks}".rstrip()

        ranked = sorted(results, key=score, reverse=True)
        lead = "*Bottom line*, on the catalogue's verdicts and condition ratings:"
        if len({score(r) for r in ranked}) == 1:
            return f"{lead} the areas compared stand alike: " + "; ".join(brief(r) for r in ranked) + "."
        if len(ranked) == 2 and ranked[0][0].verdict != ranked[1][0].verdict:
            return f"{lead} cooperation looks likelier on {brief(ranked[0])} than on {brief(ranked[1])}."
        if len(ranked) == 2:
            return (
                f"{lead} both are {labels.verdict(ranked[0][0].verdict)}, and {brief(ranked[0])} meets its "
                f"conditions more fully than {brief(ranked[1])}."
            )
        levels = [" and ".join(brief(r) for r in group) for _, group in groupby(ranked, key=score)]
        return f"{lead} from likeliest to least likely (areas rated alike together), " + "; then ".join(levels) + "."

    def passages_answer(self, u: Understanding, ev: Evidence, book: CitationBook, labels: Labels) -> Composed:
        """Explanations (concepts, the case, the research, fairness, precedents): the best passages, cited;
        about the conditions, how the catalogue's areas meet them."""
        out = []
        for h in explanation(u, ev):
            excerpt = best_sentences(h.chunk.text, u.standalone)
            out.append(f"- **{h.chunk.section}** ({h.chunk.doc_title}): {excerpt} {book.cite(h.id)}")
        if ev.across:
            out += ["", *conditions_across(ev, book, self.catalogue, labels, ev.across)]
        return Composed(answer="\n".join(out))

    def documents_part(self, ev: Evidence, book: CitationBook, question: str, heading: str) -> list[str]:
        if not ev.uploads:
            return []
        lines = [f"#### {heading}"] if heading else []
        for h in ev.uploads[:3]:
            lines.append(f"- **{h.chunk.doc_title}**: {best_sentences(h.chunk.text, question)} {book.cite(h.id)}")
        return lines

    def compose(
        self, u: Understanding, ev: Evidence, book: CitationBook, *, preview: Preview | None = None
    ) -> Composed:
        """The answer for the kind of question asked."""
        del preview  # the analyst is instant: the whole answer is its own preview
        labels = Labels(u.language)
        documents_first = u.qtype == "documents"
        composed = self._compose(u, ev, book, labels)
        own = self.documents_part(ev, book, u.standalone, "" if documents_first else "From your documents")
        if own and documents_first:
            tail = ["", "#### From the knowledge base", composed.answer] if composed.answer else []
            composed.answer = "\n".join(["From your documents:", *own, *tail])
        elif own:
            composed.answer += "\n\n" + "\n".join(own)
        return composed

    def _compose(self, u: Understanding, ev: Evidence, book: CitationBook, labels: Labels) -> Composed:
        if u.qtype == "overview":
            return overview_answer(u, ev, book, self.catalogue, labels)
        if u.qtype == "apply_framework":
            return apply_framework_answer(u, ev, book, self.catalogue, labels)
        if u.domains:
            assessed = (
                self.comparison_answer(u, ev, book, labels)
                if len(u.domains) >= 2
                else self.domain_answer(u, ev, book, labels)
            )
            if u.qtype in PASSAGES_FIRST:  # what was asked comes first; the assessment follows
                passages = self.passages_answer(u, ev, book, labels)
                assessed.answer = f"{passages.answer}\n\n#### The catalogue's assessment\n{assessed.answer}"
            return assessed
        if u.qtype == "documents":
            return Composed(answer="")
        return self.passages_answer(u, ev, book, labels)
