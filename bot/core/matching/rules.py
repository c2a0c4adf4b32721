"""The rules that decide when a paper is about a term: what paperbot uses, and what it measured.

Each rule was measured against the labeled set (`bench/topic_quality.py --ablate` prints what
each one buys, by turning it the other way). Only `RULES` is used by the bot; the other values
exist so that the bench can show the difference they make.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Rules:
    # Hugging Face's AI summary and keywords are machine-written: "full" counts a term there like
    # one in the title; "corroborate" lets it confirm one mention in the abstract; "ignore"
    # reads only what the authors wrote.
    generated: Literal["full", "corroborate", "ignore"] = "ignore"
    # The words of an unquoted topic found apart: "anywhere"; "sentence", each in the title or
    # all in one sentence of the abstract; "strict", all in the title or all in one sentence;
    # "window", all within `window` words of each other.
    near: Literal["anywhere", "sentence", "strict", "window"] = "sentence"
    window: int = 8
    # An unquoted topic's generic head word ("models": most papers say it) cannot hold on its
    # own: "keep" lets it; "adjacent" wants it beside the rest ("reward models"); "drop" leaves
    # it out beside a term of art ("VLA models" is VLA) and wants it adjacent otherwise.
    generic_heads: Literal["keep", "adjacent", "drop"] = "drop"
    generic_share: float = 0.5
    # A word used by at least this share of papers says little said twice: it needs the title
    # or three mentions (1.0: no word is that common).
    common_share: float = 0.1
    acronym_once: bool = True  # a term of art written once as an acronym (MoE) is enough
    # A phrase said once in the abstract: "once" is enough; "echoed" when one of its own words
    # (not a stop word) is said again in the title or another sentence; "twice" needs two.
    phrase: Literal["once", "echoed", "twice"] = "once"
    vocabulary_typos: bool = True  # never forgive a typo between two real words
    word_families: bool = True  # retrieval finds retrieving; else only plurals are one word
    concepts: bool = True  # names and kinds imply what they are (Qwen3 → LLM)
    concept_once: bool = True  # one mention of a model name (or kind) is enough
    expand_acronyms: bool = True  # a paper's "GRPO" also says "group relative policy ..."
    # A word the paper says inside an acronym it writes (MLLM says multimodal) counts once.
    expansion_once: bool = False
    # An acronym the paper defines otherwise ("attack success rate (ASR)") is not ours.
    own_definitions: bool = True
    camel_case: bool = True  # a name's words count: MonkeyOCR says OCR, GraphRAG says RAG
    skip_release: bool = True  # "Code is available at ..." says nothing of the topic


RULES = Rules()
