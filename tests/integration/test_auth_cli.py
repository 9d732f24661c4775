"""``qunmi token create / list / revoke``: shown once, hashed at rest, revocable, time-aware."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.identity import hash_secret

runner = CliRunner()
NOW = "2026-12-01T10:00:00+08:00"


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUNMI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("QUNMI_DATABASE_URL", raising=False)
    monkeypatch.setenv("QUNMI_ENGINE", "rules")


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_token_life_cycle_from_the_cli() -> None:
    assert run("members", "add", "陈静", "--role", "admin")[0] == 0
    assert run("members", "add", "李四")[0] == 0
    code, out = run("members", "add", "陈\u200b静\u202e", "--role", "member")
    assert code != 0 and "陈静" in out  # a lookalike is the same name
    code, out = run("members", "add", "李\ufeff四二", "--alias", "李\u200d四")
    assert code != 0 and "李四" in out

    code, out = run("token", "create", "--member", "李四", "--now", NOW, "--json")
    assert code == 0, out
    made = json.loads(out)
    secret = made["token"]
    assert secret.startswith("qm_") and made["scopes"] == ["read", "write"]
    code, out = run("token", "create", "--member", "李四", "--scope", "admin", "--now", NOW)
    assert code != 0 and "不是管理员" in out
    code, out = run(
        "token", "create", "--member", "陈静", "--scope", "admin",
        "--expires", "2026-12-01T09:00:00+08:00", "--now", NOW,
    )  # fmt: skip
    assert code != 0 and "将来" in out
    code, out = run(
        "token", "create", "--member", "陈静", "--scope", "admin", "--scope", "read",
        "--expires", "2026-12-02T10:00:00+08:00", "--now", NOW, "--json",
    )  # fmt: skip
    assert code == 0, out

    code, out = run("token", "list", "--json", "--now", NOW)
    listed = json.loads(out)
    assert [(t["member"], t["active"]) for t in listed] == [("李四", True), ("陈静", True)]
    assert secret not in out and hash_secret(secret) not in out
    # The same list a day and a bit later: 陈静's token has expired.
    code, out = run("token", "list", "--json", "--now", "2026-12-02T11:00:00+08:00")
    assert [t["active"] for t in json.loads(out)] == [True, False]

    assert run("token", "revoke", str(made["id"]), "--now", NOW)[0] == 0
    code, out = run("token", "list", "--json", "--member", "李四", "--now", NOW)
    assert [(t["revoked"], t["active"]) for t in json.loads(out)] == [(True, False)]
    code, out = run("token", "revoke", "999")
    assert code != 0 and "不存在" in out
