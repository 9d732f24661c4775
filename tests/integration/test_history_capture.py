"""Change capture holds for every store a process opens, not only the first: the suite opens
hundreds, and a long-lived process may reopen its store. Each new unit-of-work factory's
sessions must queue what they change for the memory."""

from __future__ import annotations

import gc

from sqlalchemy import func, select

from assistant.domain import Member, Task
from storage.migrate import upgrade
from storage.orm import HistoryQueueRow
from storage.unit_of_work import make_engine, make_uow_factory
from tests.conftest import NOW


def test_every_new_factory_queues_its_changes(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        with make_uow_factory(engine)() as uow:
            creator = uow.members.add(Member(display_name="张伟", created_at=NOW))
            uow.commit()
        for i in range(12):
            uow_factory = make_uow_factory(engine)
            with uow_factory() as uow:
                task = uow.tasks.add(Task(title=f"任务{i}", creator_id=creator.id, created_at=NOW))
                uow.commit()
            with engine.connect() as conn:
                queued = conn.execute(
                    select(func.count())
                    .select_from(HistoryQueueRow)
                    .where(HistoryQueueRow.source == "task", HistoryQueueRow.record_id == task.id)
                ).scalar_one()
            assert queued == 1, f"factory {i} queued {queued} rows for its task"
            # Drop the factory so the next one may take its address.
            del uow_factory, uow
            gc.collect()
    finally:
        engine.dispose()
