"""``OpenAIAudioTranscriber`` against a real local HTTP server speaking /v1/audio/transcriptions."""

from __future__ import annotations

import io
import json
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr

from assistant.adapters.transcribers import OpenAIAudioTranscriber
from assistant.errors import TranscriptionError
from assistant.settings import LLMSettings, WhisperSettings
from tests.fixtures.audio.codecs import encode, tone


@dataclass
class RecordedRequest:
    path: str
    authorization: str
    fields: dict[str, str]
    file_name: str
    file_bytes: bytes


@dataclass
class SpeechServer:
    """Answers every transcription with ``reply`` and records what it was sent."""

    url: str
    requests: list[RecordedRequest] = field(default_factory=list)
    reply: dict[str, Any] = field(default_factory=dict)
    status: int = 200


@pytest.fixture
def server() -> Iterator[SpeechServer]:
    state = SpeechServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
            message = BytesParser(policy=HTTP).parsebytes(head + body)
            fields: dict[str, str] = {}
            file_name, file_bytes = "", b""
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if part.get_filename():
                    file_name, file_bytes = part.get_filename(), payload
                else:
                    fields[str(name)] = payload.decode()
            state.requests.append(
                RecordedRequest(
                    self.path, self.headers.get("Authorization", ""), fields, file_name, file_bytes
                )
            )
            data = json.dumps(state.reply, ensure_ascii=False).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_voice_note_is_sent_as_wav_and_segments_come_back(server: SpeechServer) -> None:
    server.reply = {
        "text": "明天開會,討論進度",
        "language": "chinese",
        "duration": 3.0,
        "segments": [
            {"id": 0, "start": 0.0, "end": 1.4, "text": "明天開會,"},
            {"id": 1, "start": 1.4, "end": 2.9, "text": "討論進度"},
        ],
    }
    settings = WhisperSettings(
        backend="api",
        api_base_url=server.url,
        api_key=SecretStr("sk-speech"),
        api_model="whisper-large-v3",
    )
    llm = LLMSettings(base_url="http://127.0.0.1:9/v1", api_key=SecretStr("sk-llm"))
    transcriber = OpenAIAudioTranscriber(settings, llm=llm)
    result = transcriber.transcribe(encode(tone(3.0), "amr"), prompt="成员：张伟。")

    assert result.text == "明天开会，讨论进度。"  # a segment ends with a stop
    assert [(s.start, s.end) for s in result.segments] == [(0.0, 1.4), (1.4, 2.9)]
    assert result.model == "api:whisper-large-v3"
    [request] = server.requests
    assert request.path == "/v1/audio/transcriptions"
    assert request.authorization == "Bearer sk-speech"  # never the LLM key
    assert request.fields["model"] == "whisper-large-v3"
    assert request.fields["language"] == "zh"
    assert request.fields["response_format"] == "verbose_json"
    assert request.fields["prompt"].endswith("成员：张伟。")
    with wave.open(io.BytesIO(request.file_bytes)) as wav:  # AMR was decoded locally
        assert (wav.getframerate(), wav.getnchannels()) == (16_000, 1)
        assert abs(wav.getnframes() / 16_000 - 3.0) < 0.2


def test_llm_endpoint_and_key_are_used_when_speech_has_none(server: SpeechServer) -> None:
    server.reply = {"text": "好的"}
    settings = WhisperSettings(backend="api", api_model="gpt-4o-transcribe")
    llm = LLMSettings(base_url=server.url, api_key=SecretStr("sk-llm"))
    result = OpenAIAudioTranscriber(settings, llm=llm).transcribe(encode(tone(1.0), "wav"))
    assert result.text == "好的。"
    assert server.requests[0].authorization == "Bearer sk-llm"
    assert server.requests[0].fields["response_format"] == "json"


def test_long_recording_is_uploaded_in_windows(server: SpeechServer) -> None:
    server.reply = {"text": "一段", "segments": [{"start": 0.5, "end": 1.0, "text": "一段"}]}
    settings = WhisperSettings(backend="api", api_base_url=server.url, chunk_seconds=4.0)
    result = OpenAIAudioTranscriber(settings).transcribe(encode(tone(10.0), "wav"))
    assert len(server.requests) == 3
    assert [s.start for s in result.segments][0] == 0.5
    starts = [s.start for s in result.segments]
    assert starts == sorted(starts) and starts[-1] > 6.0
    assert server.requests[0].authorization == "Bearer not-needed"


def test_server_error_becomes_transcription_error(server: SpeechServer) -> None:
    server.status = 400
    server.reply = {"error": {"message": "bad audio", "type": "invalid_request_error"}}
    settings = WhisperSettings(
        backend="api", api_base_url=server.url, api_key=SecretStr("sk-speech")
    )
    transcriber = OpenAIAudioTranscriber(settings, llm=LLMSettings(max_retries=0))
    with pytest.raises(TranscriptionError, match="语音识别接口出错") as caught:
        transcriber.transcribe(encode(tone(1.0), "wav"))
    assert "sk-speech" not in json.dumps(caught.value.to_dict(), ensure_ascii=False)


def test_nothing_configured_is_a_clear_error() -> None:
    with pytest.raises(TranscriptionError, match="未配置语音识别接口"):
        OpenAIAudioTranscriber(WhisperSettings(backend="api"), llm=LLMSettings())
