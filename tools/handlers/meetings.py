"""Meetings: scheduling, moving and cancelling them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assistant.domain import Meeting, MeetingStatus
from assistant.errors import Conflict, InvalidInput
from tools.permissions import Target
from tools.records import meeting_record
from tools.scope import Applied, Scope
from tools.vocabulary import CancelMeeting, CreateMeeting, RescheduleMeeting, UpdateMeeting

__all__ = [
    "attendee_ids",
    "cancel_meeting",
    "create_meeting",
    "reschedule_meeting",
    "update_meeting",
]


def attendee_ids(scope: Scope, attendees: list[str] | str | None) -> list[int]:
    """The sender plus the people named; "all" (or nobody named) is the chat and its project."""
    ids: list[int | None] = [scope.actor.id]
    if attendees == "all" or attendees is None:
        ids.extend(scope.chat_member_ids)
        if scope.project_id is not None:
            project = scope.uow.projects.get(scope.project_id)
            if project is not None:
                ids.extend(project.member_ids)
    else:
        ids.extend(scope.member(name).id for name in attendees)
    return [i for i in dict.fromkeys(ids) if i is not None]


def create_meeting(scope: Scope, args: CreateMeeting) -> Applied:
    config = scope.config
    if args.start < scope.now - config.meeting_past_tolerance:
        raise InvalidInput(
            f"会议开始时间 {args.start.astimezone(config.tz):%m月%d日 %H:%M} 已经过去了，请确认时间。"
        )
    end = args.end
    if end is None:
        minutes = args.duration_minutes or config.default_meeting_minutes
        end = args.start + timedelta(minutes=minutes)
    if end <= args.start:
        raise InvalidInput("会议结束时间必须晚于开始时间")
    remind = args.remind_before_minutes
    if remind is None:
        remind = config.default_remind_before_minutes
    scope.check("create_meeting")
    meeting = scope.uow.meetings.add(
        Meeting(
            title=args.title,
            start=args.start,
            end=end,
            location=args.location,
            attendee_ids=attendee_ids(scope, args.attendees),
            agenda=list(args.agenda or []),
            remind_before_minutes=[remind],
            organizer_id=scope.actor.id,
            project_id=scope.project_id,
            chat_id=scope.chat_id,
            source_message_id=scope.message_id,
            recurrence=args.recurrence,
            created_at=scope.now,
        )
    )
    record = meeting_record(meeting, scope.names, config.tz)
    record["attendees_all"] = args.attendees in (None, "all")
    return Applied(
        kind="meeting",
        record=record,
        undo={"op": "delete", "kind": "meeting", "id": meeting.id},
    )


def reschedule_meeting(scope: Scope, args: RescheduleMeeting) -> Applied:
    config = scope.config
    meeting = scope.meeting(args.meeting)
    if meeting.status != MeetingStatus.SCHEDULED:
        state = "取消" if meeting.status == MeetingStatus.CANCELLED else "结束"
        raise Conflict(f"会议 #{meeting.id}「{meeting.title}」已经{state}，不能改期")
    scope.check("reschedule_meeting", Target(meeting=meeting))
    before_start = meeting.start
    before = {
        "start": meeting.start.isoformat(),
        "end": meeting.end.isoformat() if meeting.end else None,
    }
    duration = (
        (meeting.end - meeting.start)
        if meeting.end
        else timedelta(minutes=config.default_meeting_minutes)
    )
    if args.start is not None:
        start = args.start
        end = args.end or start + duration
    else:
        shift = timedelta(minutes=args.shift_minutes or 0)
        start, end = meeting.start + shift, meeting.start + duration + shift
    if end <= start:
        raise InvalidInput("会议结束时间必须晚于开始时间")
    if meeting.recurrence is None and start < scope.now - config.meeting_past_tolerance:
        raise InvalidInput(
            f"新的开始时间 {start.astimezone(config.tz):%m月%d日 %H:%M} 已经过去了，请确认时间。"
        )
    meeting.start, meeting.end = start, end
    meeting = scope.uow.meetings.update(meeting)
    record = meeting_record(meeting, scope.names, config.tz)
    record["previous_start"] = before_start.astimezone(config.tz).isoformat()
    return Applied(
        kind="meeting",
        record=record,
        undo={"op": "restore", "kind": "meeting", "id": meeting.id, "fields": before},
    )


def update_meeting(scope: Scope, args: UpdateMeeting) -> Applied:
    meeting = scope.meeting(args.meeting)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict(f"会议 #{meeting.id}「{meeting.title}」已经不在日程上了，不能修改")
    changes = {
        name
        for name in (
            "title",
            "location",
            "agenda",
            "add_attendees",
            "remove_attendees",
            "remind_before_minutes",
        )
        if getattr(args, name) is not None
    }
    if not changes:
        raise InvalidInput("没有要修改的内容：请说明地点、标题、议题、参会人或提醒时间。")
    scope.check("update_meeting", Target(meeting=meeting, changes=frozenset(changes)))
    before = {
        "title": meeting.title,
        "location": meeting.location,
        "agenda": list(meeting.agenda),
        "attendee_ids": list(meeting.attendee_ids),
        "remind_before_minutes": list(meeting.remind_before_minutes),
    }
    if args.title is not None:
        meeting.title = args.title
    if args.location is not None:
        meeting.location = args.location
    if args.agenda is not None:
        meeting.agenda = list(args.agenda)
    if args.remind_before_minutes is not None:
        meeting.remind_before_minutes = [args.remind_before_minutes]
    added: list[int] = []
    if args.add_attendees is not None:
        wanted = (
            attendee_ids(scope, "all")
            if args.add_attendees == "all"
            else [scope.member(name).id for name in args.add_attendees]
        )
        added = [
            i for i in dict.fromkeys(wanted) if i is not None and i not in meeting.attendee_ids
        ]
        meeting.attendee_ids = [*meeting.attendee_ids, *added]
    removed: list[int] = []
    if args.remove_attendees:
        removed = [scope.member(name).id or 0 for name in args.remove_attendees]
        meeting.attendee_ids = [i for i in meeting.attendee_ids if i not in removed]
    meeting = scope.uow.meetings.update(meeting)
    record = meeting_record(meeting, scope.names, scope.tz)
    record["changes"] = sorted(changes)
    record["added_attendees"] = [scope.names.get(i, str(i)) for i in added]
    record["removed_attendees"] = [scope.names.get(i, str(i)) for i in removed]
    return Applied(
        kind="meeting",
        record=record,
        undo={"op": "restore", "kind": "meeting", "id": meeting.id, "fields": before},
    )


def cancel_meeting(scope: Scope, args: CancelMeeting) -> Applied:
    meeting = scope.meeting(args.meeting)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(f"会议 #{meeting.id}「{meeting.title}」已经取消了")
    scope.check("cancel_meeting", Target(meeting=meeting))
    occurrence = args.occurrence
    if occurrence is not None and meeting.recurrence is None:
        if meeting.start.astimezone(scope.tz).date() != occurrence:
            raise InvalidInput(
                f"会议 #{meeting.id}「{meeting.title}」不是重复的会，"
                f"{occurrence:%m月%d日}那天也没有它。"
            )
        occurrence = None  # the one meeting on that day: cancel it
    if occurrence is not None:
        if occurrence < meeting.start.astimezone(scope.tz).date():
            raise InvalidInput(f"{occurrence:%m月%d日}在这个例会开始之前，没有这一次。")
        day = occurrence.isoformat()
        if day in meeting.skipped_dates:
            raise Conflict(f"{occurrence:%m月%d日}那一次已经取消了")
        before: dict[str, Any] = {"skipped_dates": list(meeting.skipped_dates)}
        meeting.skipped_dates = sorted([*meeting.skipped_dates, day])
    else:
        before = {"status": meeting.status.value}
        meeting.status = MeetingStatus.CANCELLED
    meeting = scope.uow.meetings.update(meeting)
    record = meeting_record(meeting, scope.names, scope.tz)
    if occurrence is not None:
        record["cancelled_occurrence"] = occurrence.isoformat()
    if args.reason:
        record["reason"] = args.reason
    return Applied(
        kind="meeting",
        record=record,
        undo={"op": "restore", "kind": "meeting", "id": meeting.id, "fields": before},
    )
