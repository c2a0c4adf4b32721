"""Canonical arXiv ids, from whatever a user or an API hands us, and the one place that builds
a paper's links (Hugging Face, arXiv, PDF) from its id."""

from __future__ import annotations

import re

from bot.core.errors import InvalidPaperId

# New-style ids (0704.0001 onwards) and old-style ids such as hep-th/9901001.
_NEW = r"\d{4}\.\d{4,5}"
_OLD = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
_ID = rf"(?P<id>{_NEW}|{_OLD})(?:v\d+)?"

_PATTERNS = (
    re.compile(rf"^(?:arxiv:)?{_ID}$", re.IGNORECASE),
    re.compile(
        rf"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/{_ID}(?:\.pdf)?/?"
        r"(?:[?#].*)?$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^(?:https?://)?(?:www\.)?huggingface\.co/papers/{_ID}/?(?:[?#].*)?$",
        re.IGNORECASE,
    ),
)
_CANONICAL = re.compile(rf"^(?:{_NEW}|{_OLD})$")


def parse_paper_id(text: str) -> str:
    """Return the canonical arXiv id (no version suffix) named by `text`.

    Accepts `2501.01234`, `2501.01234v2`, `arXiv:2501.01234`, arxiv.org abs/pdf URLs and
    huggingface.co/papers URLs. Raises `InvalidPaperId` with a message for the user otherwise.
    """
    candidate = text.strip()
    for pattern in _PATTERNS:
        match = pattern.match(candidate)
        if match:
            return _normalise(match.group("id"))
    shown = candidate if len(candidate) <= 80 else candidate[:77] + "..."
    raise InvalidPaperId(
        f"`{shown}` is not a paper id. Use an arXiv id such as 2501.01234, or a "
        "huggingface.co/papers/... or arxiv.org/abs/... link."
    )


def is_canonical_id(text: str) -> bool:
    return bool(_CANONICAL.match(text))


def _normalise(paper_id: str) -> str:
    if "/" in paper_id:
        # The subject class (math.GT/...) is not part of the identifier.
        archive, number = paper_id.split("/", 1)
        return f"{archive.split('.')[0].lower()}/{number}"
    return paper_id


def hf_url(paper_id: str) -> str:
    """The paper's page on Hugging Face Papers."""
    return f"https://huggingface.co/papers/{paper_id}"


def arxiv_url(paper_id: str) -> str:
    """The paper's abstract page on arXiv."""
    return f"https://arxiv.org/abs/{paper_id}"


def pdf_url(paper_id: str) -> str:
    """The paper's PDF on arXiv."""
    return f"https://arxiv.org/pdf/{paper_id}"
