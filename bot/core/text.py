"""Text normalisation shared by topic matching and search: one notion of a "word".

Lower case, accents folded, hyphens and punctuation as word breaks, and a light stemmer that
maps plurals onto the singular (models → model, studies → study). Both papers and queries go
through the same functions, so they agree on every word.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case without accents: "Schrödinger" → "schrodinger"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(text: str) -> list[str]:
    """The normalised, stemmed words of `text`, in order."""
    return [stem(w) for w in _WORD.findall(fold(text))]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Singular of an English plural; everything else unchanged."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("s"):
        return word[:-1]
    return word
