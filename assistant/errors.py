"""The one exception tree of Qunmi.

    QunmiError
    ├── InvalidInput          bad arguments, malformed time, oversized text (HTTP 422/400)
    ├── NotFound              a record or a member that does not exist (HTTP 404)
    ├── Ambiguous             words that match several records: a question goes back (HTTP 409)
    ├── Conflict              a duplicate or a state that forbids the change (HTTP 409)
    ├── PermissionDenied      the actor's role does not allow the call (HTTP 403)
    ├── ModelError            the LLM endpoint failed, timed out or returned garbage
    ├── TranscriptionError    audio that cannot be decoded or transcribed
    ├── ChannelError          a chat channel rejected a request (signature, decryption, API)
    └── HistoryUnavailable    the history's vector store cannot be reached (HTTP 503)

Every error carries a Chinese ``reason`` that can be shown to the user as it is.
Adapters translate vendor exceptions with ``raise ... from exc``; one handler in ``api`` maps
the tree onto HTTP status codes.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Ambiguous",
    "ChannelError",
    "Conflict",
    "HistoryUnavailable",
    "InvalidInput",
    "ModelError",
    "NotFound",
    "PermissionDenied",
    "QunmiError",
    "TranscriptionError",
]


class QunmiError(Exception):
    """Root of every error Qunmi raises on purpose."""

    code: str = "error"

    def __init__(self, reason: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details: dict[str, Any] = details or {}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "reason": self.reason}
        if self.details:
            out["details"] = self.details
        return out


class InvalidInput(QunmiError):
    code = "invalid_input"


class NotFound(QunmiError):
    code = "not_found"


class Ambiguous(QunmiError):
    """Several records match; ``details['candidates']`` lists them for the question back."""

    code = "ambiguous"


class Conflict(QunmiError):
    code = "conflict"


class PermissionDenied(QunmiError):
    code = "permission_denied"


class ModelError(QunmiError):
    code = "model_error"


class TranscriptionError(QunmiError):
    code = "transcription_error"


class ChannelError(QunmiError):
    code = "channel_error"


class HistoryUnavailable(QunmiError):
    """The vector store behind the memory is down or failing; keyword search still works."""

    code = "history_unavailable"
