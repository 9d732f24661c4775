"""Identity use cases: issue, check and revoke per-person API tokens; console sessions; one-time
sign-in links sent through the outbox to the person's WeCom chat.

A console session is an API token too (label ``会话``, read and write, short expiry) so that
sessions are hashed, listed and revocable like every other credential.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from assistant.domain import WECOM_CHANNEL, Chat, Member, Role
from assistant.errors import InvalidInput, NotFound, PermissionDenied
from assistant.identity import (
    SCOPES,
    ApiToken,
    LoginLink,
    hash_secret,
    new_secret,
    normalise_name,
    token_prefix,
)
from assistant.ports import Clock, OutgoingCard
from assistant.services.outbox import Outbox
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = ["Authenticated", "IdentityService", "find_member"]

SESSION_LABEL = "会话"
SESSION_TTL = timedelta(hours=12)
LINK_TTL = timedelta(minutes=15)
LINKS_PER_HOUR = 3
"""At most this many sign-in links a person is sent an hour (the link route is open)."""


@dataclass(frozen=True, slots=True)
class Authenticated:
    member: Member
    token: ApiToken


def find_member(uow: UnitOfWork, ref: str | int) -> Member | None:
    """A member by id, or by a name or alias compared after normalisation (one match only)."""
    if isinstance(ref, int) or (ref.isascii() and ref.isdigit() and len(ref) <= 18):
        found = uow.members.get(int(ref))
        if found is not None or isinstance(ref, int):
            return found
    wanted = normalise_name(str(ref))
    matches = [m for m in uow.members.all() if any(normalise_name(n) == wanted for n in m.names)]
    return matches[0] if len(matches) == 1 else None


class IdentityService:
    def __init__(
        self, *, uow_factory: UnitOfWorkFactory, clock: Clock, console_url: str = ""
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._console_url = console_url.rstrip("/")

    # -- tokens ---------------------------------------------------------------------------
    def create_token(
        self,
        *,
        member: str | int,
        scopes: Sequence[str] = ("read", "write"),
        expires_at: datetime | None = None,
        label: str = "",
        created_by: int | None = None,
        now: datetime | None = None,
    ) -> tuple[str, ApiToken, Member]:
        """A new token for ``member``: the secret (shown once), its stored record, the member."""
        now = now or self._clock.now()
        wanted = list(dict.fromkeys(s.strip() for s in scopes if s.strip()))
        unknown = [s for s in wanted if s not in SCOPES]
        if unknown or not wanted:
            raise InvalidInput(
                f"令牌权限只能是 {'、'.join(SCOPES)}（收到：{'、'.join(unknown) or '空'}）"
            )
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("令牌的过期时间必须在将来")
        secret = new_secret()
        with self._uow_factory() as uow:
            person = find_member(uow, member)
            if person is None or person.id is None:
                raise NotFound(f"找不到成员“{member}”")
            if "admin" in wanted and person.role != Role.ADMIN:
                raise PermissionDenied(
                    f"{person.display_name} 不是管理员，不能拿到 admin 权限的令牌"
                )
            token = uow.identities.add_token(
                ApiToken(
                    member_id=person.id,
                    token_hash=hash_secret(secret),
                    prefix=token_prefix(secret),
                    created_at=now,
                    label=label.strip()[:200],
                    scopes=wanted,
                    created_by_id=created_by,
                    expires_at=expires_at,
                )
            )
            uow.commit()
        return secret, token, person

    def tokens(self, *, member: str | int | None = None) -> list[tuple[ApiToken, str]]:
        """Every token (or one member's) with its owner's name; secrets are never kept."""
        with self._uow_factory() as uow:
            member_id = None
            if member is not None:
                person = find_member(uow, member)
                if person is None:
                    raise NotFound(f"找不到成员“{member}”")
                member_id = person.id
            names = {m.id: m.display_name for m in uow.members.all()}
            return [
                (t, names.get(t.member_id, "?")) for t in uow.identities.tokens(member_id=member_id)
            ]

    def revoke(self, token_id: int, *, now: datetime | None = None) -> ApiToken:
        with self._uow_factory() as uow:
            token = uow.identities.revoke_token(token_id, now or self._clock.now())
            if token is None:
                raise NotFound(f"令牌 {token_id} 不存在")
            uow.commit()
        return token

    def authenticate(self, secret: str) -> Authenticated | None:
        """The member behind an active token (its last use recorded), else ``None``."""
        now = self._clock.now()
        with self._uow_factory() as uow:
            token = uow.identities.token_by_hash(hash_secret(secret))
            if token is None or token.id is None or not token.active(now):
                return None
            member = uow.members.get(token.member_id)
            if member is None:
                return None
            if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
                uow.identities.touch_token(token.id, now)
                uow.commit()
        return Authenticated(member=member, token=token)

    def tokens_in_use(self) -> bool:
        with self._uow_factory() as uow:
            return uow.identities.any_active_token(self._clock.now())

    # -- console sessions -----------------------------------------------------------------
    def open_session(self, member_id: int) -> tuple[str, ApiToken]:
        now = self._clock.now()
        secret, token, _ = self.create_token(
            member=member_id, label=SESSION_LABEL, expires_at=now + SESSION_TTL, now=now
        )
        return secret, token

    def close_session(self, secret: str) -> None:
        with self._uow_factory() as uow:
            token = uow.identities.token_by_hash(hash_secret(secret))
            if token is not None and token.id is not None:
                uow.identities.revoke_token(token.id, self._clock.now())
                uow.commit()

    # -- one-time links through WeCom -------------------------------------------------------
    def send_login_link(self, member: str | int) -> Member:
        """Store a one-time sign-in link for ``member`` and queue it in the outbox for their
        WeCom chat (never sent directly). The secret exists only in that message."""
        now = self._clock.now()
        secret = new_secret()
        with self._uow_factory() as uow:
            person = find_member(uow, member)
            if person is None or person.id is None:
                raise NotFound(f"找不到成员“{member}”")
            userid = person.wecom_userid or next(
                (e for c, e in uow.identities.identities_of(person.id) if c == WECOM_CHANNEL),
                None,
            )
            if userid is None:
                raise InvalidInput(f"{person.display_name} 没有绑定企业微信账号，无法发送登录链接")
            if uow.identities.links_since(person.id, now - timedelta(hours=1)) >= LINKS_PER_HOUR:
                raise InvalidInput(
                    f"{person.display_name} 一小时内已经收到 {LINKS_PER_HOUR} 个登录链接"
                )
            external = f"user:{userid}"
            chat = uow.chats.by_external(WECOM_CHANNEL, external)
            if chat is None:
                chat = uow.chats.add(
                    Chat(
                        name=f"企业微信·{userid}",
                        channel=WECOM_CHANNEL,
                        external_id=external,
                        member_ids=[person.id],
                        created_at=now,
                    )
                )
            uow.identities.add_link(
                LoginLink(
                    member_id=person.id,
                    token_hash=hash_secret(secret),
                    created_at=now,
                    expires_at=now + LINK_TTL,
                )
            )
            minutes = int(LINK_TTL.total_seconds() // 60)
            Outbox.put(
                uow,
                OutgoingCard(
                    text=(
                        f"群秘控制台登录链接（{minutes} 分钟内有效，只能用一次）：\n"
                        f"{self._console_url}/auth/link/{secret}"
                    ),
                    kind="login_link",
                    chat_id=chat.id,
                    chat=chat.name,
                ),
                now=now,
                recipients=[],
            )
            uow.commit()
        return person

    def use_login_link(self, secret: str) -> int | None:
        """Spend a link: the member it signs in, or ``None`` (unknown, used, expired)."""
        with self._uow_factory() as uow:
            member_id = uow.identities.use_link(hash_secret(secret), self._clock.now())
            uow.commit()
        return member_id
