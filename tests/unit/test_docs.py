"""The README fits a screen, and every link in the documentation lands on a file and heading
that exist; every setting the bot reads is documented."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def prose(page: Path) -> str:
    """A page without its code: fenced blocks and inline code hold examples, not links."""
    text = re.sub(r"^```.*?^```", "", page.read_text("utf-8"), flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def anchors(page: Path) -> set[str]:
    headings = re.findall(r"^#+ (.+)$", page.read_text("utf-8"), re.M)
    return {slug(h) for h in headings}


def test_the_readme_fits_a_screen_and_keeps_the_sections_messages_point_to() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert len(readme.splitlines()) < 250
    # Named in paperbot's own messages (a missing token; a second process on a SQLite file).
    assert {"create-the-discord-application", "running-at-scale"} <= anchors(ROOT / "README.md")
    assert "make run" in readme
    assert "make test" in readme


def test_every_relative_link_lands_on_a_file_and_heading_that_exist() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(prose(page)):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def test_every_setting_the_bot_reads_is_documented() -> None:
    read = set(re.findall(r'get\("([A-Z][A-Z_]+)"\)', (ROOT / "bot/config.py").read_text()))
    assert len(read) > 10
    example = (ROOT / ".env.example").read_text("utf-8")
    settings = (ROOT / "docs" / "settings.md").read_text("utf-8")
    assert sorted(s for s in read if s not in example) == []
    assert sorted(s for s in read if s not in settings) == []
