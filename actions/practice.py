"""Practice mode actions (staff): thin glue around ``bot.practice.chat``.

开始练习 (recognised by ``action_triage``, which sets triage_status "practice") →
``action_practice_start`` (sets practice_status; staff senders only) → practice_form:
``action_ask_practice_answer`` shows the current case, ``validate_practice_form`` grades the
answer and moves on, ``action_practice_end`` clears the session. Nothing the staff member writes
is logged.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import utter
from bot.dialogue import Message

log = logging.getLogger(__name__)

FORM = "practice_form"
PRACTICE_ERROR = "抱歉，练习模式暂时出了问题，请稍后再试。"


def _text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


class ActionPracticeStart(Action):
    """开始练习: check the sender is staff, pick the cases, show the first one."""

    def name(self) -> str:
        return "action_practice_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        from bot.practice import chat

        try:
            status, messages, session = chat.start(tracker.sender_id, _text(tracker))
        except Exception as exc:  # never a stack trace to the user
            log.error("action_practice_start failed: %s", type(exc).__name__)
            utter(dispatcher, [PRACTICE_ERROR])
            return [SlotSet("practice_status", "refused"), SlotSet("practice", None),
                    SlotSet("triage_status", None)]
        utter(dispatcher, messages[:-1] if status == "started" else messages)
        return [SlotSet("practice_status", status), SlotSet("practice", session),
                SlotSet("practice_answer", None), SlotSet("triage_status", None)]


class ActionAskPracticeAnswer(Action):
    """The form's question: the current case."""

    def name(self) -> str:
        return "action_ask_practice_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        from bot.practice import chat
        from bot.practice.session import PracticeSession

        try:
            message: Message = chat.case_prompt(
                PracticeSession.from_dict(tracker.get_slot("practice")))
        except Exception as exc:
            log.error("action_ask_practice_answer failed: %s", type(exc).__name__)
            message = Message(PRACTICE_ERROR)
        utter(dispatcher, [message])
        return []


class ValidatePracticeForm(Action):
    """Grade the answer; the next case keeps the form going, the end of the round ends it."""

    def name(self) -> str:
        return "validate_practice_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        from bot.practice import chat

        answer = tracker.get_slot("practice_answer")
        if not isinstance(answer, str) or tracker.get_slot("requested_slot") != "practice_answer":
            return []  # the form's activation (the 开始练习 message is not an answer)
        try:
            messages, session = chat.answer(tracker.get_slot("practice"), answer)
        except Exception as exc:
            log.error("validate_practice_form failed: %s", type(exc).__name__)
            messages, session = [Message(PRACTICE_ERROR)], None
        if session is None:  # the round is over: everything said, the form completes
            utter(dispatcher, messages)
            return [SlotSet("practice", None), SlotSet("practice_answer", "done")]
        # the next case is shown by action_ask_practice_answer when the form asks again
        utter(dispatcher, messages[:-1])
        return [SlotSet("practice", session), SlotSet("practice_answer", None)]


class ActionPracticeEnd(Action):
    """Clear the practice slots once the round is over."""

    def name(self) -> str:
        return "action_practice_end"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        return [SlotSet("practice", None), SlotSet("practice_answer", None),
                SlotSet("practice_status", None)]
