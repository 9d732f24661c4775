"""The handlers of the task-store tools, one module per kind of record.

``CORE_HANDLERS`` maps each tool name to its handler; the executor starts from it and the
composition root adds the handlers of tools backed by other services.
"""

from __future__ import annotations

from tools.handlers.chats import set_reminders
from tools.handlers.meetings import (
    cancel_meeting,
    create_meeting,
    reschedule_meeting,
    update_meeting,
)
from tools.handlers.projects import add_member, create_milestone, create_project, update_project
from tools.handlers.queries import query
from tools.handlers.tasks import create_task, update_task
from tools.scope import Handler

__all__ = ["CORE_HANDLERS"]

CORE_HANDLERS: dict[str, Handler] = {
    "create_project": create_project,
    "update_project": update_project,
    "create_milestone": create_milestone,
    "add_member": add_member,
    "create_task": create_task,
    "update_task": update_task,
    "create_meeting": create_meeting,
    "reschedule_meeting": reschedule_meeting,
    "update_meeting": update_meeting,
    "cancel_meeting": cancel_meeting,
    "query": query,
    "set_reminders": set_reminders,
}
"""Tools the task store answers alone. ``ask``, ``summarize``, ``report`` and the ``risk``
query need services (memory, summaries, reports, the risk model) and are registered by the
composition root."""
