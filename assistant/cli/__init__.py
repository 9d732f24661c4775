"""The ``qunmi`` command line. Each module below registers its own commands on the app.

Heavy dependencies (ORM, web server, models) are imported inside the commands so that
``qunmi parse`` and ``qunmi time`` start fast.
"""

from __future__ import annotations

import importlib

import typer

__all__ = ["app", "eval_app", "main"]

app = typer.Typer(
    name="qunmi",
    help="群秘 Qunmi：群聊里的 AI 项目秘书。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="评测：打印质量指标表。", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

# Each module defines ``register(app, eval_app)``.
_COMMAND_MODULES = (
    "assistant.cli.core",
    "assistant.cli.timecmd",
    "assistant.cli.parsecmd",
    "assistant.cli.evalparse",
    "assistant.cli.transcribe",
    "assistant.cli.channels",
    "assistant.cli.reminders",
    "assistant.cli.memorycmd",
    "assistant.cli.filescmd",
    "assistant.cli.folderscmd",
    "assistant.cli.risk",
    "assistant.cli.summarize",
    "assistant.cli.reports",
    "assistant.cli.tokens",
)

for _module in _COMMAND_MODULES:
    importlib.import_module(_module).register(app, eval_app)


def main() -> None:
    app()
