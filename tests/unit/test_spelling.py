"""Slips in English questions, mended against the router's training words (rag/router/spelling.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.engine import Engine
from rag.router import Router
from rag.router.router import RouterModels
from rag.router.spelling import Speller, english_words, one_edit, vocabulary

WORDS = vocabulary(
    [
        "Could rivals cooperate on compute controls?",
        "Export controls on chips, and controls on training compute.",
        "Incident reporting between rivals: could they share reports?",
        "Could rivals agree on contours of a deal?",
    ]
)


def test_the_vocabulary_counts_words_of_five_letters_or_more_lower_cased() -> None:
    assert WORDS["controls"] == 3
    assert WORDS["rivals"] == 3
    assert "on" not in WORDS and "chips" in WORDS and "Could" not in WORDS and WORDS["could"] == 3


def test_one_edit_drops_adds_changes_and_swaps_a_letter() -> None:
    near = one_edit("chips")
    assert {"chps", "chipss", "chaps", "hcips"} <= near
    assert "chips" not in near
    assert "cihps" not in one_edit("chisp")  # two edits away


@pytest.mark.parametrize(
    ("slip", "meant"),
    [
        ("compute contorls", "compute controls"),  # two letters swapped
        ("compute contrls", "compute controls"),  # one dropped
        ("compute conttrols", "compute controls"),  # one doubled
        ("Incidnet reporting", "Incident reporting"),  # the capital kept
        ("coopperate", "cooperate"),
    ],
)
def test_a_word_no_training_text_holds_becomes_the_training_word_one_edit_away(slip: str, meant: str) -> None:
    assert Speller(WORDS).mend(f"Could rivals {slip}?") == f"Could rivals {meant}?"


def test_of_several_neighbours_the_most_frequent_training_word_is_taken() -> None:
    # "contors": one edit from "contours" (a letter added) and from no other training word
    assert Speller(WORDS).mended_word("contors") == "contours"
    assert Speller({"reports": 1, "resorts": 5}).mended_word("resports") == "resorts"
    assert Speller({"reports": 5, "resorts": 1}).mended_word("resports") == "reports"


def test_known_words_short_words_names_and_words_far_from_any_training_word_are_left_alone() -> None:
    speller = Speller(WORDS, known={"court"})
    text = "Washington and Beijing court Meituan over chps, AI and H100s."
    assert speller.mend(text) == text  # "court": known; "chps": four letters; "Meituan": no neighbour
    assert Speller(WORDS).mended_word("controls") is None
    assert Speller({}).mend("compute contorls") == "compute contorls"  # no vocabulary: nothing is mended


def test_the_lexicon_is_the_shipped_tokenizers_whole_english_words() -> None:
    lexicon = english_words()
    assert len(lexicon) > 10_000
    assert {"court", "every", "controls"} <= lexicon
    assert "contorls" not in lexicon and "##ing" not in lexicon
    assert all(len(w) >= 5 and w.isalpha() for w in lexicon)


def test_the_router_reads_an_english_question_with_its_slips_mended(fake_engine: Engine) -> None:
    router = fake_engine.router_for("en")
    assert "controls" in router.models.words
    slipped, mended = "Could rivals cooperate on compute contorls?", "Could rivals cooperate on compute controls?"
    assert router.route(slipped) == router.route(mended)
    assert router.route(slipped).vector == pytest.approx(router.route(mended).vector)
    # another language is read as written (the vocabulary and lexicon are English)
    assert router.route(slipped, "fr") != router.route(mended, "fr")


def test_the_training_words_are_stored_with_the_router(fake_engine: Engine, tmp_path: Path) -> None:
    router = fake_engine.router_for("en")
    router.models.save(tmp_path / "router.npz")
    loaded = RouterModels.load(tmp_path / "router.npz")
    assert loaded is not None and loaded.words == router.models.words
    again = Router(router.embedder, loaded)
    assert again.route("Could rivals cooperate on compute contorls?") == router.route(
        "Could rivals cooperate on compute controls?"
    )


def test_the_answer_says_how_a_mended_question_was_read(fake_engine: Engine) -> None:
    from rag.answer.pipeline import mended_notice
    from rag.understand import understand

    router = fake_engine.router_for("en")
    slipped = router.route("Could rivals cooperate on compute contorls?")
    assert slipped.read_as == "Could rivals cooperate on compute controls?"
    assert mended_notice(understand("Could rivals cooperate on compute contorls?", slipped)) == [
        "Read as: “Could rivals cooperate on compute controls?”"
    ]
    as_written = router.route("Could rivals cooperate on compute controls?")
    assert as_written.read_as == ""
    assert mended_notice(understand("Could rivals cooperate on compute controls?", as_written)) == []
