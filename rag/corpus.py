"""knowledge/ -> chunks with provenance.

Markdown files are split at ``##`` headings (long sections are split further at
paragraph boundaries); each domain card becomes one chunk per facet (overview,
each condition, risk tests, who is left out, what would change). Every chunk knows
its source, locator and a stable id: the hash of source, locator and text.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rag.errors import KnowledgeError
from rag.framework import (
    CONDITION_NAMES,
    RATING_WORDS,
    RISK_TEST_NAMES,
    VERDICT_WORDS,
    Catalogue,
    Domain,
    Ref,
)
from rag.refs import CITATION_RE, Citation, parse_citations
from rag.yamlfile import load_yaml

__all__ = ["CITATION_RE", "Chunk", "Citation", "load_corpus", "parse_citations"]

_LOCATOR_ATTR_RE = re.compile(r"\s*\{locator=\"([^\"]+)\"\}\s*$")
MAX_CHUNK_CHARS = 700
MIN_CHUNK_CHARS = 250  # shorter parts of a long section join a neighbour


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage. ``text`` is what a user is shown when it is cited."""

    id: str
    text: str
    source_id: str
    locator: str
    doc_id: str
    doc_title: str
    section: str
    kind: str  # framework | case | research | precedent | quotation | domain | user
    path: str
    url: str | None = None
    title: str = ""  # the source's title
    domains: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    facet: str = ""  # domain cards: overview | a condition id | risk_tests | left_out | would_change;
    # documents: "lead" for the sections their front matter names as the summary of the whole
    cited_sources: tuple[str, ...] = ()
    date: str | None = None
    source_kind: str = ""  # the kind of the source it is shown under: talk, paper, ..., note, assessment, user
    based_on: tuple[str, ...] = ()  # the project's writing: the external sources its sentences cite

    def embedding_content(self) -> str:
        """What is embedded and BM25-indexed: heading context plus text, citations removed."""
        body = CITATION_RE.sub("", self.text)
        return f"{self.doc_title} - {self.section}. {body}"

    def metadata(self) -> dict[str, str | int | float | bool]:
        """Flat metadata for Chroma (scalars only)."""
        return {
            "source_id": self.source_id,
            "locator": self.locator,
            "doc_id": self.doc_id,
            "doc_title": self.doc_title,
            "section": self.section,
            "kind": self.kind,
            "path": self.path,
            "url": self.url or "",
            "title": self.title,
            "domains": ",".join(self.domains),
            "conditions": ",".join(self.conditions),
            "facet": self.facet,
            "cited_sources": ",".join(self.cited_sources),
            "date": self.date or "",
            "source_kind": self.source_kind,
            "based_on": ",".join(self.based_on),
        }

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict[str, object]) -> Chunk:
        def split(key: str) -> tuple[str, ...]:
            value = str(meta.get(key) or "")
            return tuple(v for v in value.split(",") if v)

        return cls(
            id=chunk_id,
            text=text,
            source_id=str(meta.get("source_id", "")),
            locator=str(meta.get("locator", "")),
            doc_id=str(meta.get("doc_id", "")),
            doc_title=str(meta.get("doc_title", "")),
            section=str(meta.get("section", "")),
            kind=str(meta.get("kind", "")),
            path=str(meta.get("path", "")),
            url=str(meta.get("url") or "") or None,
            title=str(meta.get("title", "")),
            domains=split("domains"),
            conditions=split("conditions"),
            facet=str(meta.get("facet", "")),
            cited_sources=split("cited_sources"),
            date=str(meta.get("date") or "") or None,
            source_kind=str(meta.get("source_kind", "")),
            based_on=split("based_on"),
        )


def chunk_id(source_id: str, locator: str, text: str, heading: str = "") -> str:
    """Stable id of a passage: it changes with anything that is embedded (the heading context too),
    so a renamed section is embedded again rather than searched under its old heading."""
    digest = hashlib.sha256(f"{source_id}\x1f{locator}\x1f{heading}\x1f{text}".encode()).hexdigest()
    return digest[:20]


@dataclass
class MarkdownDoc:
    path: Path
    meta: dict[str, object]
    title: str
    sections: list[tuple[str, str | None, str]] = field(default_factory=list)  # heading, locator, body

    @property
    def id(self) -> str:
        return str(self.meta.get("id") or self.path.stem)


def read_markdown(path: Path) -> MarkdownDoc:  # noqa: C901 - a line-by-line parser: front matter, title, sections and locators in one pass
    """Front matter, title and ``##`` sections of one knowledge file."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise KnowledgeError(f"{path}: cannot read: {e}") from e
    meta: dict[str, object] = {}
    body = raw
    if raw.startswith("---"):
        parts = raw.split("\n---", 1)
        if len(parts) != 2:
            raise KnowledgeError(f"{path}: front matter is not closed with ---")
        try:
            loaded = load_yaml(parts[0][3:]) or {}
        except yaml.YAMLError as e:
            raise KnowledgeError(f"{path}: bad front matter: {e}") from e
        if not isinstance(loaded, dict):
            raise KnowledgeError(f"{path}: front matter must be a mapping")
        meta = loaded
        body = parts[1].lstrip("-\n")
    title = str(meta.get("title") or path.stem)
    doc = MarkdownDoc(path=path, meta=meta, title=title)
    heading, locator = "", None
    lines: list[str] = []  # text before the first ## is the introduction

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            doc.sections.append((heading or "Introduction", locator, text))

    for line in body.splitlines():
        if line.startswith("# ") and not doc.sections and not lines:
            doc.title = str(meta.get("title") or line[2:].strip())
            continue
        if line.startswith("## "):
            flush()
            head = line[3:].strip()
            m = _LOCATOR_ATTR_RE.search(head)
            locator = m.group(1) if m else None
            heading = _LOCATOR_ATTR_RE.sub("", head).strip()
            lines = []
            continue
        lines.append(line)
    flush()
    return doc


@dataclass(frozen=True)
class Provenance:
    """Whom a passage is shown under: a source, where in it, and what that writing rests on."""

    source_id: str
    locator: str
    based_on: tuple[str, ...] = ()


def chunk_provenance(
    cites: list[Citation], own_source: str, section_locator: str | None, heading: str, catalogue: Catalogue
) -> Provenance:
    """The source a passage is shown under (DESIGN.md, "Attribution").

    A passage whose every reference is to one external source, and which carries none of
    the project's own readings, is shown under that source, at its cited locators. Any
    other passage (several sources, or the project's reading of one) is the project's
    writing: it is shown under the note it belongs to, ``based_on`` the external sources
    it cites. Without a note source (a knowledge folder written before notes were
    sources), the most cited source is used as before.
    """
    external = list(dict.fromkeys(c.source for c in cites if not catalogue.is_own(c.source)))
    readings = any(catalogue.is_own(c.source) for c in cites)
    if len(external) == 1 and not readings:
        sid = external[0]
        located = list(dict.fromkeys(c.locator for c in cites if c.source == sid and c.locator))
        return Provenance(sid, ", ".join(located) or section_locator or heading)
    if own_source and catalogue.is_own(own_source):
        return Provenance(own_source, heading, tuple(external))
    if not cites:
        return Provenance(own_source, section_locator or heading)
    counts = Counter(c.source for c in cites)
    top = max(counts.values())
    sid = own_source if own_source in counts else next(c.source for c in cites if counts[c.source] == top)
    locator = next((c.locator for c in cites if c.source == sid and c.locator), None)
    return Provenance(sid, locator or section_locator or heading)


def _split_long(text: str) -> list[str]:
    """A long section in balanced parts at sentence ends (800 chars -> 2 x 400, not 700 + 100),
    so no part is a stray tail sentence that makes no sense alone."""
    if len(text) <= MAX_CHUNK_CHARS:
        return [text]
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    parts = math.ceil(len(text) / MAX_CHUNK_CHARS)
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=min(MAX_CHUNK_CHARS, math.ceil(len(text) / parts * 1.15)),
        chunk_overlap=0,
        separators=["\n\n", "\n", ". ", " "],
        keep_separator="end",
    )
    pieces = [p.strip() for p in splitter.split_text(text) if p.strip()]
    merged: list[str] = []
    for piece in pieces:  # a short closing paragraph joins the part before it
        if merged and (len(piece) < MIN_CHUNK_CHARS or len(merged[-1]) < MIN_CHUNK_CHARS):
            merged[-1] = f"{merged[-1]}\n\n{piece}"
        else:
            merged.append(piece)
    return merged


def as_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),) if value else ()


def markdown_chunks(path: Path, knowledge_dir: Path, catalogue: Catalogue) -> list[Chunk]:
    doc = read_markdown(path)
    kind = str(doc.meta.get("kind") or path.parent.name)
    own_source = str(doc.meta.get("source_id") or "")
    domains = as_tuple(doc.meta.get("domains"))
    conditions = as_tuple(doc.meta.get("conditions"))
    date = str(doc.meta["date"]) if doc.meta.get("date") else None
    lead = set(as_tuple(doc.meta.get("lead")))
    rel = path.relative_to(knowledge_dir).as_posix()
    chunks: list[Chunk] = []
    for heading, section_locator, body in doc.sections:
        for part in _split_long(body):
            cites = parse_citations(part)
            prov = chunk_provenance(cites, own_source, section_locator, heading, catalogue)
            source_id, locator = prov.source_id, prov.locator
            source = catalogue.sources.get(source_id)
            chunks.append(
                Chunk(
                    id=chunk_id(source_id, locator, part, f"{doc.title} - {heading}"),
                    text=part,
                    source_id=source_id,
                    locator=locator,
                    source_kind=source.kind if source else "",
                    based_on=prov.based_on,
                    doc_id=doc.id,
                    doc_title=doc.title,
                    section=heading,
                    kind=kind,
                    path=rel,
                    url=source.link if source else None,
                    title=source.title if source else source_id,
                    domains=domains,
                    conditions=conditions,
                    cited_sources=tuple(dict.fromkeys(c.source for c in cites)),
                    date=date,
                    facet="lead" if heading in lead else "",
                )
            )
    return chunks


def _cite_text(refs: Iterable[Ref]) -> str:
    parts = [f"@{r.source}" + (f", {r.locator}" if r.locator else "") for r in refs]
    return f" [{'; '.join(parts)}]" if parts else ""


def _referenced(text: str, refs: Iterable[Ref]) -> str:
    """Catalogue text with its references: inline when it has them, else the list appended."""
    text = " ".join(text.split())
    return text if CITATION_RE.search(text) else text + _cite_text(refs)


RISK_TESTS_HEADING = "The project's application of the FAccT paper's three risk tests"


def domain_facets(domain: Domain) -> Iterator[tuple[str, str, str]]:
    """(facet, section heading, text with its references) for each passage of a domain card."""
    aliases = ", ".join(domain.aliases[:8])
    yield (
        "overview",
        "Overview and verdict",
        f"{domain.name} (also called: {aliases}). {' '.join(domain.summary.split())} "
        f"Overall verdict on cooperation between rivals: {VERDICT_WORDS[domain.verdict]}. "
        + _referenced(domain.verdict_basis, domain.verdict_citations),
    )
    for cid, assessment in domain.conditions.items():
        yield (
            cid,
            CONDITION_NAMES[cid],
            f"{domain.name}, {CONDITION_NAMES[cid].lower()}: {RATING_WORDS[assessment.rating]}. "
            + _referenced(assessment.reasoning, assessment.citations),
        )
    if domain.risk_tests:
        lines = [
            f"{RISK_TEST_NAMES[tid]}: {t.level} risk. {_referenced(t.note, t.citations)}"
            for tid, t in domain.risk_tests.items()
        ]
        yield ("risk_tests", RISK_TESTS_HEADING, f"{domain.name}, {RISK_TESTS_HEADING.lower()}: " + " ".join(lines))
    if domain.left_out:
        yield (
            "left_out",
            "Feasible is not fair: who is left out",
            f"{domain.name}, who may be left out: " + _referenced(domain.left_out.text, domain.left_out.citations),
        )
    if domain.would_change:
        yield (
            "would_change",
            "What would change the assessment",
            f"{domain.name}, what would change the assessment: "
            + " ".join(_referenced(w.text, w.citations) for w in domain.would_change),
        )


def domain_chunks(domain: Domain, catalogue: Catalogue) -> list[Chunk]:
    """One passage per facet of a domain card, shown under the project's assessment of the domain."""
    chunks: list[Chunk] = []
    own = catalogue.sources.get(domain.assessment_source)
    for facet, heading, body in domain_facets(domain):
        cites = parse_citations(body)
        if own is not None:
            prov = Provenance(
                own.id, heading, tuple(dict.fromkeys(c.source for c in cites if not catalogue.is_own(c.source)))
            )
        else:  # a catalogue written before assessments were sources
            first = cites[0] if cites else Citation("", None)
            prov = Provenance(first.source, first.locator or heading)
        source = catalogue.sources.get(prov.source_id)
        doc_title = f"Domain catalogue: {domain.name}"
        chunks.append(
            Chunk(
                id=chunk_id(prov.source_id, prov.locator, body, f"{doc_title} - {heading}"),
                text=body,
                source_id=prov.source_id,
                locator=prov.locator,
                doc_id=f"domain-{domain.id}",
                doc_title=doc_title,
                section=heading,
                kind="domain",
                path=f"domains/{domain.id}.yaml",
                url=source.link if source else None,
                title=source.title if source else prov.source_id,
                domains=(domain.id,),
                conditions=(facet,) if facet in CONDITION_NAMES else (),
                facet=facet,
                cited_sources=tuple(dict.fromkeys(c.source for c in cites)),
                source_kind=source.kind if source else "",
                based_on=prov.based_on,
            )
        )
    return chunks


def quotation_chunks(catalogue: Catalogue) -> list[Chunk]:
    """The sources' own words kept in ``sources.yaml`` (the talk's slides), one passage per locator.

    The text is shown in quotation marks: it is the source speaking, so "slide 5" opens slide 5.
    """
    chunks: list[Chunk] = []
    for source in catalogue.sources.values():
        for locator, words in source.quotations.items():
            lines = [line.strip() for line in words.strip().splitlines() if line.strip()]
            if not lines:
                continue
            body = "“" + " / ".join(lines) + "”"
            heading = f"{locator[:1].upper()}{locator[1:]}: {lines[0]}"
            chunks.append(
                Chunk(
                    id=chunk_id(source.id, locator, body, f"{source.title} - {heading}"),
                    text=body,
                    source_id=source.id,
                    locator=locator,
                    doc_id=f"quotations-{source.id}",
                    doc_title=source.title,
                    section=heading,
                    kind="quotation",
                    path="sources.yaml",
                    url=source.link,
                    title=source.title,
                    source_kind=source.kind,
                )
            )
    return chunks


def knowledge_files(knowledge_dir: Path) -> list[Path]:
    """Every file of the knowledge base that becomes chunks, sorted."""
    files = sorted(p for p in knowledge_dir.rglob("*.md") if not p.name.startswith("_"))
    files += sorted((knowledge_dir / "domains").glob("*.yaml"))
    files += [knowledge_dir / "sources.yaml"]  # its quotations (the talk's slides) are passages too
    return [p for p in files if p.name.upper() not in {"README.MD"}]


def chunks_for_file(path: Path, knowledge_dir: Path, catalogue: Catalogue) -> list[Chunk]:
    if path.name == "sources.yaml" and path.parent == knowledge_dir:
        return quotation_chunks(catalogue)
    if path.suffix == ".yaml":
        domain = catalogue.domains.get(path.stem)
        if domain is None:
            raise KnowledgeError(f"{path}: not a loaded domain")
        return domain_chunks(domain, catalogue)
    return markdown_chunks(path, knowledge_dir, catalogue)


def load_corpus(knowledge_dir: Path, catalogue: Catalogue | None = None) -> list[Chunk]:
    """All chunks of the knowledge base (ids unique: a repeated passage is kept once)."""
    catalogue = catalogue or Catalogue(knowledge_dir)
    seen: set[str] = set()
    out: list[Chunk] = []
    for path in knowledge_files(knowledge_dir):
        for chunk in chunks_for_file(path, knowledge_dir, catalogue):
            if chunk.id not in seen:
                seen.add(chunk.id)
                out.append(chunk)
    return out
