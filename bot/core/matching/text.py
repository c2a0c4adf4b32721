"""Text normalisation shared by topic matching and search: one notion of a "word".

Letters and digits of every script (Cyrillic, Arabic, Devanagari with its vowel signs, ...), with
each Chinese or Japanese character a word of its own (they write no spaces between words);
lower case, accents folded, hyphens and punctuation as word breaks, and a light stemmer that
maps plurals onto the singular (models → model, studies → study): that is a *word*, what search
and the query language store. A word's *family* (`family`) goes further, to the forms a reader
treats as one word: retrieval, retrieve, retrieving and retriever; evaluation and evaluating.
It is the Snowball English stemmer (Porter2, through PyStemmer), with the merges it makes
between words of different meaning kept apart (`word_families.KEEP_APART`, read off the
vocabulary of real papers: experiment is not experience, grounding is not ground).
Both papers and queries go through the same functions, so they agree on every word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer  # type: ignore[import-not-found]  # PyStemmer ships no type hints

from bot.core.matching.word_families import KEEP_APART

# Chinese and Japanese are written without spaces between words: each of their characters is
# a word of its own, so that a term of several is a phrase, found wherever they stand in order.
_UNSPACED = (
    "\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U000323af"
)


def _marks() -> str:
    """The marks that stay in a folded word and belong to the letter before them (Devanagari's
    vowel signs): Unicode's letters and digits (\\w) leave them out. Not variation selectors."""
    found = [
        c
        for c in range(0x300, 0x20000)
        if unicodedata.category(chr(c))[0] == "M"
        and not unicodedata.combining(chr(c))  # folding removes those
        and not 0xFE00 <= c <= 0xFE0F
    ]
    spans: list[list[int]] = []
    for c in found:
        if spans and spans[-1][1] == c - 1:
            spans[-1][1] = c
        else:
            spans.append([c, c])
    return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in spans)


# A word: letters and digits of any script (with their marks), or one Chinese or Japanese
# character. Text that is all ASCII, most of it, takes the plain pattern: the same words.
WORD = rf"[{_UNSPACED}]|[^\W_{_UNSPACED}](?:[^\W_{_UNSPACED}]|[{_marks()}])*"
ASCII_WORD = r"[a-z0-9]+"
_WORD = re.compile(WORD)
_ASCII_WORD = re.compile(ASCII_WORD)
_ASCII_CASED_WORD = re.compile(r"[A-Za-z0-9]+")
# A sentence ends at . ! or ? followed by a space and a capital or digit ("e.g. the" does not).
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z0-9])")
# The words inside a name written in camel case: MonkeyOCRv2 → Monkey, OCR; GraphRAG → Graph, RAG.
_CAMEL_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+")
_CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
_VERSION = re.compile(r"(?<=[A-Za-z])v?[0-9]+$")
# Sentences about releasing code and data, which say nothing of what a paper is about.
_RELEASE = re.compile(
    r"https?://|github\.com|\bavailable (?:at|on|in)\b|\bpublicly available\b|"
    r"\b(?:is|are|will be) (?:made |publicly |openly )*(?:released|available|open[- ]sourced)\b|"
    r"\bproject page\b|\bwe (?:release|open[- ]source)\b",
    re.IGNORECASE,
)
_STEMMER = Stemmer.Stemmer("english")

# Words that tie the words of an interest together but say nothing alone: `mixture of experts`
# needs "mixture" and "experts", not "of".
STOPWORDS = frozenset(
    {
        *("a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or"),
        *("the", "to", "via", "with", "without", "using", "based"),
    }
)


# Prefixes that make a word into its opposite or a pretence of it, written with a hyphen:
# non-verifiable is not verifiable, non-linear not linear. (Not "self": self-attention is
# attention, self-distillation is distillation.)
MEANING_PREFIXES = frozenset({"non", "un", "anti", "pseudo", "quasi"})


_MARKDOWN = re.compile(r"([\\`*_~|>#\[\]()<@-])")


def inert(text: str) -> str:
    """`text` with Markdown and mention syntax escaped, to echo a user's or a paper's words in a
    reply: a title's [text](url) shows as written, never as a masked link."""
    return _MARKDOWN.sub(r"\\\1", text)


def fold(text: str) -> str:
    """Lower case without accents (nor `INVISIBLE` characters): "Schrödinger" → "schrodinger"."""
    return _strip_accents(text).lower()


def strip_accents(text: str) -> str:
    """`text` with accents (and `INVISIBLE` characters) removed, case kept: "Schrödinger" →
    "Schrodinger"."""
    return _strip_accents(text)


# Characters that show nothing and come with copied text, inside words as often as not: zero-
# width space, non-joiner and joiner, word joiner, byte-order mark, soft hyphen. Ignored, they
# split no word ("de\u200bcoding" is "decoding").
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_WITHOUT_INVISIBLE = str.maketrans("", "", INVISIBLE)


def visible(text: str) -> str:
    """`text` without the characters that show nothing (`INVISIBLE`)."""
    return text if text.isascii() else text.translate(_WITHOUT_INVISIBLE)


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_WITHOUT_INVISIBLE))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The normalised, stemmed words of `text`, in order."""
    return [stem(w) for w in word_tokens(fold(text))]


def word_tokens(text: str) -> list[str]:
    """The words of `text` as written (`WORD`), neither folded nor stemmed."""
    return (_ASCII_WORD if text.isascii() else _WORD).findall(text)


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


@lru_cache(maxsize=200_000)
def family(word: str) -> str:
    """The key shared by the forms of `word` (a normalised word) that a reader counts as one."""
    kept = KEEP_APART.get(word)
    if kept is not None:
        return kept
    if len(word) <= 3 or not word.isalpha() or not word.isascii():
        return word  # the English stemmer knows English words only
    return str(_STEMMER.stemWord(word))


@dataclass(frozen=True, slots=True)
class Scan:
    """The words of a text, with what the matcher needs to know of where and how each was
    written (lists parallel to `words`)."""

    words: list[str]  # normalised (`words`)
    sentences: list[int]  # which sentence each word is in, from 0
    capitals: list[bool]  # written as an acronym: two capitals or more (MoE, NeRF), or 3D
    asides: list[bool]  # alone in parentheses, an acronym after its expansion: "(VLA) models"
    # The words of camel-case names (MonkeyOCR: monkey, ocr) by word index, with whether each
    # is an acronym.
    parts: dict[int, tuple[tuple[str, bool], ...]]
    release: list[bool]  # per sentence: about releasing code or data ("Code is available at")
    # Whether punctuation (or a sentence's end) stands before each word: the words of a phrase
    # stand together within a clause, never across "reward. Models" or "reward, models".
    breaks: list[bool]
    # Whether each word follows a prefix that turns it into its opposite, joined by a hyphen:
    # "non-verifiable" is not verifiable, "non-autoregressive" not autoregressive.
    inside: list[bool]


_RELEASE_HINTS = ("http", "github", "available", "release", "open", "project page")
_ASIDE = re.compile(r"\(([A-Za-z0-9]+)\)")
_BREAK = re.compile(r"[,;:()\[\]{}!?\"]|\.\s")


def scan(text: str) -> Scan:
    """The words of `text` with their sentence, case and parentheses (see `Scan`)."""
    plain = _strip_accents(text)
    found = Scan([], [], [], [], {}, [], [], [])
    for number, sentence in enumerate(_SENTENCE_END.split(plain)):
        lowered = sentence.lower()
        hinted = any(hint in lowered for hint in _RELEASE_HINTS)
        found.release.append(hinted and bool(_RELEASE.search(sentence)))
        pattern = _ASCII_CASED_WORD if sentence.isascii() else _WORD
        raws = pattern.findall(sentence)
        gaps = pattern.split(sentence)  # gaps[k] stands before raws[k]
        found.breaks.extend(k == 0 or bool(_BREAK.search(gaps[k])) for k in range(len(raws)))
        found.inside.extend(
            k > 0 and gaps[k] == "-" and raws[k - 1].lower() in MEANING_PREFIXES
            for k in range(len(raws))
        )
        asides = {m.start(1) for m in _ASIDE.finditer(sentence)} if "(" in sentence else set()
        if asides:
            starts = [m.start() for m in pattern.finditer(sentence)]
            found.asides.extend(start in asides for start in starts)
        else:
            found.asides.extend([False] * len(raws))
        for raw in raws:
            if not raw.islower():
                parts = _camel_parts(raw)
                if parts:
                    found.parts[len(found.words)] = parts
                found.capitals.append(_acronym_shaped(raw))
            else:
                found.capitals.append(False)
            found.words.append(stem(raw.lower()))
            found.sentences.append(number)
    return found


def without_release(text: str) -> str:
    """`text` without its sentences about releasing code or data ("Code is available at ...")."""
    lowered = text.lower()
    if not any(hint in lowered for hint in _RELEASE_HINTS):
        return text
    kept = [s for s in _SENTENCE_END.split(text) if not _about_release(s)]
    return ". ".join(kept)


def _about_release(sentence: str) -> bool:
    lowered = sentence.lower()  # the cheap test first: most sentences hold no hint
    return any(hint in lowered for hint in _RELEASE_HINTS) and bool(_RELEASE.search(sentence))


# Written with a capital somewhere: what may be an acronym (MoE) or a name (MonkeyOCR). Runs of
# letters and digits, those with a capital kept: one pass, where a pattern that looks for the
# capital inside each run (`[A-Za-z0-9]*[A-Z][A-Za-z0-9]*`) backtracks quadratically over a long
# lower-case word (a 60,000-character title word took a poll 36 s).
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")
_NEGATED = re.compile(r"\b(?:" + "|".join(sorted(MEANING_PREFIXES)) + rf")-({WORD})")


def negated(folded: str) -> list[str]:
    """The words of a folded text written after a prefix that negates them (non-verifiable)."""
    return [stem(w) for w in _NEGATED.findall(folded)]


@lru_cache(maxsize=100_000)
def traits(raw: str) -> tuple[str, bool, tuple[tuple[str, bool], ...]]:
    """A capitalised token's word, whether it is written as an acronym, and its camel parts."""
    return stem(raw.lower()), _acronym_shaped(raw), _camel_parts(raw)


def capitalised(text: str) -> list[str]:
    """The tokens of `text` (accents stripped) that hold a capital, in order."""
    return capital_runs(_strip_accents(text))


def capital_runs(plain: str) -> list[str]:
    """The runs of ASCII letters and digits of `plain` that hold a capital, in order."""
    return [run for run in _ALNUM_RUN.findall(plain) if run != run.lower()]


def _acronym_shaped(raw: str) -> bool:
    if raw.isdigit():
        return False
    capitals = sum(c.isupper() for c in raw)
    return capitals >= 2 or (capitals == 1 and raw[0].isdigit() and len(raw) <= 3)


def _camel_parts(raw: str) -> tuple[tuple[str, bool], ...]:
    if raw.isupper() or raw.isdigit() or len(raw) < 4:
        return ()
    core = _VERSION.sub("", raw)  # MonkeyOCRv2 → MonkeyOCR
    if not _CAMEL.search(core):
        return ()
    parts = []
    for piece in _CAMEL_PART.findall(core):
        acronym = piece.isupper() and len(piece) >= 2
        if (len(piece) >= 3 or acronym) and len(piece) < len(raw):
            parts.append((stem(piece.lower()), acronym))
    return tuple(parts)


def same(word: str) -> str:
    """A word as it is: the key of a word when word families are turned off."""
    return word


def count_in(sequence: list[str], wanted: tuple[str, ...] | list[str]) -> int:
    """How often `wanted` stands in `sequence`, word after word."""
    first = wanted[0]
    if first not in sequence:
        return 0
    size, target = len(wanted), list(wanted)
    found, start = 0, 0
    while True:
        try:
            i = sequence.index(first, start)
        except ValueError:
            return found
        if sequence[i : i + size] == target:
            found += 1
        start = i + 1
