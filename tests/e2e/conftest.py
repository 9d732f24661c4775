"""Browser tests wait for the page, not for a fixed time: on a busy 2-core machine a reload of the
console (ECharts included) can take longer than Playwright's 5 s default, so every ``expect``
waits up to 20 s. A passing check still returns as soon as it holds."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _patient_expect() -> None:
    try:
        from playwright.sync_api import expect
    except ImportError:  # the browser tests skip themselves without playwright
        return
    expect.set_options(timeout=20_000)
