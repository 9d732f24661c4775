"""Schemathesis over the whole OpenAPI of the running app: no input it can make yields a 5xx, and
every answer matches the schema it documents (refusals included).

Bounded so that it fits ``make test``: a fixed seed (``derandomize``), a small example budget
per operation, no shrinking beyond a few steps. ``QUNMI_SCHEMATHESIS_EXAMPLES`` raises the
budget for a longer local run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from assistant.bootstrap import bootstrap
from assistant.clock import FixedClock
from assistant.engines.rules import RuleEngine
from assistant.settings import Settings
from tests.conftest import NOW

EXAMPLES = int(os.environ.get("QUNMI_SCHEMATHESIS_EXAMPLES", "15"))
_TMP = tempfile.TemporaryDirectory(prefix="qunmi-fuzz-")


def _app() -> Any:
    """The real app on a fresh SQLite file with the demo team; the worker is off, so wait=false
    messages stay queued and nothing races the fuzzer."""
    tmp = Path(_TMP.name)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp / "data",
        database_url=f"sqlite:///{tmp / 'fuzz.db'}",
        engine="rules",
        console_url="",
    )
    q = bootstrap(settings, clock=FixedClock(NOW), engine=RuleEngine())
    app = create_app(q, start_worker=False, seed_demo=True)
    return app


APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@pytest.fixture(scope="module", autouse=True)
def _lifespan() -> Any:
    from fastapi.testclient import TestClient

    with TestClient(APP):  # runs the lifespan: the demo team is there to be found
        yield
    APP.state.qunmi.close()
    _TMP.cleanup()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors_and_responses_match_the_schema(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)
