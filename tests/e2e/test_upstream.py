"""Hostile or drifting Hugging Face answers, end to end: one bad item never stops a feed."""

from __future__ import annotations

from tests.support.fake_hf import make_item
from tests.support.runners import RunningBot


async def test_one_unreadable_item_is_counted_and_the_rest_is_stored_and_posted(
    bot: RunningBot,
) -> None:
    await bot.start()
    await bot.command("admin", "papers", "topic add", {"query": "diffusion"})
    huge = make_item("2611.00901", "Diffusion with huge numbers", stars=1)
    huge["paper"]["upvotes"] = 10**30
    huge["paper"]["githubStars"] = 2**63
    lone = make_item("2611.00902", "Diffusion with a lone \ud800 surrogate")
    no_id = make_item("2611.00903", "Diffusion without an id")
    del no_id["paper"]["id"]
    bot.hf.add(make_item("2611.00900", "Diffusion, plainly"), huge, lone, no_id)

    await bot.wait_for_db("SELECT count(*) FROM papers", lambda r: r[0][0] == 3)
    await bot.discord.wait_messages("papers", 1)
    await bot.polls(1)
    assert sorted(bot.discord.papers_posted("papers")) == [
        "2611.00900",
        "2611.00901",
        "2611.00902",
    ]
    assert bot.query("SELECT upvotes FROM papers WHERE id = '2611.00901'") == [(2**53 - 1,)]
    status = await bot.command("admin", "papers", "paperbot status")
    fields = {f["name"]: f["value"] for f in status["embeds"][0]["fields"]}
    polled = [v for n, v in fields.items() if n.startswith("Last poll")]
    assert polled
    assert all("3 papers" in v and "1 item skipped: no id" in v for v in polled), polled
