"""A learned layer over the rule engine: an intent classifier used as a gate and router.

``features`` turns a message into hashed feature indices, ``model`` holds the one-vs-rest
logistic regression (numpy only), ``gate`` decides what the rules' calls become. Trained by
``python -m evals.train_intent``; see docs/understanding.md.
"""

from assistant.engines.learned.gate import GateThresholds, IntentGate, Verdict
from assistant.engines.learned.model import NONE, IntentModel, default_model

__all__ = ["NONE", "GateThresholds", "IntentGate", "IntentModel", "Verdict", "default_model"]
