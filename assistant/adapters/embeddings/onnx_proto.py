"""Just enough of the ONNX protobuf format to write a model, so no ``onnx`` package is needed.

The fields used here (tensors, value infos, nodes with attributes, a graph, opset imports) are
encoded in protobuf's wire format by hand; onnxruntime parses the bytes. Field numbers follow
``onnx.proto`` (ir_version 8).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["Graph"]

_FLOAT, _UINT8, _INT32, _INT64 = 1, 2, 6, 7
_ELEM = {"float": _FLOAT, "int32": _INT32}
_DTYPES = {np.dtype(np.float32): _FLOAT, np.dtype(np.uint8): _UINT8, np.dtype(np.int64): _INT64}


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative ints are 10-byte two's complement varints
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _int(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value)


def _bytes(field: int, value: bytes) -> bytes:
    return _key(field, 2) + _varint(len(value)) + value


def _str(field: int, value: str) -> bytes:
    return _bytes(field, value.encode())


def _tensor(name: str, array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array)
    body = b"".join(_int(1, d) for d in array.shape)
    body += _int(2, _DTYPES[array.dtype]) + _str(8, name) + _bytes(9, array.tobytes())
    return body


def _value_info(name: str, elem_type: int, shape: Sequence[int | str]) -> bytes:
    dims = b"".join(_bytes(1, _int(1, d) if isinstance(d, int) else _str(2, d)) for d in shape)
    tensor_type = _int(1, elem_type) + _bytes(2, dims)
    return _str(1, name) + _bytes(2, _bytes(1, tensor_type))


def _attribute(name: str, value: int | float | Sequence[int]) -> bytes:
    body = _str(1, name)
    if isinstance(value, bool | int):
        return body + _int(3, int(value)) + _int(20, 2)
    if isinstance(value, float):
        return body + _key(2, 5) + struct.pack("<f", value) + _int(20, 1)
    return body + b"".join(_int(8, v) for v in value) + _int(20, 7)


class Graph:
    """A graph being written: ``node`` returns its output's name, ``constant`` an initializer's."""

    def __init__(self) -> None:
        self._nodes: list[bytes] = []
        self._initializers: list[bytes] = []
        self._inputs: list[bytes] = []
        self._outputs: list[bytes] = []
        self._count = 0

    def _fresh(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def input(self, name: str, shape: Sequence[int | str], *, elem_type: str = "float") -> str:
        self._inputs.append(_value_info(name, _ELEM[elem_type], shape))
        return name

    def output(self, name: str, shape: Sequence[int | str]) -> None:
        self._outputs.append(_value_info(name, _FLOAT, shape))

    def constant(self, array: np.ndarray, stem: str = "c") -> str:
        name = self._fresh(stem)
        self._initializers.append(_tensor(name, array))
        return name

    def node(
        self,
        op: str,
        inputs: Iterable[str],
        *,
        domain: str = "",
        output: str | None = None,
        **attributes: int | float | Sequence[int],
    ) -> str:
        out = output or self._fresh(op.lower())
        body = b"".join(_str(1, i) for i in inputs) + _str(2, out) + _str(3, out) + _str(4, op)
        body += b"".join(_bytes(5, _attribute(k, v)) for k, v in attributes.items())
        if domain:
            body += _str(7, domain)
        self._nodes.append(body)
        return out

    def split(self, x: str, parts: int, *, axis: int) -> list[str]:
        outs = [self._fresh("split") for _ in range(parts)]
        body = _str(1, x) + b"".join(_str(2, o) for o in outs) + _str(3, outs[0]) + _str(4, "Split")
        body += _bytes(5, _attribute("axis", axis)) + _bytes(5, _attribute("num_outputs", parts))
        self._nodes.append(body)
        return outs

    def model(self, *, opset: int = 18) -> bytes:
        graph = b"".join(_bytes(1, n) for n in self._nodes) + _str(2, "g")
        graph += b"".join(_bytes(5, t) for t in self._initializers)
        graph += b"".join(_bytes(11, i) for i in self._inputs)
        graph += b"".join(_bytes(12, o) for o in self._outputs)
        opsets = _bytes(8, _str(1, "") + _int(2, opset))
        opsets += _bytes(8, _str(1, "com.microsoft") + _int(2, 1))
        return _int(1, 8) + _str(2, "qunmi") + _bytes(7, graph) + opsets
