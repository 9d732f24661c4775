"""Who is acting: per-person API tokens, one-time sign-in links, verified channel identities,
and display names as labels.

Pure code: records, hashing and name normalisation. Storage lives in ``storage`` (the
``identities`` repository), the HTTP side in ``api.auth``.

- A token is ``qm_<random>``; only its SHA-256 is stored, with a short prefix to tell tokens
  apart. Scopes: ``read`` (GET), ``write`` (everything else), ``admin`` (token administration).
- A channel identity is the pair (channel, external id) that the channel itself verified (a
  WeCom userid, a webhook bridge's sender id). Two channels never share one: a webhook sender
  called "陈静" is not the member 陈静 unless that member was linked to that very sender.
- Display names are labels: :func:`normalise_name` folds lookalikes (NFKC, zero-width and
  bidirectional marks removed, whitespace collapsed) so that names that look the same compare
  equal and a second one is refused.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "FIRST_PARTY_CHANNELS",
    "REST_CHANNELS",
    "SCOPES",
    "ApiToken",
    "LoginLink",
    "hash_secret",
    "names_collide",
    "new_secret",
    "normalise_name",
    "token_prefix",
]

SCOPES = ("read", "write", "admin")
"""``read``: GET routes; ``write``: every other route; ``admin``: create, list, revoke tokens."""

FIRST_PARTY_CHANNELS = frozenset({"api", "console", "cli", "import"})
"""Channels whose sender Qunmi itself authenticated (a token, a session, the local operator):
their chats are Qunmi's own and may be named by id; senders are members already."""

REST_CHANNELS = frozenset({"api", "console"})
"""What ``POST /messages`` may write: WeCom and webhook messages come only through their routes."""

TOKEN_PREFIX = "qm_"

# Zero-width characters, joiners, bidirectional embeddings/overrides/isolates, the BOM, soft
# hyphen, and the invisible separators: none of them changes how a name reads.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_SPACES = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """The form two names are compared in: NFKC (full-width letters, compatibility forms),
    invisible marks removed, whitespace collapsed, case folded."""
    text = unicodedata.normalize("NFKC", name)
    text = _INVISIBLE.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _SPACES.sub(" ", text).strip().casefold()


def clean_label(name: str) -> str:
    """A display name as stored: NFKC, invisible marks removed, whitespace collapsed (case kept)."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", name))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _SPACES.sub(" ", text).strip()


def names_collide(a: str, b: str) -> bool:
    return normalise_name(a) == normalise_name(b)


def new_secret() -> str:
    """A fresh token or link secret (shown once)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_prefix(secret: str) -> str:
    return secret[:10]


@dataclass(slots=True)
class ApiToken:
    member_id: int
    token_hash: str
    prefix: str
    created_at: datetime
    id: int | None = None
    label: str = ""
    scopes: list[str] = field(default_factory=lambda: ["read", "write"])
    created_by_id: int | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(slots=True)
class LoginLink:
    member_id: int
    token_hash: str
    created_at: datetime
    expires_at: datetime
    id: int | None = None
    used_at: datetime | None = None
