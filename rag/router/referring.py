"""Words that point back to something said before (rag/data/referring.yaml), per language.

The conversation uses them to tell a follow-up ("and military AI?", "why is that?") from a question
of its own (``rag.understand``); the router uses them to tell what is left of a question, once the
clauses that set its one area aside are taken out, that still points back at that area ("...
Ließe sich darüber irgendeine Einigung erzielen?") from a question about a subject of its own.
Place words (rag/data/places.yaml: "the second one", "the last of them") point at one area of the
answer before by its place in it.
"""

from __future__ import annotations

import re
from functools import cache

from rag.router.data import DATA_DIR
from rag.yamlfile import read_yaml

# Languages whose referring words are matched as strings, not whole words (rag/data/referring.yaml):
# written without spaces, or (Korean) with particles attached to the word.
SUBSTRING_LANGUAGES = ("zh", "ja", "th", "ko")


@cache
def _referring() -> dict[str, re.Pattern[str]]:
    """Per language, a pattern that finds the words making a question lean on the one before."""
    raw = read_yaml(DATA_DIR / "referring.yaml")
    opening, anywhere = raw.get("opening") or {}, raw.get("anywhere") or {}
    out = {}
    for lang in {*opening, *anywhere}:
        first = "|".join(re.escape(w) for w in sorted(opening.get(lang, ()), key=len, reverse=True)) or "(?!)"
        any_ = "|".join(re.escape(w) for w in sorted(anywhere.get(lang, ()), key=len, reverse=True)) or "(?!)"
        if lang in SUBSTRING_LANGUAGES:
            out[lang] = re.compile(rf"^\s*(?:{first})|(?:{any_})", re.IGNORECASE)
        else:
            out[lang] = re.compile(rf"^\W*(?:{first})(?!\w)|(?<!\w)(?:{any_})(?!\w)", re.IGNORECASE)
    return out


def refers_back(question: str, language: str = "en") -> bool:
    """Whether the question holds a word of its language that points to an earlier answer."""
    pattern = _referring().get(language) or _referring().get("en")
    return bool(pattern and pattern.search(question))


@cache
def _places() -> dict[str, tuple[re.Pattern[str], dict[str, int]]]:
    """Per language, a pattern that finds a place word before an item word, and the places' numbers."""
    out = {}
    for lang, block in (read_yaml(DATA_DIR / "places.yaml") or {}).items():
        places = {str(w).lower(): int(n) for w, n in (block.get("places") or {}).items()}
        items = sorted((str(w) for w in block.get("items") or ()), key=len, reverse=True)
        if not places or not items:
            continue
        words = "|".join(re.escape(w) for w in sorted(places, key=len, reverse=True))
        nouns = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in items)
        out[str(lang)] = (re.compile(rf"(?<!\w)({words})\s+(?:{nouns})(?!\w)", re.IGNORECASE), places)
    return out


def pointed_place(question: str, language: str = "en") -> int | None:
    """The place (1 the first, 2 the second, ..., -1 the last) of the area of the answer before that
    the question points at ("the second one", "the last of them"), or None (rag/data/places.yaml)."""
    found = _places().get(language)
    if found is None:
        return None
    pattern, places = found
    match = pattern.search(question)
    return places[match.group(1).lower()] if match else None
