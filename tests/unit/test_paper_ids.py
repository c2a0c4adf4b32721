import pytest

from bot.core.errors import InvalidPaperId
from bot.core.paper_ids import parse_paper_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2501.01234", "2501.01234"),
        ("2501.01234v2", "2501.01234"),
        ("  arXiv:2501.01234v12 ", "2501.01234"),
        ("0704.0001", "0704.0001"),
        ("https://arxiv.org/abs/2501.01234v3", "2501.01234"),
        ("arxiv.org/abs/2501.01234", "2501.01234"),
        ("https://arxiv.org/pdf/2501.01234v1", "2501.01234"),
        ("https://arxiv.org/pdf/2501.01234v1.pdf", "2501.01234"),
        ("https://www.arxiv.org/abs/2501.01234?context=cs", "2501.01234"),
        ("https://huggingface.co/papers/2501.01234", "2501.01234"),
        ("huggingface.co/papers/2501.01234#community", "2501.01234"),
        ("https://arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001"),
        ("math.GT/0309136", "math/0309136"),
    ],
)
def test_parse_paper_id_accepts_ids_and_urls(text: str, expected: str) -> None:
    assert parse_paper_id(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "hello", "2501.123", "25010.1234", "https://example.com/abs/2501.01234", "2501.01234v"],
)
def test_parse_paper_id_refuses_other_text_with_a_hint(text: str) -> None:
    with pytest.raises(InvalidPaperId, match="is not a paper id"):
        parse_paper_id(text)
