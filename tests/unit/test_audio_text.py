"""Transcriber plumbing without a model: Chinese text cleaning, prompts, model resolution,
the bundled model join, the optional openai-whisper extra and the CER arithmetic."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.adapters.transcribers.bundled import bundled_model_dir, ensure_bundled_model
from assistant.adapters.transcribers.faster import resolve_model_path
from assistant.adapters.transcribers.text import (
    build_prompt,
    clean_text,
    collapse_repeats,
    is_hallucination,
    punctuate,
    whisper_prompt,
)
from assistant.adapters.transcribers.whisper_torch import OpenAIWhisperTranscriber
from assistant.errors import TranscriptionError
from assistant.settings import WhisperSettings
from evals.asr import cer, edit_distance, normalize


def test_clean_text_gives_simplified_chinese_with_full_width_punctuation() -> None:
    assert (
        clean_text("1-2線城市雖然也處於調整中,對嗎?", "zh") == "1-2线城市虽然也处于调整中，对吗？"
    )
    assert clean_text("我们 明天 开会.", "zh") == "我们，明天，开会。"  # a space is a pause
    assert clean_text("好， 我们 开会", "zh") == "好，我们，开会"


def test_segments_end_with_a_stop_or_a_question_mark() -> None:
    assert punctuate("明天下午开会", "zh") == "明天下午开会。"
    assert punctuate("今天的任务都完成了吗", "zh") == "今天的任务都完成了吗？"
    assert punctuate("好的，谢谢！", "zh") == "好的，谢谢！"
    assert punctuate("版本 3.5", "zh") == "版本 3.5"
    assert punctuate("see you", "en") == "see you"
    assert clean_text("version 3.5, ok", "en") == "version 3.5, ok"


def test_repetition_loops_are_cut() -> None:
    assert collapse_repeats("好的好的好的好的好的好的") == "好的好的"
    assert clean_text("谢谢大家。谢谢大家。谢谢大家。谢谢大家。", "zh") == "谢谢大家。谢谢大家。"
    assert collapse_repeats("对对，我们下周见") == "对对，我们下周见"


def test_silence_hallucinations_and_prompt_echoes_are_recognised() -> None:
    assert is_hallucination("请不吝点赞 订阅 转发 打赏支持明镜与点点栏目")
    assert is_hallucination("字幕由Amara.org社区提供")
    assert is_hallucination("谢谢观看。")
    assert is_hallucination("。")
    prompt = whisper_prompt(build_prompt(members=["张伟", "李娜"], terms=["群秘"]), "zh")
    assert is_hallucination("成员：张伟、李娜。", prompt)
    assert is_hallucination("术语：张伟：张伟：", prompt)  # the prompt's words strung together
    assert is_hallucination("语：张伟、李娜。术语：群秘。", prompt)
    # A misheard label before the prompt's words (seen over silence with one BLAS thread).
    long_prompt = whisper_prompt(build_prompt(members=["张伟"], terms=["群秘", "周报"]), "zh")
    assert is_hallucination("作语：张伟：群秘、周报。", long_prompt)
    assert not is_hallucination("张伟：群秘、周报发了吗？", long_prompt)
    assert not is_hallucination("张伟，群秘好用吗？", prompt)
    assert not is_hallucination("张伟，今天的周报发了吗？", prompt)
    assert not is_hallucination("谢谢观看我们的演示，下面开始讨论。")


def test_prompt_is_built_from_members_and_terms_and_bounded() -> None:
    prompt = build_prompt(members=["张伟", "李娜", "张伟", " "], terms=["群秘", "周报"])
    assert prompt == "成员：张伟、李娜。术语：群秘、周报。"
    assert whisper_prompt(prompt, "zh") == prompt  # no style sentence: it cost accuracy
    assert whisper_prompt(None, "zh") is None
    assert whisper_prompt("  ", "en") is None
    many = build_prompt(members=[f"成员{i:03d}" for i in range(200)])
    sent = whisper_prompt(many, "zh")
    assert sent is not None and len(sent) < 125 and sent.endswith("。")


def test_bundled_model_is_joined_once_atomically(tmp_path: Path) -> None:
    path = ensure_bundled_model(tmp_path)
    assert path == bundled_model_dir(tmp_path)
    names = sorted(p.name for p in path.iterdir())
    assert names == [
        "config.json",
        "model.bin",
        "qunmi-bundle.json",
        "tokenizer.json",
        "vocabulary.txt",
    ]
    stamp = json.loads((path / "qunmi-bundle.json").read_text(encoding="utf-8"))
    assert stamp["model.bin"]["size"] == (path / "model.bin").stat().st_size == 145_217_532
    before = (path / "model.bin").stat().st_mtime_ns
    assert ensure_bundled_model(tmp_path) == path
    assert (path / "model.bin").stat().st_mtime_ns == before  # second call did nothing


def test_a_half_joined_model_is_rebuilt(tmp_path: Path) -> None:
    path = ensure_bundled_model(tmp_path)
    with (path / "model.bin").open("r+b") as fh:
        fh.truncate(1000)
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(ensure_bundled_model(tmp_path)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [path, path]
    assert (path / "model.bin").stat().st_size == 145_217_532
    assert not list(path.glob(".*.tmp"))


def test_size_name_not_in_cache_fails_fast_without_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(TranscriptionError, match="qunmi models install --model small"):
        resolve_model_path("small", data_dir=tmp_path)
    with pytest.raises(TranscriptionError, match="未知的语音模型"):
        resolve_model_path("gigantic-v9", data_dir=tmp_path)
    with pytest.raises(TranscriptionError, match="找不到模型目录"):
        resolve_model_path("./no/such/dir", data_dir=tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(TranscriptionError, match="model.bin"):
        resolve_model_path(str(tmp_path / "empty"), data_dir=tmp_path)


def test_openai_whisper_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "whisper", None)  # import whisper -> ImportError
    transcriber = OpenAIWhisperTranscriber(WhisperSettings(backend="openai-whisper", model="base"))
    with pytest.raises(TranscriptionError) as caught:
        transcriber.load()
    assert "pip install 'qunmi[openai-whisper]'" in caught.value.reason
    assert caught.value.details == {"missing": "openai-whisper"}


def test_cer_normalises_script_punctuation_and_numbers() -> None:
    assert normalize("1-2線城市，雖然") == "一二线城市虽然"
    assert normalize("开会15分钟。") == "开会十五分钟"
    assert edit_distance("换一首歌", "坏一首歌") == 1
    assert cer("换一首歌", "坏一首歌。") == pytest.approx(0.25)
    assert cer("甚至出现交易几乎停滞的情况", "甚至出現交易幾乎停滯的情況！") == 0.0


def test_eval_without_corpora_says_so_and_exits_zero(tmp_path: Path) -> None:
    from assistant.cli import app

    result = CliRunner().invoke(app, ["eval", "asr", "--corpora", str(tmp_path)])
    assert result.exit_code == 0
    assert "找不到语音语料" in result.output
