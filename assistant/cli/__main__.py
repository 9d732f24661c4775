"""``python -m assistant.cli``: the same as the ``qunmi`` command."""

from assistant.cli import main

main()
