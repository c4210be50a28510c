"""Custom actions. They stay thin: they read the tracker, call ``bot.dialogue`` (the
conversation logic, plain Python) and turn its messages and values into Rasa events, so the
chat, the CLI and other front doors all say the same thing.

Nothing personal is logged: failures are logged with the action name and the exception only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import answers, dialogue

log = logging.getLogger(__name__)

INTERNAL_ERROR = (
    "抱歉，查询条文时出了点问题，请稍后再试。如需法律帮助，可拨打12348公共法律服务热线。"
)
TRIAGE_ERROR = (
    "抱歉，分析您的问题时出了点问题，请稍后再试，或者拨打12345政务服务便民热线咨询。"
    "如需法律帮助，可拨打12348公共法律服务热线。"
)
FORM_NAME = "triage_form"


def today() -> dt.date:
    """Today's date (a function, so tests can fix it)."""
    return dt.date.today()


def utter(dispatcher: CollectingDispatcher, messages: Iterable[dialogue.Message | str]) -> None:
    """Send bubbles, with their buttons as Rasa buttons."""
    for message in messages:
        if isinstance(message, str):
            dispatcher.utter_message(text=message)
            continue
        buttons = [{"title": b.title, "payload": b.payload} for b in message.buttons]
        if buttons:
            dispatcher.utter_message(text=message.text, buttons=buttons)
        else:
            dispatcher.utter_message(text=message.text)


def _intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def _ranking(tracker: Tracker) -> list[tuple[str, float]]:
    return [(r["name"], float(r.get("confidence") or 0.0))
            for r in (tracker.latest_message or {}).get("intent_ranking") or []
            if r.get("name") and r["name"] != "nlu_fallback"]


def _text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and isinstance(entity.get("value"), str):
            return entity["value"]
    return None


def _stored_ranking(value: Any) -> list[tuple[str, float]]:
    """The complaint_ranking slot ([[intent, confidence], …]) as pairs; junk is dropped."""
    pairs = []
    for item in value if isinstance(value, list) else []:
        if (isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], int | float)):
            pairs.append((item[0], float(item[1])))
    return pairs


def _facts(tracker: Tracker) -> dict[str, Any]:
    return {name: tracker.get_slot(name) for name in dialogue.FACT_SLOTS
            if tracker.get_slot(name) not in (None, "")}


def _count(tracker: Tracker, slot: str) -> int:
    try:
        return int(tracker.get_slot(slot) or 0)
    except (TypeError, ValueError):
        return 0


class ActionQuoteArticle(Action):
    """Quote the article(s) asked for: 第三十一条、条例31(四)、复议法第二十条, or the
    ``article_ref`` of a 查看原文 button."""

    def name(self) -> str:
        return "action_quote_article"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        ref = _entity(tracker, "article_ref")
        try:
            if ref:
                messages = [dialogue.full_text(ref)]
            else:
                messages = answers.answer_article_request(_text(tracker)).messages
        except Exception:  # any failure must reach the user as a polite message
            log.exception("action_quote_article failed")
            messages = [INTERNAL_ERROR]
        utter(dispatcher, messages)
        return []


def route_json(turn: dialogue.TriageTurn) -> dict[str, Any] | None:
    """The route of an answered (or asked) complaint, machine-readable: ``channel`` (a code of
    legal-routes.md, or None while a deciding fact is asked), ``alternatives``, ``articles``,
    ``issues`` (one per problem), ``emergency`` (its kind or None) and ``status``."""
    result = turn.result
    if result is None or turn.status not in (dialogue.STATUS_ANSWERED, dialogue.STATUS_ASKING):
        return None
    return {
        "type": "route",
        "status": turn.status,
        "channel": result.channel,
        "alternatives": list(result.alternatives),
        "articles": list(result.articles),
        "issues": [{"channel": i.channel, "alternatives": list(i.alternatives)}
                   for i in result.issues],
        "emergency": result.emergency.kind if result.emergency else None,
        "asked": [q.fact for q in result.missing] if result.channel is None else [],
    }


class ActionTriage(Action):
    """Understand a message: answer a complaint, ask for a missing fact, answer a follow-up or
    procedure question, or clarify what was meant (then hand off).

    Runs on every complaint intent, on the question intents, on nlu_fallback and
    out_of_scope, and when the triage form is over. Sets ``triage_status`` (asking → the rules
    start the form; practice → a practice command, the rules start action_practice_start).
    """

    def name(self) -> str:
        return "action_triage"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        after_form = tracker.latest_action_name == FORM_NAME
        if not after_form and dialogue.is_practice_command(_text(tracker)):
            return [SlotSet("triage_status", dialogue.STATUS_PRACTICE)]
        try:
            turn = dialogue.triage_turn(
                _text(tracker), intent=_intent(tracker), ranking=_ranking(tracker),
                complaint=tracker.get_slot("complaint") or "", facts=_facts(tracker),
                after_form=after_form, unclear_turns=_count(tracker, "unclear_turns"),
                last_status=tracker.get_slot("triage_status"), today=today(),
                events=list(tracker.events),
                complaint_ranking=_stored_ranking(tracker.get_slot("complaint_ranking")),
                channel=tracker.get_slot("channel"), topic=_entity(tracker, "topic"))
        except Exception:  # any failure must reach the user as a polite message
            log.exception("action_triage failed")
            dispatcher.utter_message(text=TRIAGE_ERROR)
            return [SlotSet("triage_status", dialogue.STATUS_UNCLEAR)]
        utter(dispatcher, turn.messages)  # out_of_scope: the rules add utter_out_of_scope
        route = route_json(turn)
        if route is not None:  # for the website and the statistics: REST `custom`
            dispatcher.utter_message(json_message=route)
        events: list[EventType] = [SlotSet("triage_status", turn.status),
                                   SlotSet("complaint", turn.complaint or None),
                                   SlotSet("unclear_turns", float(turn.unclear_turns)),
                                   SlotSet("complaint_ranking",
                                           [list(r) for r in turn.ranking] or None)]
        events += [SlotSet(name, value) for name, value in turn.facts.items()]
        if not after_form:
            events += [SlotSet("questions_asked", 0.0), SlotSet("failed_answers", 0.0)]
        if turn.status == dialogue.STATUS_ANSWERED and turn.result is not None:
            events.append(SlotSet("channel", turn.result.channel))
            record = self._record(tracker, turn)
            events.append(SlotSet("consultation_id", record))
        return events

    @staticmethod
    def _record(tracker: Tracker, turn: dialogue.TriageTurn) -> float | None:
        from bot.consultations import record_consultation

        try:
            source = tracker.get_latest_input_channel() or "rest"
            return float(record_consultation(tracker.sender_id, turn.complaint, turn.result,
                                             source=source if source.isalnum() else "rest"))
        except Exception:  # the answer matters more than the record
            log.exception("recording the consultation failed")
            return None


class ValidateTriageForm(Action):
    """Read the citizen's reply to the form's question and choose the next question.

    Plain Action rather than FormValidationAction: which fact to ask next comes from the
    triage of the complaint so far (``bot.dialogue.next_fact``), not from a fixed list.
    """

    def name(self) -> str:
        return "validate_triage_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        facts = _facts(tracker)
        complaint = tracker.get_slot("complaint") or ""
        asked = _count(tracker, "questions_asked")
        ranking = _stored_ranking(tracker.get_slot("complaint_ranking"))
        try:
            if requested is None:  # activation: the first question
                return [SlotSet("requested_slot",
                                dialogue.next_fact(complaint, facts, asked, today(), ranking))]
            facts.pop(requested, None)  # the raw reply, not yet a fact
            step = dialogue.form_step(
                requested, _text(tracker), intent=_intent(tracker), complaint=complaint,
                facts=facts, failed=_count(tracker, "failed_answers"), asked=asked,
                channel=tracker.get_slot("channel"), today=today(),
                events=list(tracker.events), ranking=ranking,
                reply_ranking=_ranking(tracker))
        except Exception:  # never leave the citizen stuck in the form
            log.exception("validate_triage_form failed")
            dispatcher.utter_message(text=TRIAGE_ERROR)
            return [SlotSet("requested_slot", None)]
        utter(dispatcher, step.messages)
        events: list[EventType] = [SlotSet(k, v) for k, v in step.slots.items()]
        if requested not in step.slots:
            events.append(SlotSet(requested, None))  # unusable: ask again
        events.append(SlotSet("requested_slot", step.next_fact))
        return events


class ActionAskFact(Action):
    """Ask for one fact of the triage form, with its options as buttons (and 不清楚); after
    unusable answers, with the reason the bot needs it."""

    fact = ""

    def name(self) -> str:
        return f"action_ask_{self.fact}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        explain = _count(tracker, "failed_answers") >= dialogue.MAX_FAILED_ANSWERS
        utter(dispatcher, [dialogue.question_message(dialogue.question_for(self.fact),
                                                     explain=explain)])
        return []


for _fact in dialogue.FACT_SLOTS:  # action_ask_party, action_ask_decision_date, …
    _name = "ActionAsk" + "".join(p.title() for p in _fact.split("_"))
    globals()[_name] = type(_name, (ActionAskFact,), {"fact": _fact, "__doc__":
                                                      f"Ask for {_fact}."})


class ActionHandoff(Action):
    """转人工: the local contact from configuration and a summary for the staff member."""

    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        try:
            messages = dialogue.handoff_for(list(tracker.events),
                                            tracker.get_slot("complaint") or "",
                                            _facts(tracker), tracker.get_slot("channel"),
                                            today())
        except Exception:
            log.exception("action_handoff failed")
            messages = [dialogue.Message(TRIAGE_ERROR)]
        utter(dispatcher, messages)
        return [SlotSet("unclear_turns", 0.0)]


class ActionFeedback(Action):
    """Store 有帮助 / 没帮助 with the consultation record, and thank the citizen."""

    def name(self) -> str:
        return "action_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[EventType]:
        from bot.consultations import set_feedback

        helpful = _intent(tracker) == "feedback_helpful"
        data = dialogue.load_conversation()
        record = tracker.get_slot("consultation_id")
        if record is None:
            dispatcher.utter_message(text=data.text("feedback_without_consultation"))
            return []
        try:
            set_feedback(int(record), helpful)
        except Exception:
            log.exception("storing the feedback failed")
        key = "feedback_thanks_helpful" if helpful else "feedback_thanks_unhelpful"
        message = dialogue.Message(data.text(key)) if helpful else dialogue.Message(
            data.text(key), (dialogue.Button(data.text("handoff_button"), "/human_handoff"),))
        utter(dispatcher, [message])
        return [SlotSet("consultation_id", None)]
