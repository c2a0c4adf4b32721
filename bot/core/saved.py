"""Personal saved lists: every call is for one user, who alone sees and changes their lists."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.clock import Clock, utc_now
from bot.core.errors import UserError
from bot.core.export import Format, export
from bot.core.matching.text import inert
from bot.core.models import Paper, SavedItem, SavedList, page_count
from bot.core.store.saved import SavedLimit, SavedStore

DEFAULT_LIST = "Reading list"
MAX_NAME = 50
MAX_NOTE = 1000
PER_PAGE = 10  # saved papers on a page of /saved list


@dataclass(frozen=True, slots=True)
class SavedPage:
    list_name: str
    items: tuple[SavedItem, ...]
    page: int
    pages: int
    total: int


def list_name(raw: str | None) -> str:
    """A list name as stored: trimmed, 1 to 50 characters."""
    name = " ".join((raw or DEFAULT_LIST).split())
    if not name:
        raise UserError("A list needs a name.")
    if len(name) > MAX_NAME:
        raise UserError(f"List names are at most {MAX_NAME} characters (that one has {len(name)}).")
    return name


def note_text(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = raw.strip()
    if len(text) > MAX_NOTE:
        raise UserError(f"Notes are at most {MAX_NOTE} characters (that one has {len(text)}).")
    return text or None


class SavedLimitError(UserError):
    """A saved-list limit would be broken; nothing was written."""


def _limit_error(limit: SavedLimit, name: str) -> UserError:
    if limit.kind == "lists":
        return SavedLimitError(
            f"You already have {limit.limit} lists, the most allowed. Delete one with "
            "/saved delete first."
        )
    if limit.kind == "items":
        return SavedLimitError(
            f"“{inert(name)}” already holds {limit.limit:,} papers, the most a list can. Save "
            "to another list."
        )
    return UserError(f"You already have a list called “{inert(name)}”.")


class SavedService:
    def __init__(self, saved: SavedStore, *, clock: Clock = utc_now) -> None:
        self._saved = saved
        self._clock = clock

    async def save(
        self, user_id: int, paper: Paper, list_raw: str | None = None, note: str | None = None
    ) -> tuple[str, bool]:
        """Save `paper`; returns the list's name and whether it was newly added."""
        name = list_name(list_raw)
        try:
            added = await self._saved.save(user_id, name, paper, note_text(note), self._clock())
        except SavedLimit as limit:
            raise _limit_error(limit, name) from None
        return name, added

    async def remove(self, user_id: int, paper_id: str, list_raw: str | None) -> str:
        name = list_name(list_raw)
        if not await self._saved.remove(user_id, name, paper_id):
            raise UserError(f"{paper_id} is not in your list “{inert(name)}”.")
        return name

    async def page(
        self, user_id: int, list_raw: str | None, status: str | None, page: int
    ) -> SavedPage:
        name = list_name(list_raw)
        if not await self._saved.list_exists(user_id, name):
            raise UserError(self._no_list(name))
        items, total = await self._saved.items(user_id, name, status, page * PER_PAGE, PER_PAGE)
        pages = page_count(total, PER_PAGE)
        if page >= pages and total:
            return await self.page(user_id, name, status, pages - 1)
        return SavedPage(name, tuple(items), page, pages, total)

    async def lists(self, user_id: int) -> list[SavedList]:
        return await self._saved.lists(user_id)

    async def list_names(self, user_id: int) -> list[str]:
        return await self._saved.list_names(user_id)

    async def mark(self, user_id: int, paper_id: str, status: str, list_raw: str | None) -> int:
        if status not in ("read", "unread"):
            raise UserError("Status is read or unread.")
        name = list_name(list_raw) if list_raw else None
        changed = await self._saved.update_items(user_id, paper_id, name, "status", status)
        if not changed:
            raise UserError(
                f"{paper_id} is not in {'“' + name + '”' if name else 'any of your lists'}."
            )
        return changed

    async def note(self, user_id: int, paper_id: str, text: str, list_raw: str | None) -> int:
        name = list_name(list_raw) if list_raw else None
        changed = await self._saved.update_items(user_id, paper_id, name, "note", note_text(text))
        if not changed:
            raise UserError(
                f"{paper_id} is not in {'“' + name + '”' if name else 'any of your lists'}."
            )
        return changed

    async def rename(self, user_id: int, old_raw: str, new_raw: str) -> tuple[str, str]:
        old, new = list_name(old_raw), list_name(new_raw)
        try:
            renamed = await self._saved.rename(user_id, old, new)
        except SavedLimit as limit:
            raise _limit_error(limit, new) from None
        if not renamed:
            raise UserError(self._no_list(old))
        return old, new

    async def check_exists(self, user_id: int, list_raw: str) -> str:
        name = list_name(list_raw)
        if not await self._saved.list_exists(user_id, name):
            raise UserError(self._no_list(name))
        return name

    async def delete(self, user_id: int, list_raw: str) -> int:
        name = list_name(list_raw)
        deleted = await self._saved.delete(user_id, name)
        if deleted is None:
            raise UserError(self._no_list(name))
        return deleted

    async def export(
        self, user_id: int, list_raw: str | None, fmt: Format
    ) -> tuple[str, bytes, int]:
        """(file name, contents, papers) of one of the user's lists, every paper in it."""
        name = list_name(list_raw)
        if not await self._saved.list_exists(user_id, name):
            raise UserError(self._no_list(name))
        items, total = await self._saved.items(user_id, name, None, 0, 1_000_000)
        filename, data = export(name, list(reversed(items)), fmt)
        return filename, data, total

    @staticmethod
    def _no_list(name: str) -> str:
        return f"You have no list called “{inert(name)}”. /saved lists shows yours."
