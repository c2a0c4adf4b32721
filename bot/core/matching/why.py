"""Why was this paper posted here, or why not? One paper, one query, every reason.

The most common complaint about a paper feed is "this paper never arrived". `verdict` answers
it for one paper and one topic query: whether the query matches and why (`explain.py`: which
term held or failed, what the paper says of it, what the rule wanted), then, for a topic of
this channel, what held a matching paper back (upvotes below the topic's minimum, a paper seen
before the topic was created, a paused channel) and what became of it here (posted when,
queued, waiting for the digest, given up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.matching.doc import Doc
from bot.core.matching.explain import evidence, explain
from bot.core.matching.judge import matches
from bot.core.matching.query import Query
from bot.core.models import DeliveryRecord, Paper, Topic


@dataclass(frozen=True, slots=True)
class Verdict:
    paper: Paper
    query: Query
    topic: Topic | None  # this channel's topic with this query, when there is one
    matches: bool
    reasons: tuple[str, ...]  # why it matches, or why not
    held_back: tuple[str, ...]  # what kept a matching paper from this topic's channel
    delivery: str | None  # what became of the paper in this channel, when that was asked
    feedback: str | None = None  # how what the topic learned turned its rules' verdict
    posts: bool | None = None  # the verdict with feedback (None: as the rules say)

    @property
    def posted(self) -> bool:
        """Whether the topic takes the paper, feedback included."""
        return self.matches if self.posts is None else self.posts


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def verdict(
    paper: Paper,
    query: Query,
    doc: Doc,
    *,
    topic: Topic | None = None,
    record: DeliveryRecord | None = None,
    in_channel: bool = False,
    feedback: tuple[bool, str] | None = None,
) -> Verdict:
    """The whole answer for `paper` and `query`; `record` is the paper's delivery here, if any
    (`in_channel`: the question was asked in a channel, so say what became of it here);
    `feedback`, the verdict with what the topic learned and why, when that turned it."""
    hit = matches(query.tree, doc)
    reasons = evidence(query.tree, doc) if hit else explain(query.tree, doc)
    held = _held_back(paper, topic) if topic is not None else []
    return Verdict(
        paper=paper,
        query=query,
        topic=topic,
        matches=hit,
        reasons=tuple(reasons),
        held_back=tuple(held),
        delivery=_delivery(record) if in_channel else None,
        feedback=feedback[1] if feedback else None,
        posts=feedback[0] if feedback else None,
    )


def _held_back(paper: Paper, topic: Topic) -> list[str]:
    held = []
    if paper.first_seen is None:
        held.append(
            "paperbot has not seen this paper in its feeds (it was looked up on Hugging Face): "
            "topics post papers that arrive through the feeds"
        )
    elif topic.new_from is not None and topic.created_at < paper.first_seen <= topic.new_from:
        held.append(
            f"paperbot first saw this paper on {when(paper.first_seen)}, before topic "
            f"#{topic.id}'s query was last changed ({when(topic.new_from)}): a changed query "
            "posts the papers that arrive after the change"
        )
    elif paper.first_seen > topic.created_at and not topic.owes(paper.first_seen):
        assert topic.since is not None
        held.append(
            f"paperbot first saw this paper on {when(paper.first_seen)}, while #{topic.id} was "
            f"paused (it resumed {when(topic.since)}): a pause saves nothing up"
        )
    elif paper.first_seen <= topic.created_at:
        held.append(
            f"paperbot first saw this paper on {when(paper.first_seen)}, before topic "
            f"#{topic.id} was created ({when(topic.created_at)}): a topic posts the papers that "
            "arrive after it (`backfill` posts a few older ones when adding a topic)"
        )
    if paper.upvotes < topic.min_upvotes:
        held.append(
            f"it has {paper.upvotes} upvote{'s' if paper.upvotes != 1 else ''}; topic "
            f"#{topic.id} waits for {topic.min_upvotes} (it is posted if it gets there while "
            "it stays in the feeds)"
        )
    if topic.paused_reason:
        held.append(
            f"posting in this channel is paused: {topic.paused_reason} "
            "(fix it, then `/topic resume`)"
        )
    return held


def _delivery(record: DeliveryRecord | None) -> str:
    if record is None:
        return "It was never queued for this channel."
    if record.sent_at is not None:
        return f"Posted here on {when(record.sent_at)}."
    if record.gave_up_at is not None:
        return (
            f"paperbot gave up posting it here on {when(record.gave_up_at)} after "
            f"{record.attempts} attempts: {record.last_error or 'no reason recorded'}."
        )
    if record.attempts:
        return (
            f"Queued here since {when(record.created_at)}; {record.attempts} attempt"
            f"{'s' if record.attempts != 1 else ''} failed so far: "
            f"{record.last_error or 'no reason recorded'}."
        )
    if record.digest:
        return f"Waiting for this channel's daily digest at {when(record.due_at)}."
    return f"Queued here on {when(record.created_at)}, to be posted shortly."
