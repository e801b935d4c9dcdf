"""`rag check-knowledge`: every rule of docs/knowledge-format.md, all problems at once."""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from pathlib import Path

import yaml
from pydantic import ValidationError

from rag.corpus import as_tuple, parse_citations, read_markdown
from rag.errors import KnowledgeError
from rag.framework import CONDITIONS, Domain, Ref, Source, load_sources

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


def check_markdown(path: Path, kdir: Path, sources: dict[str, Source], domain_ids: set[str]) -> list[str]:
    rel = path.relative_to(kdir).as_posix()
    try:
        doc = read_markdown(path)
    except KnowledgeError as e:
        return [str(e)]
    problems: list[str] = []
    for key in ("id", "title", "kind"):
        if not doc.meta.get(key):
            problems.append(f"{rel}: front matter has no {key}")
    kind = doc.meta.get("kind")
    if kind not in (None, "framework", "case", "research", "precedent"):
        problems.append(f"{rel}: unknown kind {kind!r}")
    sid = doc.meta.get("source_id")
    if sid and str(sid) not in sources:
        problems.append(f"{rel}: front matter source_id {sid!r} is not in sources.yaml")
    tagged = doc.meta.get("domains") or []
    for d in tagged if isinstance(tagged, list) else [tagged]:
        if d not in domain_ids:
            problems.append(f"{rel}: tagged with unknown domain {d!r}")
    headings = {heading for heading, _, _ in doc.sections}
    for name in as_tuple(doc.meta.get("lead")):
        if name not in headings:
            problems.append(f"{rel}: lead names {name!r}, which is not a ## heading of the document")
    if kind == "precedent":
        for key in ("date", "domains", "conditions"):
            if not doc.meta.get(key):
                problems.append(f"{rel}: a precedent needs {key} in its front matter")
    for heading, section_locator, body in doc.sections:
        where = f"{rel} § {heading}"
        cites = parse_citations(body)
        if not cites:
            problems.append(f"{where}: section has no citation")
        for c in cites:
            problems += _check_ref(where, c.source, c.locator or section_locator, sources)
        problems += _unconfirmed_problems(where, body, sources)
    return problems


def _refs_of(domain: Domain) -> list[tuple[str, Ref]]:
    refs = [("verdict", r) for r in domain.verdict_citations]
    for cid, a in domain.conditions.items():
        refs += [(cid, r) for r in a.citations]
    for tid, t in domain.risk_tests.items():
        refs += [(tid, r) for r in t.citations]
    if domain.left_out:
        refs += [("left_out", r) for r in domain.left_out.citations]
    for w in domain.would_change:
        refs += [("would_change", r) for r in w.citations]
    return refs


def check_knowledge(kdir: Path) -> list[str]:
    """Every problem found in the knowledge folder (empty when it is valid)."""
    try:
        sources = load_sources(kdir)
    except KnowledgeError as e:
        return [str(e)]
    problems: list[str] = []
    for fixed in FIXED_SOURCES:
        if fixed not in sources:
            problems.append(f"sources.yaml: the fixed source {fixed!r} is missing")
    for s in sources.values():
        if not _ID_RE.match(s.id):
            problems.append(f"sources.yaml: id {s.id!r} is not lowercase-hyphenated")
    precedent_ids = set()
    for p in (kdir / "precedents").glob("*.md"):
        with contextlib.suppress(KnowledgeError):
            precedent_ids.add(str(read_markdown(p).meta.get("id") or p.stem))
    domains: dict[str, Domain] = {}
    domain_files = {p.stem for p in (kdir / "domains").glob("*.yaml")}
    for path in sorted((kdir / "domains").glob("*.yaml")):
        rel = path.relative_to(kdir).as_posix()
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, OSError) as e:
            problems.append(f"{rel}: cannot read: {e}")
            continue
        raw_conditions = raw.get("conditions") if isinstance(raw, dict) else None
        if isinstance(raw_conditions, dict):
            for cid in CONDITIONS:
                if cid not in raw_conditions:
                    problems.append(f"{rel}: missing condition {cid}")
        try:
            domain = Domain.model_validate(raw)
        except ValidationError as e:
            for err in e.errors():
                loc = ".".join(str(p) for p in err["loc"])
                if "missing condition" not in err["msg"]:
                    problems.append(f"{rel}: {loc}: {err['msg']}")
            continue
        if domain.id != path.stem:
            problems.append(f"{rel}: id {domain.id!r} does not match the file name")
        if not _ID_RE.match(domain.id):
            problems.append(f"{rel}: id {domain.id!r} is not lowercase-hyphenated")
        domains[domain.id] = domain
        for where, ref in _refs_of(domain):
            problems += _check_ref(f"{rel} {where}", ref.source, ref.locator, sources)
        for cid, a in domain.conditions.items():
            if not a.citations:
                problems.append(f"{rel}: condition {cid} has no citation")
        for pid in domain.precedents:
            if pid not in precedent_ids:
                problems.append(f"{rel}: unknown precedent {pid!r}")
        for s in sources.values():
            stated = s.findings.get(domain.id)
            if stated and stated != domain.verdict:
                problems.append(f"{rel}: verdict {domain.verdict!r} contradicts {s.id}, which finds {stated!r}")
    for fixed in FIXED_DOMAINS:
        if fixed not in domain_files:
            problems.append(f"domains/: the fixed domain {fixed!r} is missing")
        elif fixed in domains and not any(fixed in s.findings for s in sources.values()):
            problems.append(f"domains/{fixed}.yaml: no source in sources.yaml states its verdict (findings)")
    owners: dict[str, set[str]] = defaultdict(set)
    for d in domains.values():
        for alias_text in {d.name.lower(), *(x.lower() for x in d.aliases)}:
            owners[alias_text.strip()].add(d.id)
    for alias, ids in sorted(owners.items()):
        if len(ids) > 1:
            problems.append(f"alias {alias!r} is shared by {', '.join(sorted(ids))}")
    for path in sorted(kdir.rglob("*.md")):
        if path.name.startswith("_") or path.name.upper() == "README.MD":
            continue
        problems += check_markdown(path, kdir, sources, domain_files)
    return problems

