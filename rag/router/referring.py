"""Words that point back to something said before (rag/data/referring.yaml), per language.

The conversation uses them to tell a follow-up ("and military AI?", "why is that?") from a question
of its own (``rag.understand``); the router uses them to tell what is left of a question, once the
clauses that set its one area aside are taken out, that still points back at that area ("...
Ließe sich darüber irgendeine Einigung erzielen?") from a question about a subject of its own.
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
