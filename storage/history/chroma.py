"""``ChromaHistoryIndex``: the ``HistoryIndex`` port on Chroma, embedded (``PersistentClient``)
or a server (``HttpClient``, ``chroma run``).

Embeddings come from our own registered embedding function (``QunmiEmbeddingFunction``), never
Chroma's default (which would download a model at run time). Each embedder has its own
collections, named after it, so switching embedders starts a fresh set.

Filtering in Chroma's local engine is slow (a ``where`` on one field costs about 200 ms at
100k passages, against 3 ms unfiltered), so the project filter, the common one, is served
from per-project collections: every passage is written to the embedder's main collection
(``qunmi-e5-small-q4``) and to its project's (``qunmi-e5-small-q4-p3``), and a search in one
project queries that small collection without a filter. Other filters (chat, kind, sender,
time) first over-fetch from the unfiltered collection and filter the candidates; only when
too few survive does the search fall back to Chroma's ``where``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from assistant.errors import HistoryUnavailable, InvalidInput, ModelError, QunmiError
from assistant.memory.ports import NO_FILTER, DocFilter, Embedder, HistoryDoc, ScoredDoc, Vectors

__all__ = [
    "ChromaHistoryIndex",
    "QunmiEmbeddingFunction",
    "chroma_client_factory",
    "collection_name",
]

log = logging.getLogger(__name__)

_EMBEDDERS: dict[str, Embedder] = {}
_BATCH = 1000
_OVERFETCH = 10
_MIN_CANDIDATES = 100
_MAX_CANDIDATES = 1000
_HNSW = {"space": "cosine", "ef_construction": 128, "ef_search": 64, "max_neighbors": 16}


@register_embedding_function
class QunmiEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's view of one of our ``Embedder`` s (offline models, or an OpenAI-compatible
    endpoint). Registered under the name ``qunmi``; the collection's stored configuration
    names the embedder, and a collection opened without an embedding function gets the
    embedder this process made under that name (never a download)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        _EMBEDDERS[embedder.name] = embedder

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's signature
        return list(self.embedder.embed_documents(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's signature
        return [self.embedder.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return "qunmi"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self.embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> QunmiEmbeddingFunction:
        name = str(config.get("embedder", ""))
        embedder = _EMBEDDERS.get(name)
        if embedder is None:
            raise ValueError(
                f"embedder {name!r} is not loaded in this process; open the collection through "
                "ChromaHistoryIndex"
            )
        return QunmiEmbeddingFunction(embedder)

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        if not isinstance(config.get("embedder"), str):
            raise ValueError("the qunmi embedding function needs an embedder name")


def collection_name(prefix: str, embedder: str, project_id: int | None = None) -> str:
    """``qunmi-e5-small-q4`` or, for a project's collection, ``qunmi-e5-small-q4-p3``."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{prefix}-{embedder}").strip("-._")
    name = base if project_id is None else f"{base}-p{project_id}"
    return name[:500]


def chroma_client_factory(
    *, url: str | None, path: str | None, timeout_seconds: float = 10.0
) -> Callable[[], Any]:
    """A function that connects (each call, until one succeeds): an ``HttpClient`` for ``url``,
    else a ``PersistentClient`` at ``path``, else an in-memory ``EphemeralClient`` (tests).
    Telemetry is off either way."""
    import chromadb
    from chromadb.config import Settings as ChromaConfig

    config = ChromaConfig(anonymized_telemetry=False, allow_reset=False)

    def connect() -> Any:
        if url:
            parsed = urlparse(url if "://" in url else f"http://{url}")
            if not parsed.hostname:
                raise InvalidInput(f"QUNMI_CHROMA__URL 不是合法的地址：{url}")
            ssl = parsed.scheme == "https"
            return chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if ssl else 8000),
                ssl=ssl,
                settings=config,
            )
        if path:
            return chromadb.PersistentClient(path=path, settings=config)
        return chromadb.EphemeralClient(settings=config)

    return connect


def _metadata(doc: HistoryDoc) -> dict[str, str | int | float | bool]:
    meta: dict[str, str | int | float | bool] = {
        "source": doc.source,
        "record_id": doc.record_id,
        "part": doc.part,
        "version": doc.version,
        "kind": doc.kind,
        "time": int(doc.time.timestamp()),
        "time_iso": doc.time.isoformat(),
    }
    optional = {
        "title": doc.title,
        "chat_id": doc.chat_id,
        "chat": doc.chat,
        "project_id": doc.project_id,
        "project": doc.project,
        "sender_id": doc.sender_id,
        "sender": doc.sender,
        "context": doc.context,
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    return meta


def _doc(text: str | None, meta: dict[str, Any]) -> HistoryDoc:
    return HistoryDoc(
        source=str(meta["source"]),
        record_id=int(meta["record_id"]),
        kind=str(meta["kind"]),  # type: ignore[arg-type]
        text=text or "",
        time=datetime.fromisoformat(str(meta["time_iso"])),
        version=str(meta["version"]),
        part=int(meta.get("part", 0)),
        title=meta.get("title"),
        chat_id=meta.get("chat_id"),
        chat=meta.get("chat"),
        project_id=meta.get("project_id"),
        project=meta.get("project"),
        sender_id=meta.get("sender_id"),
        sender=meta.get("sender"),
        context=meta.get("context"),
    )


def _where(filters: DocFilter, *, skip_project: bool) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    for key, values in (
        ("kind", filters.kinds),
        ("chat_id", filters.chat_ids),
        ("sender_id", filters.sender_ids),
        ("project_id", () if skip_project else filters.project_ids),
    ):
        if values:
            clauses.append({key: {"$in": list(values)}})
    if filters.since is not None:
        clauses.append({"time": {"$gte": int(filters.since.timestamp())}})
    if filters.until is not None:
        clauses.append({"time": {"$lte": int(filters.until.timestamp())}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class ChromaHistoryIndex:
    """Passages and their vectors in Chroma (see the module docstring for the layout)."""

    def __init__(
        self,
        *,
        connect: Callable[[], Any],
        embedder: Embedder,
        prefix: str = "qunmi",
        where: str = "chroma",
    ) -> None:
        self._connect = connect
        self.embedder = embedder
        self.prefix = prefix
        self.name = collection_name(prefix, embedder.name)
        self.where = where
        self._function = QunmiEmbeddingFunction(embedder)
        self._client: Any = None
        self._collections: dict[int | None, Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ChromaHistoryIndex({self.name!r} at {self.where})"

    # -- plumbing -------------------------------------------------------------------------
    def _run(self, what: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except QunmiError:
            raise
        except Exception as exc:  # noqa: BLE001 - every store failure becomes one error
            with self._lock:  # reconnect next time: the server may have restarted
                self._client = None
                self._collections.clear()
            log.warning("chroma %s failed: %s: %s", what, type(exc).__name__, exc)
            raise HistoryUnavailable(
                f"向量库暂时不可用（{self.where}）：{type(exc).__name__}",
                details={"operation": what},
            ) from exc

    def _collection(self, project_id: int | None = None, *, create: bool = True) -> Any:
        with self._lock:
            found = self._collections.get(project_id)
            if found is not None:
                return found
            if self._client is None:
                self._client = self._connect()
            name = collection_name(self.prefix, self.embedder.name, project_id)
            if create:
                collection = self._client.get_or_create_collection(
                    name=name,
                    embedding_function=self._function,
                    configuration={"hnsw": _HNSW},
                    metadata={"embedder": self.embedder.name, "project_id": project_id or 0},
                )
            else:
                try:
                    collection = self._client.get_collection(
                        name=name, embedding_function=self._function
                    )
                except Exception:  # noqa: BLE001 - "does not exist" differs by client kind
                    return None
            self._collections[project_id] = collection
            return collection

    def _vectors_for(self, docs: Sequence[HistoryDoc], vectors: Vectors | None) -> Vectors:
        if vectors is not None:
            return np.asarray(vectors, dtype=np.float32)
        texts = [d.indexed_text for d in docs]
        unique = list(dict.fromkeys(texts))  # the same words ("好的，收到") embed once
        try:
            if len(unique) == len(texts):
                return self.embedder.embed_documents(texts)
            rows = self.embedder.embed_documents(unique)
            where = {text: i for i, text in enumerate(unique)}
            picked: Vectors = rows[[where[t] for t in texts]]
            return picked
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - a model crash must not look like a bug here
            raise ModelError(f"向量模型出错：{type(exc).__name__}") from exc

    # -- the port -------------------------------------------------------------------------
    def upsert(self, docs: Sequence[HistoryDoc], *, vectors: Vectors | None = None) -> None:
        if not docs:
            return
        matrix = self._vectors_for(docs, vectors)

        def write() -> None:
            for start in range(0, len(docs), _BATCH):
                chunk = docs[start : start + _BATCH]
                rows = matrix[start : start + _BATCH]
                self._collection().upsert(
                    ids=[d.doc_id for d in chunk],
                    embeddings=rows,
                    metadatas=[_metadata(d) for d in chunk],
                    documents=[d.text for d in chunk],
                )
                by_project: dict[int, list[int]] = {}
                for i, doc in enumerate(chunk):
                    if doc.project_id is not None:
                        by_project.setdefault(doc.project_id, []).append(i)
                for project_id, idx in by_project.items():
                    self._collection(project_id).upsert(
                        ids=[chunk[i].doc_id for i in idx],
                        embeddings=rows[idx],
                        metadatas=[_metadata(chunk[i]) for i in idx],
                        documents=[chunk[i].text for i in idx],
                    )

        self._run("upsert", write)

    def delete(self, doc_ids: Sequence[str]) -> None:
        if not doc_ids:
            return

        def remove() -> None:
            main = self._collection()
            found = main.get(ids=list(doc_ids), include=["metadatas"])
            by_project: dict[int, list[str]] = {}
            for doc_id, meta in zip(found["ids"], found["metadatas"] or [], strict=False):
                if meta and meta.get("project_id") is not None:
                    by_project.setdefault(int(meta["project_id"]), []).append(doc_id)
            for project_id, ids in by_project.items():
                self._collection(project_id).delete(ids=ids)
            main.delete(ids=list(doc_ids))

        self._run("delete", remove)

    def search(
        self,
        query: str | Vectors,
        *,
        filters: DocFilter = NO_FILTER,
        limit: int = 10,
        with_vectors: bool = False,
        within: Sequence[str] | None = None,
    ) -> list[ScoredDoc]:
        if limit <= 0 or (within is not None and not within):
            return []
        vector = self.embedder.embed_query(query) if isinstance(query, str) else query
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        one_project = len(filters.project_ids) == 1
        projects: list[int | None] = (
            [filters.project_ids[0]] if one_project else list(filters.project_ids) or [None]
        )
        rest = DocFilter(
            kinds=filters.kinds,
            chat_ids=filters.chat_ids,
            sender_ids=filters.sender_ids,
            since=filters.since,
            until=filters.until,
        )

        def narrow() -> list[ScoredDoc]:
            # SQL already chose the passages: rank only those (no metadata filter in Chroma).
            assert within is not None
            include = ["metadatas", "documents", "distances"]
            if with_vectors:
                include.append("embeddings")
            found = self._hits(
                self._collection().query(
                    query_embeddings=[vector],
                    ids=list(within),
                    n_results=min(limit, len(within)),
                    include=include,
                )
            )
            return [h for h in found if filters.matches(h.doc)][:limit]

        if within is not None:
            narrowed: list[ScoredDoc] = self._run("search", narrow)
            return narrowed

        def run() -> list[ScoredDoc]:
            hits: list[ScoredDoc] = []
            for project_id in projects:
                collection = self._collection(project_id, create=project_id is None)
                if collection is None:
                    continue
                hits.extend(self._query(collection, vector, rest, limit, with_vectors))
            hits.sort(key=lambda h: -h.score)
            return hits[:limit]

        result: list[ScoredDoc] = self._run("search", run)
        return result

    def _query(
        self,
        collection: Any,
        vector: Vectors,
        filters: DocFilter,
        limit: int,
        with_vectors: bool,
    ) -> list[ScoredDoc]:
        include = ["metadatas", "documents", "distances"] + (["embeddings"] if with_vectors else [])
        if filters.empty:
            return self._hits(
                collection.query(query_embeddings=[vector], n_results=limit, include=include)
            )
        total = collection.count()
        fetch = min(max(limit * _OVERFETCH, _MIN_CANDIDATES), _MAX_CANDIDATES, max(total, 1))
        candidates = self._hits(
            collection.query(query_embeddings=[vector], n_results=fetch, include=include)
        )
        kept = [h for h in candidates if filters.matches(h.doc)]
        if len(kept) >= limit or fetch >= total:
            return kept[:limit]
        where = _where(filters, skip_project=True)
        return self._hits(
            collection.query(
                query_embeddings=[vector], n_results=limit, where=where, include=include
            )
        )

    @staticmethod
    def _hits(result: Any) -> list[ScoredDoc]:
        ids = (result.get("ids") or [[]])[0]
        if not ids:
            return []
        metas = (result.get("metadatas") or [[]])[0]
        docs = (result.get("documents") or [[]])[0]
        distances = (result.get("distances") or [[]])[0]
        embeddings = result.get("embeddings")
        rows = embeddings[0] if embeddings is not None and len(embeddings) else None
        out: list[ScoredDoc] = []
        for i, _doc_id in enumerate(ids):
            vector = tuple(float(x) for x in rows[i]) if rows is not None else None
            out.append(
                ScoredDoc(
                    doc=_doc(docs[i], metas[i]), score=1.0 - float(distances[i]), vector=vector
                )
            )
        return out

    def vectors(self, doc_ids: Sequence[str]) -> dict[str, Vectors]:
        if not doc_ids:
            return {}

        def fetch() -> dict[str, Vectors]:
            found = self._collection().get(ids=list(doc_ids), include=["embeddings"])
            return {
                doc_id: np.asarray(vector, dtype=np.float32)
                for doc_id, vector in zip(found["ids"], found["embeddings"], strict=False)
            }

        result: dict[str, Vectors] = self._run("vectors", fetch)
        return result

    def count(self) -> int:
        value: int = self._run("count", lambda: self._collection().count())
        return value

    def reset(self) -> None:
        """Drop this embedder's collections (the main one and every project's)."""

        def drop() -> None:
            with self._lock:
                if self._client is None:
                    self._client = self._connect()
                client = self._client
                self._collections.clear()
            base = collection_name(self.prefix, self.embedder.name)
            for item in client.list_collections():
                name = item if isinstance(item, str) else item.name
                if name == base or re.fullmatch(re.escape(base) + r"-p\d+", name):
                    client.delete_collection(name)

        self._run("reset", drop)
