"""Answers built from the knowledge base, as plain text: shared by the Rasa actions, the CLI
and the other front doors, so that each of them says the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.knowledge import KnowledgeBase, KnowledgeError, open_knowledge

MAX_QUOTES = 3
ASK_FOR_NUMBER = "请告诉我要查哪一条，例如“第三十一条是什么”或“复议法第二十条原文”。"


@dataclass(frozen=True)
class ArticleAnswer:
    """The messages answering an article request, and whether any article was found."""

    messages: list[str]
    found: bool


def answer_article_request(text: str, kb: KnowledgeBase | None = None,
                           default_law: str | None = None) -> ArticleAnswer:
    """Quote the articles a message asks for (第三十一条、条例31(四)、复议法第二十条…).

    A bare article number means the law named last in the message, else ``default_law``,
    else 信访工作条例. At most MAX_QUOTES articles are quoted; unknown ones get a clear reply.
    """
    kb = kb or open_knowledge()
    citations = kb.find_citations(text or "", default_law=default_law)
    if not citations:
        return ArticleAnswer([ASK_FOR_NUMBER], found=False)
    messages: list[str] = []
    found = False
    seen = set()
    for citation in citations:
        if citation in seen:
            continue
        seen.add(citation)
        if len(seen) > MAX_QUOTES:
            messages.append(f"一次最多引用{MAX_QUOTES}条，其余的请再问我。")
            break
        try:
            messages.append(kb.quote(citation).render())
            found = True
        except KnowledgeError as exc:
            if str(exc) not in messages:  # 劳动法第一条、第二条: one 未收录 is enough
                messages.append(str(exc))
    return ArticleAnswer(messages, found)


DISCLAIMER = (
    "以上为指引，不构成法律意见；需要法律帮助可拨打12348公共法律服务热线，符合条件的可申请法律援助。"
)


def render_triage(result: Any, kb: KnowledgeBase | None = None) -> list[str]:
    """A triage result as plain messages (the CLI): the same bubbles the chat shows
    (``bot.dialogue.reply_for_result``), without their buttons."""
    from bot.dialogue import reply_for_result  # dialogue imports this module

    return [message.text for message in reply_for_result(result, kb)]
