"""Buttons: Save (survives restarts as a DynamicItem), pagers and a confirmation. Thin: each
callback makes one core call and renders."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.client import report_error
from bot.core.errors import UserError
from bot.core.feedback import DOWN, EMOJI, UP, FeedbackService, Voter
from bot.core.matching.text import inert
from bot.core.matching.why import Verdict
from bot.core.models import DM_GUILD
from bot.core.saved import SavedService
from bot.ui.format import PER_PAGE

Interaction = discord.Interaction[Any]
PaperLookup = Callable[[str], Awaitable[Any]]
SAVE_PREFIX = "paper:save:"


def save_button_class(
    saved: SavedService, lookup: PaperLookup
) -> type[discord.ui.DynamicItem[Any]]:
    """The Save button class, bound to the services it needs (no module-level singletons)."""

    class SaveButton(
        discord.ui.DynamicItem[discord.ui.Button[Any]],
        template=re.escape(SAVE_PREFIX) + r"(?P<paper_id>[0-9a-z.\-/]{4,40})",
    ):
        def __init__(self, paper_id: str, label: str = "Save") -> None:
            super().__init__(
                discord.ui.Button(
                    label=label,
                    emoji="🔖",
                    style=discord.ButtonStyle.secondary,
                    custom_id=SAVE_PREFIX + paper_id,
                )
            )
            self.paper_id = paper_id

        @classmethod
        async def from_custom_id(
            cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
        ) -> SaveButton:
            return cls(match["paper_id"])

        async def callback(self, interaction: Interaction) -> None:
            # discord.py only logs a dynamic item's errors: they take the one path here.
            try:
                paper = await lookup(self.paper_id)
                name, added = await saved.save(interaction.user.id, paper)
                text = (
                    f"Saved to your “{inert(name)}”. See it with /saved list."
                    if added
                    else f"Already in your “{inert(name)}”."
                )
                await interaction.response.send_message(text, ephemeral=True)
            except Exception as exc:
                await report_error(interaction, exc, f"button Save ({self.paper_id})")

    return SaveButton


PageLoader = Callable[[int], Awaitable[tuple[discord.Embed, Sequence[str], int]]]
SaveFactory = Callable[[str, str], discord.ui.Item[Any]]  # (paper id, label) -> a Save button


class PaperView(discord.ui.View):
    """A view whose buttons' errors take the same path as commands' (`report_error`)."""

    async def on_error(
        self, interaction: Interaction, error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        label = getattr(item, "label", None) or type(item).__name__
        await report_error(interaction, error, f"button {label} of {type(self).__name__}")


class Pager(PaperView):
    """Previous/next pages for the person who asked; Save buttons for the papers shown."""

    def __init__(
        self,
        owner_id: int,
        loader: PageLoader,
        save: SaveFactory | None,
        *,
        refusal: str = "Only the person who asked can turn these pages.",
        timeout: float = 900,
    ) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.page = 0
        self.pages = 1
        self._loader = loader
        self._save = save
        self._refusal = refusal

    async def first(self) -> discord.Embed:
        embed, ids, self.pages = await self._loader(0)
        self._arrange(ids)
        return embed

    def _arrange(self, paper_ids: Sequence[str]) -> None:
        self.clear_items()
        if self._save is not None:
            for n, paper_id in enumerate(paper_ids[:PER_PAGE], start=1):
                self.add_item(self._save(paper_id, f"Save {n}"))
        if self.pages > 1:
            previous = discord.ui.Button[Any](label="◀ Previous", row=1, disabled=self.page == 0)
            counter = discord.ui.Button[Any](
                label=f"{self.page + 1} / {self.pages}", row=1, disabled=True
            )
            following = discord.ui.Button[Any](
                label="Next ▶", row=1, disabled=self.page >= self.pages - 1
            )
            previous.callback = self._previous  # type: ignore[method-assign]
            following.callback = self._next  # type: ignore[method-assign]
            for button in (previous, counter, following):
                self.add_item(button)

    async def interaction_check(self, interaction: Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(self._refusal, ephemeral=True)
            return False
        return True

    async def _previous(self, interaction: Interaction) -> None:
        await self._turn(interaction, self.page - 1)

    async def _next(self, interaction: Interaction) -> None:
        await self._turn(interaction, self.page + 1)

    async def _turn(self, interaction: Interaction, page: int) -> None:
        self.page = max(0, min(page, self.pages - 1))
        embed, ids, self.pages = await self._loader(self.page)
        self._arrange(ids)
        await interaction.response.edit_message(embed=embed, view=self)


class Confirm(PaperView):
    """Confirm / Cancel for the person who asked."""

    def __init__(self, owner_id: int, on_confirm: Callable[[], Awaitable[str]]) -> None:
        super().__init__(timeout=300)
        self.owner_id = owner_id
        self._on_confirm = on_confirm

    async def interaction_check(self, interaction: Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "This is not your choice to make.", ephemeral=True
            )
            return False
        return True

    @discord.ui.button(label="Delete", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: Interaction, _button: discord.ui.Button[Any]) -> None:
        self.stop()
        text = await self._on_confirm()
        await interaction.response.edit_message(content=text, view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: Interaction, _button: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(content="Nothing was deleted.", view=None)


VOTE_PREFIX = "paper:vote:"
TEACH_PREFIX = "paper:teach:"
TEACH_LABEL = "Post papers like this here"
RATE_ID = "paper:rate"
_VOTES = {"up": UP, "down": DOWN}


class VoteControls:
    """👍 / 👎 on every post of a topic, surviving restarts as dynamic items: two buttons on a
    single card; on a bundle or a digest (up to ten papers, beside ten Save buttons), one
    select listing each paper twice, 👍 and 👎, which fits Discord's 25 components a message
    where twenty more buttons would not."""

    def __init__(self, feedback: FeedbackService) -> None:
        button, select = _vote_button_class(feedback), _rate_select_class(feedback)
        teach = _teach_button_class(feedback)
        self.items: tuple[type[discord.ui.DynamicItem[Any]], ...] = (button, select, teach)
        self._teach: Callable[[int, str, str, bool], discord.ui.Item[Any]] = teach
        self._button: Callable[[str, str], discord.ui.Item[Any]] = button
        self._select: Callable[[list[discord.SelectOption]], discord.ui.Item[Any]] = select

    def buttons(self, paper_id: str) -> list[discord.ui.Item[Any]]:
        return [self._button(paper_id, "up"), self._button(paper_id, "down")]

    def teaching(self, verdicts: Sequence[Verdict]) -> discord.ui.View | None:
        """For `/topic test paper:`: "Post papers like this here" under each topic of this
        channel that does not take the paper (up to five)."""
        missed = [v for v in verdicts if v.topic is not None and not v.posted][:5]
        if not missed:
            return None
        view = discord.ui.View(timeout=None)
        for v in missed:
            assert v.topic is not None
            label = TEACH_LABEL if len(missed) == 1 else f"{TEACH_LABEL} (#{v.topic.id})"
            view.add_item(self._teach(v.topic.id, v.paper.id, label, v.topic.is_follow))
        view.stop()  # dynamic items answer the clicks
        return view

    def rating(self, papers: Sequence[tuple[str, str]]) -> discord.ui.Item[Any]:
        """The select for a message of several papers, given as (id, title)."""
        options = []
        for n, (paper_id, title) in enumerate(papers[:12], start=1):
            short = f"{n}. {title}"[:90]
            options.append(discord.SelectOption(label=f"👍 {short}", value=f"up:{paper_id}"))
            options.append(discord.SelectOption(label=f"👎 {short}", value=f"down:{paper_id}"))
        return self._select(options[:25])


def _voter(interaction: Interaction) -> Voter:
    # A click's permissions are the clicker's in the post's channel: the one that counts.
    manages = interaction.guild_id is not None and interaction.permissions.manage_channels
    return Voter(interaction.user.id, lambda _channel_id: manages)


async def _rate(
    feedback: FeedbackService, interaction: Interaction, paper_id: str, direction: str
) -> None:
    if interaction.channel_id is None:
        raise UserError("This post's channel is unknown.")
    text = await feedback.rate(
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        paper_id=paper_id,
        vote=_VOTES[direction],
        voter=_voter(interaction),
    )
    await interaction.response.send_message(
        text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
    )


def _vote_button_class(feedback: FeedbackService) -> type[discord.ui.DynamicItem[Any]]:
    class VoteButton(
        discord.ui.DynamicItem[discord.ui.Button[Any]],
        template=re.escape(VOTE_PREFIX) + r"(?P<way>up|down):(?P<paper_id>[0-9a-z.\-/]{4,40})",
    ):
        def __init__(self, paper_id: str, way: str) -> None:
            super().__init__(
                discord.ui.Button(
                    label=EMOJI[_VOTES[way]],
                    style=discord.ButtonStyle.secondary,
                    custom_id=f"{VOTE_PREFIX}{way}:{paper_id}",
                )
            )
            self.paper_id, self.way = paper_id, way

        @classmethod
        async def from_custom_id(
            cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
        ) -> VoteButton:
            return cls(match["paper_id"], match["way"])

        async def callback(self, interaction: Interaction) -> None:
            try:
                await _rate(feedback, interaction, self.paper_id, self.way)
            except Exception as exc:
                await report_error(interaction, exc, f"button {self.way} ({self.paper_id})")

    return VoteButton


def _teach_button_class(feedback: FeedbackService) -> type[discord.ui.DynamicItem[Any]]:
    class TeachButton(
        discord.ui.DynamicItem[discord.ui.Button[Any]],
        template=re.escape(TEACH_PREFIX)
        + r"(?P<kind>[tf])(?P<topic>[0-9]{1,20}):(?P<paper_id>[0-9a-z.\-/]{4,40})",
    ):
        def __init__(
            self, topic_id: int, paper_id: str, label: str = TEACH_LABEL, follow: bool = False
        ) -> None:
            kind = "f" if follow else "t"  # a follow is a person's, wherever it is tested
            super().__init__(
                discord.ui.Button(
                    label=label,
                    emoji="👍",
                    style=discord.ButtonStyle.primary,
                    custom_id=f"{TEACH_PREFIX}{kind}{topic_id}:{paper_id}",
                )
            )
            self.topic_id, self.paper_id, self.follow = topic_id, paper_id, follow

        @classmethod
        async def from_custom_id(
            cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
        ) -> TeachButton:
            return cls(int(match["topic"]), match["paper_id"], follow=match["kind"] == "f")

        async def callback(self, interaction: Interaction) -> None:
            try:
                guild = interaction.guild_id
                text = await feedback.teach(
                    guild_id=DM_GUILD if self.follow or guild is None else guild,
                    topic_id=self.topic_id,
                    paper=self.paper_id,
                    relevant=True,
                    voter=_voter(interaction),
                )
                await interaction.response.send_message(
                    text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
            except Exception as exc:
                await report_error(interaction, exc, f"button teach ({self.paper_id})")

    return TeachButton


def _rate_select_class(feedback: FeedbackService) -> type[discord.ui.DynamicItem[Any]]:
    class RateSelect(
        discord.ui.DynamicItem[discord.ui.Select[Any]], template=re.escape(RATE_ID) + "$"
    ):
        def __init__(self, options: list[discord.SelectOption] | None = None) -> None:
            super().__init__(
                discord.ui.Select(
                    custom_id=RATE_ID,
                    placeholder="👍 / 👎 a paper: teach this channel's topics",
                    options=options or [discord.SelectOption(label="-", value="-")],
                )
            )

        @classmethod
        async def from_custom_id(
            cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
        ) -> RateSelect:
            return cls()

        async def callback(self, interaction: Interaction) -> None:
            try:
                data: dict[str, Any] = dict(interaction.data or {})
                values = list(data.get("values") or [])
                way, _, paper_id = str(values[0] if values else "").partition(":")
                if way not in _VOTES or not paper_id:
                    raise UserError("Pick a paper and a vote from the list.")
                await _rate(feedback, interaction, paper_id, way)
            except Exception as exc:
                await report_error(interaction, exc, "select rate")

    return RateSelect
