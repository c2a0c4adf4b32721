"""Follows end to end: /follow in a server, in the bot's DM and through a user install; papers
by DM once per person; digests; refused DMs (50007) pause and are told once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.test_library import button
from tests.support.fake_discord import Unavailable
from tests.support.fake_hf import make_item
from tests.support.runners import RunningBot


def dm(bot: RunningBot, user: str) -> str:
    return bot.discord.dm_channel(user).name


def fields(reply: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}


async def follow(bot: RunningBot, user: str, where: str, query: str, **options: Any) -> Any:
    return await bot.command(user, where, "follow add", {"query": query, **options})


async def test_follows_work_in_a_server_in_the_dm_and_through_a_user_install(
    bot: RunningBot,
) -> None:
    await bot.start()
    reply = await follow(bot, "member", "general", "diffusion -survey", min_upvotes=2)
    assert reply["flags"] & 64, "private"
    assert fields(reply)["Query as understood"] == "`diffusion -survey`"
    assert "≥ 2 upvotes" in fields(reply)["Options"]
    await follow(bot, "member", dm(bot, "member"), "protein folding")
    await follow(bot, "member", "elsewhere", "speculative decoding")  # a server without paperbot
    group = bot.discord.group_dm("member", "member2").name
    await follow(bot, "member", group, "state space models")

    listed = await bot.command("member", group, "follow list")
    assert listed["flags"] & 64
    text = listed["embeds"][0]["description"]
    for query in ("diffusion -survey", "protein folding", "speculative decoding", "state space"):
        assert query in text
    other = await bot.command("member2", "general", "follow list")
    assert "None yet" in other["embeds"][0]["description"], "follows are each person's own"

    # /topic stays a server command: Discord offers it neither in DMs nor through a user install.
    with pytest.raises(Unavailable):
        await bot.discord.slash("admin", dm(bot, "admin"), "topic list")
    with pytest.raises(Unavailable):
        await bot.discord.slash("admin", "elsewhere", "topic list")


async def test_a_paper_reaches_a_person_once_by_dm_naming_every_follow_that_matched(
    bot: RunningBot,
) -> None:
    await bot.start()
    await follow(bot, "member", "general", "diffusion")
    await follow(bot, "member", "general", "video generation")
    await bot.command("admin", "papers", "topic add", {"query": "diffusion"})
    bot.hf.add(make_item("2611.00701", "Video generation with diffusion"))
    (card,) = await bot.discord.wait_messages(dm(bot, "member"), 1)
    embed = card["embeds"][0]
    assert embed["title"] == "Video generation with diffusion"
    matched = {f["name"]: f["value"] for f in embed["fields"]}["Matched topics"]
    assert "`diffusion`" in matched
    assert "`video generation`" in matched
    assert card["allowed_mentions"] == {"parse": []}
    await bot.discord.wait_messages("papers", 1)  # the channel's post as well: they asked
    await bot.restart()
    await bot.polls(1)
    assert bot.discord.papers_posted(dm(bot, "member")) == ["2611.00701"], "once, ever"
    assert bot.discord.posts(dm(bot, "member2")) == []


async def test_a_digest_follow_sends_one_dm_at_its_hour(bot: RunningBot) -> None:
    hour = (datetime.now(UTC) + timedelta(hours=2)).hour
    await bot.start()
    reply = await follow(bot, "member", "general", "agents", digest_hour=hour)
    assert f"daily digest at {hour:02d}:00 UTC" in fields(reply)["Options"]
    bot.hf.add(*(make_item(f"2611.{720 + i:05d}", f"Agents part {i}") for i in range(12)))
    await bot.wait_for_db(
        "SELECT count(*) FROM deliveries WHERE digest = 1", lambda r: r[0][0] == 12
    )
    await bot.polls(1)
    assert bot.discord.posts(dm(bot, "member")) == []
    bot.offset = timedelta(hours=2, minutes=1)
    (digest,) = await bot.discord.wait_messages(dm(bot, "member"), 1)
    embed = digest["embeds"][0]
    assert embed["title"] == "Paper digest: 12 new papers"
    assert embed["description"].endswith("…and 2 more.")
    await bot.polls(1)
    assert len(bot.discord.posts(dm(bot, "member"))) == 1


async def test_closed_dms_pause_the_follows_and_the_person_is_told_once(
    bot: RunningBot,
) -> None:
    await bot.start()
    await follow(bot, "member", "general", "diffusion")
    bot.discord.dms_closed.add("member")
    bot.hf.add(make_item("2611.00731", "Diffusion one"))
    await bot.wait_for_db(
        "SELECT count(*) FROM channel_state WHERE paused_reason LIKE '%50007%'",
        lambda r: r[0][0] == 1,
    )
    refusals = [
        r for r in bot.discord.requests if r.method == "POST" and r.path.endswith("/messages")
    ]
    assert len(refusals) == 1, "a refused DM is not retried"
    bot.hf.add(make_item("2611.00732", "Diffusion two"))
    await bot.polls(1)
    assert bot.query("SELECT count(*) FROM deliveries WHERE paper_id = '2611.00732'") == [(0,)], (
        "nothing piles up for a person who cannot be reached"
    )

    # Any command, once: the person hears why and how to fix it, privately.
    record = await bot.discord.slash("member", "general", "papers trending")
    await bot.discord.wait_until(lambda: len(record.followups) >= 1, 10)
    notice = record.followups[-1]
    assert notice["flags"] & 64
    assert "could not DM you" in notice["content"]
    assert "/follow resume" in notice["content"]
    again = await bot.discord.slash("member", "general", "follow list")
    answer = await bot.discord.wait_response(again)
    assert "Paused" in answer["embeds"][0]["description"]
    await bot.polls(1)
    assert again.followups == [], "told once"

    bot.discord.dms_closed.discard("member")
    await bot.command("member", "general", "follow resume")
    (card,) = await bot.discord.wait_messages(dm(bot, "member"), 1)
    assert card["embeds"][0]["title"] == "Diffusion one", "what was owed before the pause"
    bot.hf.add(make_item("2611.00733", "Diffusion three"))
    await bot.discord.wait_messages(dm(bot, "member"), 2)
    assert bot.discord.papers_posted(dm(bot, "member")) == ["2611.00731", "2611.00733"]


async def test_pause_resume_remove_and_limits_are_the_persons_own(bot: RunningBot) -> None:
    await bot.start()
    await follow(bot, "member", "general", "diffusion")
    (topic_id,) = bot.query("SELECT id FROM topics WHERE query = 'diffusion'")[0]
    theirs = await bot.command("member2", "general", "follow remove", {"follow": str(topic_id)})
    assert theirs["content"] == "You follow nothing yet. Start with `/follow add`."
    await follow(bot, "member2", "general", "agents")
    theirs = await bot.command("member2", "general", "follow remove", {"follow": str(topic_id)})
    assert theirs["content"] == "You have no such follow. `/follow list` shows yours."

    paused = await bot.command("member", "general", "follow pause")
    assert "Paused all your follows" in paused["content"]
    bot.hf.add(make_item("2611.00741", "Diffusion while away"))
    await bot.polls(1)
    assert bot.discord.posts(dm(bot, "member")) == []
    await bot.command("member", "general", "follow resume")
    await bot.polls(1)
    bot.hf.add(make_item("2611.00742", "Diffusion once back"))
    await bot.discord.wait_messages(dm(bot, "member"), 1)
    await bot.polls(1)
    assert bot.discord.papers_posted(dm(bot, "member")) == ["2611.00742"], (
        "a pause saves nothing up"
    )
    gone = await bot.command("member", "general", "follow remove", {"follow": str(topic_id)})
    assert gone["content"] == f"Stopped following #{topic_id} `diffusion`."

    for n in range(25):
        await follow(bot, "member", "general", f"topic{n}")
    over = await follow(bot, "member", "general", "one too many")
    assert over["content"].startswith("You already follow 25 topics")
    duplicate = await follow(bot, "member2", "general", "agents")
    assert duplicate["content"] == "You already follow that query."


async def test_papers_and_saved_lists_work_through_a_user_install_anywhere(
    bot: RunningBot,
) -> None:
    bot.hf.add(make_item("2611.00751", "Diffusion for molecules"))
    await bot.start()
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 1)
    group = bot.discord.group_dm("member", "member2").name
    for where in ("elsewhere", group, dm(bot, "member")):
        found = await bot.command("member", where, "papers search", {"query": "molecules"})
        assert found["flags"] & 64
        assert "Diffusion for molecules" in str(found["embeds"])
    saved = await bot.command("member", "elsewhere", "saved add", {"paper": "2611.00751"})
    assert saved["flags"] & 64
    listed = await bot.command("member", group, "saved list")
    assert "Diffusion for molecules" in str(listed["embeds"])
    assert bot.query("SELECT count(*) FROM saved_items") == [(1,)]


async def test_forget_me_erases_one_persons_data_after_a_confirmation(bot: RunningBot) -> None:
    await bot.start()
    for user in ("member", "member2"):
        await follow(bot, user, "general", "diffusion")
    await bot.command("admin", "papers", "topic add", {"query": "diffusion"})
    bot.hf.add(make_item("2611.00761", "Diffusion to forget"))
    await bot.discord.wait_messages(dm(bot, "member"), 1)
    await bot.discord.wait_messages(dm(bot, "member2"), 1)
    for user in ("member", "member2"):
        await bot.command(user, "general", "saved add", {"paper": "2611.00761"})

    asked = await bot.command("member", dm(bot, "member"), "forget me")
    assert asked["flags"] & 64
    assert asked["content"].startswith(
        "Erase everything paperbot keeps about you: 1 follow, 1 saved list (1 paper) and the "
        "record of 1 paper sent to you by DM?"
    )
    refused = await bot.discord.wait_callback(
        await bot.discord.click("member2", asked, button(asked, "Delete"))
    )
    assert "not your choice" in refused["data"]["content"]
    done = await bot.discord.wait_callback(
        await bot.discord.click("member", asked, button(asked, "Delete"))
    )
    assert done["data"]["content"].startswith("Erased 1 follow, 1 saved list")

    member, member2 = (bot.discord.user(u)["id"] for u in ("member", "member2"))
    for sql in (
        "SELECT count(*) FROM people WHERE user_id = ?",
        "SELECT count(*) FROM saved_lists WHERE user_id = ?",
        "SELECT count(*) FROM topics WHERE created_by = ? AND guild_id = 0",
    ):
        assert bot.query(sql, (int(member),)) == [(0,)], sql
        assert bot.query(sql, (int(member2),)) == [(1,)], sql
    assert bot.query("SELECT count(*) FROM topics WHERE guild_id <> 0") == [(1,)], "the server's"
    nothing = await bot.command("member", "general", "forget me")
    assert nothing["content"].startswith("paperbot keeps nothing about you")

    bot.hf.add(make_item("2611.00762", "Diffusion after forgetting"))
    await bot.discord.wait_messages(dm(bot, "member2"), 2)
    await bot.polls(1)
    assert bot.discord.papers_posted(dm(bot, "member")) == ["2611.00761"]


async def test_a_failed_follow_add_still_leaves_nothing_after_forget_me(bot: RunningBot) -> None:
    await bot.start()
    bad = await follow(bot, "member", "general", '"unclosed')
    assert bad["flags"] & 64
    assert bot.query("SELECT count(*) FROM topics") == [(0,)]
    asked = await bot.command("member", "general", "forget me")
    assert asked["content"].startswith("Erase everything paperbot keeps about you")
    await bot.discord.wait_callback(
        await bot.discord.click("member", asked, button(asked, "Delete"))
    )
    member = int(bot.discord.user("member")["id"])
    assert bot.query("SELECT count(*) FROM people WHERE user_id = ?", (member,)) == [(0,)]
    assert bot.query("SELECT count(*) FROM channel_state WHERE guild_id = 0") == [(0,)]
