"""Running canned questions: load and validate the question file, ask, score.

The question file is the fixed contract of DESIGN.md ("Canned question file") plus two
keys: ``type`` (the expected ``question_type``) and ``follow_up_of`` (the id of an
earlier question, asked first and passed as history).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rag.answer.citations import check_answer
from rag.answer.pipeline import Navigator, turn_of
from rag.answer.schema import Answer, QuestionType, overview_groups
from rag.errors import RagError, UsageError
from rag.eval import metrics
from rag.eval.trust import CitationView
from rag.framework import ConditionId, Rating, Verdict
from rag.retrieve import Mode
from rag.service import Service
from rag.yamlfile import load_yaml

SHIPPED_QUESTIONS = Path(__file__).resolve().parent / "canned.yaml"
QUESTION_TYPES: tuple[str, ...] = (*get_args(QuestionType), *metrics.LEGACY_TYPES)

Turn = dict[str, Any]
AskFn = Callable[[str, Sequence[Turn]], Answer]
SourceOf = Callable[[str], str | None]
BasedOnOf = Callable[[str], tuple[str, ...]]
Tick = Callable[[], None]


class Case(BaseModel):
    """One canned question and its labels."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(min_length=1)
    question: str
    domains: list[str] = Field(default_factory=list)
    verdict: Verdict | None = None
    conditions: dict[ConditionId, Rating] = Field(default_factory=dict)
    sources: list[str] = Field(default_factory=list)
    out_of_scope: bool = False
    qtype: str | None = Field(default=None, alias="type")
    follow_up_of: str | None = None
    language: str | None = None
    documents: list[str] = Field(default_factory=list)  # files uploaded before asking (paths as in the file)

    @field_validator("qtype")
    @classmethod
    def _known_type(cls, v: str | None) -> str | None:
        if v is not None and v not in QUESTION_TYPES:
            raise ValueError(f"must be one of {', '.join(QUESTION_TYPES)}")
        return v

    def labels(self, verdicts: Mapping[str, str] | None = None) -> metrics.Labels:
        """The labels to score against; ``verdicts`` (the catalogue's, domain -> verdict) tell the
        group an overview must lead with."""
        return metrics.Labels(
            domains=tuple(self.domains),
            verdict=self.verdict,
            verdict_labelled="verdict" in self.model_fields_set,
            conditions={str(c): str(r) for c, r in self.conditions.items()},
            sources=tuple(self.sources),
            out_of_scope=self.out_of_scope,
            qtype=self.qtype,
            language=self.language,
            follow_up=self.follow_up_of is not None,
            lead=metrics.expected_lead(self.qtype, self.domains, verdicts or {}),
        )


def _describe(e: ValidationError) -> str:
    parts = []
    for err in e.errors():
        where = ".".join(str(p) for p in err["loc"]) or "question"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown key {where!r}")
        elif err["type"] == "missing":
            parts.append(f"missing key {where!r}")
        else:
            parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse_cases(text: str, name: str = "questions") -> list[Case]:
    """Cases of a question file's text; ``UsageError`` naming every problem found."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as e:
        raise UsageError(f"{name}: not valid YAML ({' '.join(str(e).split())})") from e
    if not isinstance(data, list) or not data:
        raise UsageError(f"{name}: expected a non-empty YAML list of questions")
    cases: list[Case] = []
    problems: list[str] = []
    for i, item in enumerate(data, start=1):
        label = f"item {i}" + (f" ({item['id']})" if isinstance(item, dict) and "id" in item else "")
        if not isinstance(item, dict):
            problems.append(f"{label}: expected a mapping with id and question")
            continue
        try:
            cases.append(Case.model_validate(item))
        except ValidationError as e:
            problems.append(f"{label}: {_describe(e)}")
    ids = [c.id for c in cases]
    problems += [f"duplicate id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    known = set(ids)
    problems += [
        f"{c.id}: follow_up_of names unknown question {c.follow_up_of!r}"
        for c in cases
        if c.follow_up_of is not None and c.follow_up_of not in known
    ]
    if not problems:
        problems += _cycles(cases)
    if problems:
        raise UsageError(f"{name}: " + "; ".join(problems))
    return cases


def _cycles(cases: Sequence[Case]) -> list[str]:
    parent = {c.id: c.follow_up_of for c in cases}
    bad = []
    for c in cases:
        seen = {c.id}
        at = parent[c.id]
        while at is not None:
            if at in seen:
                bad.append(f"{c.id}: follow_up_of forms a cycle")
                break
            seen.add(at)
            at = parent[at]
    return bad


def load_cases(path: Path | None = None) -> list[Case]:
    """The cases of a question file (the shipped set when no path is given)."""
    path = path or SHIPPED_QUESTIONS
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot read the question file {path}: {e.strerror or e}") from e
    return parse_cases(text, str(path))


def check_labels(cases: Iterable[Case], domain_ids: Iterable[str], source_ids: Iterable[str]) -> None:
    """Labels must name catalogued domains and sources (a typo would score as a miss)."""
    domains, sources = set(domain_ids), set(source_ids)
    problems = [f"{c.id}: unknown domain {d!r}" for c in cases for d in c.domains if d not in domains]
    problems += [f"{c.id}: unknown source {s!r}" for c in cases for s in c.sources if s not in sources]
    if problems:
        raise UsageError("the question file does not match the knowledge base: " + "; ".join(problems))


# -- asking ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """An answer, or the error raised instead, and the history it was asked with."""

    answer: Answer | None
    error: str | None = None
    history: tuple[str, ...] = ()  # ids of the earlier questions passed as history


CaseContext = Callable[[Case], AbstractContextManager[None]]  # set up (and tear down) what a case needs


def ask_all(
    cases: Sequence[Case],
    ask: AskFn,
    *,
    pool: Sequence[Case] = (),
    tick: Tick | None = None,
    context: CaseContext | None = None,
) -> dict[str, Outcome]:
    """Ask every case once; a follow-up's ancestors are asked first and passed as history.

    Ancestors that are not in ``cases`` (cut off by ``--limit``) are taken from ``pool``,
    asked for their history only, and not returned. ``tick`` is called once per case.
    A ``RagError`` becomes the outcome of its question; other exceptions are bugs and propagate.
    """
    by_id = {c.id: c for c in [*pool, *cases]}
    scored = {c.id for c in cases}
    done: dict[str, Outcome] = {}
    chains: dict[str, list[Turn]] = {}  # id -> the history its follow-ups are asked with

    def answer(case: Case) -> None:
        if case.id in done:
            return
        history: list[Turn] = []
        chain: tuple[str, ...] = ()
        if case.follow_up_of is not None:
            answer(by_id[case.follow_up_of])
            history = chains[case.follow_up_of]
            chain = (*done[case.follow_up_of].history, case.follow_up_of)
        try:
            with context(case) if context is not None else nullcontext():
                outcome = Outcome(answer=ask(case.question, list(history)), history=chain)
        except RagError as e:
            outcome = Outcome(answer=None, error=f"{type(e).__name__}: {e}", history=chain)
        done[case.id] = outcome
        # a parent that failed leaves its follow-ups with the history before it
        chains[case.id] = history + ([turn_of(outcome.answer)] if outcome.answer else [])
        if tick is not None and case.id in scored:
            tick()

    for c in cases:
        answer(c)
    return {c.id: done[c.id] for c in cases}


# -- scoring -----------------------------------------------------------------------------
def observe(outcome: Outcome, source_of: SourceOf, based_on_of: BasedOnOf = lambda _: ()) -> metrics.Observed:
    """The scored view of an answer: ids mapped to sources, citations checked."""
    a = outcome.answer
    if a is None:
        return metrics.Observed(error=outcome.error or "no answer")
    kinds = {c.id: c.source_kind for c in a.citations}
    return metrics.Observed(
        domains=tuple(a.domains),
        verdict=a.verdict,
        conditions={c: v.rating for c, v in (a.conditions or {}).items()},
        cited_sources=tuple(dict.fromkeys(c.source_id for c in a.citations)),
        retrieved_sources=tuple(source_of(cid) for cid in a.retrieved),
        retrieved_based_on=tuple(based_on_of(cid) for cid in a.retrieved),
        out_of_scope=a.out_of_scope,
        qtype=a.question_type,
        citation_problems=tuple(check_answer(a)),
        latency_ms=a.timings_ms.get("total"),
        language=a.language,
        citations=tuple(CitationView.of(c) for c in a.citations),
        condition_kinds={
            cid: tuple(kinds.get(m, "") for m in cond.citations) for cid, cond in (a.conditions or {}).items()
        },
        unknown_domain=a.unknown_domain,
        lead=next((verdict for verdict, _ in overview_groups(a.overview)), None),
    )


@dataclass(frozen=True)
class QuestionResult:
    case: Case
    outcome: Outcome
    sample: metrics.Sample

    @property
    def checks(self) -> dict[str, bool | None]:
        return metrics.checks(self.sample)


@dataclass
class RunResult:
    """One pass of the question set through one way of answering."""

    label: str
    results: list[QuestionResult]
    seconds: float

    @property
    def samples(self) -> list[metrics.Sample]:
        return [r.sample for r in self.results]

    def summary(self) -> dict[str, float | int | None]:
        return metrics.summarize(self.samples)


def run_cases(
    cases: Sequence[Case],
    ask: AskFn,
    source_of: SourceOf,
    *,
    label: str,
    pool: Sequence[Case] = (),
    tick: Tick | None = None,
    context: CaseContext | None = None,
    based_on_of: BasedOnOf = lambda _: (),
    verdicts: Mapping[str, str] | None = None,
) -> RunResult:
    """Ask and score every case; ``verdicts``: the catalogue's (domain -> verdict), for overviews."""
    started = time.perf_counter()
    outcomes = ask_all(cases, ask, pool=pool, tick=tick, context=context)
    results = [
        QuestionResult(c, o, metrics.Sample(c.labels(verdicts), observe(o, source_of, based_on_of)))
        for c, o in ((c, outcomes[c.id]) for c in cases)
    ]
    return RunResult(label=label, results=results, seconds=time.perf_counter() - started)


def find_document(base: Path, name: str) -> Path:
    """A case's document: ``name`` under the question file's folder, or under one of its ``*documents`` folders."""
    candidates = [base / name, *(d / name for d in sorted(base.glob("*documents")) if d.is_dir())]
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        raise UsageError(f"document {name!r} not found beside the question file ({base})")
    return found


def documents_context(engine: Any, base: Path) -> CaseContext:
    """Upload a case's documents before it is asked and remove them after, so no other case sees them."""
    from rag.uploads import add_documents, remove_upload

    @contextmanager
    def context(case: Case) -> Iterator[None]:
        if not case.documents:
            yield
            return
        files = [(Path(n).name, find_document(base, n).read_bytes()) for n in case.documents]
        results = add_documents(engine, files)
        try:
            yield
        finally:
            for r in results:
                if r.key:
                    remove_upload(engine, r.key)

    return context


def chunk_lookups(engine: Any) -> tuple[SourceOf, BasedOnOf]:
    """chunk id -> its source id, and -> the external sources its sentences cite, through one remembered
    ``engine.chunk``."""
    memo: dict[str, Any] = {}

    def chunk(chunk_id: str) -> Any:
        if chunk_id not in memo:
            memo[chunk_id] = engine.chunk(chunk_id)
        return memo[chunk_id]

    def source_of(chunk_id: str) -> str | None:
        c = chunk(chunk_id)
        return c.source_id if c is not None else None

    def based_on_of(chunk_id: str) -> tuple[str, ...]:
        c = chunk(chunk_id)
        return tuple(c.based_on) if c is not None else ()

    return source_of, based_on_of


@dataclass
class Evaluation:
    """The main run and, when asked for, the baselines."""

    backend: str
    questions_file: str
    main: RunResult
    baselines: dict[str, RunResult] = field(default_factory=dict)
    started_at: str = ""

    def baseline_summaries(self) -> dict[str, Mapping[str, float | int | None]]:
        return {name: run.summary() for name, run in self.baselines.items()}


BASELINE_MODES: tuple[Mode, ...] = ("bm25", "dense", "hybrid")
Progress = Callable[[str, int], Tick]  # (description, total) -> tick


def evaluate(
    service: Service,
    cases: Sequence[Case],
    *,
    pool: Sequence[Case] = (),
    baselines: bool = False,
    questions_file: str = "",
    progress: Progress | None = None,
) -> Evaluation:
    """Run the cases through the service and, with ``baselines``, through each retrieval side.

    Baselines are the offline analyst fed by BM25 only, dense only and hybrid retrieval
    (and the LLM when the service answers with one), so retrieval and composition can be
    told apart. With the offline backend the main run is the hybrid baseline.
    """
    engine = service.engine
    catalogue = engine.catalogue
    check_labels([*pool, *cases], catalogue.domains, catalogue.sources)
    source_of, based_on_of = chunk_lookups(engine)
    verdicts = {d.id: d.verdict for d in catalogue.domains.values()}
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    base = Path(questions_file).parent if questions_file else SHIPPED_QUESTIONS.parent
    context = documents_context(engine, base)

    def run(label: str, ask: AskFn) -> RunResult:
        tick = progress(f"eval {label}", len(cases)) if progress else None
        return run_cases(
            cases, ask, source_of, label=label, pool=pool, tick=tick, context=context, based_on_of=based_on_of,
            verdicts=verdicts,
        )  # fmt: skip

    backend = service.backend
    service.navigator.warm()  # latency is measured warm: models and catalogue vectors loaded first
    main = run(backend, service.ask)
    out = Evaluation(backend=backend, questions_file=questions_file, main=main, started_at=started_at)
    if baselines:
        for mode in BASELINE_MODES:
            if mode == "hybrid" and backend == "offline":
                out.baselines[mode] = main
            else:
                navigator = Navigator(engine, mode=mode)
                navigator.warm()
                out.baselines[mode] = run(mode, navigator.ask)
        if backend == "openai":
            out.baselines["llm"] = main
    return out
