"""Prompt templates, versioned files loaded by name: ``<name>.v<N>.md`` in this folder.

``load_prompt("agent_system")`` reads the highest version, ``version=1`` a given one;
``render_prompt`` fills ``$placeholders`` (``string.Template``, so JSON braces in examples need
no escaping). Nothing else lives here: the prompts are data.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

__all__ = ["PROMPTS_DIR", "load_prompt", "prompt_versions", "render_prompt"]

PROMPTS_DIR = Path(__file__).resolve().parent
_FILE = re.compile(r"^(?P<name>[a-z0-9_]+)\.v(?P<version>\d+)\.md$")


def prompt_versions(name: str) -> list[int]:
    """The versions of prompt ``name`` on disk, ascending."""
    found: list[int] = []
    for path in PROMPTS_DIR.iterdir():
        match = _FILE.match(path.name)
        if match and match["name"] == name:
            found.append(int(match["version"]))
    return sorted(found)


def load_prompt(name: str, version: int | None = None) -> str:
    """The text of prompt ``name`` at ``version`` (default: the latest)."""
    versions = prompt_versions(name)
    if not versions:
        raise FileNotFoundError(f"no prompt named {name!r} in {PROMPTS_DIR}")
    chosen = versions[-1] if version is None else version
    if chosen not in versions:
        raise FileNotFoundError(f"prompt {name!r} has no version {chosen} (have {versions})")
    return (PROMPTS_DIR / f"{name}.v{chosen}.md").read_text(encoding="utf-8")


def render_prompt(name: str, version: int | None = None, /, **values: str) -> str:
    """Prompt ``name`` with its ``$placeholders`` filled; a missing value is an error."""
    return Template(load_prompt(name, version)).substitute(values)
