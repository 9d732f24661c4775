"""The intent classifier: one logistic regression per label over hashed message features.

Labels are the vocabulary's tools, ``none`` (the message asks for no action) and
``many:create_task`` (it asks for two tasks or more). Each label
is scored on its own (one-vs-rest), so a message may call for a meeting *and* tasks. The
weights are trained by ``evals/train_intent.py`` and stored as a small ``.npz`` beside this
module; inference is a sum of weight rows, numpy only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.engines.learned.features import hash_features, message_features

if TYPE_CHECKING:
    from assistant.domain import ChatContext
    from assistant.engines.rules.people import Mention
    from assistant.timeparse.types import TimeMatch

__all__ = ["DEFAULT_WEIGHTS", "MANY_TASKS", "NONE", "IntentModel", "default_model"]

NONE = "none"
MANY_TASKS = "many:create_task"  # the message asks for two or more tasks
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "intent.npz"


@dataclass(frozen=True, slots=True)
class IntentModel:
    """Weights (``dim`` × labels), biases, and what training measured and calibrated."""

    labels: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray
    dim: int
    thresholds: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def scores(self, indices: np.ndarray) -> np.ndarray:
        """Probabilities, one per label, for a message's hashed feature indices."""
        z = self.bias + self.weights[indices].sum(axis=0, dtype=np.float32)
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0))), dtype=np.float32)

    def predict(
        self,
        text: str,
        context: ChatContext,
        *,
        times: Sequence[TimeMatch] | None = None,
        recurring: Sequence[TimeMatch] | None = None,
        mentions: Sequence[Mention] | None = None,
    ) -> dict[str, float]:
        """Label → probability for one message."""
        feats = message_features(text, context, times=times, recurring=recurring, mentions=mentions)
        probs = self.scores(hash_features(feats, self.dim))
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32),
            header=np.array(
                json.dumps(
                    {
                        "labels": list(self.labels),
                        "dim": self.dim,
                        "thresholds": self.thresholds,
                        "meta": self.meta,
                    },
                    ensure_ascii=False,
                )
            ),
        )

    @classmethod
    def load(cls, path: Path = DEFAULT_WEIGHTS) -> IntentModel:
        with np.load(path, allow_pickle=False) as data:
            header: Mapping[str, Any] = json.loads(str(data["header"]))
            weights = data["weights"].astype(np.float32)
            bias = data["bias"].astype(np.float32)
        labels = tuple(str(x) for x in header["labels"])
        dim = int(header["dim"])
        if weights.shape != (dim, len(labels)) or bias.shape != (len(labels),):
            raise ValueError(f"{path.name}: 权重形状不对 {weights.shape}")
        return cls(
            labels=labels,
            weights=weights,
            bias=bias,
            dim=dim,
            thresholds={str(k): float(v) for k, v in dict(header.get("thresholds", {})).items()},
            meta=dict(header.get("meta", {})),
        )


@lru_cache(maxsize=1)
def default_model() -> IntentModel:
    """The committed model, loaded once per process."""
    return IntentModel.load(DEFAULT_WEIGHTS)
