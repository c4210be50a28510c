"""Answers built from the knowledge base, as plain text: shared by the Rasa actions, the CLI
and the other front doors, so that each of them says the same thing."""

from __future__ import annotations

from dataclasses import dataclass

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
            messages.append(str(exc))
    return ArticleAnswer(messages, found)
