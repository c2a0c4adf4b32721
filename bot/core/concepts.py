"""Names that say which kind of model a paper works with, though it never writes the kind.

A paper that fine-tunes Qwen3 or evaluates ChatGPT is an LLM paper to anyone who follows LLMs,
even when its text never says "LLM" or "large language model". `concepts_of` turns such names
into the concept's word ("llm", "vlm"), which the matcher treats as one more salient word of the
paper. One mention is enough: a model family's name is specific, unlike a word in passing.

Only names that mean nothing else in an ML paper are listed: not Phi (a Greek letter), PaLM,
OPT, BLOOM or Falcon (English words), nor GLM (also the generalized linear model). Authors'
names are never read ("Claude" is also a first name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# One pattern per concept, over single normalised words ("Qwen2.5-VL" is "qwen2", "5", "vl").
_FAMILIES: dict[str, re.Pattern[str]] = {
    "llm": re.compile(
        r"(?:chatgpt|gpt\d*[a-z]?|llama\d*|qwen\d*|qwq|deepseek|mistral|mixtral|gemma\d*|gemini"
        r"|claude|vicuna|internlm\d*|chatglm\d*|olmo\d*|kimi)"
    ),
    # Vision-language models (the field counts them as LLMs too, as ACRONYMS does).
    "vlm": re.compile(r"(?:llava|internvl\d*|cogvlm\d*|minigpt\d*)"),
}
_ALSO = {"vlm": ("llm",)}


def concepts_of(words: Iterable[str]) -> frozenset[str]:
    """The concept words implied by model names among `words` (already normalised)."""
    found: set[str] = set()
    for word in set(words):
        for concept, pattern in _FAMILIES.items():
            if pattern.fullmatch(word):
                found.add(concept)
                found.update(_ALSO.get(concept, ()))
    return frozenset(found)


def named_by(concept: str, words: Iterable[str]) -> list[str]:
    """The model names among `words` that imply `concept` (to say why a paper matched)."""
    return sorted(w for w in set(words) if concept in concepts_of([w]))
