"""The `paperbot` command, run as a user runs it: a subprocess."""

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.support.fake_hf import FakeHF, make_item
from tests.support.fixtures import OWN, shared

OWN_DAILY = OWN / "hf-api" / "daily_papers_own.json"
ROOT = Path(__file__).resolve().parents[2]


def paperbot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "DISCORD_", "HF_"))
    }
    clean.update(env)
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_without_a_token_explains_how_to_get_one(tmp_path: Path) -> None:
    result = paperbot("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in result.stderr
    assert "README.md" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing started, nothing created


def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = paperbot("run", cwd=tmp_path, DISCORD_TOKEN="x", PAPERBOT_FEEDS="weekly")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "PAPERBOT_FEEDS" in result.stderr


def test_preview_from_a_file_prints_every_paper(tmp_path: Path) -> None:
    items = json.loads(OWN_DAILY.read_text())
    result = paperbot("preview", "--source", str(OWN_DAILY), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for item in items:
        assert item["paper"]["id"] in result.stdout
    assert f"{len(items)} papers" in result.stdout


def test_preview_json_and_limit(tmp_path: Path) -> None:
    result = paperbot("preview", "--source", str(OWN_DAILY), "--limit", "3", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    papers = json.loads(result.stdout)["papers"]
    assert len(papers) == 3
    assert set(papers[0]) == {"id", "title", "upvotes", "url"}
    assert papers[0]["url"] == f"https://huggingface.co/papers/{papers[0]['id']}"


def test_preview_of_an_unreadable_source_is_one_message_and_exit_1(tmp_path: Path) -> None:
    missing = paperbot("preview", "--source", str(tmp_path / "nope.json"), cwd=tmp_path)
    assert missing.returncode == 1
    assert "cannot read" in missing.stderr
    html = tmp_path / "page.json"
    html.write_text("<html>oops</html>")
    garbage = paperbot("preview", "--source", str(html), cwd=tmp_path)
    assert garbage.returncode == 1
    assert "HTML page" in garbage.stderr
    assert "Traceback" not in garbage.stderr + missing.stderr


def test_db_migrate_and_backup(tmp_path: Path) -> None:
    db = tmp_path / "state" / "bot.db"
    migrated = paperbot("db", "migrate", cwd=tmp_path, PAPERBOT_DB=str(db))
    assert migrated.returncode == 0, migrated.stderr
    assert "schema version" in migrated.stdout
    backup = paperbot("db", "backup", str(tmp_path / "copy.db"), cwd=tmp_path, PAPERBOT_DB=str(db))
    assert backup.returncode == 0, backup.stderr
    assert (tmp_path / "copy.db").stat().st_size > 0
    absent = paperbot(
        "db", "backup", str(tmp_path / "x.db"), cwd=tmp_path, PAPERBOT_DB=str(tmp_path / "none.db")
    )
    assert absent.returncode == 2
    assert "no database" in absent.stderr


def test_preview_with_topics_uses_the_matcher(tmp_path: Path) -> None:
    sample = shared("hf-api/daily_papers_sample1.json")
    result = paperbot(
        "preview",
        "--source",
        str(sample),
        "--topic",
        "LLM agents",
        "--topic",
        "diffusion",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    topics = json.loads(result.stdout)["topics"]
    assert [t["query"] for t in topics] == ["LLM agents", "diffusion"]
    assert "2606.13681" in topics[0]["matches"]  # EvoArena: robust LLM agents
    assert "2606.08788" in topics[1]["matches"]  # MaskAlign: efficient diffusion transformers
    table = paperbot("preview", "--source", str(sample), "--topic", "diffusion", cwd=tmp_path)
    assert "topic 'diffusion'" in table.stdout
    bad = paperbot("preview", "--source", str(sample), "--topic", '"open', cwd=tmp_path)
    assert bad.returncode == 2
    assert "quote is never closed" in bad.stderr


def test_preview_limit_limits_the_papers_shown_never_those_matched(tmp_path: Path) -> None:
    # Four of the sixteen papers are about language models; the first of them comes first.
    args = ("preview", "--source", str(OWN_DAILY), "--topic", "language model", "--limit", "1")
    table = paperbot(*args, cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    papers, topic = table.stdout.strip().split("\n\n")
    assert papers.splitlines()[-1] == "1 of 16 papers"
    assert "(understood as" in topic.splitlines()[0]
    assert ": 4 match" in topic.splitlines()[0]
    assert topic.splitlines()[-1] == "1 of 4 papers"
    assert len(topic.splitlines()) == 4  # the heading, the table's, one paper, the count
    result = json.loads(paperbot(*args, "--json", cwd=tmp_path).stdout)
    assert len(result["papers"]) == 1
    (found,) = result["topics"]
    assert found["count"] == 4
    assert found["matches"] == ["2611.01001"]


def test_preview_counts_matches_in_the_singular_or_plural(tmp_path: Path) -> None:
    topics = {"language model": "4 matches", "mixture of experts": "1 match", "zebra": "0 matches"}
    args = [a for query in topics for a in ("--topic", query)]
    result = paperbot("preview", "--source", str(OWN_DAILY), *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    headings = [line for line in result.stdout.splitlines() if line.startswith("topic ")]
    assert [h.rsplit(": ", 1)[1] for h in headings] == list(topics.values())


def test_preview_refuses_a_topic_of_stop_words_in_one_line(tmp_path: Path) -> None:
    result = paperbot("preview", "--source", str(OWN_DAILY), "--topic", "the of", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "bad --topic:" in result.stderr
    assert "stop words" in result.stderr


async def test_preview_fetches_the_configured_feeds_or_a_url(tmp_path: Path) -> None:
    async with FakeHF() as hf:
        hf.add(make_item("2611.00001", "Fetched over HTTP", upvotes=3))
        feeds = await asyncio.to_thread(
            paperbot, "preview", "--json", cwd=tmp_path, HF_ENDPOINT=hf.url
        )
        url = await asyncio.to_thread(
            paperbot,
            "preview",
            "--source",
            f"{hf.url}/api/daily_papers?sort=trending",
            cwd=tmp_path,
        )
        hf.fail(times=-1, status=503)
        down = await asyncio.to_thread(
            paperbot, "preview", "--source", f"{hf.url}/api/daily_papers", cwd=tmp_path
        )
    assert feeds.returncode == 0, feeds.stderr
    assert [p["id"] for p in json.loads(feeds.stdout)["papers"]] == ["2611.00001"]
    assert {q.get("sort") for _path, q in hf.requests[:3]} == {None, "trending"}
    assert "Fetched over HTTP" in url.stdout
    assert down.returncode == 1
    assert "HTTP 503" in down.stderr


def test_preview_explain_says_why_a_paper_matches_or_not(tmp_path: Path) -> None:
    sample = shared("hf-api/daily_papers_sample1.json")
    # 2606.12575: a two-step image generator distilled from a diffusion teacher, which says
    # "diffusion" once in its abstract and again only in HF's machine-written keywords.
    args = ("preview", "--source", str(sample), "--topic", "diffusion", "--topic", "distillation")
    result = paperbot(*args, "--explain", "2606.12575", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2606.12575  High-Fidelity Two-Step Image Generation")
    assert "topic 'diffusion': does not match" in lines
    assert (
        "  - `diffusion` is said once in the abstract, once in the AI keywords: a bare word "
        "counts in the title, twice in the abstract or once as an acronym (MoE)"
    ) in lines
    assert "topic 'distillation': matches" in lines
    as_json = paperbot(*args, "--explain", "arxiv.org/abs/2606.12575v2", "--json", cwd=tmp_path)
    payload = json.loads(as_json.stdout)
    assert payload["paper"]["id"] == "2606.12575"
    assert [t["matches"] for t in payload["topics"]] == [False, True]


def test_preview_explain_refuses_what_it_cannot_answer_in_one_line(tmp_path: Path) -> None:
    base = ("preview", "--source", str(shared("hf-api/daily_papers_sample1.json")))
    missing = paperbot(*base, "--topic", "x", "--explain", "2601.00001", cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "paperbot: paper 2601.00001 is not in the source (30 papers)"
    no_topic = paperbot(*base, "--explain", "2606.12575", cwd=tmp_path)
    assert no_topic.returncode == 2
    assert no_topic.stderr.strip() == "paperbot: --explain needs at least one --topic, or a --like"
    bad = paperbot(*base, "--topic", "x", "--explain", "not a paper", cwd=tmp_path)
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "Traceback" not in bad.stderr


MERGED = "hf-api/daily_papers_2026-07-13_to_07-27_merged.json"
ROBOTS = ["2607.15330", "2607.11498", "2607.13429"]  # saved: vision-language-action papers


def test_recommend_ranks_a_source_by_the_saved_papers(tmp_path: Path) -> None:
    result = paperbot(
        "recommend",
        "--source",
        str(shared(MERGED)),
        *(f"--saved={i}" for i in ROBOTS),
        "--json",
        "--limit",
        "5",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    papers = json.loads(result.stdout)["papers"]
    assert len(papers) == 5
    assert set(papers[0]) == {"id", "title", "score", "because", "terms"}
    assert [p["score"] for p in papers] == sorted((p["score"] for p in papers), reverse=True)
    assert not {p["id"] for p in papers} & set(ROBOTS), "saved papers are left out"
    assert all(set(p["because"]) <= set(ROBOTS) and p["because"] for p in papers)
    labels = json.loads((ROOT / "tests" / "data" / "topic_labels.json").read_text())
    robots = next(t for t in labels["topics"] if t["query"] == "robot OR robotics OR drone")
    assert len({p["id"] for p in papers} & set(robots["must"])) >= 3
    table = paperbot(
        "recommend",
        "--source",
        str(shared(MERGED)),
        *(f"--saved={i}" for i in ROBOTS),
        cwd=tmp_path,
    )
    assert table.returncode == 0
    assert "     like 2607." in table.stdout


def test_recommend_refuses_too_few_or_bad_saved_papers_in_one_line(tmp_path: Path) -> None:
    few = paperbot(
        "recommend",
        "--source",
        str(shared(MERGED)),
        "--saved",
        ROBOTS[0],
        "--saved",
        ROBOTS[0],
        "--saved",
        ROBOTS[1],
        cwd=tmp_path,
    )
    assert few.returncode == 2
    assert few.stderr.strip() == (
        "paperbot: --saved needs 3 different papers at least (got 2): fewer say too little "
        "about what you read"
    )
    bad = paperbot(
        "recommend",
        "--source",
        str(shared(MERGED)),
        *(f"--saved={i}" for i in [*ROBOTS[:2], "not a paper"]),
        cwd=tmp_path,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("paperbot: bad --saved:")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    offline = paperbot(
        "recommend",
        "--source",
        str(shared(MERGED)),
        *(f"--saved={i}" for i in [*ROBOTS[:2], "2401.00001"]),
        cwd=tmp_path,
        HF_ENDPOINT=closed,
    )
    assert offline.returncode == 1
    assert offline.stderr.startswith("paperbot: cannot look up saved paper 2401.00001:")
    assert offline.stderr.count("\n") == 1
    assert "Traceback" not in offline.stderr


# Papers older than the source, which `preview --like/--dislike` finds on Hugging Face.
RETRIEVAL = make_item(
    "2611.09001",
    "Cross-Lingual Passage Retrieval for Question Answering in Low-Resource Languages",
    "The retriever is the weak part of question answering in low-resource languages. We align "
    "passage embeddings across twelve languages, retrieve better passages and improve answer "
    "accuracy.",
)
FOLDING = make_item(
    "2611.09002",
    "Robot Arms Fold Shirts After Watching Human Videos",
    "A vision-language-action policy learns cloth folding from a few human videos: it infers "
    "grasp points, then folds towels and shirts on a real robot arm.",
)


async def taught(tmp_path: Path, *runs: tuple[str, ...]) -> list[subprocess.CompletedProcess[str]]:
    """`paperbot preview --source <own daily papers> ...` once for each of `runs`, with a fake
    Hugging Face that knows the two older papers."""
    async with FakeHF() as hf:
        hf.add(RETRIEVAL, FOLDING)
        return [
            await asyncio.to_thread(
                paperbot,
                "preview",
                "--source",
                str(OWN_DAILY),
                *args,
                cwd=tmp_path,
                HF_ENDPOINT=hf.url,
            )
            for args in runs
        ]


def lines_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def changed_by_feedback(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """What a one-topic preview's table says the feedback changed: paper id → its sentence."""
    lines = lines_of(result)
    after = lines[lines.index("what the feedback changed:") + 1 :]
    return dict(line.strip().split("  ", 1) for line in after if line.startswith("  "))


async def test_preview_dislike_holds_back_a_matching_paper_like_it(tmp_path: Path) -> None:
    # `language model` matches 2611.01001, .01003, .01007 and .01009 (multilingual retrieval,
    # like RETRIEVAL); 2611.01007 is disliked itself.
    topic = ("--topic", "language model", "--dislike", "2611.09001", "--dislike", "2611.01007")
    as_json, table, why = await taught(
        tmp_path, (*topic, "--json"), topic, (*topic, "--explain", "2611.01009")
    )
    assert as_json.returncode == 0, as_json.stderr
    (found,) = json.loads(as_json.stdout)["topics"]
    assert found == {"query": "language model", "matches": ["2611.01001", "2611.01003"], "count": 2}
    assert (
        "topic 'language model' (understood as (language model OR \"LM\")), learning from 2 👎: "
        "2 matches"
    ) in lines_of(table)
    changed = changed_by_feedback(table)
    assert changed.keys() == {"2611.01007", "2611.01009"}
    assert changed["2611.01009"].startswith(
        "held back: most like 1 paper you marked 👎 (“Cross-Lingual Passage Retrieval for "
        "Question Answering in Low-Resource Languages”) (shared: "
    )
    assert changed["2611.01007"] == (
        "held back: you marked this paper 👎, and it is never posted there again"
    )
    explained = lines_of(why)
    state = explained.index("topic 'language model': matches, but feedback holds it back")
    assert explained[state + 1].startswith("  - held back: most like 1 paper you marked 👎 (“")
    assert explained[state + 2] == "  - `language model` in the abstract"


async def test_preview_like_posts_a_paper_its_query_misses_like_it(tmp_path: Path) -> None:
    # `speculative decoding` matches 2611.01012 alone; 2611.01006 folds cloth, as FOLDING does,
    # and 2611.01010 (city-scale Gaussian splatting), liked in the source, is posted itself.
    topic = ("--topic", "speculative decoding", "--like", "2611.09002", "--like", "2611.01010")
    as_json, table, why = await taught(
        tmp_path, (*topic, "--json"), topic, (*topic, "--explain", "2611.01006")
    )
    assert as_json.returncode == 0, as_json.stderr
    (found,) = json.loads(as_json.stdout)["topics"]
    assert found == {
        "query": "speculative decoding",
        "matches": ["2611.01006", "2611.01010", "2611.01012"],
        "count": 3,
    }
    changed = changed_by_feedback(table)
    assert changed.keys() == {"2611.01006", "2611.01010"}  # 2611.01012: the rules' own match
    assert changed["2611.01006"].startswith(
        "posted although `speculative decoding` does not match: like “Robot Arms Fold Shirts "
        "After Watching Human Videos”, which you marked 👍 (shared: "
    )
    explained = lines_of(why)
    state = explained.index("topic 'speculative decoding': does not match, but feedback posts it")
    assert explained[state + 1].startswith("  - posted although `speculative decoding`")


async def test_preview_of_a_topic_by_example_posts_only_papers_like_the_liked(
    tmp_path: Path,
) -> None:
    by_example = ("--like", "2611.09002")
    as_json, table, disliked, why = await taught(
        tmp_path,
        (*by_example, "--json"),
        by_example,
        (*by_example, "--dislike", "2611.01006", "--json"),
        (*by_example, "--explain", "2611.01006", "--json"),
    )
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["topics"] == [
        {"query": "", "matches": ["2611.01006"], "count": 1}
    ]
    assert "topic by example, learning from 1 👍: 1 match" in lines_of(table)
    assert changed_by_feedback(table)["2611.01006"].startswith(
        "posted: like “Robot Arms Fold Shirts After Watching Human Videos”, which you marked 👍"
    )
    assert json.loads(disliked.stdout)["topics"][0]["matches"] == []  # a 👎 paper never posts
    (verdict,) = json.loads(why.stdout)["topics"]
    assert verdict["matches"] is True
    assert verdict["reasons"][0].startswith("posted: like “Robot Arms Fold Shirts")


async def test_preview_json_with_feedback_has_the_keys_of_preview_topic(tmp_path: Path) -> None:
    plain, with_topic, by_example, plain_why, taught_why = await taught(
        tmp_path,
        ("--topic", "language model", "--json"),
        ("--topic", "language model", "--dislike", "2611.09001", "--json"),
        ("--like", "2611.09002", "--json"),
        ("--topic", "language model", "--explain", "2611.01009", "--json"),
        ("--topic", "language model", "--like", "2611.09002", "--explain", "2611.01009", "--json"),
    )
    expected = json.loads(plain.stdout)
    for result in (with_topic, by_example):
        assert result.returncode == 0, result.stderr
        payload = json.loads(result.stdout)
        assert payload.keys() == expected.keys()
        assert payload["papers"] == expected["papers"]
        assert [t.keys() for t in payload["topics"]] == [t.keys() for t in expected["topics"]]
    explained = json.loads(taught_why.stdout)
    assert explained.keys() == json.loads(plain_why.stdout).keys()
    assert explained["topics"][0].keys() == json.loads(plain_why.stdout)["topics"][0].keys()


async def test_preview_like_and_dislike_refuse_what_they_cannot_teach_in_one_line(
    tmp_path: Path,
) -> None:
    runs = await taught(
        tmp_path,
        ("--topic", "a", "--topic", "b", "--like", "2611.09002"),
        ("--dislike", "2611.09001"),
        ("--topic", "robots", "--like", "2611.09999"),
        ("--topic", "robots", "--dislike", "not a paper"),
        ("--topic", "robots", "--like", "2611.09002", "--dislike", "arxiv.org/abs/2611.09002"),
    )
    assert [r.returncode for r in runs] == [2] * len(runs)
    assert [r.stderr.count("\n") for r in runs] == [1] * len(runs), [r.stderr for r in runs]
    assert [r.stdout for r in runs] == [""] * len(runs)
    two_topics, no_topic, unknown, bad, both = (r.stderr.strip() for r in runs)
    assert two_topics == "paperbot: --like and --dislike teach one topic: give one --topic, not 2"
    assert no_topic == "paperbot: --dislike needs a --topic (or a --like, for a topic by example)"
    assert unknown == "paperbot: bad --like: Hugging Face has no paper 2611.09999"
    assert bad.startswith("paperbot: bad --dislike:")
    assert both == "paperbot: paper 2611.09002 is given both as --like and as --dislike"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    offline = paperbot(
        "preview",
        "--source",
        str(OWN_DAILY),
        "--like",
        "2611.09002",
        cwd=tmp_path,
        HF_ENDPOINT=closed,
    )
    assert offline.returncode == 1
    assert offline.stderr.startswith("paperbot: cannot look up liked paper 2611.09002:")
    assert offline.stderr.count("\n") == 1
