"""Topics that learn from their channel, end to end: 👍 / 👎 on posts, /topic teach, who may
teach, /topic feedback, and /forget me."""

from __future__ import annotations

from typing import Any

from tests.support.fake_discord import InteractionRecord
from tests.support.fake_hf import make_item
from tests.support.runners import RunningBot

UNWANTED = make_item(
    "2611.00801",
    "Diffusion for protein folding",
    "We fold proteins with a diffusion model over residue coordinates and side chains, "
    "trained on crystal structures.",
)
LIKE_IT = make_item(
    "2611.00802",
    "Protein folding with diffusion",
    "A diffusion model folds proteins: it denoises residue coordinates and side chains learned "
    "from crystal structures.",
)
OTHER = make_item(
    "2611.00803",
    "Diffusion transformers for video",
    "We generate long videos with a diffusion transformer and a temporal attention scheme.",
)


async def answer(bot: RunningBot, record: InteractionRecord) -> dict[str, Any]:
    callback = await bot.discord.wait_callback(record)
    return dict(callback["data"])


def labels(message: dict[str, Any]) -> list[str]:
    return [c.get("label", "") for row in message["components"] for c in row["components"]]


async def vote(bot: RunningBot, user: str, post: dict[str, Any], way: str) -> str:
    paper = post["embeds"][0]["url"].rsplit("/", 1)[-1]
    reply = await answer(bot, await bot.discord.click(user, post, f"paper:vote:{way}:{paper}"))
    assert reply["flags"] & 64, "answered privately"
    return str(reply["content"])


async def test_an_admins_thumbs_down_keeps_a_like_paper_out_of_that_channel_only(
    bot: RunningBot,
) -> None:
    await bot.start()
    for channel in ("papers", "ml-news"):
        await bot.command("admin", channel, "topic add", {"query": "diffusion"})
    bot.hf.add(UNWANTED)
    (post,) = await bot.discord.wait_messages("papers", 1)
    assert {"👍", "👎"} <= set(labels(post)), "a single card has the two vote buttons"

    said = await vote(bot, "admin", post, "down")
    assert said.startswith("Noted: papers like this will be posted less in <#")
    assert "for `diffusion`" in said
    again = await vote(bot, "admin", post, "down")
    assert "stands already" in again
    assert bot.query("SELECT count(*), sum(vote) FROM feedback") == [(1, -1)], "a click twice"

    await bot.restart()  # the vote, and its effect, survive a restart
    bot.hf.add(LIKE_IT, OTHER)
    await bot.discord.wait_messages("ml-news", 2)  # the card, then a bundle of the two
    await bot.discord.wait_messages("papers", 2)
    await bot.polls(1)
    assert sorted(bot.discord.papers_posted("papers")) == ["2611.00801", "2611.00803"]
    assert sorted(bot.discord.papers_posted("ml-news")) == [
        "2611.00801",
        "2611.00802",
        "2611.00803",
    ], "another channel's topic learned nothing"

    reply = await bot.command("member", "papers", "topic test", {"paper": "2611.00802"})
    (field,) = reply["embeds"][0]["fields"]
    assert field["name"].endswith("`diffusion`: matches, but feedback holds it back")
    assert "held back: most like 1 paper <#" in field["value"]
    assert "“Diffusion for protein folding”" in field["value"]

    listing = await bot.command("admin", "papers", "topic list")
    assert "1 vote" in listing["embeds"][0]["description"]


async def test_teaching_a_paper_sharing_no_word_with_the_query_posts_papers_like_it(
    bot: RunningBot,
) -> None:
    await bot.start()
    await bot.command("admin", "papers", "topic add", {"query": "speculative decoding"})
    taught = make_item(
        "2611.00811",
        "Draft models verify tokens faster",
        "A small draft model proposes tokens that a large verifier model accepts in parallel, "
        "so inference runs faster.",
    )
    bot.hf.add(taught)
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 1)
    reply = await bot.command(
        "admin",
        "papers",
        "topic teach",
        {"topic": "1", "paper": "2611.00811", "relevant": True},
    )
    assert "papers like this will be posted more" in reply["content"]

    bot.hf.add(
        make_item(
            "2611.00812",
            "Faster inference: draft tokens, verify in parallel",
            "Tokens proposed by a small draft model are accepted by a large verifier model in "
            "parallel, and inference is faster.",
        ),
        make_item("2611.00813", "Graph networks for molecules", "We predict molecules."),
    )
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 3)
    await bot.polls(1)
    await bot.discord.wait_messages("papers", 1)
    await bot.polls(1)
    # The taught paper, still in the feed, is owed now too; the unrelated one is not.
    assert sorted(bot.discord.papers_posted("papers")) == ["2611.00811", "2611.00812"]
    reply = await bot.command("member", "papers", "topic test", {"paper": "2611.00812"})
    (field,) = reply["embeds"][0]["fields"]
    assert field["name"].endswith("does not match, but feedback posts it")
    assert "posted although `speculative decoding` does not match" in field["value"]
    assert "like “Draft models verify tokens faster”" in field["value"]

    learned = await bot.command("admin", "papers", "topic feedback", {"topic": "1"})
    assert "(taught)" in learned["embeds"][0]["description"]
    removed = await bot.command(
        "admin", "papers", "topic feedback", {"topic": "1", "remove": "2611.00811"}
    )
    assert removed["content"].startswith("Removed 1 vote on 2611.00811")
    assert bot.query("SELECT count(*) FROM feedback") == [(0,)]


async def test_who_may_teach_and_forget_me(bot: RunningBot) -> None:
    await bot.start()
    await bot.command("admin", "papers", "topic add", {"query": "diffusion"})
    bot.hf.add(UNWANTED)
    (post,) = await bot.discord.wait_messages("papers", 1)

    refused = await vote(bot, "member", post, "down")
    assert "Only people with the Manage Channels permission in <#" in refused
    assert "changed nothing" in refused
    assert bot.query("SELECT count(*) FROM feedback") == [(0,)]
    taught = await bot.command(
        "member", "papers", "topic teach", {"topic": "1", "paper": "2611.00801", "relevant": True}
    )
    assert "Only people with the Manage Channels permission" in taught["content"]

    await bot.command("admin", "papers", "topic edit", {"topic": "1", "learn_from": "everyone"})
    assert (await vote(bot, "member", post, "up")).startswith("Noted: papers like this")
    assert (await vote(bot, "member", post, "down")).startswith("Changed your vote to 👎")
    assert (await vote(bot, "member2", post, "up")).startswith("Noted")
    assert bot.query("SELECT sum(vote) FROM feedback") == [(0,)], "the net vote: none"

    asked = await bot.command("member", "general", "forget me")
    delete = next(
        c["custom_id"]
        for row in asked["components"]
        for c in row["components"]
        if c.get("label") == "Delete"
    )
    await answer(bot, await bot.discord.click("member", asked, delete))
    member = int(bot.discord.user("member")["id"])
    assert bot.query("SELECT count(*) FROM feedback WHERE user_id = ?", (member,)) == [(0,)]
    assert bot.query("SELECT sum(vote) FROM feedback") == [(1,)], "member2's vote stays"


async def test_a_bundles_select_teaches_and_topic_test_offers_to_post_papers_like_a_miss(
    bot: RunningBot,
) -> None:
    await bot.start()
    await bot.command("admin", "papers", "topic add", {"query": "diffusion"})
    bot.hf.add(UNWANTED, OTHER)
    (bundle,) = await bot.discord.wait_messages("papers", 1)
    said = await answer(
        bot, await bot.discord.choose("admin", bundle, "paper:rate", ["down:2611.00801"])
    )
    assert said["flags"] & 64
    assert said["content"].startswith("Noted: papers like this will be posted less")
    assert bot.query("SELECT paper_id, vote FROM feedback") == [("2611.00801", -1)]

    missed = make_item(
        "2611.00811",
        "Draft models verify tokens faster",
        "A small draft model proposes tokens that a large verifier model accepts in parallel.",
    )
    bot.hf.add(missed)
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 3)
    reply = await bot.command("member", "papers", "topic test", {"paper": "2611.00811"})
    teach = next(c for row in reply["components"] for c in row["components"] if c.get("custom_id"))
    assert teach["label"] == "Post papers like this here"
    refused = await answer(bot, await bot.discord.click("member", reply, teach["custom_id"]))
    assert "Only people with the Manage Channels permission" in refused["content"]
    asked = await bot.command("admin", "papers", "topic test", {"paper": "2611.00811"})
    done = await answer(bot, await bot.discord.click("admin", asked, teach["custom_id"]))
    assert "papers like this will be posted more" in done["content"]
    assert bot.query("SELECT paper_id, vote, kind FROM feedback ORDER BY paper_id") == [
        ("2611.00801", -1, "vote"),
        ("2611.00811", 1, "teach"),
    ]


async def test_a_topic_by_example_posts_papers_like_a_saved_list(bot: RunningBot) -> None:
    await bot.start()
    bot.hf.add(UNWANTED)
    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 1)
    await bot.command("admin", "general", "saved add", {"paper": "2611.00801", "list": "Folds"})
    none = await bot.command("admin", "papers", "topic add", {})
    assert "Give a `query`, a saved list to learn from (`like`), or both." in none["content"]
    missing = await bot.command("admin", "papers", "topic add", {"like": "Nope"})
    assert "You have no saved list “Nope”" in missing["content"]
    added = await bot.command("admin", "papers", "topic add", {"like": "Folds"})
    assert "papers like those of the saved list “Folds”" in str(added["embeds"][0])

    bot.hf.add(LIKE_IT, OTHER)
    (post,) = await bot.discord.wait_messages("papers", 1)
    await bot.polls(1)
    assert bot.discord.papers_posted("papers") == ["2611.00802"]
    fields = {f["name"]: f["value"] for f in post["embeds"][0]["fields"]}
    assert fields["Matched topics"] == "`papers like “Folds”`"
    reply = await bot.command("member", "papers", "topic test", {"paper": "2611.00802"})
    (field,) = reply["embeds"][0]["fields"]
    assert field["name"].endswith("does not match, but feedback posts it")
    assert "posted: like “Diffusion for protein folding”, which <#" in field["value"]
    listing = await bot.command("admin", "papers", "topic list")
    assert "`papers like “Folds”`" in listing["embeds"][0]["description"]
    assert "1 vote" in listing["embeds"][0]["description"]
