"""A real Qunmi server whose rule engine is slowed down, for restart tests and benchmarks:
``python -m tests.slow_server --db sqlite:///... --port 8123 [--delay 0.05] [--lease 2]``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import uvicorn

from api.app import create_app
from assistant.bootstrap import bootstrap
from assistant.domain import ChatContext, IncomingMessage, ToolCall
from assistant.engines.rules import RuleEngine
from assistant.settings import Settings


class SlowRuleEngine:
    name = "slow-rules"

    def __init__(self, delay: float) -> None:
        self.inner = RuleEngine()
        self.delay = delay

    def understand(self, message: IncomingMessage, context: ChatContext) -> list[ToolCall]:
        time.sleep(self.delay)
        return self.inner.understand(message, context)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--lease", type=int, default=2)
    args = parser.parse_args()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=args.db,
        data_dir=Path(args.data_dir),
        engine="rules",
        inbox_lease_seconds=args.lease,
        console_url="",
    )
    engine = SlowRuleEngine(args.delay) if args.delay > 0 else RuleEngine()
    q = bootstrap(settings, engine=engine)
    uvicorn.run(
        create_app(q, seed_demo=True), host="127.0.0.1", port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
