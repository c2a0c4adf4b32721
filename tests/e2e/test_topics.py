"""Channel topics end to end: commands, matching, posting once, pausing, fan-out."""

from __future__ import annotations

import signal
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import BACKENDS
from tests.support.fake_discord import (
    CREATE_PUBLIC_THREADS,
    MANAGE_CHANNELS,
    READ_HISTORY,
    SEND_MESSAGES,
    FakeDiscord,
)
from tests.support.fake_hf import FakeHF, make_item
from tests.support.runners import BotProcess, RunningBot, eventually, query_db, seed_topics


def posted_ids(bot: RunningBot, channel: str) -> list[str]:
    return bot.discord.papers_posted(channel)


async def add_topic(
    bot: RunningBot, channel: str, query: str, user: str = "admin", **options: Any
) -> dict[str, Any]:
    return await bot.command(user, channel, "topic add", {"query": query, **options})


async def test_new_topic_posts_only_new_matching_papers_once(bot: RunningBot) -> None:
    bot.hf.add(
        make_item("2611.00001", "An old diffusion paper"),
        make_item("2611.00002", "Old and unrelated"),
    )
    await bot.start()
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 2)

    reply = await add_topic(bot, "papers", "diffusion -survey")
    assert reply["flags"] & 64
    assert reply["allowed_mentions"] == {"parse": []}, "followups mention no one either"
    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
    assert fields["Query as understood"] == "`diffusion -survey`"
    assert fields["Last 7 days"] == "1 match among 2 stored papers."
    await bot.polls(1)
    assert bot.discord.posts("papers") == [], "a new topic never posts old papers"

    bot.hf.add(
        make_item(
            "2611.00003",
            "Video diffusion at scale",
            upvotes=12,
            github="https://github.com/a/b",
            stars=77,
        )
    )
    (card,) = await bot.discord.wait_messages("papers", 1)  # alone: the full card
    bot.hf.add(
        make_item("2611.00004", "Diffusion for proteins"),
        make_item("2611.00005", "A survey of diffusion models"),
        make_item("2611.00006", "Transformers for tables"),
    )
    await bot.discord.wait_messages("papers", 2)
    await bot.polls(1)
    assert sorted(posted_ids(bot, "papers")) == ["2611.00003", "2611.00004"]

    embed = card["embeds"][0]
    assert embed["title"] == "Video diffusion at scale"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Upvotes"] == "▲ 12"
    assert fields["GitHub"] == "★ 77"
    assert fields["Matched topics"] == "`diffusion -survey`"
    assert fields["Authors"] == "Ada Lovelace, Alan Turing"
    assert embed["thumbnail"]["url"].endswith("2611.00003.png")
    buttons = [b for row in card["components"] for b in row["components"]]
    assert [b["label"] for b in buttons] == [
        "Save",
        "👍",
        "👎",
        "Hugging Face",
        "arXiv",
        "PDF",
        "Code",
    ]
    assert buttons[0]["custom_id"] == "paper:save:2611.00003"
    assert buttons[1]["custom_id"] == "paper:vote:up:2611.00003"
    assert buttons[6]["url"] == "https://github.com/a/b"
    assert card["allowed_mentions"] == {"parse": []}

    await bot.restart()
    await bot.polls(1)
    assert sorted(posted_ids(bot, "papers")) == ["2611.00003", "2611.00004"], (
        "a restart reposts nothing"
    )
    listing = await bot.command("member", "papers", "topic list")
    assert "2 posted" in listing["embeds"][0]["description"]


async def test_a_paper_matching_two_topics_of_a_channel_is_posted_once_naming_both(
    bot: RunningBot,
) -> None:
    await bot.start()
    await add_topic(bot, "papers", "diffusion")
    await add_topic(bot, "papers", "video")
    bot.hf.add(make_item("2611.00010", "Video diffusion transformers"))
    (post,) = await bot.discord.wait_messages("papers", 1)
    await bot.polls(1)
    assert len(bot.discord.posts("papers")) == 1
    fields = {f["name"]: f["value"] for f in post["embeds"][0]["fields"]}
    assert fields["Matched topics"] == "`diffusion`, `video`"


async def test_hf_down_for_several_polls_then_everything_owed_is_posted(bot: RunningBot) -> None:
    await bot.start()
    await add_topic(bot, "papers", "agents")
    bot.hf.fail(times=-1, status=502)
    bot.hf.add(*(make_item(title=f"Web agents part {i}") for i in range(3)))
    await bot.wait_for_db(
        "SELECT count(*) FROM poll_log WHERE error IS NOT NULL AND feed = 'daily'",
        lambda r: r[0][0] >= 3,
    )
    assert bot.discord.posts("papers") == []
    bot.hf.recover()
    (post,) = await bot.discord.wait_messages("papers", 1)  # three papers due at once: one message
    assert len({e["url"] for e in post["embeds"]}) == 3


async def test_a_refused_channel_is_paused_with_its_reason_while_others_go_on(
    bot: RunningBot,
) -> None:
    await bot.start()
    await add_topic(bot, "secret", "robots")
    await add_topic(bot, "papers", "robots")
    bot.hf.add(make_item("2611.00020", "Robots that fold laundry"))
    await bot.discord.wait_messages("papers", 1)
    await bot.wait_for_db(
        "SELECT paused_reason FROM channel_state WHERE paused_reason IS NOT NULL",
        lambda r: len(r) == 1,
    )
    bot.hf.add(make_item("2611.00021", "Robots that cook"))
    await bot.discord.wait_messages("papers", 2)
    secret_posts = [
        r
        for r in bot.discord.requests
        if r.method == "POST" and bot.discord.channel("secret").id in r.path
    ]
    assert len(secret_posts) == 1, "a paused channel is not posted to again"
    assert secret_posts[0].status == 403

    listing = await bot.command("admin", "secret", "topic list")
    assert "**paused**" in listing["embeds"][0]["description"]
    assert "403" in listing["embeds"][0]["description"]
    status = await bot.command("admin", "papers", "paperbot status")
    fields = {f["name"]: f["value"] for f in status["embeds"][0]["fields"]}
    assert "403" in fields["Paused channels"]

    # The admin fixes the channel's permissions and resumes: what waited is posted.
    bot.discord.channel("secret").hidden_from_bot = False
    topic_id = bot.query(
        "SELECT id FROM topics WHERE channel_id = ?", (int(bot.discord.channel("secret").id),)
    )[0][0]
    choices = await bot.discord.autocomplete(
        "admin", "secret", "topic resume", {"topic": ""}, focused="topic"
    )
    answer = await bot.discord.wait_callback(choices)
    assert answer["type"] == 8
    assert any(c["value"] == str(topic_id) for c in answer["data"]["choices"])
    reply = await bot.command("admin", "secret", "topic resume", {"topic": str(topic_id)})
    assert "Resumed" in reply["content"]
    (post,) = await bot.discord.wait_messages("secret", 1)  # what waited goes out together
    assert sorted(bot.discord.papers_posted("secret")) == ["2611.00020", "2611.00021"]
    assert len(post["embeds"]) == 2


async def test_members_without_manage_channels_are_refused(bot: RunningBot) -> None:
    await bot.start()
    reply = await add_topic(bot, "papers", "diffusion", user="member")
    assert reply["flags"] & 64
    assert "Manage Channels" in reply["content"]
    assert bot.query("SELECT count(*) FROM topics") == [(0,)]
    # Anyone may list and test.
    listing = await bot.command("member", "papers", "topic list")
    assert "None yet" in listing["embeds"][0]["description"]


async def test_bad_queries_and_limits_get_a_clear_private_message(bot: RunningBot) -> None:
    await bot.start()
    reply = await add_topic(bot, "papers", '"state space')
    assert "quote is never closed" in reply["content"]
    assert reply["flags"] & 64
    await add_topic(bot, "papers", "state-space models")
    duplicate = await add_topic(bot, "papers", '"state space" model')
    assert "already follows that query" in duplicate["content"]
    assert bot.query("SELECT count(*) FROM topics") == [(1,)]


async def test_topic_test_shows_matches_and_near_misses_with_reasons(bot: RunningBot) -> None:
    bot.hf.add(
        make_item("2611.00030", "Diffusion for video"),
        make_item("2611.00031", "Diffusion for audio"),
    )
    await bot.start()
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 2)
    reply = await bot.command("member", "papers", "topic test", {"query": "diffusion video"})
    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
    (heading,) = [name for name in fields if "recent papers" in name]
    assert heading == "1 match among 2 recent papers (7 days)"
    assert "Diffusion for video" in fields[heading]
    assert "`diffusion` in the title; `video` in the title" in fields[heading]
    assert "no `video`" in fields["Near misses, and why"]


async def test_a_title_mentioning_everyone_pings_no_one(bot: RunningBot) -> None:
    await bot.start()
    role = next(r for r in bot.discord.roles if r != bot.discord.guild_id)
    await add_topic(bot, "papers", "attention")
    bot.hf.add(make_item("2611.00040", f"@everyone <@&{role}> attention is **all** you need"))
    (post,) = await bot.discord.wait_messages("papers", 1)
    assert post["allowed_mentions"] == {"parse": []}
    assert post["content"] == ""
    assert post["embeds"][0]["title"].startswith("@everyone")
    assert "\\*\\*all\\*\\*" in post["embeds"][0]["title"], "markdown is escaped"


async def test_fan_out_500_deliveries_to_100_channels_exactly_once(
    fake_hf: FakeHF, tmp_path: Any, record_property: Any
) -> None:
    async with FakeDiscord(time_scale=0.1, extra_channels=100) as discord:
        bot = RunningBot(discord, fake_hf, bot_settings_for(discord, fake_hf, tmp_path))
        feeds = [c for c in discord.channels.values() if c.name.startswith("feed-")]
        await seed_topics(bot.db, discord.guild_id, [(c.id, "fanout") for c in feeds])
        fake_hf.add(*(make_item(f"2611.{900 + i:05d}", f"Fanout study {i}") for i in range(5)))
        await bot.start()
        await discord.wait_until(
            lambda: sum(len(discord.papers_posted(c.name)) for c in feeds) >= 500, timeout=60
        )
        await bot.polls(1)
        assert await bot.stop() == 0
        for channel in feeds:
            assert Counter(posted_ids(bot, channel.name)) == {
                f"2611.{900 + i:05d}": 1 for i in range(5)
            }
        limited = sum(1 for r in discord.requests if r.status == 429)
        record_property("requests", len(discord.requests))
        record_property("rate_limited", limited)
        assert limited / len(discord.requests) < 0.01, (
            f"{limited} of {len(discord.requests)} were 429s"
        )
        assert discord.unknown == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigkill_mid_fan_out_loses_nothing_and_shows_no_repeat(
    bot_process: BotProcess,
    fake_hf: FakeHF,
    tmp_path: Any,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    db = await bot_process.use(backend, request)
    if backend == "postgresql":
        # The restarted process is another holder: the dead one's leases run out first.
        bot_process.env["PAPERBOT_LEASE_SECONDS"] = "2"
    async with FakeDiscord(time_scale=0.1, extra_channels=100) as discord:
        bot_process.env["DISCORD_API_BASE"] = discord.api_base
        bot_process.env["DISCORD_GATEWAY_URL"] = discord.gateway_url
        bot_process.env["PAPERBOT_SEND_RATE"] = "100"
        feeds = [c for c in discord.channels.values() if c.name.startswith("feed-")]
        await seed_topics(db, discord.guild_id, [(c.id, "fanout") for c in feeds])
        fake_hf.add(*(make_item(f"2611.{950 + i:05d}", f"Fanout study {i}") for i in range(5)))

        def total() -> int:
            return sum(len(discord.papers_posted(c.name)) for c in feeds)

        bot_process.start()
        await eventually(lambda: total() >= 150, 60, "150 posts")
        bot_process.signal(signal.SIGKILL)
        await bot_process.wait()
        killed_at = total()
        assert killed_at < 500, "the kill came before the fan-out ended"

        bot_process.start()
        await eventually(
            lambda: len({(c.id, p) for c in feeds for p in discord.papers_posted(c.name)}) >= 500,
            90,
            "all 500 deliveries",
        )
        await eventually(lambda: _all_sent(db), 20, "the outbox to empty")
        bot_process.signal(signal.SIGTERM)
        assert await bot_process.wait() == 0
        pairs = Counter((c.id, p) for c in feeds for p in discord.papers_posted(c.name))
        assert len(pairs) == 500
        repeated = sum(n - 1 for n in pairs.values())
        assert repeated == 0, f"{repeated} messages were shown twice"
        # The message in flight at the kill, if Discord had accepted it, came again with the
        # same nonce, and Discord dropped it.
        assert len(discord.nonce_repeats) <= 1


def _all_sent(db: Any) -> bool:
    return bool(query_db(db, "SELECT count(*) FROM deliveries WHERE sent_at IS NULL")[0][0] == 0)


def bot_settings_for(discord: FakeDiscord, hf: FakeHF, tmp_path: Any) -> Any:
    from tests.support.runners import bot_settings

    return bot_settings(discord, hf, tmp_path / "fanout.db")


async def test_a_deleted_channel_is_paused_as_gone(bot: RunningBot) -> None:
    await bot.start()
    await add_topic(bot, "ml-news", "tokenizers")
    bot.discord.delete_channel("ml-news")
    bot.hf.add(make_item("2611.00050", "Tokenizers revisited"))
    rows = await bot.wait_for_db(
        "SELECT paused_reason FROM channel_state WHERE paused_reason IS NOT NULL",
        lambda r: len(r) == 1,
    )
    assert "no longer exists" in rows[0][0]
    assert "404" in rows[0][0]
    assert bot.query("SELECT count(*) FROM deliveries WHERE sent_at IS NULL") == [(1,)], (
        "kept, not dropped"
    )


async def test_a_digest_topic_posts_one_message_at_its_hour(bot: RunningBot) -> None:
    hour = (datetime.now(UTC) + timedelta(hours=2)).hour
    await bot.start()
    reply = await add_topic(bot, "papers", "agents", digest_hour=hour)
    assert f"daily digest at {hour:02d}:00 UTC" in str(reply["embeds"][0]["fields"])
    bot.hf.add(
        *(make_item(f"2611.{600 + i:05d}", f"Agents part {i}", upvotes=i) for i in range(12))
    )
    await bot.wait_for_db(
        "SELECT count(*) FROM deliveries WHERE digest = 1", lambda r: r[0][0] == 12
    )
    await bot.polls(1)
    assert bot.discord.posts("papers") == [], "nothing before the digest hour"

    bot.offset = timedelta(hours=2, minutes=1)
    (digest,) = await bot.discord.wait_messages("papers", 1)
    embed = digest["embeds"][0]
    assert embed["title"] == "Paper digest: 12 new papers"
    assert embed["description"].endswith("…and 2 more.")
    assert embed["description"].count("](https://huggingface.co/papers/") == 10
    ids = [b["custom_id"] for row in digest["components"] for b in row["components"]]
    assert len(ids) == 11
    assert all(s.startswith("paper:save:") for s in ids[:10])
    assert ids[10] == "paper:rate", "a select to 👍 / 👎 each paper of the digest"
    assert digest["allowed_mentions"] == {"parse": []}
    await bot.polls(1)
    assert len(bot.discord.posts("papers")) == 1, "one message per channel"
    assert bot.query("SELECT count(*) FROM deliveries WHERE sent_at IS NULL") == [(0,)]


async def test_topic_test_with_a_paper_says_why_it_was_not_posted_here(bot: RunningBot) -> None:
    await bot.start()
    await add_topic(bot, "papers", "speculative decoding")
    await add_topic(bot, "papers", "diffusion", min_upvotes=50)
    bot.hf.add(
        make_item(
            "2611.00060",
            "Fast drafts for language models",
            "We draft tokens with a small model and verify them with a large one. Speculative "
            "sampling is one name for it. Decoding is twice as fast.",
        ),
        make_item(
            "2611.00061",
            "Diffusion for video",
            "We train diffusion models on video.",
            upvotes=3,
        ),
    )
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 2)
    await bot.polls(1)

    # No query: each topic of this channel, with the term that failed and what it wanted.
    reply = await bot.command("member", "papers", "topic test", {"paper": "2611.00060"})
    assert reply["flags"] & 64
    (embed,) = reply["embeds"]
    assert embed["title"] == "Fast drafts for language models"
    assert embed["description"] == "It was never queued for this channel."
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    (speculative,) = [v for n, v in fields.items() if "speculative decoding" in n]
    assert "its words never stand together" in speculative
    assert (
        "`speculative` is said once in the abstract: a bare word counts in the title" in speculative
    )

    # A matching paper held back by the topic's threshold says so, with the numbers.
    link = "https://huggingface.co/papers/2611.00061"
    reply = await bot.command(
        "member", "papers", "topic test", {"query": "diffusion", "paper": link}
    )
    (field,) = reply["embeds"][0]["fields"]
    assert field["name"].endswith("`diffusion`: matches, but is held back")
    assert "`diffusion` in the title" in field["value"]
    assert "it has 3 upvotes; topic #2 waits for 50" in field["value"]

    # Neither a query nor a paper: a clear private message.
    reply = await bot.command("member", "papers", "topic test", {})
    assert reply["flags"] & 64
    assert "Give a `query` to try, a `paper` to check, or both." in reply["content"]


async def test_several_papers_due_at_once_reach_a_channel_as_one_message(bot: RunningBot) -> None:
    await bot.start()
    await add_topic(bot, "papers", "diffusion")
    titles = ["Diffusion for molecules", "Diffusion for music", "Diffusion for maps"]
    bot.hf.add(*(make_item(f"2611.{70 + i:05d}", t, upvotes=i) for i, t in enumerate(titles)))
    (post,) = await bot.discord.wait_messages("papers", 1)
    assert [e["title"] for e in post["embeds"]] == titles
    second = post["embeds"][1]
    assert second["url"] == "https://huggingface.co/papers/2611.00071"
    assert "[arXiv](https://arxiv.org/abs/2611.00071)" in second["description"]
    assert "[PDF](https://arxiv.org/pdf/2611.00071)" in second["description"]
    assert second["footer"]["text"] == "2. arXiv 2611.00071 · diffusion"
    assert sum(len(str(e)) for e in post["embeds"]) < 7000
    buttons = [b for row in post["components"] for b in row["components"]]
    assert [b.get("label") for b in buttons] == ["Save 1", "Save 2", "Save 3", None]
    (rate,) = [b for b in buttons if b["type"] == 3]  # one select: 👍 / 👎 each paper
    assert [o["value"] for o in rate["options"]][:2] == ["up:2611.00070", "down:2611.00070"]
    assert post["allowed_mentions"] == {"parse": []}

    clicked = await bot.discord.click("member", post, "paper:save:2611.00071")
    reply = (await bot.discord.wait_callback(clicked))["data"]
    assert reply["flags"] & 64
    assert "Saved to your “Reading list”" in reply["content"]
    listed = await bot.command("member", "papers", "saved list")
    assert "Diffusion for music" in listed["embeds"][0]["description"]
    await bot.polls(1)
    assert len(bot.discord.posts("papers")) == 1


async def test_a_busy_channel_waits_for_its_own_bucket_instead_of_being_refused(
    fake_hf: FakeHF, tmp_path: Any
) -> None:
    # 60 papers for one channel: six messages of ten, past its 5-per-5-s bucket. discord.py
    # reads the fake's X-RateLimit headers and waits for the reset: no 429, nothing lost.
    async with FakeDiscord(time_scale=0.1) as discord:
        bot = RunningBot(discord, fake_hf, bot_settings_for(discord, fake_hf, tmp_path))
        await seed_topics(bot.db, discord.guild_id, [(discord.channel("papers").id, "busy")])
        fake_hf.add(*(make_item(f"2611.{800 + i:05d}", f"Busy study {i}") for i in range(60)))
        await bot.start()
        await discord.wait_until(lambda: len(discord.papers_posted("papers")) >= 60, timeout=30)
        assert await bot.stop() == 0
    posts = discord.posts("papers")
    assert [len(p["embeds"]) for p in posts] == [10] * 6
    assert sorted(discord.papers_posted("papers")) == [f"2611.{800 + i:05d}" for i in range(60)]
    assert [r.status for r in discord.requests if "/messages" in r.path] == [200] * 6


async def test_topic_edit_changes_a_topic_in_place_and_keeps_its_history(bot: RunningBot) -> None:
    await bot.start()
    await add_topic(bot, "papers", "diffusion")
    await add_topic(bot, "papers", "agents")
    ((topic_id,),) = bot.query("SELECT id FROM topics WHERE query = 'diffusion'")
    bot.hf.add(make_item("2611.00951", "Diffusion for audio"))
    await bot.discord.wait_messages("papers", 1)
    bot.hf.add(make_item("2611.00952", "Video generation, seen before the edit"))
    await bot.polls(1)

    refused = await bot.command(
        "member", "papers", "topic edit", {"topic": str(topic_id), "query": "video generation"}
    )
    assert "Manage Channels" in refused["content"]
    nothing = await bot.command("admin", "papers", "topic edit", {"topic": str(topic_id)})
    assert nothing["content"].startswith("Say what to change")
    twice = await bot.command(
        "admin", "papers", "topic edit", {"topic": str(topic_id), "query": "agents"}
    )
    assert twice["content"] == "This channel already follows that query."

    edited = await bot.command(
        "admin", "papers", "topic edit", {"topic": str(topic_id), "query": "video generation"}
    )
    assert edited["flags"] & 64
    embed = edited["embeds"][0]
    assert embed["title"] == f"Topic #{topic_id} changed"
    assert "1 posted" in embed["description"], "its history stays"
    assert bot.query("SELECT query, posted_count FROM topics WHERE id = ?", (topic_id,)) == [
        ("video generation", 1)
    ]
    bot.hf.add(make_item("2611.00953", "Video generation after the edit"))
    await bot.discord.wait_messages("papers", 2)
    await bot.polls(1)
    assert bot.discord.papers_posted("papers") == ["2611.00951", "2611.00953"], (
        "a paper seen before the edit is not owed to the new query"
    )

    digest = await bot.command(
        "admin", "papers", "topic edit", {"topic": str(topic_id), "digest_hour": 7}
    )
    assert "daily digest at 07:00 UTC" in str(digest["embeds"][0]["fields"])
    back = await bot.command(
        "admin", "papers", "topic edit", {"topic": str(topic_id), "at_once": True}
    )
    assert "each paper at once" in str(back["embeds"][0]["fields"])


async def test_a_topic_pings_its_role_and_no_one_else(bot: RunningBot) -> None:
    readers = bot.discord.add_role("paper-readers", mentionable=True)
    quiet = bot.discord.add_role("quiet", mentionable=False)
    await bot.start()
    refused = await add_topic(bot, "papers", "agents", mention=quiet)
    assert refused["content"].startswith("paperbot cannot ping @quiet: the role is not mentionable")
    assert bot.query("SELECT count(*) FROM topics") == [(0,)], "nothing half-written"

    added = await add_topic(bot, "papers", "diffusion", mention=readers)
    assert f"pings <@&{readers}>" in str(added["embeds"][0]["fields"])
    bot.hf.add(make_item("2611.00961", "Diffusion that pings"))
    (card,) = await bot.discord.wait_messages("papers", 1)
    assert card["content"] == f"<@&{readers}>"
    allowed = card["allowed_mentions"]
    assert allowed["parse"] == []
    assert [str(r) for r in allowed["roles"]] == [readers], "only that role may be pinged"
    assert card["mention_roles"] == [readers], "exactly that role was pinged"

    # A digest pings once, whatever number of papers it holds.
    hour = (datetime.now(UTC) + timedelta(hours=2)).hour
    await add_topic(bot, "ml-news", "agents", mention=readers, digest_hour=hour)
    bot.hf.add(*(make_item(f"2611.{970 + i:05d}", f"Agents that ping {i}") for i in range(3)))
    await bot.wait_for_db(
        "SELECT count(*) FROM deliveries WHERE digest = 1", lambda r: r[0][0] == 3
    )
    bot.offset = timedelta(hours=2, minutes=1)
    (digest,) = await bot.discord.wait_messages("ml-news", 1)
    assert digest["content"] == f"<@&{readers}>"
    assert digest["mention_roles"] == [readers]

    ((topic_id,),) = bot.query("SELECT id FROM topics WHERE query = 'diffusion'")
    await bot.command("admin", "papers", "topic edit", {"topic": str(topic_id), "no_mention": True})
    bot.hf.add(make_item("2611.00965", "Diffusion, quietly"))
    (_first, second) = await bot.discord.wait_messages("papers", 2)
    assert second["content"] == ""
    assert second["mention_roles"] == []
    assert second["allowed_mentions"] == {"parse": []}


async def test_a_thread_topic_opens_a_thread_per_card_and_a_refusal_keeps_the_post(
    bot: RunningBot,
) -> None:
    await bot.start()
    ml_news = bot.discord.channel("ml-news").id
    await bot.command("owner", "papers", "paperbot log", {"channel": ml_news})
    added = await add_topic(bot, "papers", "diffusion", thread=True)
    assert "a thread per paper" in str(added["embeds"][0]["fields"])
    long_title = "Diffusion " + "very " * 30 + "long"
    bot.hf.add(make_item("2611.00931", "Diffusion for tables"), make_item("2611.00932", long_title))
    await bot.discord.wait_until(lambda: len(bot.discord.threads_of("papers")) == 2, 15)
    posts = bot.discord.posts("papers")
    assert len(posts) == 2, "each paper its own card, so that each has its own thread"
    threads = {t.id: t for t in bot.discord.threads_of("papers")}
    assert set(threads) == {p["id"] for p in posts}, "each thread opened on its card"
    names = sorted(t.name for t in threads.values())
    assert names[0] == "Diffusion for tables"
    assert names[1] == long_title[:100]
    assert {t.archive_minutes for t in threads.values()} == {1440}, "archived after a day"

    bot.discord.deny_bot("papers", CREATE_PUBLIC_THREADS)
    bot.hf.add(make_item("2611.00933", "Diffusion without a thread"))
    await bot.discord.wait_messages("papers", 3)
    await bot.polls(1)
    assert len(bot.discord.posts("papers")) == 3, "the post stands, once"
    assert len(bot.discord.threads_of("papers")) == 2
    listing = await bot.command("admin", "papers", "topic list")
    assert "no threads: Discord refused to open a thread" in listing["embeds"][0]["description"]
    lines = [m["content"] for m in bot.discord.posts("ml-news")]
    assert len([line for line in lines if line.startswith("Could not open threads")]) == 1
    bot.hf.add(make_item("2611.00934", "Diffusion, still no thread"))
    await bot.discord.wait_messages("papers", 4)
    await bot.polls(1)
    lines = [m["content"] for m in bot.discord.posts("ml-news")]
    assert len([line for line in lines if line.startswith("Could not open threads")]) == 1, (
        "said once per change of state"
    )


async def test_a_forum_topic_makes_each_paper_one_tagged_post(bot: RunningBot) -> None:
    forum = bot.discord.add_forum("paper-forum", tags=["diffusion"])
    await bot.start()
    refused = await bot.command(
        "member", "general", "topic add", {"query": "diffusion", "channel": forum.id}
    )
    assert refused["content"] == (
        f"You need the Manage Channels permission in <#{forum.id}> to add topics there."
    )
    for query in ("diffusion", "video generation"):
        added = await bot.command(
            "admin", "general", "topic add", {"query": query, "channel": forum.id}
        )
        assert added["embeds"][0]["title"].startswith("Topic #")
    listed = await bot.command("admin", "general", "topic list", {"channel": forum.id})
    assert "video generation" in listed["embeds"][0]["description"]

    bot.hf.add(
        make_item("2611.00941", "Video generation with diffusion"),
        make_item("2611.00942", "Diffusion for audio"),
    )
    await bot.discord.wait_until(lambda: len(bot.discord.posts_in_forum("paper-forum")) == 2, 15)
    await bot.polls(1)
    posts = {p.name: p for p in bot.discord.posts_in_forum("paper-forum")}
    assert set(posts) == {"Video generation with diffusion", "Diffusion for audio"}, (
        "one post per paper, even one that matched two topics"
    )
    tags = {t["name"]: t["id"] for t in forum.tags}
    assert posts["Video generation with diffusion"].applied_tags == [tags["diffusion"]], (
        "tagged with the forum's tag; no tag created without Manage Channels"
    )
    (first,) = bot.discord.messages[posts["Diffusion for audio"].id]
    assert first["embeds"][0]["title"] == "Diffusion for audio"
    assert first["allowed_mentions"] == {"parse": []}

    # Allowed to manage the forum, paperbot creates the missing tag.
    forum.overwrites[bot.discord.app_id] = (MANAGE_CHANNELS, 0)
    await bot.discord.channel_changed(forum)
    bot.hf.add(make_item("2611.00943", "Video generation at scale"))
    await bot.discord.wait_until(lambda: len(bot.discord.posts_in_forum("paper-forum")) == 3, 15)
    tags = {t["name"]: t["id"] for t in forum.tags}
    assert set(tags) == {"diffusion", "video generation"}
    newest = next(p for p in bot.discord.posts_in_forum("paper-forum") if "scale" in p.name)
    assert newest.applied_tags == [tags["video generation"]]


async def test_a_forums_topics_are_removed_by_channel_and_missing_permissions_are_said(
    bot: RunningBot,
) -> None:
    forum = bot.discord.add_forum("paper-forum")
    bot.discord.deny_bot("paper-forum", SEND_MESSAGES)  # no Create Posts there
    await bot.start()

    def warning(reply: dict[str, Any]) -> str | None:
        fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
        return fields.get("⚠️ Missing permissions")

    added = await bot.command(
        "admin", "general", "topic add", {"query": "diffusion", "channel": forum.id}
    )
    assert added["embeds"][0]["title"].startswith("Topic #"), "the topic is kept"
    assert warning(added) == (
        f"paperbot lacks Create Posts in <#{forum.id}>: grant it (the channel's or paperbot's "
        "role permissions) before a paper arrives, or posting there pauses until you do and run "
        "`/topic resume`."
    )
    assert added["embeds"][0]["footer"]["text"] == "New matching papers will be posted there."
    bot.discord.deny_bot("papers", CREATE_PUBLIC_THREADS)
    threaded = await add_topic(bot, "papers", "robots", thread=True)
    assert warning(threaded) == (
        "paperbot lacks Create Public Threads in this channel: papers will be posted without "
        "threads until it has it."
    )
    robots = threaded["embeds"][0]["title"].split()[1].lstrip("#")
    edited = await bot.command("admin", "papers", "topic edit", {"topic": robots, "min_upvotes": 1})
    assert warning(edited) == warning(threaded), "still threaded, still lacking it"
    plain = await add_topic(bot, "papers", "agents")
    assert warning(plain) is None
    assert plain["embeds"][0]["footer"]["text"] == "New matching papers will be posted here."

    # /topic remove channel: its list narrows to that channel's topics, and a topic of
    # another channel is refused, not removed.
    ids = dict(bot.query("SELECT query, id FROM topics"))
    record = await bot.discord.autocomplete(
        "admin", "papers", "topic remove", {"topic": "", "channel": forum.id}, focused="topic"
    )
    choices = (await bot.discord.wait_callback(record))["data"]["choices"]
    assert [c["value"] for c in choices] == [str(ids["diffusion"])]
    refused = await bot.command(
        "admin", "papers", "topic remove", {"topic": str(ids["robots"]), "channel": forum.id}
    )
    papers = bot.discord.channel("papers").id
    assert refused["content"] == (
        f"Topic #{ids['robots']} is for <#{papers}>, not <#{forum.id}>: nothing was removed."
    )
    removed = await bot.command(
        "admin", "papers", "topic remove", {"topic": str(ids["diffusion"]), "channel": forum.id}
    )
    assert removed["content"].startswith(f"Removed topic #{ids['diffusion']}")
    assert sorted(q for (q,) in bot.query("SELECT query FROM topics")) == ["agents", "robots"]


async def test_a_forum_post_whose_answer_was_lost_is_not_posted_again(bot: RunningBot) -> None:
    # A forum post takes no nonce. Discord takes the post but its answer is an error (a 502
    # after the work was done, which discord.py would repeat at once by itself), and the post
    # is archived before the outbox's retry: the retry finds it among the archived posts and
    # records it instead of posting again.
    bot.settings = replace(bot.settings, retry_seconds=1.0)
    forum = bot.discord.add_forum("paper-forum")
    await bot.start()
    await bot.command("admin", "general", "topic add", {"query": "diffusion", "channel": forum.id})
    bot.discord.fail_next(r"/channels/\d+/threads$", status=502, after=True)
    bot.hf.add(make_item("2611.00951", "Diffusion that Discord took once"))
    (post,) = await bot.discord.wait_until(lambda: bot.discord.posts_in_forum("paper-forum"))
    bot.discord.archive(post)
    await bot.wait_for_db(
        "SELECT count(*) FROM deliveries WHERE sent_at IS NOT NULL", lambda r: r[0][0] == 1
    )
    assert [p.name for p in bot.discord.posts_in_forum("paper-forum")] == [post.name]
    ((message_id, attempts),) = bot.query("SELECT message_id, attempts FROM deliveries")
    assert (str(message_id), attempts) == (post.id, 1), "recorded as the post Discord made"
    looked = [r.path for r in bot.discord.requests if "/threads/a" in r.path]
    assert looked == [
        f"/guilds/{bot.discord.guild_id}/threads/active",
        f"/channels/{forum.id}/threads/archived/public",
    ], "only the retry, in doubt, looked for the post"

    # A first attempt is in no doubt: the next paper is posted without looking.
    bot.hf.add(make_item("2611.00952", "Diffusion posted at the first try"))
    await bot.discord.wait_until(lambda: len(bot.discord.posts_in_forum("paper-forum")) == 2)
    assert [r.path for r in bot.discord.requests if "/threads/a" in r.path] == looked


async def test_a_post_in_doubt_is_not_mistaken_for_another_papers_post_of_that_name(
    bot: RunningBot,
) -> None:
    bot.settings = replace(bot.settings, retry_seconds=0.05)
    forum = bot.discord.add_forum("paper-forum")
    await bot.start()
    await bot.command("admin", "general", "topic add", {"query": "diffusion", "channel": forum.id})
    # Another paper of the same title, posted by paperbot a moment ago.
    other = bot.discord.forum_post_by_bot(
        "paper-forum",
        "Diffusion, once more",
        {"embeds": [{"title": "Diffusion, once more", "url": "https://huggingface.co/papers/1"}]},
    )
    bot.discord.fail_next(r"/channels/\d+/threads$", status=503)  # refused: nothing made
    bot.hf.add(make_item("2611.00953", "Diffusion, once more"))
    await bot.wait_for_db(
        "SELECT count(*) FROM deliveries WHERE sent_at IS NOT NULL", lambda r: r[0][0] == 1
    )
    posts = bot.discord.posts_in_forum("paper-forum")
    assert [p.name for p in posts] == ["Diffusion, once more"] * 2
    ((message_id,),) = bot.query("SELECT message_id FROM deliveries")
    assert str(message_id) in {p.id for p in posts} - {other.id}, "posted, not taken for the other"
    (first,) = bot.discord.messages[str(message_id)]
    assert first["embeds"][0]["url"] == "https://huggingface.co/papers/2611.00953"


async def test_a_forum_where_paperbot_cannot_read_posts_pauses_rather_than_guess(
    bot: RunningBot,
) -> None:
    bot.settings = replace(bot.settings, retry_seconds=0.05)
    forum = bot.discord.add_forum("paper-forum")
    bot.discord.deny_bot("paper-forum", READ_HISTORY)
    await bot.start()
    added = await bot.command(
        "admin", "general", "topic add", {"query": "diffusion", "channel": forum.id}
    )
    fields = {f["name"]: f["value"] for f in added["embeds"][0]["fields"]}
    assert fields["⚠️ Missing permissions"].startswith(
        f"paperbot lacks Read Message History in <#{forum.id}>"
    )
    # A post in doubt that paperbot cannot look for: paused with the reason, not posted blind.
    bot.discord.fail_next(r"/channels/\d+/threads$", status=503)
    bot.hf.add(make_item("2611.00954", "Diffusion nobody may read"))
    await bot.wait_for_db(
        "SELECT count(*) FROM channel_state WHERE paused_reason IS NOT NULL",
        lambda r: r[0][0] == 1,
    )
    ((reason,),) = bot.query("SELECT paused_reason FROM channel_state")
    assert "Give it Read Message History there, then /topic resume" in reason
    assert bot.discord.posts_in_forum("paper-forum") == []

    bot.discord.channel("paper-forum").overwrites.pop(bot.discord.app_id)
    await bot.discord.channel_changed(bot.discord.channel("paper-forum"))
    (topic,) = bot.query("SELECT id FROM topics")
    await bot.command("admin", "general", "topic resume", {"topic": str(topic[0])})
    await bot.discord.wait_until(lambda: len(bot.discord.posts_in_forum("paper-forum")) == 1)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_forum_post_in_flight_at_sigkill_is_not_posted_again_after_restart(
    bot_process: BotProcess,
    discord_fake: FakeDiscord,
    fake_hf: FakeHF,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    db = await bot_process.use(backend, request)
    if backend == "postgresql":
        bot_process.env["PAPERBOT_LEASE_SECONDS"] = "1"
    forum = discord_fake.add_forum("paper-forum")
    bot_process.start()
    await discord_fake.wait_ready(30)
    record = await discord_fake.slash(
        "admin", "general", "topic add", {"query": "diffusion", "channel": forum.id}
    )
    await discord_fake.wait_response(record)
    # Discord takes the post, and its answer never leaves: the bot dies waiting for it.
    discord_fake.hold_next(r"/channels/\d+/threads$")
    fake_hf.add(make_item("2611.00961", "Diffusion in flight"))
    await discord_fake.wait_until(lambda: len(discord_fake.posts_in_forum("paper-forum")) == 1, 30)
    bot_process.signal(signal.SIGKILL)
    await bot_process.wait()
    discord_fake.release_held()

    # The servers arrive a second after READY: the outbox, already running, must not take
    # the forum (known only from them) for a text channel meanwhile.
    discord_fake.guilds_delay = 1.0
    bot_process.start()
    await eventually(lambda: _all_sent(db), 30, "the delivery to be recorded")
    bot_process.signal(signal.SIGTERM)
    assert await bot_process.wait() == 0
    (post,) = discord_fake.posts_in_forum("paper-forum")
    assert query_db(db, "SELECT message_id, attempts FROM deliveries") == [(int(post.id), 0)]
    assert not any(r.path == f"/channels/{forum.id}/messages" for r in discord_fake.requests)
