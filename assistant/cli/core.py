"""Foundation commands: serve, projects, members, tasks, meetings, say."""

from __future__ import annotations

import typer


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    del eval_app
