"""`rag check-knowledge`: every rule of docs/knowledge-format.md, all problems at once.

Besides shapes and references, it enforces attribution (DESIGN.md, "Attribution"): the
project's notes and assessments are sources of their own; every sentence carries a
reference; a sentence that cites the talk alone (or any source whose own words
``sources.yaml`` keeps as quotations) must be carried by the slide it cites (a phrase
quoted from it, or mostly its words), so that a judgement the project draws from the
talk is cited as the project's reading; and nothing in the knowledge folder points
outside the repository.
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from rag.corpus import MarkdownDoc, as_tuple, read_markdown
from rag.errors import KnowledgeError
from rag.framework import CONDITIONS, OWN_KINDS, Domain, Ref, Source, load_sources
from rag.lexical import tokenize
from rag.refs import content_words, parse_citations, quoted_spans, sentences
from rag.yamlfile import read_yaml

FIXED_DOMAINS = (
    "extreme-risk-prevention",
    "technical-standards",
    "scientific-collaboration",
    "incident-reporting",
    "frontier-model-caps",
    "military-ai",
    "compute-controls",
    "value-driven-norms",
    "verification-mechanisms",
    "shared-protocols",
)
FIXED_SOURCES = (
    "tabassi-competitive-cooperation",
    "sheehan-singer-2025-deepseek",
    "facct-2025-technical-safety-cooperation",
)
_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SENTENCE_RE = re.compile(r"[^.!?]*(?:\[@[^\]]+\][^.!?]*)+[.!?]?")
# Paths a user of the product does not have: a parent folder, or an absolute path (not a URL's).
_OUTSIDE_RE = re.compile(r"(?:\.\./|(?<![\w:/.])/[\w.-]+/[\w.-]+|[A-Z]:\\\\)")
# A sentence about the talk may name the talk and its slides in its own words.
_TALK_WORDS = frozenset(
    tokenize(
        "talk slide slides speaker tabassi elham lists listed names named says puts calls opens closes first second "
        "third fourth fifth sixth seventh eighth ninth tenth eleventh one two three four example examples"
    )
)
CARRIED_SHARE = 0.5  # at least half a talk-only sentence's own words must be on the slide it cites


@dataclass(frozen=True)
class Knowledge:
    """What the rules need, loaded once: sources, domain ids, precedent ids, the folder."""

    kdir: Path
    sources: dict[str, Source]
    domain_files: set[str]
    precedent_ids: set[str]


def _check_ref(where: str, source: str, locator: str | None, sources: dict[str, Source]) -> list[str]:
    s = sources.get(source)
    if s is None:
        return [f"{where}: cites unknown source {source!r}"]
    if s.locators is not None and locator is not None and locator not in s.locators:
        return [f"{where}: unknown locator {locator!r} for {source} (allowed: {', '.join(s.locators)})"]
    return []


def _unconfirmed_problems(where: str, text: str, sources: dict[str, Source]) -> list[str]:
    problems = []
    for sentence in _SENTENCE_RE.findall(text):
        for c in parse_citations(sentence):
            s = sources.get(c.source)
            if s is not None and s.confidence == "S3" and "unconfirmed" not in sentence.lower():
                problems.append(f"{where}: cites S3 source {c.source} without marking it unconfirmed")
    return problems


# -- attribution ---------------------------------------------------------------------------
def carried_by_slide(sentence: str, slide: str) -> bool:
    """Does the slide's text carry the sentence? A phrase quoted from the slide, or most of its words."""
    spans = quoted_spans(sentence)
    flat = " ".join(slide.lower().split())
    if spans and all(" ".join(s.lower().split()) in flat for s in spans):
        return True
    words = content_words(sentence) - _TALK_WORDS
    if not words:
        return True
    return len(words & content_words(slide)) / len(words) >= CARRIED_SHARE


def attribution_problems(where: str, text: str, own: str, kb: Knowledge) -> list[str]:
    """Sentence by sentence: a reference on each, readings cited to their own note, the talk for what it says."""
    problems: list[str] = []
    for s in sentences(text):
        short = s.text if len(s.text) <= 70 else s.text[:67] + "..."
        if not s.refs:
            problems.append(f"{where}: sentence without a reference: {short!r}")
            continue
        for sid in s.sources:
            if sid != own and sid in kb.sources and kb.sources[sid].kind in OWN_KINDS:
                problems.append(f"{where}: cites another note or assessment ({sid}); cite its sources instead")
        quoted = kb.sources.get(s.sources[0]) if len(s.sources) == 1 else None
        if quoted is None or not quoted.quotations:  # only a source whose own words we hold can be checked
            continue
        slides = [quoted.quotations.get(r.locator or "", "") for r in s.refs]
        if not all(slides):
            problems.append(f"{where}: cites {quoted.id} without a locator whose words are kept: {short!r}")
        elif not carried_by_slide(s.text, "\n".join(slides)):
            problems.append(
                f"{where}: cites {quoted.id} alone, but the slide does not say this (quote the slide, or cite "
                f"the project's reading [@{own}]): {short!r}"
            )
    return problems


def own_source_problems(kb: Knowledge, owners: dict[str, str]) -> list[str]:
    """Each note and assessment is a source of its kind, used by exactly the file it names."""
    problems = []
    for sid, where in owners.items():
        s = kb.sources.get(sid)
        if s is None:
            problems.append(f"{where}: its own source {sid!r} is not in sources.yaml")
        elif s.kind not in OWN_KINDS:
            problems.append(f"{where}: {sid!r} must be a source of kind note or assessment, not {s.kind!r}")
    for s in kb.sources.values():
        if s.kind in OWN_KINDS and s.id not in owners:
            problems.append(f"sources.yaml: {s.id} ({s.kind}) belongs to no knowledge file")
    return problems


def outside_paths(kdir: Path) -> list[str]:
    """Files of the knowledge folder that point at paths users do not have."""
    out = []
    for path in sorted(kdir.rglob("*")):
        if path.is_file() and path.suffix in (".md", ".yaml", ".yml", ".txt"):
            for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
                if _OUTSIDE_RE.search(line):
                    out.append(f"{path.relative_to(kdir).as_posix()}:{n}: refers to a path outside the repository")
    return out


# -- Markdown notes --------------------------------------------------------------------------
def _front_matter_problems(rel: str, doc: MarkdownDoc, kb: Knowledge) -> list[str]:
    problems = [f"{rel}: front matter has no {key}" for key in ("id", "title", "kind") if not doc.meta.get(key)]
    kind = doc.meta.get("kind")
    if kind not in (None, "framework", "case", "research", "precedent"):
        problems.append(f"{rel}: unknown kind {kind!r}")
    for d in as_tuple(doc.meta.get("domains")):
        if d not in kb.domain_files:
            problems.append(f"{rel}: tagged with unknown domain {d!r}")
    headings = {heading for heading, _, _ in doc.sections}
    for name in as_tuple(doc.meta.get("lead")):
        if name not in headings:
            problems.append(f"{rel}: lead names {name!r}, which is not a ## heading of the document")
    if kind == "precedent":
        problems += [
            f"{rel}: a precedent needs {key} in its front matter"
            for key in ("date", "domains", "conditions")
            if not doc.meta.get(key)
        ]
    return problems


def check_markdown(path: Path, kb: Knowledge, owners: dict[str, str]) -> list[str]:
    rel = path.relative_to(kb.kdir).as_posix()
    try:
        doc = read_markdown(path)
    except KnowledgeError as e:
        return [str(e)]
    problems = _front_matter_problems(rel, doc, kb)
    own = str(doc.meta.get("source_id") or "")
    if not own:
        problems.append(f"{rel}: front matter has no source_id (the note's own entry in sources.yaml)")
    else:
        owners[own] = rel
    for heading, section_locator, body in doc.sections:
        where = f"{rel} § {heading}"
        cites = parse_citations(body)
        if not cites:
            problems.append(f"{where}: section has no citation")
        for c in cites:
            problems += _check_ref(where, c.source, c.locator or section_locator, kb.sources)
        problems += _unconfirmed_problems(where, body, kb.sources)
        problems += attribution_problems(where, body, own, kb)
    return problems


# -- the domain catalogue ----------------------------------------------------------------------
def _texts_of(domain: Domain) -> Iterator[tuple[str, str, list[Ref]]]:
    """(part, text, references) of every cited text of a domain card."""
    yield "verdict_basis", domain.verdict_basis, domain.verdict_citations
    for cid, a in domain.conditions.items():
        yield cid, a.reasoning, a.citations
    for tid, t in domain.risk_tests.items():
        yield tid, t.note, t.citations
    if domain.left_out:
        yield "left_out", domain.left_out.text, domain.left_out.citations
    for w in domain.would_change:
        yield "would_change", w.text, w.citations


def _load_domain(path: Path, rel: str) -> tuple[Domain | None, dict[str, object], list[str]]:
    try:
        raw = read_yaml(path)
    except (yaml.YAMLError, OSError) as e:
        return None, {}, [f"{rel}: cannot read: {e}"]
    raw = raw if isinstance(raw, dict) else {}
    problems = []
    raw_conditions = raw.get("conditions")
    if isinstance(raw_conditions, dict):
        problems += [f"{rel}: missing condition {cid}" for cid in CONDITIONS if cid not in raw_conditions]
    try:
        return Domain.model_validate(raw), raw, problems
    except ValidationError as e:
        for err in e.errors():
            if "missing condition" not in err["msg"]:
                problems.append(f"{rel}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}")
        return None, raw, problems


def _legacy_lists(rel: str, raw: dict[str, object]) -> list[str]:
    """Reference lists beside the text (the old format) instead of inline references."""
    found = ["verdict_citations"] if raw.get("verdict_citations") else []
    for key in ("conditions", "risk_tests"):
        part = raw.get(key)
        if isinstance(part, dict):
            found += [f"{key}.{k}.citations" for k, v in part.items() if isinstance(v, dict) and v.get("citations")]
    left = raw.get("left_out")
    if isinstance(left, dict) and left.get("citations"):
        found.append("left_out.citations")
    changes = raw.get("would_change")
    if isinstance(changes, list) and any(isinstance(w, dict) and w.get("citations") for w in changes):
        found.append("would_change[].citations")
    return [f"{rel}: {k}: cite inline, sentence by sentence, instead of a reference list" for k in found]


def _reference_problems(rel: str, domain: Domain, kb: Knowledge) -> list[str]:
    """Each cited text's references resolve and follow the attribution rules; every condition cites."""
    problems: list[str] = []
    for part, text, refs in _texts_of(domain):
        for ref in refs:
            problems += _check_ref(f"{rel} {part}", ref.source, ref.locator, kb.sources)
        problems += attribution_problems(f"{rel} {part}", text, domain.assessment_source, kb)
    problems += [f"{rel}: condition {cid} has no citation" for cid, a in domain.conditions.items() if not a.citations]
    return problems


def check_domain(path: Path, kb: Knowledge, owners: dict[str, str]) -> tuple[Domain | None, list[str]]:
    rel = path.relative_to(kb.kdir).as_posix()
    domain, raw, problems = _load_domain(path, rel)
    if domain is None:
        return None, problems
    if domain.id != path.stem:
        problems.append(f"{rel}: id {domain.id!r} does not match the file name")
    if not _ID_RE.match(domain.id):
        problems.append(f"{rel}: id {domain.id!r} is not lowercase-hyphenated")
    owners[domain.assessment_source] = rel
    problems += _legacy_lists(rel, raw) + _reference_problems(rel, domain, kb)
    problems += [f"{rel}: unknown precedent {pid!r}" for pid in domain.precedents if pid not in kb.precedent_ids]
    problems += [
        f"{rel}: verdict {domain.verdict!r} contradicts {s.id}, which finds {s.findings[domain.id]!r}"
        for s in kb.sources.values()
        if s.findings.get(domain.id) and s.findings[domain.id] != domain.verdict
    ]
    return domain, problems


def catalogue_problems(domains: dict[str, Domain], kb: Knowledge) -> list[str]:
    """Rules across the catalogue: the fixed domains exist and are stated by a source; no shared alias."""
    problems = []
    for fixed in FIXED_DOMAINS:
        if fixed not in kb.domain_files:
            problems.append(f"domains/: the fixed domain {fixed!r} is missing")
        elif fixed in domains and not any(fixed in s.findings for s in kb.sources.values()):
            problems.append(f"domains/{fixed}.yaml: no source in sources.yaml states its verdict (findings)")
    owners: dict[str, set[str]] = defaultdict(set)
    for d in domains.values():
        for alias_text in {d.name.lower(), *(x.lower() for x in d.aliases)}:
            owners[alias_text.strip()].add(d.id)
    return problems + [
        f"alias {alias!r} is shared by {', '.join(sorted(ids))}"
        for alias, ids in sorted(owners.items())
        if len(ids) > 1
    ]


def source_problems(sources: dict[str, Source]) -> list[str]:
    problems = [f"sources.yaml: the fixed source {f!r} is missing" for f in FIXED_SOURCES if f not in sources]
    problems += [
        f"sources.yaml: id {s.id!r} is not lowercase-hyphenated" for s in sources.values() if not _ID_RE.match(s.id)
    ]
    for s in sources.values():
        for loc in s.quotations:
            if s.locators is not None and loc not in s.locators:
                problems.append(f"sources.yaml: {s.id} quotes {loc!r}, which is not one of its locators")
    return problems


def _load(kdir: Path) -> Knowledge:
    sources = load_sources(kdir)
    precedent_ids = set()
    for p in (kdir / "precedents").glob("*.md"):
        with contextlib.suppress(KnowledgeError):
            precedent_ids.add(str(read_markdown(p).meta.get("id") or p.stem))
    domain_files = {p.stem for p in (kdir / "domains").glob("*.yaml")}
    return Knowledge(kdir, sources, domain_files, precedent_ids)


def check_knowledge(kdir: Path) -> list[str]:
    """Every problem found in the knowledge folder (empty when it is valid)."""
    try:
        kb = _load(kdir)
    except KnowledgeError as e:
        return [str(e)]
    problems = source_problems(kb.sources)
    owners: dict[str, str] = {}  # own source id -> the file it belongs to
    domains: dict[str, Domain] = {}
    for path in sorted((kdir / "domains").glob("*.yaml")):
        domain, found = check_domain(path, kb, owners)
        problems += found
        if domain is not None:
            domains[domain.id] = domain
    problems += catalogue_problems(domains, kb)
    for path in sorted(kdir.rglob("*.md")):
        if not (path.name.startswith("_") or path.name.upper() == "README.MD"):
            problems += check_markdown(path, kb, owners)
    problems += own_source_problems(kb, owners)
    return problems + outside_paths(kdir)
