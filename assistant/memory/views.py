"""Search hits and index status as plain JSON-ready dicts, for the CLI and the API."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from assistant.memory.answer import Answerer
from assistant.memory.ports import HistoryStats
from assistant.memory.search import SearchHit, SearchResult

__all__ = ["hit_record", "search_record", "stats_record"]


def hit_record(hit: SearchHit, tz: tzinfo, answerer: Answerer | None = None) -> dict[str, Any]:
    doc = hit.doc
    return {
        "kind": doc.kind,
        "id": doc.record_id,
        "source": doc.source,
        "chat": doc.chat,
        "project": doc.project,
        "sender": doc.sender,
        "time": doc.time.astimezone(tz).isoformat(),
        "text": doc.text,
        "score": round(hit.score, 6),
        "relevance": round(hit.relevance, 3),
        "link": answerer.link(doc) if answerer is not None else None,
    }


def search_record(
    result: SearchResult, tz: tzinfo, answerer: Answerer | None = None
) -> dict[str, Any]:
    return {
        "query": result.query,
        "mode": result.mode,
        "degraded": result.degraded,
        "hits": [hit_record(h, tz, answerer) for h in result.hits],
    }


def _iso(value: datetime | None, tz: tzinfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


def stats_record(stats: HistoryStats, tz: tzinfo, *, now: datetime) -> dict[str, Any]:
    oldest = [t for t in (stats.oldest_queued, stats.oldest_pending) if t is not None]
    lag = max(0.0, (now - min(oldest)).total_seconds()) if oldest else 0.0
    return {
        "docs": stats.docs,
        "docs_by_kind": dict(sorted(stats.docs_by_kind.items())),
        "queued_records": stats.queued_records,
        "pending_vectors": stats.pending_vectors,
        "lag_seconds": round(lag, 1),
        "oldest_queued": _iso(stats.oldest_queued, tz),
        "oldest_pending": _iso(stats.oldest_pending, tz),
        "embedder": stats.embedder,
        "last_error": stats.last_error,
        "retry_at": _iso(stats.retry_at, tz),
    }
