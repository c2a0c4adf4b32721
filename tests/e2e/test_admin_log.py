"""The admin log: one line per change of state in the channel a server's admins chose."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.support.fake_hf import make_item
from tests.support.runners import RunningBot


def log_lines(bot: RunningBot) -> list[str]:
    return [m["content"] for m in bot.discord.posts("ml-news")]


async def test_the_log_channel_hears_each_change_of_state_once(bot: RunningBot) -> None:
    await bot.start()
    ml_news = bot.discord.channel("ml-news").id
    refused = await bot.command("admin", "papers", "paperbot log", {"channel": ml_news})
    assert refused["content"] == "You need the Manage Server permission to choose paperbot's log."
    chosen = await bot.command("owner", "papers", "paperbot log", {"channel": ml_news})
    assert chosen["flags"] & 64
    assert chosen["content"] == f"paperbot will report to <#{ml_news}>, once per change of state."
    (first,) = log_lines(bot)
    assert first.startswith("paperbot will report here, once per change")
    assert bot.discord.posts("ml-news")[0]["allowed_mentions"] == {"parse": []}

    # A channel the bot may not post in: paused, and said once.
    await bot.command("admin", "secret", "topic add", {"query": "robots"})
    bot.hf.add(make_item("2611.00981", "Robots that fold laundry"))
    await bot.discord.wait_messages("ml-news", 2)
    secret = bot.discord.channel("secret").id
    assert log_lines(bot)[1].startswith(f"Paused posting in <#{secret}>: Discord refused")
    bot.hf.add(make_item("2611.00982", "Robots that cook"))
    await bot.polls(1)
    assert len(log_lines(bot)) == 2, "one line per change, not one per paper"

    bot.discord.channel("secret").hidden_from_bot = False
    ((topic_id,),) = bot.query("SELECT id FROM topics WHERE channel_id = ?", (int(secret),))
    await bot.command("admin", "secret", "topic resume", {"topic": str(topic_id)})
    await bot.discord.wait_messages("ml-news", 3)
    assert log_lines(bot)[2] == f"Resumed posting in <#{secret}> (topic #{topic_id})."

    # Hugging Face down: a line once it has been an hour, none per failed poll, one when back.
    bot.hf.fail(status=503)
    await bot.polls(1)
    assert len(log_lines(bot)) == 3, "not before an hour"
    bot.offset = timedelta(hours=1, minutes=1)
    await bot.discord.wait_messages("ml-news", 4)
    assert log_lines(bot)[3].startswith("Hugging Face has been unreachable since")
    await bot.polls(1)
    assert len(log_lines(bot)) == 4
    bot.hf.recover()
    await bot.discord.wait_messages("ml-news", 5)
    assert log_lines(bot)[4].startswith("Hugging Face answers again, after 1.")


async def test_a_log_channel_that_fails_is_never_written_about_in_a_loop(
    bot: RunningBot,
) -> None:
    await bot.start()
    ml_news = bot.discord.channel("ml-news").id
    await bot.command("owner", "papers", "paperbot log", {"channel": ml_news})
    bot.discord.channel("ml-news").hidden_from_bot = True  # the log channel itself breaks
    await bot.command("admin", "ml-news", "topic add", {"query": "robots"})
    bot.hf.add(make_item("2611.00991", "Robots in the log channel"))
    await bot.wait_for_db(
        "SELECT count(*) FROM channel_state WHERE paused_reason IS NOT NULL",
        lambda r: r[0][0] == 1,
    )
    await bot.polls(2)
    posts = [r for r in bot.discord.requests if r.method == "POST" and ml_news in r.path]
    # The paper's post (refused), then the one report of the pause (refused too): no more.
    assert [r.status for r in posts] == [200, 403, 403]

    hidden = await bot.command("owner", "papers", "paperbot log", {"channel": ml_news})
    assert hidden["content"].startswith(f"paperbot cannot post in <#{ml_news}> (403)")


async def test_deliveries_given_up_are_reported_once(bot: RunningBot) -> None:
    bot.settings = replace(bot.settings, retry_seconds=0.01)  # eight attempts in about 1.3 s
    await bot.start()
    ml_news, papers = bot.discord.channel("ml-news").id, bot.discord.channel("papers").id
    await bot.command("owner", "papers", "paperbot log", {"channel": ml_news})
    await bot.command("admin", "papers", "topic add", {"query": "robots"})
    bot.discord.fail_next(rf"/channels/{papers}/messages$", status=503, times=8)
    bot.hf.add(make_item("2611.00995", "Robots that never arrive"))
    await bot.discord.wait_messages("ml-news", 2)
    assert log_lines(bot)[1] == (
        f"Gave up on 1 paper for <#{papers}> after 8 attempts: Discord answered 503: "
        "Internal Server Error"
    )
    tried = [r for r in bot.discord.requests if r.path == f"/channels/{papers}/messages"]
    assert [r.status for r in tried] == [503] * 8
    ((attempts, gave_up),) = bot.query("SELECT attempts, gave_up_at IS NOT NULL FROM deliveries")
    assert (attempts, gave_up) == (8, 1), "kept as undeliverable, with its attempts"

    # Discord answers again: the next paper is posted, and the log hears nothing more.
    bot.hf.add(make_item("2611.00996", "Robots that arrive"))
    await bot.discord.wait_messages("papers", 1)
    await bot.polls(1)
    assert len(log_lines(bot)) == 2
