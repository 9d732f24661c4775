"""``Memory``: the memory's use cases wired together (built by ``bootstrap``), and the
translation of what people type (a chat name, a project name, a kind) into filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assistant.errors import InvalidInput, NotFound
from assistant.memory.answer import Answer, Answerer
from assistant.memory.indexer import HistoryIndexer, IndexLoop
from assistant.memory.ports import DOC_KINDS, DocFilter, HistoryDoc, HistoryIndex
from assistant.memory.privacy import ReaderView, reader_view
from assistant.memory.search import HistorySearch, SearchMode, SearchResult
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:
    from assistant.domain import Member, Project
    from tools.permissions import PermissionPolicy
    from tools.scope import Applied, Scope
    from tools.vocabulary import Ask

__all__ = ["AudienceView", "Memory", "audience_view", "resolve_filter", "scope_view"]


def resolve_filter(
    uow: UnitOfWork,
    *,
    chat: str | int | None = None,
    project: str | int | None = None,
    kind: str | None = None,
    sender: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> DocFilter:
    """Names as people type them → a ``DocFilter``; an unknown name is a clear error."""
    chat_ids: tuple[int, ...] = ()
    project_ids: tuple[int, ...] = ()
    sender_ids: tuple[int, ...] = ()
    if chat is not None and str(chat).strip():
        wanted = str(chat).strip()
        matches = [
            c.id
            for c in uow.chats.list(limit=500).items
            if c.id is not None
            and (c.name == wanted or str(c.id) == wanted or c.external_id == wanted)
        ]
        if not matches:
            raise NotFound(f"找不到群“{wanted}”")
        chat_ids = tuple(matches)
    if project is not None and str(project).strip():
        wanted = str(project).strip()
        found = uow.projects.by_name(wanted)
        if found is None and wanted.isdigit():
            found = uow.projects.get(int(wanted))
        if found is None or found.id is None:
            raise NotFound(f"找不到项目“{wanted}”")
        project_ids = (found.id,)
    if kind is not None and kind.strip():
        if kind not in DOC_KINDS:
            raise InvalidInput(f"不认识的类型“{kind}”，可选：{' / '.join(DOC_KINDS)}")
    if sender is not None and sender.strip():
        member = uow.members.by_display_name(sender.strip())
        if member is None or member.id is None:
            raise NotFound(f"找不到成员“{sender}”")
        sender_ids = (member.id,)
    if since is not None and until is not None and since > until:
        raise InvalidInput("开始时间晚于结束时间")
    return DocFilter(
        kinds=(kind,) if kind else (),
        chat_ids=chat_ids,
        project_ids=project_ids,
        sender_ids=sender_ids,
        since=since,
        until=until,
    )


@dataclass
class Memory:
    """Search, answers and indexing over the team's history."""

    uow_factory: UnitOfWorkFactory
    search_use_case: HistorySearch
    answerer: Answerer
    indexer: HistoryIndexer
    index: Callable[[], HistoryIndex]
    interval: float = 1.0
    closers: list[Callable[[], None]] = field(default_factory=list)

    def filters(self, **names: Any) -> DocFilter:
        with self.uow_factory() as uow:
            return resolve_filter(uow, **names)

    def search(
        self,
        query: str,
        *,
        filters: DocFilter,
        limit: int = 10,
        mode: SearchMode = "hybrid",
        hide: Callable[[HistoryDoc], bool] | None = None,
    ) -> SearchResult:
        if not query.strip():
            raise InvalidInput("搜索内容不能为空")
        if len(query) > 500:
            raise InvalidInput("搜索内容太长，最多 500 个字符")
        return self.search_use_case.search(
            query, filters=filters, limit=limit, mode=mode, hide=hide
        )

    def ask(
        self,
        question: str,
        *,
        filters: DocFilter,
        now: datetime | None = None,
        asker: str | None = None,
        hide: Callable[[HistoryDoc], bool] | None = None,
    ) -> Answer:
        if not question.strip():
            raise InvalidInput("问题不能为空")
        if len(question) > 500:
            raise InvalidInput("问题太长，最多 500 个字符")
        return self.answerer.answer(question, filters=filters, now=now, asker=asker, hide=hide)

    def view(self, viewer: Member | None, policy: PermissionPolicy | None = None) -> ReaderView:
        """What ``viewer`` may read of the memory (``None``: nobody's credential), for the
        surfaces outside a tool call (REST, CLI)."""
        viewer_id = viewer.id if viewer is not None else None

        def lookup(project_id: int) -> tuple[Project | None, str | None]:
            with self.uow_factory() as uow:
                project = uow.projects.get(project_id)
                role = uow.projects.role_of(project_id, viewer_id) if viewer_id else None
            return project, role

        return reader_view(viewer, lookup, policy)

    def ask_tool(self, scope: Scope, args: Ask) -> Applied:
        """Handler of the ``ask`` tool: the answer as of the message's time, asked by the
        sender, in the project named (or anywhere)."""
        from tools.scope import Applied

        scope.check("ask")
        project = scope.project(args.project) if args.project else None
        filters = DocFilter(
            kinds=(args.kind,) if args.kind else (),
            project_ids=(project.id,) if project is not None and project.id is not None else (),
        )
        own = scope_view(scope)
        audience = audience_view(scope)
        if audience is None:
            answer = self.ask(
                args.question,
                filters=filters,
                now=scope.now,
                asker=scope.actor.display_name,
                hide=own,
            )
            return Applied(kind="answer", summary=answer.to_dict())
        # In a group the answer is read by everyone in it: it stands only on what all of them
        # may read. When the asker alone could have been told more, the group is told so.
        answer = self.ask(
            args.question,
            filters=filters,
            now=scope.now,
            asker=scope.actor.display_name,
            hide=lambda doc: own(doc) or audience(doc),
        )
        summary = answer.to_dict()
        if audience.hidden:
            full = self.ask(
                args.question,
                filters=filters,
                now=scope.now,
                asker=scope.actor.display_name,
                hide=own,
            )
            shown = {s.doc_id for s in answer.sources}
            withheld = [s for s in full.sources if s.doc_id not in shown and s.kind == "file"]
            if withheld:
                summary["withheld"] = len(withheld)
                summary["answer"] = (
                    f"{summary['answer']}\n🔒 还有 {len(withheld)} 份只给项目成员看的文件没有在群里列出；"
                    f"私聊我再问一次可以看到。"
                ).lstrip()
        return Applied(kind="answer", summary=summary)

    def loop(self) -> IndexLoop:
        """The indexing loop; the in-memory copy of the index starts loading with it (a
        process that indexes will search too), and otherwise at the first search."""
        if self.search_use_case.hot is not None:
            self.search_use_case.hot.start()
        return IndexLoop(self.indexer, interval=self.interval)

    def close(self) -> None:
        for closer in self.closers:
            closer()


@dataclass
class AudienceView:
    """What everyone in a group chat may read: files of a project only when all of them are its
    people. A console room lists its members completely; a WeCom group or bot chat knows its
    people from WeCom's roster and who spoke, which may lag behind, so there only the files of
    the chat's own project are shown (its roster is the project's, kept by the roster sync).
    ``hidden`` counts the passages it kept back."""

    visible: Callable[[int], bool]
    hidden: int = 0
    _seen: dict[int, bool] = field(default_factory=dict)

    def __call__(self, doc: HistoryDoc) -> bool:
        if doc.kind != "file" or not doc.project_id:
            return False
        if doc.project_id not in self._seen:
            self._seen[doc.project_id] = self.visible(doc.project_id)
        if self._seen[doc.project_id]:
            return False
        self.hidden += 1
        return True


def audience_view(scope: Scope) -> AudienceView | None:
    """The group's view of an answer given in ``scope``'s chat; ``None`` in a one-person chat
    (or outside any chat), where the asker is the only reader."""
    from tools.permissions import sees_project_files

    if scope.chat_id is None:
        return None
    chat = scope.uow.chats.get(scope.chat_id)
    if chat is None or chat.private:
        return None

    def visible(project_id: int) -> bool:
        if chat.channel != "console" or not chat.member_ids:
            return chat.project_id == project_id
        project = scope.uow.projects.get(project_id)
        for member_id in chat.member_ids:
            member = scope.uow.members.get(member_id)
            role = scope.uow.projects.role_of(project_id, member_id)
            if member is None or not sees_project_files(member, project, role):
                return False
        return True

    return AudienceView(visible)


def scope_view(scope: Scope) -> ReaderView:
    """What the sender of a tool call may read of the memory: no files of projects they are
    not in, no budget figures of projects whose budget they may not see."""
    actor_id = scope.actor.id

    def lookup(project_id: int) -> tuple[Project | None, str | None]:
        project = scope.uow.projects.get(project_id)
        role = scope.uow.projects.role_of(project_id, actor_id) if actor_id is not None else None
        return project, role

    return ReaderView(
        viewer=scope.actor, lookup=lookup, budget_ok=lambda project, _: scope.sees_budget(project)
    )
