"""The offline rule engine: Chinese team chat → tool calls, with no model and no I/O.

``RuleEngine`` implements :class:`assistant.ports.Engine`; ``parse_message`` is the short way in.
"""

from assistant.engines.rules.engine import Analysis, RuleEngine, parse_message

__all__ = ["Analysis", "RuleEngine", "parse_message"]
