"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.bootstrap import Qunmi


def get_qunmi(request: Request) -> Qunmi:
    qunmi: Qunmi = request.app.state.qunmi
    return qunmi


QunmiDep = Annotated[Qunmi, Depends(get_qunmi)]
