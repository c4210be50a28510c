"""Practice mode in the chat: who may practise, the options of 开始练习, and one turn at a time.

Plain Python for the Rasa actions (actions/practice.py): text and the session (a slot value)
in, bubbles and the new session out. Staff senders are listed in ``config/staff.yml`` (or the
file named by ``BOT_STAFF_CONFIG``); the sentences are ``texts.practice_*`` of
knowledge/conversation.yaml.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot import commands, config
from bot.dialogue import Message, load_conversation
from bot.knowledge.numerals import CHINESE_NUMERAL_CHARS, cn_to_int
from bot.practice.cases import PracticeError
from bot.practice.data import get_bank, get_grader
from bot.practice.session import DEFAULT_CASES, MAX_CASES, PracticeSession

STAFF_FILE = "staff.yml"
_COUNT_RE = re.compile(rf"([0-9{CHINESE_NUMERAL_CHARS}]{{1,4}})(?:题|道|个)")


@dataclass(frozen=True)
class StartOptions:
    """What 开始练习 asked for."""

    mode: str = "mix"  # mix / channel / weakest
    channel: str | None = None
    count: int = DEFAULT_CASES


def staff_config_path() -> Path:
    """config/staff.yml, or the file named by ``BOT_STAFF_CONFIG``."""
    named = os.environ.get("BOT_STAFF_CONFIG", "").strip()
    return Path(named) if named else config.ROOT / "config" / STAFF_FILE


def staff_id_for(sender_id: str, path: Path | None = None) -> str | None:
    """The staff id (``id`` or the sender) of a sender listed as staff, else None.

    A missing or unreadable file means nobody is staff (practice stays closed).
    """
    try:
        data = yaml.safe_load((path or staff_config_path()).read_text("utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    entries = data.get("staff") if isinstance(data, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and str(entry.get("sender") or "") == sender_id and sender_id:
            return str(entry.get("id") or entry.get("name") or sender_id)
    return None


def _count(form: str) -> int:
    """3题, 十五道, ９９９题 → a number of cases within 1..MAX_CASES (default when absent)."""
    match = _COUNT_RE.search(form)
    try:
        count = cn_to_int(match.group(1)) if match else DEFAULT_CASES
    except ValueError:
        count = DEFAULT_CASES
    return max(1, min(MAX_CASES, count))


def parse_start(text: str) -> StartOptions:
    """The options in a 开始练习 message: a channel (its name), 薄弱, a number of cases."""
    form = commands.match_form(text)
    count = _count(form)
    if commands.asks_weakest(text):
        return StartOptions("weakest", None, count)
    rules = get_grader().rules
    named = {code for code, phrases in rules.channel_phrases.items()
             if any(len(p) >= 3 and commands.match_form(p) in form for p in phrases)}
    bank_channels = set(get_bank().channels())
    named &= bank_channels
    if len(named) == 1:
        return StartOptions("channel", named.pop(), count)
    return StartOptions("mix", None, count)


def _text(key: str, **values: Any) -> str:
    return load_conversation().text(key, **values)


def case_prompt(session: PracticeSession) -> Message:
    """The current case: its number, the citizen's words, how to answer."""
    case = session.current()
    if case is None:
        raise PracticeError("本轮练习已经结束")
    return Message(_text("practice_case", number=session.position + 1,
                         total=len(session.case_ids), scenario=case.scenario.strip()))


def start(sender_id: str, text: str) -> tuple[str, list[Message], dict[str, Any] | None]:
    """开始练习: ("started", the intro and the first case, the session) or ("refused", …)."""
    staff = staff_id_for(sender_id)
    if staff is None:
        return "refused", [Message(_text("practice_refused"))], None
    options = parse_start(text)
    try:
        session = PracticeSession.start(staff, options.count, options.mode, options.channel)
    except PracticeError as exc:
        return "refused", [Message(str(exc))], None
    if not session.case_ids:
        return "refused", [Message(_text("practice_no_cases"))], None
    if options.mode == "channel":
        scope = get_grader().view.channel_name(options.channel or "")
    else:
        scope = _text("practice_scope_weakest" if options.mode == "weakest"
                      else "practice_scope_mix")
    intro = Message(_text("practice_intro", total=len(session.case_ids), scope=scope))
    return "started", [intro, case_prompt(session)], session.to_dict()


def summary_message(session: PracticeSession) -> Message:
    """The end of the round: how many answered, the mean score."""
    done = session.summary()
    if not done["answered"]:
        return Message(_text("practice_end_empty"))
    return Message(_text("practice_end", answered=done["answered"], total=done["total"],
                         mean=done["mean"], scores="、".join(str(s) for s in done["scores"])))


def answer(session_data: Any, text: str) -> tuple[list[Message], dict[str, Any] | None]:
    """One answer: the grade (score, items, model answer), then the next case or the summary.

    Returns the bubbles and the session (None when the round is over).
    """
    try:
        session = PracticeSession.from_dict(session_data)
    except PracticeError as exc:
        return [Message(str(exc))], None
    if commands.is_stop(text) or session.finished:
        return [summary_message(session)], None
    try:
        grade = session.submit(text)
    except PracticeError as exc:  # an empty answer: say so, ask again
        return [Message(str(exc)), case_prompt(session)], session.to_dict()
    messages = [Message("\n".join([grade.score_line, *grade.feedback_lines()])),
                Message(grade.model_line)]
    if session.finished:
        return [*messages, summary_message(session)], None
    return [*messages, case_prompt(session)], session.to_dict()
