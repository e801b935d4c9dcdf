"""Typing slips in English questions, mended against the words the router learned from.

"is there any chance of cooperation on compute contorls" was read as a question about an area the
catalogue does not assess: neither the embedding nor the character n-grams of "contorls" are near
"controls". Before an English question is read, each word of five letters or more that no training
text holds is replaced by the training word one edit away (a letter dropped, added, changed, or
two neighbours swapped), the most frequent one where there are several; a word with none is left
as it is. A word of English the router never saw is not a slip: the whole words of MiniLM's
vocabulary (18,000 of five letters or more) are left alone ("court" is not mended to "count").
Names ("Meituan", "Altman") have no neighbour among the training words and stay.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from functools import cache
from pathlib import Path

MIN_LETTERS = 5  # shorter words have too many neighbours one edit away to guess which was meant
_WORD = re.compile(rf"\b[A-Za-z]{{{MIN_LETTERS},}}\b")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# MiniLM's tokenizer (shipped): its vocabulary's whole words are a lexicon of English.
LEXICON = Path(__file__).resolve().parents[1] / "assets" / "minilm" / "tokenizer.json"


@cache
def english_words() -> frozenset[str]:
    """The whole words of ``LEXICON`` of MIN_LETTERS letters or more (none if the file cannot be read)."""
    try:
        vocab = json.loads(LEXICON.read_text(encoding="utf-8"))["model"]["vocab"]
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()
    return frozenset(w for w in vocab if len(w) >= MIN_LETTERS and w.isascii() and w.isalpha() and w.islower())


def vocabulary(texts: Iterable[str]) -> dict[str, int]:
    """How often each word of MIN_LETTERS letters or more (Latin letters only, lower-cased) occurs in ``texts``."""
    return dict(Counter(m.group().lower() for t in texts for m in _WORD.finditer(t)))


def one_edit(word: str) -> set[str]:
    """Every string one edit from ``word``: a letter dropped, added or changed, or two neighbours swapped."""
    cuts = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    dropped = {a + b[1:] for a, b in cuts if b}
    swapped = {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1}
    changed = {a + c + b[1:] for a, b in cuts if b for c in _LETTERS}
    added = {a + c + b for a, b in cuts for c in _LETTERS}
    return (dropped | swapped | changed | added) - {word}


class Speller:
    """Mends slips against a vocabulary (``words``: word -> how often the training texts hold it);
    ``known``: other words that are no slip, though no training text holds them."""

    def __init__(self, words: Mapping[str, int], known: Collection[str] = frozenset()) -> None:
        self.words = words
        self.known = known

    def mended_word(self, word: str) -> str | None:
        """The known word ``word`` was most likely meant as, or None when it is known or has no known
        word one edit away."""
        low = word.lower()
        if not self.words or low in self.words or low in self.known:
            return None
        near = [w for w in one_edit(low) if len(w) >= MIN_LETTERS and w in self.words]
        if not near:
            return None
        best = max(near, key=lambda w: (self.words[w], w))
        return best.capitalize() if word[0].isupper() else best

    def mend(self, text: str) -> str:
        """``text`` with each unknown word replaced by the known word one edit away, if any."""

        def one(m: re.Match[str]) -> str:
            return self.mended_word(m.group()) or m.group()

        return _WORD.sub(one, text)
