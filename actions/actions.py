"""Custom actions. They stay thin: the answers are built in ``bot.answers`` from the knowledge
base, so the chat, the CLI and other front doors all say the same thing."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import answers

log = logging.getLogger(__name__)

INTERNAL_ERROR = (
    "抱歉，查询条文时出了点问题，请稍后再试。如需法律帮助，可拨打12348公共法律服务热线。"
)


class ActionQuoteArticle(Action):
    """Quote the article(s) the latest message asks for.

    E.g. 第三十一条、条例31(四)、复议法第二十条; the parsing is done by ``bot.answers``.
    """

    def name(self) -> str:
        return "action_quote_article"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        try:
            messages = answers.answer_article_request(text).messages
        except Exception:  # any failure must reach the user as a polite message
            log.exception("action_quote_article failed on %r", text)
            messages = [INTERNAL_ERROR]
        for message in messages:
            dispatcher.utter_message(text=message)
        return []


TRIAGE_ERROR = (
    "抱歉，分析您的问题时出了点问题，请稍后再试，或者拨打12345政务服务便民热线咨询。"
    "如需法律帮助，可拨打12348公共法律服务热线。"
)


class ActionTriage(Action):
    """Route the complaint in the latest message to a channel and explain the route.

    The decision is made by ``bot.triage`` (text + the NLU intent ranking as a signal); the
    wording by ``bot.answers.render_triage``.
    """

    def name(self) -> str:
        return "action_triage"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        from bot.triage import triage

        message = tracker.latest_message or {}
        text = message.get("text") or ""
        ranking = [(r.get("name"), float(r.get("confidence") or 0.0))
                   for r in message.get("intent_ranking") or [] if r.get("name")]
        try:
            result = triage(text, nlu_ranking=ranking)
            messages = answers.render_triage(result)
        except Exception:  # any failure must reach the user as a polite message
            log.exception("action_triage failed")
            messages = [TRIAGE_ERROR]
        for text_out in messages:
            dispatcher.utter_message(text=text_out)
        return []
