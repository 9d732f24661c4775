"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.auth import ANONYMOUS, Principal
from assistant.bootstrap import Qunmi
from assistant.domain import Role
from assistant.errors import PermissionDenied

__all__ = ["PrincipalDep", "QunmiDep", "acting_as"]


async def get_qunmi(request: Request) -> Qunmi:
    # async: a plain attribute read, not worth a hop to the thread pool on every request
    qunmi: Qunmi = request.app.state.qunmi
    return qunmi


async def get_principal(request: Request) -> Principal:
    principal: Principal = getattr(request.state, "principal", ANONYMOUS)
    return principal


QunmiDep = Annotated[Qunmi, Depends(get_qunmi)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


def acting_as(q: Qunmi, principal: Principal, claimed: str | int | None) -> str | int:
    """The actor a call runs as: the authenticated member. A ``claimed`` actor (from a body)
    that names someone else is refused. The local operator (local mode only) acts as the
    claimed actor, or as the first admin when none is given."""
    if principal.member is not None and principal.member.id is not None:
        if claimed is not None and not principal.matches(claimed):
            raise PermissionDenied(
                f"操作人只由登录身份决定：你是 {principal.member.display_name}，"
                f"不能以“{claimed}”的身份操作",
                details={"claimed": str(claimed), "authenticated": principal.member.id},
            )
        return principal.member.id
    if principal.kind == "local":
        if claimed is not None:
            return claimed
        with q.uow_factory() as uow:
            admin = next((m for m in uow.members.all() if m.role == Role.ADMIN), None)
        if admin is None or admin.id is None:
            raise PermissionDenied("本机模式下没有管理员：请在请求里写明 actor")
        return admin.id
    raise PermissionDenied(f"{principal.describe()}不能代表成员操作：请用个人令牌")
