"""Replies of /papers and /saved: result pages, saved lists. No I/O."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.core.foryou import ForYou
from bot.core.models import Paper, SavedList
from bot.core.models import page_count as pages
from bot.core.paper_ids import hf_url
from bot.core.saved import PER_PAGE as SAVED_PER_PAGE
from bot.core.saved import SavedPage
from bot.core.search import SearchResult
from bot.ui.format import BRAND_COLOUR, PER_PAGE, cut, escape, page_of, timestamp


def page_count(total: int) -> int:
    """How many pages of results `total` papers fill."""
    return pages(total, PER_PAGE)


def _entry(n: int, paper: Paper) -> str:
    title = cut(escape(paper.title).replace("[", "(").replace("]", ")"), 150)
    when = paper.submitted_at or paper.published_at
    date = f" · {when:%Y-%m-%d}" if when else ""
    summary = cut(escape(paper.ai_summary or paper.abstract), 160)
    return (
        f"**{n}.** [{title}]({paper.hf_url})\n▲ {paper.upvotes:,}{date} · `{paper.id}`\n{summary}"
    )


def search_page(result: SearchResult, page: int) -> discord.Embed:
    papers = page_of(result.papers, page)
    lines = [_entry(page * PER_PAGE + n, p) for n, p in enumerate(papers, start=1)]
    embed = discord.Embed(
        title=cut(f"Search: {result.query}", 256),
        description=cut("\n\n".join(lines), 4000),
        colour=BRAND_COLOUR,
    )
    notes = [f"{len(result.papers)} found", f"understood as {result.understood}"]
    if result.corrected:
        notes.append("typos corrected")
    if result.from_hf:
        notes.append(f"{result.from_hf} from Hugging Face search")
    embed.set_footer(text=cut(" · ".join(notes), 2048))
    return embed


def no_results(result: SearchResult) -> str:
    return (
        f"No paper matches `{result.query.replace('`', '')}` "
        f"(understood as `{result.understood.replace('`', '')}`). Try fewer words, or OR."
    )


def trending_page(papers: Sequence[Paper], period: str, page: int) -> discord.Embed:
    shown = page_of(papers, page)
    lines = [_entry(page * PER_PAGE + n, p) for n, p in enumerate(shown, start=1)]
    return discord.Embed(
        title=f"Most upvoted papers: {period}",
        description=cut("\n\n".join(lines), 4000) or "No stored papers in that period yet.",
        colour=BRAND_COLOUR,
    )


def saved_page(page: SavedPage, status: str) -> discord.Embed:
    lines = []
    for n, item in enumerate(page.items, start=page.page * SAVED_PER_PAGE + 1):
        mark = "✓ read" if item.status == "read" else "unread"
        title = cut(escape(item.title).replace("[", "(").replace("]", ")"), 150)
        line = (
            f"**{n}.** [{title}]({hf_url(item.paper_id)}) · `{item.paper_id}`"
            f" · {mark} · saved {timestamp(item.saved_at)}"
        )
        if item.note:
            line += f"\n> {cut(escape(item.note), 200)}"
        lines.append(line)
    shown = "" if status == "all" else f" ({status})"
    embed = discord.Embed(
        title=cut(
            f"{page.list_name}{shown}: {page.total} paper{'s' if page.total != 1 else ''}", 256
        ),
        description=cut("\n".join(lines), 4000)
        or "Nothing here yet. Save papers with 🔖 or /saved add.",
        colour=BRAND_COLOUR,
    )
    return embed


def saved_lists(lists: Sequence[SavedList]) -> discord.Embed:
    lines = [f"**{escape(s.name)}**: {s.count} papers, {s.unread} unread" for s in lists]
    return discord.Embed(
        title="Your saved lists",
        description="\n".join(lines) or "No lists yet. Click 🔖 Save on any paper card.",
        colour=BRAND_COLOUR,
    )


def foryou_page(found: ForYou, page: int) -> discord.Embed:
    shown = page_of(found.recommendations, page)
    lines = []
    for n, item in enumerate(shown, start=page * PER_PAGE + 1):
        like = [
            cut(escape(found.saved[i].title).replace("[", "(").replace("]", ")"), 60)
            for i in item.because
            if i in found.saved
        ]
        why = f"like *{'*, *'.join(like)}*" if like else ""
        if item.terms:
            why += f"{' · ' if why else ''}shares {', '.join(escape(t) for t in item.terms)}"
        lines.append(f"{_entry(n, item.paper)}\n↳ {why}" if why else _entry(n, item.paper))
    source = f"your list “{found.list_name}”" if found.list_name else "all your saved papers"
    embed = discord.Embed(
        title="For you",
        description=cut("\n\n".join(lines), 4000)
        or f"None of the {found.considered} papers of the last {found.days} days is like "
        "your saved papers yet.",
        colour=BRAND_COLOUR,
    )
    embed.set_footer(
        text=f"From {source} ({len(found.saved)}) · the last {found.days} days' "
        f"{found.considered} papers · your lists shape your ranking alone"
    )
    return embed
