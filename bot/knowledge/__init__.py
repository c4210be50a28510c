"""The legal knowledge base: laws with versions, the channel catalogue, hotlines, calendar.

Read everything through ``open_knowledge()`` and the KnowledgeBase it returns.
"""

from bot.knowledge.api import (
    Channel,
    KnowledgeBase,
    KnowledgeError,
    Law,
    LawVersion,
    Quote,
    UnknownArticle,
    UnknownChannel,
    UnknownLaw,
    build_knowledge,
    open_knowledge,
)
from bot.knowledge.citations import Citation
from bot.knowledge.loader import KnowledgeDataError

__all__ = [
    "Channel", "Citation", "KnowledgeBase", "KnowledgeDataError", "KnowledgeError", "Law",
    "LawVersion", "Quote", "UnknownArticle", "UnknownChannel", "UnknownLaw",
    "build_knowledge", "open_knowledge",
]
