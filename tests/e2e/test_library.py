"""Search, show, trending, Save buttons and private saved lists, end to end."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import bibtexparser
from bibtexparser.middlewares import LatexDecodingMiddleware

from tests.support.fake_discord import InteractionRecord
from tests.support.fake_hf import make_item
from tests.support.runners import RunningBot

TRICKY = {
    "2611.00101": "Schrödinger {Bridges} & 100% Diffusion",
    "2611.00102": "Naïve Bayes for Łódź & Zürich: $x_1$ #1",
    "2611.00103": "Σ-Mem: An Online Reliability Memory",
    "2611.00104": "Plain title about transformers",
}


async def stored(bot: RunningBot, count: int) -> None:
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] >= count)


def button(message: dict[str, Any], label: str) -> str:
    for row in message["components"]:
        for item in row["components"]:
            if item.get("label") == label:
                return str(item["custom_id"])
    raise AssertionError(f"no button {label!r}")


async def answer(bot: RunningBot, record: InteractionRecord) -> dict[str, Any]:
    callback = await bot.discord.wait_callback(record)
    return dict(callback["data"])


async def test_search_forgives_a_typo_and_pages_only_for_the_searcher(bot: RunningBot) -> None:
    bot.hf.add(make_item("2611.00001", "Reinforcement learning for legged robots"))
    bot.hf.add(
        *(
            make_item(f"2611.{10 + i:05d}", f"Diffusion study number {i}", upvotes=i)
            for i in range(7)
        )
    )
    await bot.start()
    await stored(bot, 8)

    typo = await bot.command("member", "papers", "papers search", {"query": "reinforcment"})
    assert typo["flags"] & 64, "ephemeral unless public"
    assert "Reinforcement learning for legged robots" in typo["embeds"][0]["description"]
    assert "typos corrected" in typo["embeds"][0]["footer"]["text"]

    public = await bot.command(
        "member",
        "papers",
        "papers search",
        {"query": "diffusion", "sort": "upvotes", "public": True},
    )
    assert not public["flags"] & 64
    first_page = public["embeds"][0]["description"]
    assert "Diffusion study number 6" in first_page
    assert "Diffusion study number 1" not in first_page
    assert [b["label"] for b in public["components"][0]["components"]] == [
        f"Save {n}" for n in range(1, 6)
    ]

    refused = await bot.discord.click("member2", public, button(public, "Next ▶"))
    reply = await answer(bot, refused)
    assert "Only the person who searched" in reply["content"]
    assert reply["flags"] & 64

    turned = await bot.discord.click("member", public, button(public, "Next ▶"))
    callback = await bot.discord.wait_callback(turned)
    assert callback["type"] == 7
    assert "Diffusion study number 1" in callback["data"]["embeds"][0]["description"]


async def test_few_local_results_ask_hugging_face_and_store_what_it_finds(bot: RunningBot) -> None:
    # An old paper: the daily feed (today and yesterday) never returns it; only HF search can.
    bot.settings = replace(bot.settings, feeds=("daily",))
    old = datetime.now(UTC).date() - timedelta(days=30)
    bot.hf.add(make_item("2611.00201", "Kazakh speech corpora", day=old))
    await bot.start()
    await bot.polls(1)
    assert bot.query("SELECT count(*) FROM papers") == [(0,)]
    reply = await bot.command("member", "papers", "papers search", {"query": "kazakh speech"})
    assert "Kazakh speech corpora" in reply["embeds"][0]["description"]
    assert "1 from Hugging Face search" in reply["embeds"][0]["footer"]["text"]
    assert any(path == "/api/papers/search" for path, _ in bot.hf.requests)
    assert bot.query("SELECT id FROM papers WHERE id = '2611.00201'") == [("2611.00201",)]


async def test_show_finds_by_url_or_from_hf_and_refuses_unknown_ids(bot: RunningBot) -> None:
    bot.hf.add(make_item("2611.00301", "Stored already"))
    await bot.start()
    await stored(bot, 1)
    card = await bot.command(
        "member", "papers", "papers show", {"paper": "https://arxiv.org/abs/2611.00301v2"}
    )
    assert card["embeds"][0]["title"] == "Stored already"
    unknown = await bot.command("member", "papers", "papers show", {"paper": "2611.99999"})
    assert "No paper 2611.99999 is known" in unknown["content"]
    assert unknown["flags"] & 64
    malformed = await bot.command("member", "papers", "papers show", {"paper": "not a paper"})
    assert "is not a paper id" in malformed["content"]


async def test_paper_autocomplete_suggests_titles(bot: RunningBot) -> None:
    bot.hf.add(
        make_item("2611.00401", "Mamba state space models"),
        make_item("2611.00402", "Vision transformers"),
    )
    await bot.start()
    await stored(bot, 2)
    record = await bot.discord.autocomplete(
        "member", "papers", "papers show", {"paper": "mamba stat"}, "paper"
    )
    callback = await bot.discord.wait_callback(record)
    assert callback["type"] == 8
    assert callback["data"]["choices"][0]["value"] == "2611.00401"


async def test_trending_lists_the_most_upvoted(bot: RunningBot) -> None:
    bot.hf.add(make_item(title="Low", upvotes=1), make_item(title="High", upvotes=99))
    await bot.start()
    await stored(bot, 2)
    reply = await bot.command("member", "papers", "papers trending", {"period": "week"})
    text = reply["embeds"][0]["description"]
    assert text.index("High") < text.index("Low")


async def test_save_on_a_channel_post_survives_a_restart(bot: RunningBot) -> None:
    await bot.start()
    await bot.command("admin", "papers", "topic add", {"query": "retrieval"})
    bot.hf.add(make_item("2611.00501", "Retrieval at scale"))
    (post,) = await bot.discord.wait_messages("papers", 1)

    saved = await answer(bot, await bot.discord.click("member", post, "paper:save:2611.00501"))
    assert "Saved to your “Reading list”" in saved["content"]
    assert saved["flags"] & 64
    listing = await bot.command("member", "papers", "saved list")
    assert "Retrieval at scale" in listing["embeds"][0]["description"]

    await bot.restart()
    again = await answer(bot, await bot.discord.click("member", post, "paper:save:2611.00501"))
    assert "Already in your “Reading list”" in again["content"]
    listing = await bot.command("member", "papers", "saved list")
    assert "Reading list: 1 paper" in listing["embeds"][0]["title"]
    other = await answer(bot, await bot.discord.click("member2", post, "paper:save:2611.00501"))
    assert "Saved to your" in other["content"], "each member saves to their own list"


async def test_lists_are_private_to_their_owner(bot: RunningBot) -> None:
    bot.hf.add(make_item("2611.00601", "Private reading"))
    await bot.start()
    await stored(bot, 1)
    await bot.command(
        "member", "papers", "saved add", {"paper": "2611.00601", "list": "Secret stuff"}
    )
    mine = await bot.command("member", "papers", "saved list", {"list": "Secret stuff"})
    assert "Private reading" in mine["embeds"][0]["description"]
    theirs = await bot.command("member2", "papers", "saved list", {"list": "Secret stuff"})
    assert "no list called" in theirs["content"]
    assert theirs["flags"] & 64
    lists = await bot.command("member2", "papers", "saved lists")
    assert "Secret stuff" not in lists["embeds"][0]["description"]
    export = await bot.command(
        "member2", "papers", "saved export", {"format": "json", "list": "Secret stuff"}
    )
    assert "no list called" in export["content"]
    removed = await bot.command(
        "member2", "papers", "saved remove", {"paper": "2611.00601", "list": "Secret stuff"}
    )
    assert "not in your list" in removed["content"]
    assert bot.query("SELECT count(*) FROM saved_items") == [(1,)]


async def test_saved_lists_work_in_direct_messages(bot: RunningBot) -> None:
    bot.hf.add(make_item("2611.00701", "Read me in DMs"))
    await bot.start()
    await stored(bot, 1)
    dm = bot.discord.dm_channel("member").name
    added = await bot.command("member", dm, "saved add", {"paper": "2611.00701"})
    assert "Saved" in added["content"]
    lists = await bot.command("member", dm, "saved lists")
    assert "Reading list" in lists["embeds"][0]["description"]


async def test_exports_are_well_formed_and_bibtex_reads_back(bot: RunningBot) -> None:
    bot.hf.add(
        *(
            make_item(pid, title, authors=("José Ñúñez", "Zoë Ødegård"))
            for pid, title in TRICKY.items()
        )
    )
    await bot.start()
    await stored(bot, 4)
    for pid in TRICKY:
        await bot.command("member", "papers", "saved add", {"paper": pid})
    await bot.command("member", "papers", "saved mark", {"paper": "2611.00101", "status": "read"})
    await bot.command(
        "member",
        "papers",
        "saved note",
        {"paper": "2611.00102", "text": "Look at §3 & the 50% claim"},
    )

    files: dict[str, bytes] = {}
    for fmt in ("bibtex", "markdown", "csv", "json"):
        reply = await bot.command("member", "papers", "saved export", {"format": fmt})
        (attachment,) = reply["attachments"]
        assert reply["flags"] & 64
        files[fmt] = attachment["_data"]
        assert attachment["filename"].startswith("reading-list.")

    library = bibtexparser.parse_string(
        files["bibtex"].decode(), append_middleware=[LatexDecodingMiddleware()]
    )
    assert library.failed_blocks == []
    assert sorted(e["title"] for e in library.entries) == sorted(TRICKY.values())
    assert {e["eprint"] for e in library.entries} == set(TRICKY)
    assert all(e["archivePrefix"] == "arXiv" for e in library.entries)
    assert library.entries[0]["author"] == "José Ñúñez and Zoë Ødegård"

    rows = list(csv.DictReader(io.StringIO(files["csv"].decode())))
    assert {r["arxiv_id"]: r["status"] for r in rows}["2611.00101"] == "read"
    assert {r["arxiv_id"]: r["title"] for r in rows} == TRICKY
    data = json.loads(files["json"])
    assert len(data["papers"]) == 4
    assert data["list"] == "Reading list"
    markdown = files["markdown"].decode()
    assert markdown.startswith("# Reading list")
    assert "- [x] [Schrödinger {Bridges} & 100% Diffusion]" in markdown
    assert "> Look at §3 & the 50% claim" in markdown


async def test_delete_asks_first_and_limits_write_nothing(bot: RunningBot) -> None:
    bot.hf.add(make_item("2611.00801", "To be deleted"))
    await bot.start()
    await stored(bot, 1)
    long_name = "x" * 51
    too_long = await bot.command(
        "member", "papers", "saved add", {"paper": "2611.00801", "list": long_name}
    )
    assert "at most 50 characters" in too_long["content"]
    assert bot.query("SELECT count(*) FROM saved_lists") == [(0,)]
    await bot.command("member", "papers", "saved add", {"paper": "2611.00801", "list": "Old"})
    asked = await bot.command("member", "papers", "saved delete", {"list": "Old"})
    assert "cannot be undone" in asked["content"]
    refused = await answer(bot, await bot.discord.click("member2", asked, button(asked, "Delete")))
    assert "not your choice" in refused["content"]
    assert bot.query("SELECT count(*) FROM saved_lists") == [(1,)]
    done = await bot.discord.wait_callback(
        await bot.discord.click("member", asked, button(asked, "Delete"))
    )
    assert "Deleted “Old” and its 1 paper" in done["data"]["content"]
    assert bot.query("SELECT count(*) FROM saved_lists") == [(0,)]
