"""Commands registered by this module are added as the feature lands."""

from __future__ import annotations

import typer


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    del app, eval_app
