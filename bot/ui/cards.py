"""Paper cards: the full card, the links under it, a bundle of papers, a digest. No I/O."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.core.models import Paper
from bot.ui.format import BRAND_COLOUR, FIELD_LIMIT, cut, escape

TITLE_LIMIT = 256
SUMMARY_LIMIT = 1200
SHOWN_AUTHORS = 4


def authors_line(authors: tuple[str, ...]) -> str:
    if not authors:
        return "unknown"
    shown = ", ".join(authors[:SHOWN_AUTHORS])
    rest = len(authors) - SHOWN_AUTHORS
    return cut(escape(shown + (f" and {rest} more" if rest > 0 else "")), FIELD_LIMIT)


def paper_embed(paper: Paper, topics: Sequence[str] = ()) -> discord.Embed:
    """The card: title linking to the HF page, summary, authors, counts, topics."""
    embed = discord.Embed(
        title=cut(escape(paper.title), TITLE_LIMIT),
        url=paper.hf_url,
        description=cut(
            escape(paper.ai_summary or paper.abstract or "No abstract."), SUMMARY_LIMIT
        ),
        colour=BRAND_COLOUR,
    )
    embed.add_field(name="Authors", value=authors_line(paper.authors), inline=False)
    embed.add_field(name="Upvotes", value=f"▲ {paper.upvotes:,}")
    if paper.github_repo:
        stars = f"★ {paper.github_stars:,}" if paper.github_stars is not None else "repository"
        embed.add_field(name="GitHub", value=stars)
    published = paper.published_at or paper.submitted_at
    if published:
        embed.add_field(name="Published", value=published.strftime("%Y-%m-%d"))
    if topics:
        listed = ", ".join(f"`{t.replace('`', '')}`" for t in topics)
        embed.add_field(name="Matched topics", value=cut(listed, FIELD_LIMIT), inline=False)
    if paper.thumbnail:
        embed.set_thumbnail(url=paper.thumbnail)
    embed.set_footer(text=f"arXiv {paper.id} · Hugging Face Papers")
    return embed


def paper_links(paper: Paper, view: discord.ui.View | None = None) -> discord.ui.View:
    """Link buttons HF, arXiv, PDF and Code (when there is a repository)."""
    view = view or discord.ui.View(timeout=None)
    links = [("Hugging Face", paper.hf_url), ("arXiv", paper.arxiv_url), ("PDF", paper.pdf_url)]
    if paper.github_repo:
        links.append(("Code", paper.github_repo))
    for label, url in links:
        view.add_item(discord.ui.Button(style=discord.ButtonStyle.link, label=label, url=url))
    return view


EMBED_TEXT_LIMIT = 6000  # Discord's limit on all embed text of one message


def bundle_embeds(entries: Sequence[tuple[Paper, Sequence[str]]]) -> list[discord.Embed]:
    """Several papers for one channel as one message: a compact card each (title, summary,
    upvotes, links, matched topics), all within Discord's 6,000 characters of embed text."""
    budget = (EMBED_TEXT_LIMIT - 200) // max(len(entries), 1)
    embeds = []
    for n, (paper, topics) in enumerate(entries, start=1):
        title = cut(escape(paper.title), min(TITLE_LIMIT, budget // 3))
        links = [f"[arXiv]({paper.arxiv_url})", f"[PDF]({paper.pdf_url})"]
        if paper.github_repo:
            links.append(f"[Code]({paper.github_repo})")
        line = f"▲ {paper.upvotes:,} · " + " · ".join(links)
        listed = ", ".join(t.replace("`", "") for t in topics)
        footer = cut(f"{n}. arXiv {paper.id}" + (f" · {listed}" if listed else ""), 200)
        room = budget - len(title) - len(footer) - len(line) - 2
        summary = cut(escape(paper.ai_summary or paper.abstract or "No abstract."), max(room, 0))
        embed = discord.Embed(
            title=title,
            url=paper.hf_url,
            description=f"{summary}\n{line}" if summary else line,
            colour=BRAND_COLOUR,
        )
        embed.set_footer(text=footer)
        embeds.append(embed)
    return embeds


def digest_embed(papers: Sequence[Paper], more: int, topics: Sequence[str]) -> discord.Embed:
    """One message for a channel's digest: a compact line per paper, then the count of the rest."""
    lines = []
    for n, paper in enumerate(papers, start=1):
        title = cut(escape(paper.title).replace("[", "(").replace("]", ")"), 180)
        lines.append(f"**{n}.** [{title}]({paper.hf_url}) · ▲ {paper.upvotes:,}")
    if more > 0:
        lines.append(f"…and {more} more.")
    total = len(papers) + max(more, 0)
    embed = discord.Embed(
        title=f"Paper digest: {total} new paper{'s' if total != 1 else ''}",
        description=cut("\n".join(lines), 4000),
        colour=BRAND_COLOUR,
    )
    if topics:
        listed = ", ".join(f"`{t.replace('`', '')}`" for t in topics)
        embed.add_field(name="Topics", value=cut(listed, FIELD_LIMIT), inline=False)
    return embed
