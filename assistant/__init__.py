"""群秘 Qunmi: the AI project secretary for Chinese team chats."""

__version__ = "0.1.0"
