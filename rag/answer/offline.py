"""The offline analyst: composes a grounded answer from the catalogue and retrieved passages.

Verdicts and ratings come from the domain catalogue (knowledge/domains/*.yaml); every
sentence that states a fact points, by marker, at a passage that was retrieved for
this question. Nothing here knows any particular domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.answer.citations import CitationBook
from rag.answer.evidence import Evidence
from rag.answer.schema import ConditionOut, DomainAssessmentOut
from rag.corpus import CITATION_RE
from rag.framework import (
    CONDITION_NAMES,
    CONDITION_PHRASES,
    CONDITION_QUESTIONS,
    CONDITIONS,
    RATING_WORDS,
    VERDICT_WORDS,
    Catalogue,
    Domain,
    Ref,
    Verdict,
    lower_first,
)
from rag.lexical import tokenize
from rag.retrieve import Hit
from rag.understand import Understanding

# Plain symbols (no emoji font needed), always next to words: colour is never the only signal.
RATING_ICONS = {"met": "✔", "partial": "◐", "not_met": "✖", "unknown": "?"}
VERDICT_ICONS = {"feasible": "✔", "mixed": "◐", "infeasible": "✖"}
_LEANS_BACK_RE = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|such|thus|hence|so|also|but|however|the (?:case|report|"
    r"paper|talk|study|article) (?:thus|also|therefore))\b",
    re.IGNORECASE,
)
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass
class Composed:
    answer: str
    verdict: Verdict | None = None
    conditions: dict[str, ConditionOut] | None = None
    comparison: list[DomainAssessmentOut] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    unknown_domain: bool = False


_SPACE_BEFORE_PUNCT_RE = re.compile(r" ([.,;:?!])(?=\s|$)")  # left where a citation stood: "secrets [@x]?"


def plain(text: str) -> str:
    """Passage text without its inline source citations, on one line."""
    return _SPACE_BEFORE_PUNCT_RE.sub(r"\1", " ".join(CITATION_RE.sub("", text).split()))


def leans_back(sentence: str) -> bool:
    """Does the sentence lean on an earlier one ("This shows...", "The case thus...")?"""
    return bool(_LEANS_BACK_RE.match(sentence))


def best_sentences(text: str, question: str, n: int = 2) -> str:
    """The ``n`` sentences of a passage that share most words with the question, in order.

    The passage's first sentence usually names its subject and is kept; an excerpt never
    opens with a sentence that leans on one left out.
    """
    sentences = [s.strip() for s in _SENT_RE.split(plain(text)) if len(s.strip(" .;,")) > 1]
    if len(sentences) <= n:
        return " ".join(sentences)
    q = set(tokenize(question))
    scored = sorted(
        range(len(sentences)),
        key=lambda i: (len(q & set(tokenize(sentences[i]))) - (2 if leans_back(sentences[i]) else 0), -i),
        reverse=True,
    )
    keep = sorted(scored[:n]) if q else list(range(n))
    if 0 not in keep and len(keep) == n:  # the first sentence names the subject: keep it
        keep = sorted([0, *keep[: n - 1]])
    while keep and keep[0] > 0 and leans_back(sentences[keep[0]]):
        keep = sorted({keep[0] - 1, *keep[:-1]}) if len(keep) > 1 else [keep[0] - 1]
    return " ".join(sentences[i] for i in keep)


def defining_first(hits: list[Hit], conditions: list[str]) -> list[Hit]:
    """``hits`` with the sections titled by a condition the question names moved to the front.

    "What does domain separability mean?" opens with the passage headed by that condition,
    not with a domain that merely discusses it.
    """
    def named(h: Hit) -> int | None:  # which named condition the section is titled by
        if h.chunk.kind == "domain":
            return None
        section = h.chunk.section.lower()
        return next((i for i, cid in enumerate(conditions) if any(p in section for p in CONDITION_PHRASES[cid])), None)

    order = {h.id: named(h) for h in hits}
    defining = sorted((h for h in hits if order[h.id] is not None), key=lambda h: order[h.id] or 0)
    return defining + [h for h in hits if order[h.id] is None]


def lead_first(hits: list[Hit]) -> list[Hit]:
    """``hits`` with the retrieved lead sections of the best hit's document moved to the front.

    A document's front matter names the sections that sum it up (``lead``); when the answer
    draws mainly on that document, its summary opens the answer and the details follow in
    retrieval order.
    """
    if not hits or hits[0].chunk.kind == "domain":
        return hits
    doc = hits[0].chunk.doc_id
    leads = [h for h in hits if h.chunk.doc_id == doc and h.chunk.facet == "lead"]
    return leads + [h for h in hits if h not in leads]


def _matches(hit: Hit, refs: list[Ref]) -> bool:
    c = hit.chunk
    return any(
        c.source_id == r.source and (r.locator is None or r.locator == c.locator or r.locator in c.section)
        for r in refs
    )


class OfflineAnalyst:
    """Turns an Understanding plus Evidence into a Markdown answer with markers."""

    name = "offline"

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    # -- pieces ------------------------------------------------------------------
    def _facet(self, ev: Evidence, did: str, facet: str) -> Hit | None:
        return next((h for h in ev.cards.get(did, []) if h.chunk.facet == facet), None)

    def _support(self, ev: Evidence, did: str, refs: list[Ref], limit: int = 1) -> list[Hit]:
        found = [h for h in ev.support.get(did, []) if _matches(h, refs)]
        return found[:limit]

    def _cite(self, book: CitationBook, hits: list[Hit | None]) -> str:
        marks = [book.cite(h.id) for h in hits if h is not None and book.can_cite(h.id)]
        return "".join(dict.fromkeys(marks))

    def condition(self, d: Domain, cid: str, ev: Evidence, book: CitationBook) -> ConditionOut:
        """One condition of a domain: the catalogue's rating and reasoning, cited."""
        a = d.conditions[cid]  # type: ignore[index]
        hits = [self._facet(ev, d.id, cid), *self._support(ev, d.id, a.citations, 2)]
        marks = self._cite(book, hits)
        reasoning = f"{' '.join(a.reasoning.split())} {marks}".strip()
        return ConditionOut(rating=a.rating, reasoning=reasoning, citations=re.findall(r"c\d+", marks))

    def assess(self, d: Domain, ev: Evidence, book: CitationBook) -> tuple[dict[str, ConditionOut], str]:
        """Per-condition results for one domain, and the verdict sentence."""
        conditions: dict[str, ConditionOut] = {cid: self.condition(d, cid, ev, book) for cid in CONDITIONS}
        overview = self._facet(ev, d.id, "overview")
        verdict_marks = self._cite(book, [*self._support(ev, d.id, d.verdict_citations), overview])
        basis = " ".join(d.verdict_basis.split())
        sentence = (
            f"{VERDICT_ICONS[d.verdict]} **Cooperation between rivals on {lower_first(d.name)} is "
            f"{VERDICT_WORDS[d.verdict]}.** {basis} {verdict_marks}"
        ).strip()
        return conditions, sentence

    def _condition_section(self, conditions: dict[str, ConditionOut]) -> list[str]:
        lines = []
        for cid in CONDITIONS:
            c = conditions[cid]
            lines.append(
                f"**{CONDITION_NAMES[cid]}: {RATING_ICONS[c.rating]} {RATING_WORDS[c.rating]}.** {c.reasoning}"
            )
        return lines

    def _left_out(self, d: Domain, ev: Evidence, book: CitationBook) -> str | None:
        if not d.left_out:
            return None
        hits = [self._facet(ev, d.id, "left_out"), *self._support(ev, d.id, d.left_out.citations)]
        marks = self._cite(book, hits)
        return f"{' '.join(d.left_out.text.split())} {marks}".strip() if marks else None

    def _would_change(self, d: Domain, ev: Evidence, book: CitationBook) -> list[str]:
        facet = self._facet(ev, d.id, "would_change")
        if facet is None:
            return []
        marks = self._cite(book, [facet])
        return [f"- {' '.join(w.text.split())} {marks}" for w in d.would_change]

    def _precedents(self, d: Domain, ev: Evidence, book: CitationBook, question: str) -> list[str]:
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

    def _risk_tests(self, d: Domain, ev: Evidence, book: CitationBook) -> str | None:
        facet = self._facet(ev, d.id, "risk_tests")
        if facet is None or not d.risk_tests:
            return None
        parts = [f"{k.replace('_', ' ')}: {t.level}" for k, t in d.risk_tests.items()]
        return f"FAccT 2025 risk tests for {lower_first(d.name)}: {'; '.join(parts)}. {book.cite(facet.id)}"

    # -- answers -----------------------------------------------------------------
    def domain_answer(self, u: Understanding, ev: Evidence, book: CitationBook) -> Composed:
        d = self.catalogue.domains[u.domains[0]]
        conditions, verdict_sentence = self.assess(d, ev, book)
        out = [verdict_sentence, "", "#### The three conditions", *self._condition_section(conditions)]
        risk = self._risk_tests(d, ev, book)
        if risk:
            out += ["", risk]
        left = self._left_out(d, ev, book)
        if left:
            out += ["", "#### Feasible is not fair: who may be left out", left]
        prec = self._precedents(d, ev, book, u.standalone)
        if prec:
            out += ["", "#### Precedents", *prec]
        change = self._would_change(d, ev, book)
        if change:
            out += ["", "#### What would change the assessment", *change]
        out += self._uploads(ev, book, u.standalone)
        return Composed(answer="\n".join(out), verdict=d.verdict, conditions=conditions)

    def comparison_answer(self, u: Understanding, ev: Evidence, book: CitationBook) -> Composed:
        doms = [self.catalogue.domains[i] for i in u.domains]
        results = []
        for d in doms:
            conditions, sentence = self.assess(d, ev, book)
            results.append((d, conditions, sentence))
        header = "| Condition | " + " | ".join(d.name for d in doms) + " |"
        rows = [header, "|---" * (len(doms) + 1) + "|"]
        for cid in CONDITIONS:
            cells = [f"{RATING_ICONS[c[cid].rating]} {RATING_WORDS[c[cid].rating]}" for _, c, _ in results]
            rows.append(f"| {CONDITION_NAMES[cid]} | " + " | ".join(cells) + " |")
        rows.append(
            "| **Verdict** | "
            + " | ".join(f"{VERDICT_ICONS[d.verdict]} {VERDICT_WORDS[d.verdict]}" for d in doms)
            + " |"
        )
        out = ["Side by side, condition by condition:", "", *rows]
        for d, conditions, sentence in results:
            out += ["", f"### {d.name}", sentence, *self._condition_section(conditions)]
            left = self._left_out(d, ev, book)
            if left:
                out += [f"*Who may be left out:* {left}"]
        out += self._uploads(ev, book, u.standalone)
        first_d, first_c, _ = results[0]
        comparison = [
            DomainAssessmentOut(domain=d.id, name=d.name, verdict=d.verdict, conditions=c)  # type: ignore[arg-type]
            for d, c, _ in results
        ]
        return Composed(answer="\n".join(out), verdict=first_d.verdict, conditions=first_c, comparison=comparison)

    def passages_answer(self, u: Understanding, ev: Evidence, book: CitationBook, lead: str = "") -> Composed:
        """Explanations (concepts, the case, the research, fairness): the best passages, cited."""
        pool = defining_first(lead_first(ev.typed + ev.main if ev.typed else ev.main), u.conditions)
        chosen: list[Hit] = []
        sections: set[tuple[str, str]] = set()
        for h in pool:
            key = (h.chunk.doc_id, h.chunk.section)
            if key in sections or h.collection == "uploads" or (h.chunk.kind == "domain" and u.qtype != "fairness"):
                continue
            sections.add(key)
            chosen.append(h)
            if len(chosen) == 4:
                break
        out = [lead] if lead else []
        for h in chosen:
            out.append(
                f"- **{h.chunk.section}** ({h.chunk.doc_title}): "
                f"{best_sentences(h.chunk.text, u.standalone)} {book.cite(h.id)}"
            )
        out += self._uploads(ev, book, u.standalone)
        return Composed(answer="\n".join(out))

    def unknown_domain_answer(self, u: Understanding, ev: Evidence, book: CitationBook) -> Composed:
        """No verdict: say so, name the nearest assessed domains, walk through the three questions."""
        names = []
        for s in u.domain_scores[:3]:
            d = self.catalogue.domains[s.id]
            card = self._facet(ev, d.id, "overview")
            marks = book.cite(card.id) if card else ""
            names.append(f"{d.name} ({VERDICT_WORDS[d.verdict]}){' ' + marks if marks else ''}")
        out = [
            "The knowledge base has no assessment of this area, so I will not give a verdict. "
            f"The nearest assessed domains are {', '.join(names)}.",
            "",
            "To judge it yourself, ask the framework's three questions:",
        ]
        framework = [h for h in ev.typed + ev.main if h.chunk.kind == "framework"]
        for cid in CONDITIONS:
            name = CONDITION_NAMES[cid]
            key = name.split()[0].lower()
            hit = next((h for h in framework if key in h.chunk.section.lower()), None)
            hit = hit or next((h for h in framework if key in h.chunk.text.lower()), None)
            marks = book.cite(hit.id) if hit else ""
            out.append(f"- **{name}**: {CONDITION_QUESTIONS[cid]} {marks}".rstrip())
        out += self._uploads(ev, book, u.standalone)
        return Composed(answer="\n".join(out), unknown_domain=True)

    def _uploads(self, ev: Evidence, book: CitationBook, question: str) -> list[str]:
        if not ev.uploads:
            return []
        lines = ["", "#### From your documents"]
        for h in ev.uploads[:2]:
            lines.append(f"- **{h.chunk.doc_title}**: {best_sentences(h.chunk.text, question)} {book.cite(h.id)}")
        return lines

    def compose(self, u: Understanding, ev: Evidence, book: CitationBook) -> Composed:
        if u.qtype == "comparison" and len(u.domains) >= 2:
            return self.comparison_answer(u, ev, book)
        if u.domains:
            composed = self.domain_answer(u, ev, book)
            if u.qtype in ("deepseek", "research", "precedent"):
                extra = self.passages_answer(u, ev, book, lead="#### Background from the knowledge base")
                composed.answer += "\n\n" + extra.answer
            return composed
        if u.qtype == "unknown_domain":
            return self.unknown_domain_answer(u, ev, book)
        return self.passages_answer(u, ev, book)
