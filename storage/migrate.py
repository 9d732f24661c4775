"""Schema migrations (Alembic), applied by the app on start and by ``make``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

__all__ = ["alembic_config", "upgrade"]

_SCRIPTS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@cache
def _heads() -> frozenset[str]:
    """The head revisions of the scripts (read once a process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision``. A database already at the head
    is only looked at: no script is loaded (they were, on every start and every test)."""
    cfg = alembic_config()
    with engine.begin() as connection:
        if revision == "head":
            current = MigrationContext.configure(connection).get_current_heads()
            if frozenset(current) == _heads():
                return
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
