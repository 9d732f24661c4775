"""A real Qunmi server whose rule engine is slowed down, for restart tests and benchmarks:
``python -m tests.slow_server --db sqlite:///... --port 8123 [--delay 0.05] [--lease 2]``;
with ``--llm-base-url`` the LLM engine against that (scripted) OpenAI-compatible server."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import uvicorn
from pydantic import SecretStr

from api.app import create_app
from assistant.bootstrap import bootstrap
from assistant.domain import ChatContext, IncomingMessage, ToolCall
from assistant.engines.rules import RuleEngine
from assistant.settings import LLMSettings, Settings


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
    parser.add_argument("--llm-base-url")
    parser.add_argument("--console-url", default="")
    args = parser.parse_args()
    llm = LLMSettings()
    if args.llm_base_url:
        llm = LLMSettings(
            base_url=args.llm_base_url,
            api_key=SecretStr("sk-test"),
            model="scripted-1",
            timeout_seconds=60.0,
            max_retries=0,
        )
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=args.db,
        data_dir=Path(args.data_dir),
        engine="llm" if args.llm_base_url else "rules",
        inbox_lease_seconds=args.lease,
        console_url=args.console_url,
        llm=llm,
    )
    engine = None
    if not args.llm_base_url:
        engine = SlowRuleEngine(args.delay) if args.delay > 0 else RuleEngine()
    q = bootstrap(settings, engine=engine)
    uvicorn.run(
        create_app(q, seed_demo=True), host="127.0.0.1", port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
