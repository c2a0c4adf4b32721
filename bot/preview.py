"""`paperbot preview` and `paperbot recommend`: what paperbot would post, or recommend, for a
source's papers, printed as a table or JSON; neither needs Discord nor the database."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot import __version__
from bot.config import Settings
from bot.core.clock import utc_now
from bot.core.delivery.poller import fetch_feed
from bot.core.errors import SourceError, UserError
from bot.core.hf.parser import parse_body
from bot.core.hf.source import HFSource, RetryPolicy
from bot.core.learning.features import Stats
from bot.core.learning.learner import Verdict as Learned
from bot.core.learning.topics import EMPTY, Learners, build, judge_paper, said
from bot.core.matching.doc import Doc
from bot.core.matching.explain import match_count
from bot.core.matching.judge import doc_of, matches
from bot.core.matching.query import Query, QueryError, parse
from bot.core.matching.text import words
from bot.core.matching.vocabulary import Vocabulary
from bot.core.matching.why import verdict
from bot.core.models import Paper, Vote
from bot.core.paper_ids import parse_paper_id
from bot.core.recommend import MIN_SAVED
from bot.core.recommend import recommend as rank
from bot.exits import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, fail

TOPIC = 1  # the id, among its learners, of the one topic that --like and --dislike teach
WHERE = "you"  # who marked the examples, as the feedback's sentences say it (`said`)


@dataclass(frozen=True, slots=True)
class _Topic:
    """A topic as preview judges it: a query, or none (a topic by example), and the learner
    of the examples it was taught (none: its rules alone)."""

    query: Query | None
    learners: Learners = EMPTY
    liked: int = 0
    disliked: int = 0

    @property
    def text(self) -> str:
        """The query as typed; "" for a topic by example, as the store keeps one."""
        return self.query.text if self.query is not None else ""

    @property
    def name(self) -> str:
        return f"topic {self.query.text!r}" if self.query is not None else "topic by example"

    def heading(self) -> str:
        marks = ((self.liked, "👍"), (self.disliked, "👎"))
        taught = " and ".join(f"{n} {mark}" for n, mark in marks if n)
        learning = f", learning from {taught}" if taught else ""
        if self.query is None:
            return f"{self.name}{learning}"
        return f"{self.name} (understood as {self.query.understood}){learning}"

    def judge(self, paper: Paper, doc: Doc) -> Learned:
        """Whether the topic posts `paper`, as the planner judges it: its rules (none for a
        topic by example), turned by what it learned."""
        rules = [TOPIC] if self.query is not None and matches(self.query.tree, doc) else []
        return judge_paper(self.learners, paper, doc, rules).get(TOPIC, Learned(False, False))


class _Refused(Exception):
    """A paper named on the command line that cannot be had: what to say, and the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message, self.code = message, code


async def preview(
    settings: Settings,
    source: str | None,
    limit: int | None,
    as_json: bool,
    topics: Sequence[str] = (),
    explain_id: str | None = None,
    liked: Sequence[str] = (),
    disliked: Sequence[str] = (),
) -> int:
    """What each `topics` query would post from the source; with `liked` and `disliked` (for
    one query, or none: a topic by example), what it would post once taught those papers."""
    try:
        queries = [parse(t) for t in topics]
    except QueryError as exc:
        # The message, then the query with a caret under the problem (no Markdown fences).
        lines = [line for line in str(exc).splitlines() if line != "```"]
        return fail("bad --topic: " + "\n  ".join(lines), EXIT_USAGE)
    try:
        likes, dislikes = _paper_ids(liked, "--like"), _paper_ids(disliked, "--dislike")
    except _Refused as exc:
        return fail(exc.message, exc.code)
    both = next((i for i in likes if i in dislikes), None)
    if both is not None:
        return fail(f"paper {both} is given both as --like and as --dislike", EXIT_USAGE)
    try:
        papers = await _fetch_preview(settings, source)
    except (SourceError, OSError) as exc:
        return fail(f"cannot read {source or settings.hf_endpoint}: {exc}", EXIT_FAILURE)
    vocabulary = Vocabulary.of_documents(words(f"{p.title} {p.abstract}") for p in papers)
    judged = [_Topic(q) for q in queries]
    if likes or dislikes:
        wanted = {**dict.fromkeys(likes, "--like"), **dict.fromkeys(dislikes, "--dislike")}
        try:
            examples = await _look_up(settings, papers, wanted)
        except _Refused as exc:
            return fail(exc.message, exc.code)
        query = queries[0] if queries else None
        judged = [_taught(query, examples, likes, dislikes, vocabulary)]
    if explain_id is not None:
        return explain_one(papers, judged, explain_id, vocabulary, as_json)
    # --limit limits what is shown: every paper of the source is matched and counted.
    docs = [(p, doc_of(p, vocabulary=vocabulary)) for p in papers] if judged else []
    results = []
    for topic in judged:
        verdicts = [(p, topic.judge(p, d)) for p, d in docs]
        found = [p for p, v in verdicts if v.post]
        results.append((topic, found, [(p, v) for p, v in verdicts if v.changed]))
    _show(papers, results, limit, as_json)
    return EXIT_OK


_Result = tuple[_Topic, list[Paper], list[tuple[Paper, Learned]]]


def _show(
    papers: Sequence[Paper], results: Sequence[_Result], limit: int | None, as_json: bool
) -> None:
    """The source's papers and, for each topic, what it posts (and what feedback changed)."""
    shown = papers[:limit] if limit else papers
    if as_json:
        payload: dict[str, object] = {
            "papers": [
                {"id": p.id, "title": p.title, "upvotes": p.upvotes, "url": p.hf_url} for p in shown
            ]
        }
        if results:
            payload["topics"] = [
                {
                    "query": topic.text,
                    "matches": [p.id for p in (found[:limit] if limit else found)],
                    "count": len(found),
                }
                for topic, found, _changed in results
            ]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    print(format_table(shown, total=len(papers)))
    for topic, found, changed in results:
        print(f"\n{topic.heading()}: {match_count(len(found))}")
        if found:
            print(format_table(found[:limit] if limit else found, total=len(found)))
        if changed:
            print("what the feedback changed:")
            for paper, v in changed:
                print(f"  {paper.id}  {said(v, topic.text, WHERE)}")


def _taught(
    query: Query | None,
    examples: Mapping[str, Paper],
    likes: Sequence[str],
    dislikes: Sequence[str],
    vocabulary: Vocabulary,
) -> _Topic:
    """The topic `query` (None: by example) with its learner of the examples, built as the
    planner builds a topic's from its votes, over the source's statistics."""
    votes = [Vote(TOPIC, i, 1) for i in likes] + [Vote(TOPIC, i, -1) for i in dislikes]
    stats = Stats(vocabulary.total, vocabulary.documents)
    text = query.text if query is not None else ""
    learners = build(votes, examples, {TOPIC: text}, stats, vocabulary)
    return _Topic(query, learners, len(likes), len(dislikes))


def explain_one(
    papers: Sequence[Paper],
    topics: Sequence[_Topic],
    wanted: str,
    vocabulary: Vocabulary,
    as_json: bool,
) -> int:
    try:
        paper_id = parse_paper_id(wanted)
    except UserError as exc:
        return fail(f"bad --explain: {exc}", EXIT_USAGE)
    paper = next((p for p in papers if p.id == paper_id), None)
    if paper is None:
        return fail(f"paper {paper_id} is not in the source ({len(papers)} papers)", EXIT_FAILURE)
    doc = doc_of(paper, vocabulary=vocabulary)
    answers = [(topic, *_explained(topic, paper, doc)) for topic in topics]
    if as_json:
        payload = {
            "paper": {"id": paper.id, "title": paper.title},
            "topics": [
                {"query": topic.text, "matches": posts, "reasons": reasons}
                for topic, posts, _state, reasons in answers
            ],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{paper.id}  {paper.title}")
    for topic, _posts, state, reasons in answers:
        print(f"\n{topic.name}: {state}")
        for reason in reasons:
            print(f"  - {reason}")
    return EXIT_OK


def _explained(topic: _Topic, paper: Paper, doc: Doc) -> tuple[bool, str, list[str]]:
    """Whether `topic` posts `paper`, that said in words (as `/topic test paper:` says it), and
    why: what the feedback did first, then what the rules found."""
    learned = topic.judge(paper, doc)
    feedback = said(learned, topic.text, WHERE)
    if topic.query is None:
        if feedback is not None:
            return learned.post, "posted", [feedback]
        if learned.marked:
            return False, "not posted", [f"{WHERE} marked this paper 👎: it is never posted"]
        return False, "not posted", [f"it is like no paper {WHERE} marked 👍, not closely enough"]
    found = verdict(
        paper, topic.query, doc, feedback=(learned.post, feedback) if feedback else None
    )
    state = "matches" if found.matches else "does not match"
    if found.matches and not found.posted:
        state = "matches, but feedback holds it back"
    elif found.posted and not found.matches:
        state = "does not match, but feedback posts it"
    return found.posted, state, [*([feedback] if feedback else []), *found.reasons]


def _paper_ids(given: Sequence[str], option: str) -> list[str]:
    """The canonical ids of papers given as ids or links, each once, in the order given."""
    try:
        return list(dict.fromkeys(parse_paper_id(s) for s in given))
    except UserError as exc:
        raise _Refused(f"bad {option}: {exc}", EXIT_USAGE) from exc


_NAMED = {"--saved": "saved", "--like": "liked", "--dislike": "disliked"}


async def _look_up(
    settings: Settings, papers: Sequence[Paper], wanted: Mapping[str, str]
) -> dict[str, Paper]:
    """The papers `wanted` names (id → the option that named it, "--saved"): the source's
    when it has them, else Hugging Face's (papers people save or mark are often older than
    the source). Raises `_Refused` for a paper Hugging Face does not know, or when it fails."""
    found = {p.id: p for p in papers if p.id in wanted}
    missing = [i for i in wanted if i not in found]
    if missing:
        async with aiohttp.ClientSession() as session:
            hf = _one_off(session, settings)
            for paper_id in missing:
                option = wanted[paper_id]
                try:
                    paper = await hf.paper(paper_id)
                except SourceError as exc:
                    raise _Refused(
                        f"cannot look up {_NAMED[option]} paper {paper_id}: {exc}", EXIT_FAILURE
                    ) from exc
                if paper is None:
                    raise _Refused(
                        f"bad {option}: Hugging Face has no paper {paper_id}", EXIT_USAGE
                    )
                found[paper_id] = paper
    return {i: found[i] for i in wanted}


async def recommend(
    settings: Settings, source: str, saved_ids: Sequence[str], limit: int, as_json: bool
) -> int:
    try:
        wanted = _paper_ids(saved_ids, "--saved")
    except _Refused as exc:
        return fail(exc.message, exc.code)
    if len(wanted) < MIN_SAVED:
        return fail(
            f"--saved needs {MIN_SAVED} different papers at least (got {len(wanted)}): "
            "fewer say too little about what you read",
            EXIT_USAGE,
        )
    try:
        papers = await _fetch_preview(settings, source)
    except (SourceError, OSError) as exc:
        return fail(f"cannot read {source}: {exc}", EXIT_FAILURE)
    try:
        found = await _look_up(settings, papers, dict.fromkeys(wanted, "--saved"))
    except _Refused as exc:
        return fail(exc.message, exc.code)
    # Best first: papers like none of the saved ones (score 0) can only come last.
    ranked = [r for r in rank([found[i] for i in wanted], papers, limit=limit) if r.score > 0]
    if as_json:
        payload = {
            "papers": [
                {
                    "id": r.paper.id,
                    "title": r.paper.title,
                    "score": r.score,
                    "because": list(r.because),
                    "terms": list(r.terms),
                }
                for r in ranked
            ]
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    width = shutil.get_terminal_size((100, 20)).columns
    for n, r in enumerate(ranked, start=1):
        print(f"{n:>3}. {r.score:.3f}  {r.paper.id}  {r.paper.title}"[:width])
        if r.because:
            print(f"     like {', '.join(r.because)}: {', '.join(r.terms)}"[:width])
    return EXIT_OK


async def _fetch_preview(settings: Settings, source: str | None) -> list[Paper]:
    if source is not None and not source.startswith(("http://", "https://")):
        body = await asyncio.to_thread(Path(source).read_bytes)
        return parse_body(body).papers
    async with aiohttp.ClientSession() as session:
        hf = _one_off(session, settings)
        if source is not None:
            return await hf.fetch_list(source)
        papers: dict[str, Paper] = {}
        for feed in settings.feeds:
            for paper in await fetch_feed(hf, feed, utc_now()):
                papers.setdefault(paper.id, paper)
        return sorted(papers.values(), key=lambda p: p.upvotes, reverse=True)


def _one_off(session: aiohttp.ClientSession, settings: Settings) -> HFSource:
    """Hugging Face for a one-off command: fewer, shorter retries than the bot's polls."""
    return HFSource(
        session,
        settings.hf_endpoint,
        version=__version__,
        policy=RetryPolicy(attempts=3, base_delay=0.5),
    )


def format_table(papers: Sequence[Paper], *, total: int | None = None) -> str:
    """A plain table: id, upvotes, title (cut to the terminal's width); `total` says how many
    there were when these are only the first of them."""
    width = shutil.get_terminal_size((100, 24)).columns
    id_width = max([len("ID"), *(len(p.id) for p in papers)])
    title_width = max(width - id_width - 10, 20)
    lines = [f"{'ID':<{id_width}}  {'UPVOTES':>7}  TITLE"]
    for paper in papers:
        title = paper.title
        if len(title) > title_width:
            title = title[: title_width - 1] + "…"
        lines.append(f"{paper.id:<{id_width}}  {paper.upvotes:>7}  {title}")
    count = total if total is not None else len(papers)
    of = f"{len(papers)} of " if count != len(papers) else ""
    lines.append(f"{of}{count} paper{'s' if count != 1 else ''}")
    return "\n".join(lines)
