"""What a paper is about though it never writes the words: names and kinds a reader knows.

A paper that fine-tunes Qwen3 is an LLM paper to anyone who follows LLMs, even when its text
never says "LLM"; a paper on mutation testing is about software testing; a GRPO recipe is
reinforcement learning. Each entry names a concept as a topic would (`llm`, `software testing`)
and what implies it: names of single words (a regular expression over normalised words, so
"Qwen2.5-VL" is tried as "qwen2", "5", "vl") and phrases. Each has its reason, and nothing is
listed that a careful reader would dispute: not Phi (a Greek letter), PaLM, OPT, BLOOM or
Falcon (English words), nor GLM (also the generalized linear model); not Whisper (also a word).
Authors' names are never read ("Claude" is also a first name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from bot.core.matching.text import family, same, words


@dataclass(frozen=True, slots=True)
class Concept:
    name: str  # as a topic writes it
    reason: str
    names: str = ""  # a regular expression over single normalised words
    phrases: tuple[str, ...] = ()
    also: tuple[str, ...] = ()  # broader concepts (by name) this one implies

    @property
    def pattern(self) -> re.Pattern[str] | None:
        return re.compile(self.names) if self.names else None


CONCEPTS: tuple[Concept, ...] = (
    Concept(
        "llm",
        "these are families of large language models",
        names=r"(?:chatgpt|gpt\d*[a-z]?|llama\d*|codellama|qwen\d*|qwq|deepseek|mistral|mixtral"
        r"|gemma\d*|gemini|claude|vicuna|internlm\d*|chatglm\d*|olmo\d*|kimi|starcoder\d*"
        r"|minicpm\d*|baichuan\d*)",
    ),
    Concept(
        "vlm",
        "these are families of vision-language models (which the field counts as LLMs); a "
        "model named -VL (Qwen2-VL, DeepSeek-VL) is one; a video LLM is one too",
        names=r"(?:llava|internvl\d*|cogvlm\d*|minigpt\d*|vl)",
        phrases=("video llm", "video large language model"),
        also=("llm", "multimodal"),
    ),
    Concept(
        "multimodal",
        "a model of vision and language (or audio and video) is multimodal by definition",
        phrases=(
            "vision language model",
            "audio-visual",
            "video language model",
            "audio language model",
        ),
    ),
    Concept(
        "rl",
        "these are reinforcement learning algorithms, or RL from feedback or verifiable rewards",
        names=r"(?:ppo|grpo|dapo|gspo|trpo|rlhf|rlvr|rlaif|reinforce)",
        phrases=("policy gradient", "q learning", "actor critic"),
    ),
    Concept(
        "software testing",
        "these are kinds and tools of software testing",
        phrases=(
            "unit test",
            "unit testing",
            "mutation testing",
            "regression testing",
            "test case generation",
            "test generation",
            "test suite",
            "test oracle",
            "fuzz testing",
            "fuzzing",
            "gui testing",
            "metamorphic testing",
            "flaky test",
            "integration testing",
            "test automation",
            "property based testing",
            "model based testing",
            "search based software testing",
            "test input generation",
        ),
    ),
    Concept(
        "3d",
        "these are 3D representations and tasks (4D is 3D over time)",
        names=r"(?:4d|3dgs|nerf)",
        phrases=(
            "point cloud",
            "gaussian splatting",
            "neural radiance field",
            "novel view synthesis",
        ),
    ),
    Concept(
        "drone",
        "a UAV is a drone",
        names=r"uav",
        phrases=("unmanned aerial vehicle",),
    ),
    Concept(
        "gnn",
        "these are graph neural network architectures",
        names=r"(?:gcn|graphsage)",
        phrases=(
            "graph convolutional network",
            "graph attention network",
            "message passing neural network",
        ),
    ),
    Concept(
        "image generation",
        "synthesis is generation; text-to-image models (Stable Diffusion, SDXL) generate images",
        names=r"sdxl",
        phrases=("image synthesis", "text to image", "t2i", "stable diffusion"),
    ),
    Concept(
        "video generation",
        "synthesis is generation, and text-to-video models generate videos",
        phrases=("video synthesis", "text to video", "t2v", "image to video"),
    ),
    Concept(
        "code generation",
        "program synthesis and code completion generate code",
        phrases=("program synthesis", "code completion"),
    ),
)


# -- looking concepts up, as keys of word families (or of plain words, when `families` is off)


@cache
def concept_keys(families: bool) -> dict[tuple[str, ...], int]:
    """Each concept's name as a key (its words' families), with its index in CONCEPTS."""
    key = family if families else same
    return {tuple(key(w) for w in words(c.name)): i for i, c in enumerate(CONCEPTS)}


@cache
def concept_key_list(families: bool) -> list[tuple[str, ...]]:
    return list(concept_keys(families))


@cache
def concept_phrases(families: bool) -> list[list[tuple[tuple[str, ...], str]]]:
    """Each concept's phrases as families, with the phrase as written (to say what implied it)."""
    key = family if families else same
    return [[(tuple(key(w) for w in words(p)), p) for p in c.phrases] for c in CONCEPTS]


@cache
def broader_concepts(i: int, families: bool) -> tuple[tuple[str, ...], ...]:
    """The keys of every concept that concept `i` implies, directly or through another."""
    key = family if families else same
    found: list[tuple[str, ...]] = []
    for broader in CONCEPTS[i].also:
        wanted = tuple(key(w) for w in words(broader))
        found.append(wanted)
        index = concept_keys(families).get(wanted)
        if index is not None:
            found.extend(broader_concepts(index, families))
    return tuple(found)


@cache
def concept_pattern(i: int) -> re.Pattern[str] | None:
    return CONCEPTS[i].pattern


@lru_cache(maxsize=200_000)
def named_concepts(word: str) -> frozenset[int]:
    """The concepts whose names `word` is (most words are none: asked once per word)."""
    found = set()
    for i in range(len(CONCEPTS)):
        pattern = concept_pattern(i)
        if pattern is not None and pattern.fullmatch(word):
            found.add(i)
    return frozenset(found)
