"""Chat-model adapters: any OpenAI-compatible endpoint behind the ``ChatModel`` port."""

from assistant.adapters.llm.langchain import DEFAULT_BASE_URL, LangChainChatModel

__all__ = ["DEFAULT_BASE_URL", "LangChainChatModel"]
