"""/foryou end to end: recent papers ranked by one person's saved papers, privately."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.test_library import button
from tests.support.fake_hf import make_item
from tests.support.runners import RunningBot

PROTEINS = [
    ("2611.00901", "Protein folding with diffusion models", "We fold proteins by denoising."),
    ("2611.00902", "Protein structure prediction at scale", "Predicting protein structures."),
    ("2611.00903", "Designing proteins with language models", "Protein design from sequence."),
]
AGENTS = [
    ("2611.00911", "Web agents that browse", "Language agents act on web pages."),
    ("2611.00912", "Tool use for language agents", "Agents call tools to act."),
    ("2611.00913", "A benchmark for coding agents", "Agents write and test code."),
]
NEW = [
    ("2611.00921", "Faster protein folding", "Folding proteins quickly with structure priors."),
    ("2611.00922", "Agents that plan web tasks", "Language agents plan and act on the web."),
    ("2611.00923", "Speculative decoding", "Decoding tokens in parallel with a draft model."),
]


def item(pid: str, title: str, abstract: str) -> dict[str, object]:
    return make_item(pid, title, abstract)


async def save_all(bot: RunningBot, user: str, papers: list[tuple[str, str, str]]) -> None:
    for pid, _title, _abstract in papers:
        await bot.command(user, "general", "saved add", {"paper": pid})


async def test_foryou_ranks_recent_papers_by_what_each_person_saved(bot: RunningBot) -> None:
    bot.hf.add(*(item(*p) for p in [*PROTEINS, *AGENTS, *NEW]))
    await bot.start()
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 9)
    await save_all(bot, "member", PROTEINS[:2])
    few = await bot.command("member", "general", "foryou")
    assert few["flags"] & 64
    assert "needs 3 at least (you have 2)" in few["content"]

    await save_all(bot, "member", PROTEINS[2:])
    await save_all(bot, "member2", AGENTS)
    mine = await bot.command("member", "general", "foryou")
    assert mine["flags"] & 64
    embed = mine["embeds"][0]
    assert embed["title"] == "For you"
    text = embed["description"]
    assert text.index("Faster protein folding") < text.index("Agents that plan web tasks")
    for pid, _title, _abstract in PROTEINS:
        assert f"`{pid}`" not in text, "saved papers never come back"
    assert "↳ like *" in text
    assert "From all your saved papers (3)" in embed["footer"]["text"]
    saves = [c["custom_id"] for row in mine["components"] for c in row["components"]]
    assert saves[0] == "paper:save:2611.00921"

    theirs = await bot.command("member2", bot.discord.dm_channel("member2").name, "foryou")
    first = theirs["embeds"][0]["description"].split("\n\n")[0]
    assert "Agents that plan web tasks" in first, "their own lists shape their ranking"

    # Through a user install, in a server without paperbot; one list only.
    await bot.command("member", "general", "saved add", {"paper": "2611.00923", "list": "Fast"})
    one = await bot.command("member", "elsewhere", "foryou", {"list": "Fast"})
    assert "needs 3 at least (you have 1 in “Fast”)" in one["content"]
    nope = await bot.command("member", "elsewhere", "foryou", {"list": "Nope"})
    assert nope["content"].startswith("You have no list named “Nope”")

    saved = await bot.discord.wait_callback(
        await bot.discord.click("member", mine, button(mine, "Save 1"))
    )
    assert saved["data"]["flags"] & 64
    assert bot.query("SELECT count(*) FROM saved_items WHERE paper_id = '2611.00921'") == [(1,)]


async def test_a_foryou_digest_sends_the_top_papers_by_dm_at_its_hour(bot: RunningBot) -> None:
    hour = (datetime.now(UTC) + timedelta(hours=2)).hour
    bot.hf.add(*(item(*p) for p in [*PROTEINS, *AGENTS, *NEW]))
    await bot.start()
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 9)
    await save_all(bot, "member", PROTEINS)
    missing = await bot.command("member", "general", "foryou", {"digest": "daily"})
    assert missing["content"].startswith("Say at which `hour`")
    reply = await bot.command("member", "general", "foryou", {"digest": "daily", "hour": hour})
    assert f"Your top 10 will come by DM daily at {hour:02d}:00 UTC" in reply["content"]
    assert reply["embeds"][0]["title"] == "For you"
    dm = bot.discord.dm_channel("member").name
    await bot.polls(1)
    assert bot.discord.posts(dm) == [], "nothing before its hour"

    bot.offset = timedelta(hours=2, minutes=1)
    (digest,) = await bot.discord.wait_messages(dm, 1)
    embed = digest["embeds"][0]
    assert embed["description"].startswith("**1.** [Faster protein folding]")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Topics"] == "`recommended for you (/foryou)`"
    for pid, _title, _abstract in PROTEINS:
        assert pid not in embed["description"], "saved papers are never recommended"
    assert digest["allowed_mentions"] == {"parse": []}
    await bot.polls(1)
    assert len(bot.discord.posts(dm)) == 1, "once a day"
    assert bot.query(
        "SELECT count(*) FROM foryou_digests WHERE next_at > ?",
        ((bot.now() + timedelta(hours=20)).isoformat(),),
    ) == [(1,)], "the next one is a day later"

    paused = await bot.command("member", "general", "follow pause")  # a digest, no follows
    assert paused["content"].startswith("Paused all your follows (and your /foryou digest)")
    assert bot.query("SELECT count(*) FROM channel_state WHERE paused_reason IS NOT NULL") == [(1,)]
    stopped = await bot.command("member", "general", "foryou", {"digest": "off"})
    assert stopped["content"] == "Stopped your /foryou digest."
    again = await bot.command("member", "general", "foryou", {"digest": "off"})
    assert again["content"] == "You have no /foryou digest to stop."
