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
            messages.append(str(exc))
    return ArticleAnswer(messages, found)


DISCLAIMER = (
    "以上为指引，不构成法律意见；需要法律帮助可拨打12348公共法律服务热线，符合条件的可申请法律援助。"
)


def render_triage(result: Any, kb: KnowledgeBase | None = None) -> list[str]:
    """A triage result as short chat messages: emergency first, then the route, then the
    legal basis and the disclaimer. Works for the CLI and every chat channel."""
    kb = kb or open_knowledge()
    messages: list[str] = []
    if result.emergency:
        messages.append(result.emergency.message)
    if result.channel is None:
        questions = "\n".join(q.question for q in result.missing[:1])
        messages.append(questions or "请再具体说说遇到的问题。")
        return messages
    channel = kb.get_channel(result.channel)
    names = {c: kb.get_channel(c).name for c in result.alternatives}
    lines = [f"建议途径：{channel.name}", result.reason]
    if result.alternatives:
        lines.append("也可以考虑：" + "、".join(names[c] for c in result.alternatives))
    messages.append("\n".join(lines))
    body = channel["body"]
    route = [f"找谁办：{body['name']}"]
    if body.get("how_to_find"):
        route.append(f"怎么找：{body['how_to_find']}")
    if result.deadline:
        route.append(f"期限：{result.deadline.text}")
        if result.deadline.overdue:
            route.append("按您说的日期，期限可能已经过了，请尽快咨询12348，看是否有正当理由可以延长。")
    messages.append("\n".join(route))
    if result.issues:
        others = [f"· {kb.get_channel(i.channel).name}：{i.text[:30]}" for i in result.issues
                  if i.channel]
        messages.append("您的消息里有几个问题，分别是：\n" + "\n".join(others))
    if result.missing:
        messages.append("还需要确认：" + result.missing[0].question)
    cites = []
    for ref in result.articles[:4]:
        try:
            cites.append(kb.quote(kb.citations.parse(ref)).citation)
        except (KnowledgeError, ValueError):
            continue
    if cites:
        messages.append("依据：" + "；".join(cites))
    messages.append(DISCLAIMER)
    return messages
