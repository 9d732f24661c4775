"""Passages only some people may read, and the one view of the memory each reader gets.

- Budget figures are for the project's PM and admins: ``mentions_budget`` spots a passage that
  gives money figures about a budget, spending or cost ("预算 48 万", "已经花了 12000 元",
  "报价 3.5w").
- Files filed under a project (passages of kind ``file``) are for that project's members, its
  PM and admins (``tools.permissions.sees_project_files``, the rule of the document folders).

``ReaderView`` applies both: every surface that reads the memory for someone (the ``ask`` tool
in the chat and from the agent, ``GET /search``, ``/ask``, ``qunmi search`` / ``ask --as``)
drops the passages it hides from what it searches, answers and shows. Messages of chats the
reader is in stay visible as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.domain import Member, Project
from assistant.memory.ports import HistoryDoc
from tools.permissions import PermissionPolicy, sees_budget, sees_project_files

__all__ = ["ProjectLookup", "ReaderView", "budget_spans", "mentions_budget", "reader_view"]

_MONEY_WORDS = r"(预算|经费|费用|成本|花费|花了|开销|报价|拨款|余额|budget|cost|spent)"
_AMOUNT = r"(\d[\d,，.]*\s*(万|千|百|亿|w|k|元|块|rmb|¥)?|[一二三四五六七八九十百千万亿两]+\s*(万|千|元|块))"
_NEAR = re.compile(
    rf"{_MONEY_WORDS}[^。！？\n]{{0,16}}?{_AMOUNT}|[¥￥]\s*\d|\d[\d,，.]*\s*(万元|元|块钱)",
    re.IGNORECASE,
)

ProjectLookup = Callable[[int], tuple[Project | None, str | None]]
"""A project id → the project and the reader's role in it (``None`` when not a member)."""


def mentions_budget(text: str) -> bool:
    """Whether ``text`` gives a money figure about a budget, spending or cost."""
    return bool(_NEAR.search(text))


def budget_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of ``text`` that give a money figure (what ``mentions_budget``
    finds), so a caller can leave out every clause they touch."""
    return [m.span() for m in _NEAR.finditer(text)]


@dataclass
class ReaderView:
    """What one reader may read of the memory. ``budget_ok`` says whether they may see the
    budget of a project (``None``: no project in play); projects are looked up once each."""

    viewer: Member | None
    lookup: ProjectLookup
    budget_ok: Callable[[Project | None, str | None], bool]
    _projects: dict[int, tuple[Project | None, str | None]] = field(default_factory=dict)
    _budgets: dict[int | None, bool] = field(default_factory=dict)

    def _project(self, project_id: int | None) -> tuple[Project | None, str | None]:
        if not project_id:
            return None, None
        if project_id not in self._projects:
            self._projects[project_id] = self.lookup(project_id)
        return self._projects[project_id]

    def hides(self, doc: HistoryDoc) -> bool:
        """Whether ``doc`` is not for this reader: a file of a project they are not in, or
        budget figures of a project whose budget they may not see."""
        if doc.kind == "file" and doc.project_id:
            project, role = self._project(doc.project_id)
            # A project deleted since: its files are nobody's to find.
            if project is None or not sees_project_files(self.viewer, project, role):
                return True
        if not mentions_budget(doc.indexed_text):
            return False
        if doc.project_id not in self._budgets:
            self._budgets[doc.project_id] = self.budget_ok(*self._project(doc.project_id))
        return not self._budgets[doc.project_id]

    __call__ = hides


def reader_view(
    viewer: Member | None, lookup: ProjectLookup, policy: PermissionPolicy | None = None
) -> ReaderView:
    """The view of ``viewer`` (``None``: a credential that is nobody's, who sees no budget
    figures and no project's files), judged by ``policy``."""
    return ReaderView(
        viewer=viewer,
        lookup=lookup,
        budget_ok=lambda project, role: sees_budget(viewer, project, role, policy),
    )
