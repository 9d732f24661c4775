"""``qunmi token create / list / revoke``: per-person API tokens, managed on this machine.

The CLI runs as the local operator (it opens the database directly), like an admin: a token's
secret is printed once and only its SHA-256 is stored.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from assistant.cli.core import JsonOpt, _fail, _qunmi, _table, console

__all__ = ["register"]

NowOpt = Annotated[
    str | None,
    typer.Option("--now", help="把“现在”当作这个时间（ISO 8601，带偏移）；默认为当前时间"),
]


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    tokens = typer.Typer(
        help="个人 API 令牌：创建（只显示一次）、列出、吊销。", no_args_is_help=True
    )
    app.add_typer(tokens, name="token")

    @tokens.command("create")
    def token_create(
        member: Annotated[
            str, typer.Option("--member", "-m", help="令牌属于谁（名字、别名或 id）")
        ],
        scope: Annotated[
            list[str] | None,
            typer.Option(
                "--scope", "-s", help="权限：read / write / admin（可重复）；默认 read+write"
            ),
        ] = None,
        expires: Annotated[
            str | None, typer.Option("--expires", help="过期时间（ISO 8601，带偏移）")
        ] = None,
        label: Annotated[str, typer.Option("--label", help="备注")] = "",
        now: NowOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Create a token for MEMBER and print it once."""
        from datetime import datetime

        from assistant.errors import QunmiError
        from assistant.services.identity import IdentityService

        try:
            expires_at = datetime.fromisoformat(expires) if expires else None
        except ValueError:
            _fail(f"--expires 不是 ISO 8601 时间：{expires}")
        if expires_at is not None and expires_at.tzinfo is None:
            _fail("--expires 需要带时区偏移，例如 2026-12-31T18:00:00+08:00")
        q = _qunmi(now=now)
        try:
            service = IdentityService(uow_factory=q.uow_factory, clock=q.clock)
            secret, token, person = service.create_token(
                member=member, scopes=scope or ["read", "write"], expires_at=expires_at, label=label
            )
        except QunmiError as exc:
            _fail(exc.reason)
        finally:
            q.close()
        if as_json:
            print(
                json.dumps(
                    {
                        "id": token.id,
                        "member": person.display_name,
                        "scopes": token.scopes,
                        "token": secret,
                    },
                    ensure_ascii=False,
                )
            )
            return
        console.print(
            f"已为 {person.display_name} 创建令牌 #{token.id}（{'、'.join(token.scopes)}）："
        )
        print(secret)
        console.print("[yellow]令牌只显示这一次，请妥善保存。[/yellow]")

    @tokens.command("list")
    def token_list(
        member: Annotated[str | None, typer.Option("--member", "-m")] = None,
        now: NowOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """List tokens (never their secrets)."""
        from assistant.errors import QunmiError
        from assistant.services.identity import IdentityService

        q = _qunmi(now=now)
        try:
            rows = IdentityService(uow_factory=q.uow_factory, clock=q.clock).tokens(member=member)
        except QunmiError as exc:
            _fail(exc.reason)
        finally:
            q.close()
        current = q.clock.now()
        items = [
            {
                "id": t.id,
                "member": name,
                "label": t.label,
                "prefix": t.prefix,
                "scopes": t.scopes,
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "revoked": t.revoked_at is not None,
                "active": t.active(current),
            }
            for t, name in rows
        ]
        if as_json:
            print(json.dumps(items, ensure_ascii=False))
            return
        _table(
            "令牌",
            ["#", "成员", "备注", "前缀", "权限", "过期", "状态"],
            [
                [
                    t.id,
                    name,
                    t.label,
                    t.prefix + "…",
                    "、".join(t.scopes),
                    t.expires_at.isoformat() if t.expires_at else "—",
                    "有效" if t.active(current) else "已失效",
                ]
                for t, name in rows
            ],
        )

    @tokens.command("revoke")
    def token_revoke(token_id: int, now: NowOpt = None) -> None:
        """Revoke token TOKEN_ID at once."""
        from assistant.errors import QunmiError
        from assistant.services.identity import IdentityService

        q = _qunmi(now=now)
        try:
            IdentityService(uow_factory=q.uow_factory, clock=q.clock).revoke(token_id)
        except QunmiError as exc:
            _fail(exc.reason)
        finally:
            q.close()
        console.print(f"令牌 #{token_id} 已吊销。")
