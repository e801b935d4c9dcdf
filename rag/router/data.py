"""What the router learns from: labelled texts gathered from the catalogue and the data files.

- question types: ``rag/data/intents.yaml`` and the ``type`` labels of the labelled question sets
  (the canned sets, the retired dev sets of ``rag/data/asked/``: 22,350 questions of
  every kind, 9,789 of them in other languages, written blind to measure earlier routers, and the
  questions of ``rag/data/framework_applied*.yaml``, which ask for the framework to be applied to a
  catalogued area or to one it does not assess, at length and in a few words (448 short ones in 14
  languages other than English, ``framework_applied_short_ml.yaml``), and of
  ``rag/data/framework_twins.yaml``: 787 uncatalogued-area requests rewritten about catalogued
  areas, word for word otherwise, so that framework wording alone says nothing of the area), and
  of ``rag/data/short_questions.yaml``: first messages of two to ten words, of every kind, in the
  15 languages the router reads (few of the other questions are that short, and short questions in
  scope, most in languages other than English, were refused as harmful or off-topic);
- domains: the catalogue's names, aliases and first summary sentence (phrases), the
  terms of ``rag/data/domain_terms.yaml`` (other languages), the domain-labelled
  questions of ``rag/data/domain_questions.yaml``, of ``rag/data/domain_questions_described.yaml``
  (each area described by what happens in it, one area a question, in the 15 languages the
  router reads) and of the labelled question sets, and questions that name no catalogued area
  (negatives), with the actors and question frames of
  ``rag/data/no_area.yaml`` (fragments a clause cut leaves, negatives too);
- harm categories: ``rag/data/harms.yaml``; overview orientations: ``rag/data/overview.yaml``, and
  the overview questions of the labelled question sets, each with the orientation the areas it is
  labelled with imply (``ORIENTATION_OF_VERDICT``);
- follow-ups by how they lean on the conversation ("why?", "which of the two?", "and military
  AI?"): ``rag/data/followups.yaml``, against the type examples asked alone;
- clauses of context (background the question is asked against: "after years of fighting over
  chip export bans", "compute controls aside") and clauses that ask or compare:
  ``rag/data/context.yaml``;
- requests for harmful help and policy questions on the same topics, for the harm check alone:
  ``rag/data/harm_pairs.yaml``;
- sentences users add to a question besides asking it (who asks, the occasion, the form of the
  answer wanted), for the injection check alone: ``rag/data/asides.yaml``.

Nothing here is a rule about wording: change the files and the router learns again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import Any

import yaml

from rag.errors import ConfigError
from rag.framework import Catalogue, shared_verdict
from rag.yamlfile import read_yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
TRAINING_QUESTION_FILES = ("canned.yaml", "canned_multilingual.yaml")  # in EVAL_DIR
ASKED_DIR = DATA_DIR / "asked"  # retired dev sets, read as the canned sets are
# Labelled questions written as training data, in the canned sets' format: requests for the
# framework, and short first messages of every kind.
FRAMEWORK_QUESTION_FILES = (  # in DATA_DIR
    "framework_applied.yaml",
    "framework_applied_short.yaml",
    "framework_applied_short_ml.yaml",
    "framework_twins.yaml",
)
SHORT_QUESTION_FILE = "short_questions.yaml"  # in DATA_DIR
WRITTEN_QUESTION_FILES = (*FRAMEWORK_QUESTION_FILES, SHORT_QUESTION_FILE)
STRENGTHS_FILE = "strengths.yaml"  # see TrainingData.strengths
# Question-shaped domain examples, {q, domains} (in DATA_DIR): the first written with names, aliases
# and a few descriptions; the second describes each area by what happens in it, one area a question,
# in the 15 languages the router reads.
DOMAIN_QUESTION_FILES = ("domain_questions.yaml", "domain_questions_described.yaml")
# Question types whose questions name no catalogued area: negatives for the domain model.
NO_DOMAIN_TYPES = ("off_topic", "injection", "apply_framework", "concept")
# What an overview asks for, by the verdict every area its answer must name shares: the labels of an
# overview question are those areas ("where to start?": the feasible ones; "which are hopeless?": the
# infeasible ones; "which are in between?": the mixed ones; a whole map: none).
ORIENTATION_OF_VERDICT = {"feasible": "promising", "infeasible": "hopeless", "mixed": "mixed"}
SURVEY = "survey"
ENGLISH = "en"
CONTEXT, ASKED = "context", "asked"  # the labels of rag/data/context.yaml
HARMFUL, POLICY = "harmful", "policy"  # the labels of rag/data/harm_pairs.yaml
ASIDE = "aside"  # the label of every sentence of rag/data/asides.yaml


@dataclass
class Examples:
    """Labelled texts for one model. A label tuple may be empty (a negative example)."""

    texts: list[str] = field(default_factory=list)
    labels: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, text: object, *labels: str) -> None:
        clean = " ".join(str(text).split())
        if clean:
            self.texts.append(clean)
            self.labels.append(tuple(labels))

    def __len__(self) -> int:
        return len(self.texts)

    def kept(self, keep: Callable[[str], bool]) -> Examples:
        """The examples whose text ``keep`` accepts, in order."""
        pairs = [(t, ls) for t, ls in zip(self.texts, self.labels, strict=True) if keep(t)]
        return Examples([t for t, _ in pairs], [ls for _, ls in pairs])

    def texts_where(self, keep: Callable[[str], bool]) -> list[str]:
        """The texts whose first label ``keep`` accepts, in order (a negative, with none, never)."""
        return [t for t, ls in zip(self.texts, self.labels, strict=True) if ls and keep(ls[0])]


@dataclass(frozen=True)
class Phrase:
    """A short text naming a domain (its name, an alias, a term) and the language it is in."""

    domain: str
    text: str
    language: str


# The labelled example sets of TrainingData, by attribute name.
EXAMPLE_SETS = (
    "types", "domains", "harms", "orientations", "followups", "context", "harm_pairs", "asides", "asked_orientations",
)  # fmt: skip


@dataclass
class TrainingData:
    """Everything the router learns from."""

    types: Examples = field(default_factory=Examples)
    domains: Examples = field(default_factory=Examples)  # question-shaped, labelled with their domains
    harms: Examples = field(default_factory=Examples)
    orientations: Examples = field(default_factory=Examples)
    # the labelled question sets' overviews, with the orientation their labels imply: the orientation
    # model's alone, outside the n-grams' corpus (they are type examples there already)
    asked_orientations: Examples = field(default_factory=Examples)
    followups: Examples = field(default_factory=Examples)  # follow-ups, labelled with their kind
    # type examples asked as follow-ups in the canned sets: not negatives for the follow-up model
    asked_as_follow_ups: set[str] = field(default_factory=set)
    context: Examples = field(default_factory=Examples)  # clauses, labelled CONTEXT or ASKED
    # requests for harmful help and policy questions on the same topics, labelled HARMFUL or POLICY:
    # the harm check's alone, outside the n-grams' corpus, so they move no other model
    harm_pairs: Examples = field(default_factory=Examples)
    # sentences users add to a question besides asking it ("I teach civics.", "Answer in a table."):
    # the injection check's negatives alone, outside the n-grams' corpus
    asides: Examples = field(default_factory=Examples)
    # the domain questions about an area no domain covers (labelled with none in a domain questions file)
    uncatalogued: list[str] = field(default_factory=list)
    phrases: list[Phrase] = field(default_factory=list)
    summaries: dict[str, str] = field(default_factory=dict)
    # per embedder name, each model's regularisation strength (rag/data/strengths.yaml): the
    # cross-validated choice on this data, stored so that training fits each model once
    strengths: dict[str, dict[str, float]] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """The training data with the strengths: what a stored router's weights are keyed by."""
        h = self._hashed()
        for name, chosen in sorted(self.strengths.items()):
            h.update(f"strengths\x1f{name}\x1f{sorted(chosen.items())}\x1e".encode())
        return h.hexdigest()[:24]

    def written_in(self, language: str, detect: Callable[[str], str] | None = None) -> TrainingData:
        """The examples and phrases written in ``language`` only (``detect``: a text's language code,
        by default the detector questions are routed by, reading each text whole: a fragment has no
        conversation whose language it could keep), with the summaries and strengths as they are.
        About three seconds on the shipped data: done only when a router is trained."""
        from rag.multilingual import detect_language  # a light import: its model loads on first use

        read_as = detect or partial(detect_language, past_names=False)

        @cache  # a question is in several sets: detected once
        def keep(text: str) -> bool:
            return read_as(text) == language

        return replace(
            self,
            **{name: getattr(self, name).kept(keep) for name in EXAMPLE_SETS},
            asked_as_follow_ups={t for t in self.asked_as_follow_ups if keep(t)},
            uncatalogued=[t for t in self.uncatalogued if keep(t)],
            phrases=[p for p in self.phrases if p.language == language],
        )

    def examples_fingerprint(self) -> str:
        """The training data without the strengths: what the stored strengths were chosen on."""
        return self._hashed().hexdigest()[:24]

    def _hashed(self) -> Any:
        h = hashlib.sha256()
        for name in EXAMPLE_SETS:
            ex: Examples = getattr(self, name)
            for text, labels in zip(ex.texts, ex.labels, strict=True):
                h.update(f"{name}\x1f{text}\x1f{','.join(labels)}\x1e".encode())
        for p in self.phrases:
            h.update(f"phrase\x1f{p.domain}\x1f{p.text}\x1f{p.language}\x1e".encode())
        for did, text in sorted(self.summaries.items()):
            h.update(f"summary\x1f{did}\x1f{text}\x1e".encode())
        return h


def _yaml(path: Path) -> Any:
    if not path.exists():
        return None
    try:
        return read_yaml(path)
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"router training data {path} cannot be read: {e}") from e


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", " ".join(text.split()), maxsplit=1)[0]


def _questions(path: Path) -> tuple[Any, ...]:
    """A labelled question file's items, read once per process and version of the file (its
    modification time and size): both routers and the names' ordinary words (``english_questions``)
    read the same 24,000 questions at start-up, about 1.5 s a reading. The items are shared: read
    them, never change them."""
    try:
        stat = path.stat()
    except OSError:  # missing or unreadable: _yaml says which
        return tuple(_yaml(path) or ())
    return _parsed_questions(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=1024)
def _parsed_questions(path: Path, _mtime_ns: int, _size: int) -> tuple[Any, ...]:
    return tuple(_yaml(path) or ())


def _labelled(items: object) -> Any:
    return items if isinstance(items, dict) else {}


def _labelled_lists(td: TrainingData, data_dir: Path) -> None:
    """Type, harm, orientation and follow-up examples, and the no-domain negatives."""
    for label, examples in _labelled(_yaml(data_dir / "intents.yaml")).items():
        for text in examples or []:
            td.types.add(text, label)
            if label in NO_DOMAIN_TYPES:
                td.domains.add(text)
    for label, examples in _labelled(_yaml(data_dir / "harms.yaml")).items():
        for text in examples or []:
            td.harms.add(text, label)
    for label, examples in _labelled(_yaml(data_dir / "overview.yaml")).items():
        for text in examples or []:
            td.orientations.add(text, label)
    _follow_ups(td, data_dir)
    _context(td, data_dir)
    _harm_pairs(td, data_dir)
    for examples in _labelled(_yaml(data_dir / "asides.yaml")).values():  # language -> sentences
        for text in examples or []:
            td.asides.add(text, ASIDE)


def _context(td: TrainingData, data_dir: Path) -> None:
    """Clauses of context and clauses that ask."""
    _two_labels(td.context, data_dir / "context.yaml", (CONTEXT, ASKED))


def _harm_pairs(td: TrainingData, data_dir: Path) -> None:
    """Requests for harmful help and policy questions on the same topics."""
    _two_labels(td.harm_pairs, data_dir / "harm_pairs.yaml", (HARMFUL, POLICY))


def _two_labels(into: Examples, path: Path, labels: tuple[str, str]) -> None:
    """A file of label -> language -> texts, where each label must be one of ``labels``."""
    for label, by_language in _labelled(_yaml(path)).items():
        if label not in labels:
            raise ConfigError(f"{path}: unknown label {label!r} (expected {labels[0]} or {labels[1]})")
        for examples in _labelled(by_language).values():
            for text in examples or []:
                into.add(text, str(label))


def _follow_ups(td: TrainingData, data_dir: Path) -> None:
    """Follow-ups: kind -> language -> texts."""
    for kind, by_language in _labelled(_yaml(data_dir / "followups.yaml")).items():
        for examples in _labelled(by_language).values():
            for text in examples or []:
                td.followups.add(text, str(kind))


def _domain_phrases(td: TrainingData, catalogue: Catalogue, data_dir: Path) -> None:
    """What names each domain: the catalogue's names and aliases, and the terms in other languages."""
    for d in catalogue.domains.values():
        td.summaries[d.id] = f"{d.name}. {first_sentence(d.summary)}"
        td.phrases.extend(Phrase(d.id, text, ENGLISH) for text in dict.fromkeys([d.name, *d.aliases]))
    for did, by_language in _labelled(_yaml(data_dir / "domain_terms.yaml")).items():
        if did not in catalogue.domains:
            continue
        for language, words in _labelled(by_language).items():
            td.phrases.extend(Phrase(did, str(text), str(language).split("-")[0]) for text in words or [])


CHOSEN_ON = "chosen_on"  # strengths.yaml: the examples_fingerprint of the data they were chosen on


def read_chosen_on(path: Path) -> str | None:
    """The fingerprint of the training data the stored strengths were chosen on (None: not recorded)."""
    raw = _yaml(path) or {}
    chosen_on = raw.get(CHOSEN_ON) if isinstance(raw, dict) else None
    return str(chosen_on) if chosen_on is not None else None


def read_strengths(path: Path) -> dict[str, dict[str, float]]:
    """Stored strengths per embedder and model ({} without the file)."""
    raw = _yaml(path) or {}
    if isinstance(raw, dict):
        raw = {k: v for k, v in raw.items() if k != CHOSEN_ON}
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ConfigError(f"{path}: expected a mapping of embedder name to a mapping of model to strength")
    try:
        return {str(e): {str(m): float(c) for m, c in chosen.items()} for e, chosen in raw.items()}
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{path}: a strength is not a number: {e}") from e


def load_training_data(
    catalogue: Catalogue, *, data_dir: Path = DATA_DIR, question_files: Sequence[Path] | None = None
) -> TrainingData:
    """The router's training data, from the catalogue and the data files."""
    td = TrainingData()
    _labelled_lists(td, data_dir)
    _domain_phrases(td, catalogue, data_dir)
    td.strengths = read_strengths(data_dir / STRENGTHS_FILE)
    for name in DOMAIN_QUESTION_FILES:
        for item in _yaml(data_dir / name) or []:
            td.domains.add(item.get("q", ""), *(d for d in item.get("domains") or [] if d in catalogue.domains))
            if not item.get("domains"):
                td.uncatalogued.append(td.domains.texts[-1])
    for fragments in _labelled(_yaml(data_dir / "no_area.yaml")).values():
        for text in fragments or []:
            td.domains.add(text)
    files = question_files if question_files is not None else training_question_files()
    for path in files:
        for q in _questions(path):
            _add_question(td, q, catalogue)
    return td


def training_question_files() -> list[Path]:
    """The labelled question sets the router learns from: the canned sets, the labelled questions
    written as training data and the retired dev sets."""
    written = [DATA_DIR / n for n in WRITTEN_QUESTION_FILES]
    return [EVAL_DIR / n for n in TRAINING_QUESTION_FILES] + written + sorted(ASKED_DIR.glob("*.yaml"))


def english_questions() -> Iterator[str]:
    """The labelled training questions written in English: those with no ``language`` (the canned
    sets, the written files and the retired dev sets label every other language)."""
    for path in training_question_files():
        for q in _questions(path):
            if isinstance(q, dict) and not q.get("language") and isinstance(q.get("question"), str):
                yield q["question"]


def _add_question(td: TrainingData, q: dict[str, Any], catalogue: Catalogue) -> None:
    """A labelled question (canned, written as training data, or retired dev): its type, and its
    domains when it asks about them."""
    text, qtype = q.get("question", ""), q.get("type")
    if qtype:
        td.types.add(text, qtype)
    if q.get("follow_up_of"):
        td.asked_as_follow_ups.add(" ".join(str(text).split()))
        return  # its domains come from the conversation, not from its own words
    known = [d for d in q.get("domains") or [] if d in catalogue.domains]
    if qtype == "overview":  # its labels are the areas its answer must name, not areas it asks about
        orientation = overview_orientation([catalogue.domains[d].verdict for d in known])
        if orientation is not None:
            td.asked_orientations.add(text, orientation)
        return
    if known:
        td.domains.add(text, *known)
    elif qtype in NO_DOMAIN_TYPES:
        td.domains.add(text)


def overview_orientation(verdicts: Sequence[str]) -> str | None:
    """What an overview labelled with areas of these ``verdicts`` asks for: a survey where it names
    none (the whole map), the orientation of their verdict where they share one, else None (both
    ends at once, "which are realistic and which are hopeless?", is not told apart from a survey)."""
    if not verdicts:
        return SURVEY
    shared = shared_verdict(verdicts)
    return ORIENTATION_OF_VERDICT.get(shared) if shared else None
