"""The web console: one page (plain HTML and a small script) over the REST API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

__all__ = ["STATIC_DIR", "router"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["console"], include_in_schema=False)


@router.get("/")
def console_page() -> FileResponse:
    """Pick who you are, type into a group chat, watch cards, tasks and meetings update."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")
