"""Builds the WeCom pieces from settings (called by ``bootstrap`` only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from assistant.adapters.wecom.client import ResponseUrlPolicy, WeComClient
from assistant.adapters.wecom.crypto import WeComCrypto
from assistant.adapters.wecom.notifier import ChannelNotifier, WeComAppNotifier
from assistant.adapters.wecom.robot import WeComRobotNotifier
from assistant.adapters.wecom.voice import WeComVoice
from assistant.ports import Clock, Notifier, Transcriber
from assistant.settings import Settings
from assistant.unit_of_work import UnitOfWorkFactory

__all__ = ["WeComParts", "build_wecom"]


@dataclass
class WeComParts:
    """What is configured: each part is None when its settings are missing."""

    app_crypto: WeComCrypto | None = None
    bot_crypto: WeComCrypto | None = None
    client: WeComClient | None = None
    robot: WeComRobotNotifier | None = None
    notifier: Notifier | None = None
    voice: WeComVoice | None = None
    response_urls: ResponseUrlPolicy = field(
        default_factory=lambda: ResponseUrlPolicy(["qyapi.weixin.qq.com"])
    )

    def close(self) -> None:
        if self.robot is not None:
            self.robot.close()
        if self.client is not None:
            self.client.close()


def build_wecom(
    settings: Settings,
    *,
    clock: Clock,
    uow_factory: UnitOfWorkFactory,
    inner: Notifier | None,
    transcriber: Callable[[], Transcriber],
    transport: httpx.BaseTransport | None = None,
) -> WeComParts:
    w = settings.wecom
    parts = WeComParts(response_urls=ResponseUrlPolicy(w.response_url_hosts))
    if w.app_configured:
        assert w.token is not None and w.encoding_aes_key is not None
        parts.app_crypto = WeComCrypto(
            token=w.token.get_secret_value(),
            encoding_aes_key=w.encoding_aes_key.get_secret_value(),
            receive_id=w.corp_id,
        )
    bot_token = w.bot_token or w.token
    bot_key = w.bot_encoding_aes_key or w.encoding_aes_key
    if bot_token is not None and bot_key is not None:
        # The AI bot signs with its own token and key; its receive id is empty.
        parts.bot_crypto = WeComCrypto(
            token=bot_token.get_secret_value(),
            encoding_aes_key=bot_key.get_secret_value(),
            receive_id="",
        )
    if w.api_configured:
        assert w.secret is not None
        parts.client = WeComClient(
            api_base=w.api_base,
            corp_id=w.corp_id,
            secret=w.secret.get_secret_value(),
            agent_id=w.agent_id,
            clock=clock,
            transport=transport,
            response_urls=parts.response_urls,
        )
        parts.voice = WeComVoice(
            client=parts.client,
            transcriber=transcriber,
            media_dir=settings.data_dir / "media",
            language=settings.whisper.language,
        )
    elif parts.bot_crypto is not None:
        # The bot replies through response URLs, which need no token: a client without a secret.
        parts.client = WeComClient(
            api_base=w.api_base,
            corp_id=w.corp_id,
            secret="",
            agent_id=w.agent_id,
            clock=clock,
            transport=transport,
            response_urls=parts.response_urls,
        )
    if w.robot_keys:
        parts.robot = WeComRobotNotifier(
            keys=[k.get_secret_value() for k in w.robot_keys],
            api_base=w.api_base,
            transport=transport,
        )
    if parts.client is not None or parts.robot is not None:
        parts.notifier = ChannelNotifier(
            uow_factory=uow_factory,
            app=WeComAppNotifier(parts.client) if w.api_configured and parts.client else None,
            client=parts.client,
            robot=parts.robot,
            inner=inner,
        )
    return parts
