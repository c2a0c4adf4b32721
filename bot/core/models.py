"""Plain data the core passes around. Frozen, so nothing changes them behind a caller's back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.paper_ids import arxiv_url, hf_url, pdf_url


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper as Hugging Face describes it, keyed by its canonical arXiv id."""

    id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    submitted_at: datetime | None = None
    upvotes: int = 0
    num_comments: int = 0
    github_repo: str | None = None
    github_stars: int | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    project_page: str | None = None
    thumbnail: str | None = None
    first_seen: datetime | None = field(default=None, compare=False)
    last_seen: datetime | None = field(default=None, compare=False)

    @property
    def dated(self) -> datetime | None:
        """The date a reader goes by: on Daily Papers, else on arXiv, else when first seen."""
        return self.submitted_at or self.published_at or self.first_seen

    @property
    def hf_url(self) -> str:
        return hf_url(self.id)

    @property
    def arxiv_url(self) -> str:
        return arxiv_url(self.id)

    @property
    def pdf_url(self) -> str:
        return pdf_url(self.id)


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` items fill at `per_page` a page; one page at least."""
    return max(1, -(-total // per_page))


class Fetched(list[Paper]):
    """The papers of an answer, and why each item that could not be read was skipped."""

    def __init__(self, papers: Iterable[Paper] = (), skipped: Iterable[str] = ()) -> None:
        super().__init__(papers)
        self.skipped = list(skipped)


@dataclass(frozen=True, slots=True)
class PollRecord:
    """One poll of one feed, as the poll log keeps it."""

    feed: str
    started_at: datetime
    finished_at: datetime
    papers_seen: int
    papers_new: int
    error: str | None
    skipped: tuple[str, ...] = ()  # why each item of the answers that could not be read was

    @property
    def skipped_text(self) -> str:
        """ "2 items skipped: no id", or "3 items skipped (2 no id, 1 no title)"; "" if none."""
        counts: dict[str, int] = {}
        for reason in self.skipped:
            counts[reason] = counts.get(reason, 0) + 1
        if not counts:
            return ""
        total = len(self.skipped)
        head = f"{total} item{'s' if total != 1 else ''} skipped"
        if len(counts) == 1:
            return f"{head}: {self.skipped[0]}"
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return f"{head} ({', '.join(f'{n} {reason}' for reason, n in ranked)})"


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What storing one batch of papers changed."""

    seen: int
    new: int


# The guild of a person's follows: their DM channel with paperbot belongs to no server.
DM_GUILD = 0
# The "topic" of a /foryou digest's deliveries (no topic has id 0), and how cards name it.
RECOMMENDED = 0
RECOMMENDED_NAME = "recommended for you (/foryou)"


@dataclass(frozen=True, slots=True)
class TopicOptions:
    """How a topic posts: what `/topic add` (or `/follow add`) sets beside its query, handed
    as one value from the command to the store."""

    min_upvotes: int = 0  # posted only once a paper has this many upvotes
    digest_hour: int | None = None  # collected into one daily digest at this hour (UTC)
    mention_role_id: int | None = None  # the role pinged with each of its posts
    thread: bool = False  # a public thread on each card it posts
    forum: bool = False  # its channel is a forum: each paper a post of its own
    learn_from: str = "managers"  # whose 👍 / 👎 teach it: `managers` or `everyone`


LEARN_FROM = ("managers", "everyone")
BY_EXAMPLE = "like:"  # the canonical text of a topic by example begins so
DEFAULT_OPTIONS = TopicOptions()


@dataclass(frozen=True, slots=True)
class TopicChanges:
    """What `/topic edit` changes; None (or False) leaves a setting as it is."""

    query: str | None = None
    min_upvotes: int | None = None
    digest_hour: int | None = None
    at_once: bool = False  # post each paper at once again (no digest)
    mention_role_id: int | None = None
    no_mention: bool = False  # stop pinging a role
    thread: bool | None = None
    learn_from: str | None = None

    @property
    def nothing(self) -> bool:
        settings = (self.query, self.min_upvotes, self.digest_hour, self.mention_role_id)
        return (
            settings == (None,) * 4
            and self.thread is None
            and self.learn_from is None
            and not (self.at_once or self.no_mention)
        )

    def applied_to(self, options: TopicOptions) -> TopicOptions:
        """`options` with these changes made."""

        def given(value: int | None, old: int | None) -> int | None:
            return old if value is None else value

        return TopicOptions(
            min_upvotes=self.min_upvotes if self.min_upvotes is not None else options.min_upvotes,
            digest_hour=None if self.at_once else given(self.digest_hour, options.digest_hour),
            mention_role_id=None
            if self.no_mention
            else given(self.mention_role_id, options.mention_role_id),
            thread=options.thread if self.thread is None else self.thread,
            forum=options.forum,
            learn_from=self.learn_from or options.learn_from,
        )


@dataclass(frozen=True, slots=True)
class Topic:
    """A channel's subscription to a query; or a person's follow (guild `DM_GUILD`, channel
    their DM channel with paperbot)."""

    id: int
    guild_id: int
    channel_id: int
    query: str
    canonical: str
    min_upvotes: int
    digest_hour: int | None
    created_by: int
    created_at: datetime
    posted_count: int = 0
    paused_reason: str | None = None
    # A follow's last pause: papers first seen from `paused_from` to `since` are not owed.
    paused_from: datetime | None = None
    since: datetime | None = None
    new_from: datetime | None = None  # its query's last change (/topic edit)
    mention_role_id: int | None = None  # the role pinged with each of its posts
    thread: bool = False  # a public thread on each card it posts
    thread_problem: str | None = None  # why Discord refused the last thread, if it did
    learn_from: str = "managers"  # whose votes teach it (a follow: its owner's alone)

    @property
    def options(self) -> TopicOptions:
        return TopicOptions(
            self.min_upvotes,
            self.digest_hour,
            self.mention_role_id,
            self.thread,
            learn_from=self.learn_from,
        )

    @property
    def is_follow(self) -> bool:
        return self.guild_id == DM_GUILD

    @property
    def by_example(self) -> bool:
        """A topic without a query, posting papers like its liked examples (`like:`)."""
        return self.canonical.startswith(BY_EXAMPLE)

    def owes(self, first_seen: datetime) -> bool:
        """Whether a paper first seen then is new to the topic: seen after it was created (or
        its query last changed), and not while it was paused (a pause saves nothing up)."""
        if first_seen <= (self.new_from or self.created_at):
            return False
        return not (self.paused_from and self.since and self.paused_from < first_seen <= self.since)


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """One (channel, paper) the outbox owes, as matching plans it."""

    guild_id: int
    channel_id: int
    paper_id: str
    topic_ids: tuple[int, ...]
    due_at: datetime
    digest: bool


@dataclass(frozen=True, slots=True)
class Delivery:
    """A pending outbox row, with what the sender needs to render it."""

    id: int
    guild_id: int
    channel_id: int
    paper: Paper
    topics: tuple[str, ...]
    digest: bool
    attempts: int
    mentions: tuple[int, ...] = ()  # roles its topics ping
    thread: bool = False  # one of its topics wants a thread on its card
    forum: bool = False  # its channel is a forum: the paper is a post of its own
    queued_at: datetime | None = None  # when matching queued it
    taken_over: bool = False  # its channel was taken from a process that died sending there


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """What became of one (channel, paper) delivery, for "why was this paper (not) posted?"."""

    created_at: datetime
    due_at: datetime
    digest: bool
    attempts: int
    sent_at: datetime | None
    gave_up_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class PausedChannel:
    guild_id: int
    channel_id: int
    reason: str
    since: datetime


@dataclass(frozen=True, slots=True)
class OutboxSummary:
    pending: int
    undeliverable: int
    paused: tuple[PausedChannel, ...]


@dataclass(frozen=True, slots=True)
class SavedItem:
    """A paper in a user's list: its own copy of what exports need, plus status and note."""

    list_name: str
    paper_id: str
    title: str
    authors: tuple[str, ...]
    published_at: datetime | None
    status: str
    note: str | None
    saved_at: datetime


@dataclass(frozen=True, slots=True)
class SavedList:
    name: str
    count: int
    unread: int


@dataclass(frozen=True, slots=True)
class Vote:
    """A topic's net vote on a paper: 1 (👍, or taught as relevant) or -1 (👎, or not)."""

    topic_id: int
    paper_id: str
    vote: int
