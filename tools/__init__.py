"""The tool vocabulary every engine speaks, and the executor that applies it."""
