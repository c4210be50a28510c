"""The conversation around triage, as plain functions: text and what is already known in,
decisions and chat messages out. The Rasa actions (``actions/``) only move values between the
tracker and these functions, so every behaviour here is tested without Rasa.

Wording and recognition words come from ``knowledge/conversation.yaml``, the questions from
``knowledge/triage/rules.yaml``, everything legal from the knowledge base.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import config
from bot.answers import DISCLAIMER
from bot.followups import KINDS, answer_followup, answer_procedure, match_procedure_topic
from bot.knowledge import KnowledgeBase, KnowledgeError, open_knowledge
from bot.knowledge.loader import KnowledgeDataError, _read_yaml
from bot.triage import get_engine
from bot.triage.dates import latest_event_date, parse_dates
from bot.triage.normalize import normalize
from bot.triage.result import Emergency, Question, TriageResult

#: The facts the conversation can ask for: the form's slots, in the order of rules.yaml.
FACT_SLOTS = ("party", "arbitration_clause", "decision_date", "employment_ongoing",
              "has_judgment", "what_happened")
UNKNOWN = "unknown"
YES_NO_FACTS = ("arbitration_clause", "employment_ongoing", "has_judgment")
MAX_ARTICLE_BUTTONS = 3
MAX_ISSUE_CHARS = 40
MAX_FAILED_ANSWERS = 2  # after this many unusable answers the bot explains what it needs
MAX_TEXT = 4000  # characters of a citizen's message kept in the conversation
CONVERSATION_FILE = "conversation.yaml"
FOLLOWUP_KEY_TO_KIND = {"legal_basis": "articles"}
_TEXT_KEYS = frozenset({
    "not_understood", "not_understood_again", "summary_intro", "unknown_noted", "stop_noted",
    "unusable_answer", "explain_need", "back_to_question", "several_issues", "issue_heading",
    "feedback_question", "feedback_thanks_helpful", "feedback_thanks_unhelpful",
    "feedback_without_consultation", "need_problem_first", "procedure_menu", "threat",
    "after_route_known", "article_button", "helpful_button", "unhelpful_button",
    "unknown_button", "handoff_button", "disruptive_button"})
_PUNCT_RE = re.compile(r"[\s\W_]+", re.UNICODE)
_DIGITS_RE = re.compile(r"\d{3,}")
_QUESTION_RE = re.compile(
    r"[?？]|吗|呢|怎么|咋|如何|多久|多少|哪|啥|什么|能不能|可不可以|是不是|有没有")


# ---- data ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Button:
    """A quick-reply button: what it shows, and what it sends back when pressed."""

    title: str
    payload: str


@dataclass(frozen=True)
class Message:
    """One chat bubble."""

    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class ConversationData:
    """knowledge/conversation.yaml, checked."""

    answers: Mapping[str, Any]
    corrections: tuple[str, ...]
    followup_kinds: tuple[tuple[str, tuple[str, ...]], ...]
    handoff_words: tuple[str, ...]
    petition_words: tuple[str, ...]
    threat_articles: tuple[str, ...]
    intent_labels: Mapping[str, str]
    fact_labels: Mapping[str, str]  # summary_facts.labels: fact → 名称 (others are internal)
    fact_values: Mapping[str, str]  # summary_facts.values: internal value → 说法
    channel_intent_label: str
    texts: Mapping[str, str]

    def text(self, key: str, **values: Any) -> str:
        """A fixed sentence of the conversation, with its {placeholders} filled."""
        return self.texts[key].format(**values)


def _words(raw: Any, path: Path, entry: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(w, str) and w for w in raw):
        raise KnowledgeDataError(path, entry, "应为非空的词语列表")
    return tuple(_match_form(w) for w in raw)


def _check_numbers(text: str, path: Path, entry: str, hotlines: Iterable[str]) -> None:
    allowed = set(hotlines)
    for number in _DIGITS_RE.findall(text):
        if number not in allowed:
            raise KnowledgeDataError(path, entry, f"号码 {number} 不是 hotlines.yaml 中的全国热线")


@functools.lru_cache(maxsize=4)
def _load(path_str: str, mtime: float) -> ConversationData:
    path = Path(path_str)
    data = _read_yaml(path)
    if not isinstance(data, Mapping):
        raise KnowledgeDataError(path, "文件", "顶层应为映射")
    hotlines = open_knowledge().hotlines()
    answers_raw = data.get("answers")
    if not isinstance(answers_raw, Mapping):
        raise KnowledgeDataError(path, "answers", "缺少或不是映射")
    answers: dict[str, Any] = {}
    for key in ("unknown", "stop", "yes", "no"):
        answers[key] = _words(answers_raw.get(key), path, f"answers.{key}")
    for fact in YES_NO_FACTS:
        raw = answers_raw.get(fact) or {}
        if not isinstance(raw, Mapping) or set(raw) - {"true", "false"}:
            raise KnowledgeDataError(path, f"answers.{fact}", "只能有 true / false 两个键")
        answers[fact] = {v: _words(raw[v], path, f"answers.{fact}.{v}") for v in raw}
    party = answers_raw.get("party") or {}
    options = {o["value"] for o in get_engine().question("party").options}
    if not isinstance(party, Mapping) or set(party) - options:
        raise KnowledgeDataError(path, "answers.party", f"键只能是：{'、'.join(sorted(options))}")
    answers["party"] = {v: _words(party[v], path, f"answers.party.{v}") for v in party}
    kinds = []
    raw_kinds = data.get("followup_kinds")
    if not isinstance(raw_kinds, Mapping):
        raise KnowledgeDataError(path, "followup_kinds", "缺少或不是映射")
    for key, words in raw_kinds.items():
        kind = FOLLOWUP_KEY_TO_KIND.get(key, key)
        if kind not in KINDS:
            raise KnowledgeDataError(path, f"followup_kinds.{key}",
                                     f"未知追问类型（可选：{KINDS}）")
        kinds.append((kind, _words(words, path, f"followup_kinds.{key}")))
    texts = data.get("texts")
    if not isinstance(texts, Mapping) or not all(isinstance(v, str) for v in texts.values()):
        raise KnowledgeDataError(path, "texts", "缺少或不是文字映射")
    missing = _TEXT_KEYS - set(texts)
    if missing:
        raise KnowledgeDataError(path, "texts", f"缺少：{'、'.join(sorted(missing))}")
    for key, value in texts.items():
        _check_numbers(value, path, f"texts.{key}", hotlines)
    labels = data.get("intent_labels")
    if not isinstance(labels, Mapping):
        raise KnowledgeDataError(path, "intent_labels", "缺少或不是映射")
    try:
        from bot import commands

        commands.check(data)
    except ValueError as exc:
        raise KnowledgeDataError(path, "practice", str(exc)) from None
    summary = data.get("summary_facts")
    if not isinstance(summary, Mapping) or not all(
            isinstance(summary.get(k), Mapping) for k in ("labels", "values")):
        raise KnowledgeDataError(path, "summary_facts", "应有 labels 和 values 两个映射")
    return ConversationData(
        answers=answers,
        corrections=_words(data.get("corrections"), path, "corrections"),
        followup_kinds=tuple(kinds),
        handoff_words=_words(data.get("handoff_words"), path, "handoff_words"),
        petition_words=_words(data.get("petition_words"), path, "petition_words"),
        threat_articles=tuple(str(r) for r in (data.get("threat") or {}).get("articles") or ()),
        intent_labels={str(k): str(v) for k, v in labels.items()},
        fact_labels={str(k): str(v) for k, v in summary["labels"].items()},
        fact_values={str(k): str(v) for k, v in summary["values"].items()},
        channel_intent_label=str(data.get("channel_intent_label") or "{name}"),
        texts=dict(texts),
    )


def load_conversation(path: Path | str | None = None) -> ConversationData:
    """Load and check knowledge/conversation.yaml (cached until the file changes)."""
    path = Path(path) if path else config.knowledge_dir() / CONVERSATION_FILE
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise KnowledgeDataError(path, "文件", f"无法读取：{exc}") from None
    return _load(str(path), mtime)


def _match_form(text: str) -> str:
    """Simplified, lower-case, without spaces or punctuation: the form words are compared in."""
    return _PUNCT_RE.sub("", normalize(text or "")).lower()


def _contains_any(form: str, words: Iterable[str]) -> bool:
    return any(w and w in form for w in words)


def _is_exactly(form: str, words: Iterable[str]) -> bool:
    return form in set(words)


# ---- answers to the form's questions -------------------------------------------------------
@dataclass(frozen=True)
class ParsedAnswer:
    """What a reply to one of the bot's questions says.

    ``status``: ``value`` (usable, in ``value``), ``unknown`` (不清楚), ``stop`` (stop asking)
    or ``unusable``.
    """

    status: str
    value: str | None = None


def parse_answer(fact: str, text: str, today: dt.date | None = None,
                 question: Question | None = None) -> ParsedAnswer:
    """Read a citizen's reply to the question for ``fact`` (free text or a button title)."""
    if fact not in FACT_SLOTS:
        raise ValueError(f"unknown fact {fact!r}")
    data = load_conversation()
    today = today or dt.date.today()
    form = _match_form(text)
    if not form:
        return ParsedAnswer("unusable")
    question = question or get_engine().question(fact)
    for option in question.options:
        if form == _match_form(option["title"]) or form == _match_form(option["value"]):
            value = option["value"]
            return ParsedAnswer("unknown" if value == UNKNOWN else "value", value)
    if _contains_any(form, data.answers["stop"]):
        return ParsedAnswer("stop")
    if _contains_any(form, data.answers["unknown"]):
        return ParsedAnswer("unknown", UNKNOWN)
    value = _parse_value(fact, text, form, today, data)
    return ParsedAnswer("value", value) if value is not None else ParsedAnswer("unusable")


def _parse_value(fact: str, text: str, form: str, today: dt.date,
                 data: ConversationData) -> str | None:
    if fact == "decision_date":
        day = latest_event_date(parse_dates(normalize(text), today), today)
        return day.isoformat() if day else None
    if fact == "what_happened":
        return text.strip()[:MAX_TEXT] if _describes_something(text) else None
    stated = facts_stated(text, today, loose=True)
    if fact in stated:
        return stated[fact]
    if fact in YES_NO_FACTS:
        specific = data.answers[fact]
        for value in ("false", "true"):  # 没有仲裁条款 contains 仲裁条款
            if _contains_any(form, specific.get(value, ())):
                return value
        short = len(form) <= 4  # 没有呢, 有的: a longer reply says something else
        if _is_exactly(form, data.answers["no"]) or (short and form.startswith(("没", "无"))):
            return "false"
        if _is_exactly(form, data.answers["yes"]) or (short and form.startswith(
                data.answers["yes"])):
            return "true"
    return None


def _describes_something(text: str) -> bool:
    """True when a reply says something about the problem (a concept, or a real sentence)."""
    form = _match_form(text)
    engine = get_engine()
    if any(not h.negated for h in engine.lexicon.match(normalize(text))):
        return True
    data = load_conversation()
    if (_is_exactly(form, data.answers["yes"]) or _is_exactly(form, data.answers["no"])
            or _contains_any(form, data.answers["unknown"])):
        return False
    cjk = sum(1 for ch in form if "\u4e00" <= ch <= "\u9fff")
    return cjk >= 8


def facts_stated(text: str, today: dt.date | None = None, loose: bool = False
                 ) -> dict[str, str]:
    """The askable facts a free text states (对方是谁, 有没有仲裁条款, 判决, 日期…).

    Used for corrections (不对，对方是公司) and for answers that say more than was asked.
    ``loose`` (a reply about the facts, not a complaint) also reads the plain party words of
    conversation.yaml (个人, 公司…), too common to be read in a complaint.
    """
    today = today or dt.date.today()
    engine = get_engine()
    norm = normalize(text or "")
    stated: dict[str, str] = {}
    for hit in engine.lexicon.match(norm):
        if hit.negated:
            continue
        concept = engine.lexicon.concept(hit.concept)
        if concept.group == "party" and "party" not in stated:
            stated["party"] = _party_value(str(concept.sets.get("party", "")))
        if hit.concept == "arbitration_clause":
            stated.setdefault("arbitration_clause", "true")
        if hit.concept == "no_arbitration_clause":
            stated.setdefault("arbitration_clause", "false")
        if hit.concept == "judgment":
            stated.setdefault("has_judgment", "true")
    if loose and "party" not in stated:
        form = _match_form(text)
        for value, words in load_conversation().answers["party"].items():
            if _contains_any(form, words):
                stated["party"] = value
                break
    day = latest_event_date(parse_dates(norm, today), today)
    if day:
        stated["decision_date"] = day.isoformat()
    return {k: v for k, v in stated.items() if v}


def _party_value(value: str) -> str:
    """Concept party values, as the party question's option values where they differ."""
    return {"police": "court", "procuratorate": "court", "company": "private_person"}.get(
        value, value)


def is_correction(text: str) -> bool:
    """True when a message corrects or completes what was said (不对…, 补充一下…)."""
    form = _match_form(text)
    return any(form.startswith(w) for w in load_conversation().corrections)


def wants_handoff(text: str, intent: str | None = None) -> bool:
    """True when the citizen asks for a person (转人工)."""
    if intent == "human_handoff":
        return True
    form = _match_form(text)
    return bool(form) and _contains_any(form, load_conversation().handoff_words) and len(form) <= 12


def is_practice_command(text: str) -> bool:
    """True when the message starts with a practice command (开始练习 …; staff practice mode)."""
    from bot import commands

    return commands.is_start(text)


# ---- asking -------------------------------------------------------------------------------
def question_for(fact: str) -> Question:
    """The question asking for ``fact`` (knowledge/triage/rules.yaml)."""
    return get_engine().question(fact)


def question_message(question: Question, *, explain: bool = False) -> Message:
    """The question as a bubble with its options as buttons, and a 不清楚 button.

    With ``explain`` (after unusable answers) the bubble also says why the fact matters.
    """
    data = load_conversation()
    buttons = [Button(o["title"], o["title"]) for o in question.options]
    unknown_title = data.text("unknown_button")
    if not any(_match_form(b.title) == _match_form(unknown_title) for b in buttons):
        buttons.append(Button(unknown_title, unknown_title))
    text = question.question
    if explain and question.why:
        text = data.text("explain_need", question=question.question, why=question.why)
    return Message(text, tuple(buttons))


# ---- answering a complaint ----------------------------------------------------------------
def _cite(kb: KnowledgeBase, ref: str) -> str | None:
    try:
        return kb.quote(kb.citations.parse(ref)).citation
    except (KnowledgeError, ValueError):
        return None


def article_payload(ref: str) -> str:
    """The payload of a 查看原文 button: the ask_article intent with the reference."""
    return "/ask_article" + json.dumps({"article_ref": ref}, ensure_ascii=False)


def article_buttons(refs: Sequence[str], kb: KnowledgeBase | None = None,
                    limit: int = MAX_ARTICLE_BUTTONS) -> tuple[Button, ...]:
    """查看原文 buttons for the first ``limit`` citable references."""
    kb = kb or open_knowledge()
    data = load_conversation()
    buttons = []
    for ref in refs:
        citation = _cite(kb, ref)
        if citation:
            buttons.append(Button(data.text("article_button", citation=citation),
                                  article_payload(ref)))
        if len(buttons) >= limit:
            break
    return tuple(buttons)


def feedback_message() -> Message:
    """有帮助吗？ with its two buttons."""
    data = load_conversation()
    return Message(data.text("feedback_question"), (
        Button(data.text("helpful_button"), "/feedback_helpful"),
        Button(data.text("unhelpful_button"), "/feedback_unhelpful")))


def _route_messages(result: TriageResult, kb: KnowledgeBase) -> list[Message]:
    channel = kb.get_channel(result.channel)
    head = [f"建议途径：{channel.name}", result.reason]
    if result.alternatives:
        head.append("也可以考虑：" + "、".join(kb.get_channel(c).name for c in result.alternatives))
    messages = [Message("\n".join(head))]
    body = channel["body"]
    route = [f"找谁办：{body['name']}"]
    if body.get("how_to_find"):
        route.append(f"怎么找：{body['how_to_find']}")
    if result.deadline:
        route.append(f"期限：{result.deadline.text}")
        if result.deadline.overdue:
            route.append("按您说的日期，期限可能已经过了。可以问我“过期了怎么办”，"
                         "也请尽快拨打12348咨询。")
        elif result.deadline.due is None and not result.deadline.no_limit:
            route.append("告诉我括号里说的那一天是哪天，我帮您算出最后一天。")
    messages.append(Message("\n".join(route)))
    for kind in ("steps", "materials", "cost"):
        texts = answer_followup(kind, result.channel, kb=kb)
        messages.append(Message(texts[0]))
    return messages


def _issue_messages(result: TriageResult, kb: KnowledgeBase) -> list[Message]:
    data = load_conversation()
    lines = [data.text("several_issues", count=len(result.issues))]
    for index, issue in enumerate(result.issues, start=1):
        excerpt = issue.text if len(issue.text) <= MAX_ISSUE_CHARS else (
            issue.text[:MAX_ISSUE_CHARS - 1] + "…")
        lines.append(data.text("issue_heading", index=index, text=excerpt))
        if issue.channel:
            channel = kb.get_channel(issue.channel)
            lines.append(f"→ {channel.name}，找{channel['body']['name']}")
        else:
            lines.append("→ 还需要您再说具体一点")
    messages = [Message("\n".join(lines))]
    for index, issue in enumerate(result.issues[1:], start=2):
        if not issue.channel or issue.channel == result.channel:
            continue
        channel = kb.get_channel(issue.channel)
        block = [f"第{index}件事：{channel.name}", issue.reason or channel["summary"]]
        limits = channel.time_limits
        if limits:
            block.append(f"期限：{_limit_text(limits[0])}")
        block.append(f"找谁办：{channel['body']['name']}")
        cites = [c for c in (_cite(kb, r) for r in issue.articles[:2]) if c]
        if cites:
            block.append("依据：" + "；".join(cites))
        messages.append(Message("\n".join(block)))
    messages.append(Message(f"下面先详细说第1件事（{kb.get_channel(result.channel).name}）："))
    return messages


def _limit_text(limit: Mapping[str, Any]) -> str:
    from bot.deadlines import deadline_for

    try:
        return deadline_for(limit, None, {}, open_knowledge().calendar()).text
    except ValueError:
        return str(limit.get("label", ""))


def threat_messages(kb: KnowledgeBase | None = None) -> list[Message]:
    """The calm answer to a threat to 闹访: lawful petitioning, and the way to learn more."""
    kb = kb or open_knowledge()
    data = load_conversation()
    cites = [c for c in (_cite(kb, r) for r in data.threat_articles) if c]
    text = data.text("threat") + ("\n（依据：" + "；".join(cites) + "）" if cites else "")
    return [Message(text, (Button(data.text("disruptive_button"),
                                  '/ask_procedure{"topic": "disruptive"}'),))]


def emergency_messages(emergency: Emergency | None, kb: KnowledgeBase | None = None
                       ) -> list[Message]:
    """The emergency advice as the first bubble: the words for the situation with its hotlines
    (knowledge/triage/rules.yaml ``emergency:``), the articles grounding it and their 原文
    buttons (domestic violence: 反家庭暴力法第二十三条 and 第十六条)."""
    if emergency is None:
        return []
    kb = kb or open_knowledge()
    cites = [c for c in (_cite(kb, r) for r in emergency.articles) if c]
    text = emergency.message + ("\n（依据：" + "；".join(cites) + "）" if cites else "")
    return [Message(text, article_buttons(emergency.articles, kb) if cites else ())]


def reply_for_result(result: TriageResult, kb: KnowledgeBase | None = None) -> list[Message]:
    """A triage result as chat bubbles: emergency first, then a threat answer, the issues of a
    multi-issue message, the route (why, where, time limit, steps, materials, cost), the
    grounding articles with 查看原文 buttons, the disclaimer. When the result asks, the
    question (with buttons) comes last."""
    kb = kb or open_knowledge()
    messages = emergency_messages(result.emergency, kb)
    if result.facts.get("threat"):
        messages.extend(threat_messages(kb))
    if result.channel is None:
        if result.missing:
            messages.append(question_message(result.missing[0]))
        return messages
    if result.issues:
        messages.extend(_issue_messages(result, kb))
    messages.extend(_route_messages(result, kb))
    cites = [c for c in (_cite(kb, r) for r in result.articles[:4]) if c]
    if cites:
        messages.append(Message("依据：" + "；".join(cites),
                                article_buttons(result.articles[:4], kb)))
    messages.append(Message(DISCLAIMER))
    return messages


# ---- not understood, follow-ups, handoff --------------------------------------------------
def clarify_message(ranking: Sequence[tuple[str, float]], kb: KnowledgeBase | None = None,
                    limit: int = 3) -> Message:
    """First stage of the fallback: the likeliest intents as readable buttons, and 转人工."""
    kb = kb or open_knowledge()
    data = load_conversation()
    codes = {c.code for c in kb.channels()}
    buttons: list[Button] = []
    for intent, _confidence in ranking:
        if len(buttons) >= limit:
            break
        if intent in codes:
            title = data.channel_intent_label.format(name=kb.get_channel(intent).name)
        elif intent in data.intent_labels and intent not in ("human_handoff", "greet"):
            title = data.intent_labels[intent]
        else:
            continue
        buttons.append(Button(title, f"/{intent}"))
    buttons.append(Button(data.text("handoff_button"), "/human_handoff"))
    return Message(data.text("not_understood"), tuple(buttons))


def followup_kind(text: str) -> str | None:
    """Which follow-up a question is (materials, where, deadline, overdue…), or None."""
    form = _match_form(text)
    for kind, words in load_conversation().followup_kinds:
        if _contains_any(form, words):
            return kind
    return None


def answer_question(text: str, channel: str | None, *, intent: str | None = None,
                    topic: str | None = None, deadline_start: dt.date | None = None,
                    facts: Mapping[str, Any] | None = None, today: dt.date | None = None,
                    menu: bool = True, kb: KnowledgeBase | None = None) -> list[Message]:
    """Answer a follow-up about the route given (``channel``) or a question about the 信访
    procedure. ``topic`` (a procedure topic id from a button) wins; otherwise a procedure
    topic wins when the question is about petitioning or there is no route yet.

    When nothing matches: the menu of procedure topics if ``menu`` or the question is about
    petitioning, else no messages (the caller treats the text as not understood).
    """
    kb = kb or open_knowledge()
    data = load_conversation()
    topics = {t.id: t for t in _topics(kb)}
    if topic and topic in topics:
        return [Message(t) for t in answer_procedure(topic, kb)]
    kind = followup_kind(text)
    matched = match_procedure_topic(text, kb=kb)
    about_petitioning = intent == "ask_procedure" or any(
        w in _match_form(text) for w in data.petition_words)
    if matched and (channel is None or kind is None or about_petitioning):
        return [Message(t) for t in answer_procedure(matched, kb)]
    if kind and channel:
        texts = answer_followup(kind, channel, deadline_start=deadline_start, today=today,
                                kb=kb, facts=facts)
        messages = [Message(t) for t in texts]
        if kind in ("articles",):
            refs = list(kb.get_channel(channel).get("cite") or [])
            messages[-1] = Message(messages[-1].text, article_buttons(refs, kb))
        return messages
    if kind and not channel:
        return [Message(data.text("need_problem_first"))]
    return [procedure_menu(kb)] if menu or about_petitioning else []


def _topics(kb: KnowledgeBase) -> tuple:
    from bot.followups import procedure_topics

    return tuple(procedure_topics(kb))


def procedure_menu(kb: KnowledgeBase | None = None) -> Message:
    """The procedure topics as buttons."""
    kb = kb or open_knowledge()
    data = load_conversation()
    buttons = tuple(Button(t.title, "/ask_procedure" + json.dumps({"topic": t.id}))
                    for t in _topics(kb))
    handoff = Button(data.text("handoff_button"), "/human_handoff")
    return Message(data.text("procedure_menu"), (*buttons, handoff))


def handoff_messages(events: list[dict], result: TriageResult | None,
                     channel: str | None = None) -> list[Message]:
    """转人工: the local bureau's contact (config/local.yml) and the summary for the staff."""
    from bot.handoff import conversation_summary, handoff_message, load_local_contacts

    data = load_conversation()
    contacts = load_local_contacts()
    messages = [Message(t) for t in handoff_message(contacts, channel)]
    summary = conversation_summary(events, result)
    messages.append(Message(data.text("summary_intro") + "\n" + summary))
    return messages


def known_facts(slots: Mapping[str, Any]) -> dict[str, str]:
    """The fact slots that hold a value, as triage facts (what_happened is text, not a fact)."""
    return {name: str(slots[name]) for name in FACT_SLOTS
            if name != "what_happened" and slots.get(name) not in (None, "")}


def combine(complaint: str, addition: str) -> str:
    """The complaint so far with what the citizen added, capped at MAX_TEXT characters."""
    complaint, addition = (complaint or "").strip(), (addition or "").strip()
    if not complaint:
        return addition[:MAX_TEXT]
    if not addition or addition in complaint:
        return complaint[:MAX_TEXT]
    return f"{complaint}。{addition}"[-MAX_TEXT:]


def looks_like_question(text: str) -> bool:
    """True for a message that asks something (？, 吗, 怎么, 多久…)."""
    return bool(_QUESTION_RE.search(text or ""))


# ---- one complaint turn ------------------------------------------------------------------
STATUS_ASKING = "asking"  # a fact is missing: the form asks for it
STATUS_ANSWERED = "answered"
STATUS_UNCLEAR = "unclear"  # not understood: buttons (first time), then handoff
STATUS_OUT_OF_SCOPE = "out_of_scope"
STATUS_REPLIED = "replied"  # a follow-up or procedure question answered; the complaint stays
STATUS_PRACTICE = "practice"  # 开始练习: the rules hand over to action_practice_start
QUESTION_INTENTS = frozenset({"ask_followup", "ask_procedure"})
MAX_UNCLEAR_TURNS = 2
NOT_A_COMPLAINT = frozenset({"out_of_scope", "nlu_fallback", "greet", "goodbye", "thank",
                             "bot_challenge"})


def handoff_for(events: list[dict], complaint: str, facts: Mapping[str, Any],
                channel: str | None, today: dt.date | None = None) -> list[Message]:
    """转人工 at the citizen's request: contacts, and a summary with the bot's best view."""
    result = None
    if complaint:
        result = get_engine().triage(complaint, known_facts(facts), today=today,
                                     must_decide=True)
    return handoff_messages(events, result, channel or (result.channel if result else None))


def full_text(ref: str, kb: KnowledgeBase | None = None) -> str:
    """The full text of an article reference (a 查看原文 button), or a clear message."""
    from bot.followups import article_full_text

    try:
        return article_full_text(ref, kb)
    except (KnowledgeError, ValueError):
        return "没有找到这一条。请告诉我要查哪一条，例如“第三十一条原文”。"


@dataclass
class TriageTurn:
    """What the conversation does with one message that may be a complaint."""

    status: str
    messages: list[Message]
    complaint: str
    facts: dict[str, str | None]  # fact slots to set (None clears a slot)
    result: TriageResult | None = None
    unclear_turns: int = 0
    handoff: bool = False
    ranking: list[tuple[str, float]] = field(default_factory=list)  # the complaint's NLU signal


def _payload_intent(text: str) -> str | None:
    match = re.match(r"^/([a-z_]+)", text or "")
    return match.group(1) if match else None


def triage_turn(text: str, *, intent: str | None, ranking: Sequence[tuple[str, float]],
                complaint: str = "", facts: Mapping[str, Any] | None = None,
                after_form: bool = False, unclear_turns: int = 0, last_status: str | None = None,
                today: dt.date | None = None, events: list[dict] | None = None,
                complaint_ranking: Sequence[tuple[str, float]] = (),
                channel: str | None = None, topic: str | None = None,
                kb: KnowledgeBase | None = None) -> TriageTurn:
    """Decide what to do with a message: a complaint, a question, or not understood.

    - a follow-up or procedure question (``ask_followup``/``ask_procedure``, ``topic`` from a
      menu button) is answered from the knowledge base about ``channel``, the route given;
      one that matches nothing is treated as not understood (the NLU is overconfident on
      short junk), and an emergency always comes first;

    - ``after_form``: the questions are answered (or 不清楚): answer the complaint so far,
      choosing the likeliest channel if the facts still do not decide it;
    - a button from the 没听懂 stage (``/labour_arbitration``): the stored text, with the
      chosen intent as the NLU signal;
    - a correction or addition (不对…, 补充…), or any text while the bot was asking or had not
      understood: added to the complaint so far, stated facts overriding the known ones;
    - anything else is a new complaint: the facts of the previous one are cleared.

    The NLU ranking of the message that started the complaint (``complaint_ranking``) is the
    signal for the complaint; the ranking of a reply such as 公司 or 不对… is not.
    """
    kb = kb or open_knowledge()
    today = today or dt.date.today()
    text = (text or "")[:MAX_TEXT]
    known = {k: v for k, v in (facts or {}).items() if k in FACT_SLOTS}
    new_facts: dict[str, str | None] = {}
    button = _payload_intent(text)
    if button in QUESTION_INTENTS:
        intent, button = button, None
    elif button is not None and button not in {c.code for c in kb.channels()}:
        button = None
    ranking = list(ranking)
    engine = get_engine()
    groups = {engine.lexicon.concept(h.concept).group
              for h in engine.lexicon.match(normalize(text)) if not h.negated}
    # with no route given yet, a question that describes a problem (物业乱收费去哪里告) is
    # a complaint; an emergency always comes first
    describes = channel is None and bool(groups & {"act", "party"}) and not (
        match_procedure_topic(text, kb=kb))
    if (intent in QUESTION_INTENTS and not after_form and "emergency" not in groups
            and not describes):
        replies = answer_question(
            text, channel, intent=intent, topic=topic, today=today, kb=kb,
            deadline_start=as_date(known.get("decision_date")), facts=known_facts(known),
            menu=text.startswith("/"))
        if replies:
            return TriageTurn(STATUS_REPLIED, replies, complaint, {}, None, unclear_turns,
                              False, list(complaint_ranking))
        intent = "nlu_fallback"
    if after_form:
        body = complaint
        ranking = list(complaint_ranking)
    elif button:
        body = complaint
        ranking = [(button, 1.0)]
        intent = button
    elif complaint and (is_correction(text) or last_status in (STATUS_ASKING, STATUS_UNCLEAR)
                        or _just_a_date(text, today)):  # the date the answer asked for
        body = combine(complaint, text)
        new_facts.update(facts_stated(text, today, loose=is_correction(text)))
        ranking = list(complaint_ranking) or ranking
    else:
        body = text.strip()
        new_facts = {name: None for name in FACT_SLOTS if known.get(name) is not None}
        known = {}
    known.update({k: v for k, v in new_facts.items() if v is not None})
    known.pop("what_happened", None)
    result = engine.triage(body, known_facts(known), today=today, chosen=button,
                           must_decide=after_form or bool(button))
    hits = [h for h in engine.lexicon.match(normalize(body)) if not h.negated]

    def done(status: str, *, turns: int = 0, handoff: bool = False) -> TriageTurn:
        return TriageTurn(status, messages, body, new_facts, result, turns, handoff,
                          [(str(i), round(float(c), 4)) for i, c in ranking][:5])

    asks = bool(result.missing) and not (after_form or button)
    if result.channel is not None and not asks:
        messages = [*reply_for_result(result, kb), feedback_message()]
        return done(STATUS_ANSWERED)
    # emergency and threat answers come before any question or fallback
    urgent = bool(result.emergency or result.facts.get("threat"))
    messages = reply_for_result(_without_question(result), kb) if urgent else []
    vague = not result.missing or result.missing[0].fact == "what_happened"
    if after_form and result.channel is None:  # asked, and still nothing to go on
        messages.append(Message(load_conversation().text("not_understood_again")))
        messages.extend(handoff_messages(events or [], result))
        return done(STATUS_UNCLEAR, turns=0, handoff=True)
    if result.channel is not None or not vague or urgent:
        return done(STATUS_ASKING)  # the form asks
    if not hits and intent == "out_of_scope":
        return done(STATUS_OUT_OF_SCOPE)
    if intent in NOT_A_COMPLAINT or intent is None:
        turns = unclear_turns + 1
        if turns >= MAX_UNCLEAR_TURNS:
            messages.append(Message(load_conversation().text("not_understood_again")))
            messages.extend(handoff_messages(events or [], result))
            return done(STATUS_UNCLEAR, turns=0, handoff=True)
        messages.append(clarify_message(ranking, kb))
        return done(STATUS_UNCLEAR, turns=turns)
    return done(STATUS_ASKING)  # 请再具体说说


def _just_a_date(text: str, today: dt.date) -> bool:
    """A short message that gives a date and nothing else the lexicon knows (3月1日收到的)."""
    if len(_match_form(text)) > 20:
        return False
    if any(not h.negated for h in get_engine().lexicon.match(normalize(text))):
        return False
    return "decision_date" in facts_stated(text, today)


def _without_question(result: TriageResult) -> TriageResult:
    """The result with no channel and no question: only the emergency and threat answers."""
    from dataclasses import replace

    return replace(result, channel=None, missing=[], issues=[])


# ---- the form: one answer to one question -------------------------------------------------
MAX_QUESTIONS = 3  # questions per complaint; then the bot answers with what it has


@dataclass
class FormStep:
    """What the form does with one reply: slots to set, bubbles, and the next fact to ask
    (None: the questions are over and the complaint is answered)."""

    slots: dict[str, Any]
    messages: list[Message]
    next_fact: str | None


def next_fact(complaint: str, facts: Mapping[str, Any], asked: int = 0,
              today: dt.date | None = None, ranking: Sequence[tuple[str, float]] = ()
              ) -> str | None:
    """The next fact to ask about the complaint, or None (all known, or enough asked).

    ``ranking`` is kept for the callers' signature; the decision reads the complaint itself
    (the same result as every other front door).
    """
    if asked >= MAX_QUESTIONS:
        return None
    result = get_engine().triage(complaint or "", known_facts(facts), today=today)
    for question in result.missing:
        if facts.get(question.fact) in (None, ""):
            if question.fact == "what_happened" and facts.get("what_happened"):
                return None  # described once more and still nothing: answer what we can
            return question.fact
    return None


def form_step(fact: str, text: str, *, intent: str | None = None, complaint: str = "",
              facts: Mapping[str, Any] | None = None, failed: int = 0, asked: int = 0,
              channel: str | None = None, today: dt.date | None = None,
              events: list[dict] | None = None, ranking: Sequence[tuple[str, float]] = (),
              reply_ranking: Sequence[tuple[str, float]] = (),
              kb: KnowledgeBase | None = None) -> FormStep:
    """Handle the citizen's reply to the question for ``fact``.

    An emergency in the reply (他们正在打我爸、算了不想活了) is answered first, whatever else the
    reply is. A usable answer (free text or a button) or 不清楚 fills the fact; 算了 ends the
    questions; an article request, a question about the route or the procedure, or a
    correction of another fact is answered and the question asked again; an emergency that
    answers nothing is followed by the question again; otherwise the answer counts as
    unusable: after MAX_FAILED_ANSWERS the bot explains why it needs the fact, and once more
    it goes on without it.
    """
    kb = kb or open_knowledge()
    today = today or dt.date.today()
    data = load_conversation()
    facts = dict(facts or {})
    slots: dict[str, Any] = {}
    urgent = emergency_messages(get_engine().emergency_in(text or ""), kb)
    messages: list[Message] = list(urgent)
    if is_correction(text):
        corrected = {k: v for k, v in facts_stated(text, today, loose=True).items()
                     if k != fact and facts.get(k) != v}
        if corrected:
            facts.update(corrected)
            return FormStep(corrected, messages,
                            next_fact(complaint, facts, asked, today, ranking))
    parsed = parse_answer(fact, text, today)
    if parsed.status == "stop":
        return FormStep({fact: UNKNOWN, "failed_answers": 0},
                        [*messages, Message(data.text("stop_noted"))], None)
    if parsed.status in ("value", "unknown"):
        slots.update({fact: parsed.value, "failed_answers": 0, "questions_asked": asked + 1})
        if fact == "what_happened" and parsed.status == "value":
            complaint = combine(complaint, parsed.value or "")
            slots["complaint"] = complaint
            if reply_ranking:  # the description, not 我要投诉, is what the NLU should read
                ranking = list(reply_ranking)
                slots["complaint_ranking"] = [[i, round(float(c), 4)] for i, c in ranking][:5]
        for name, value in facts_stated(text, today).items():  # said more than was asked
            if name not in (fact, "decision_date") and facts.get(name) in (None, ""):
                slots[name] = value
        if parsed.status == "unknown":
            messages.append(Message(data.text("unknown_noted")))
    else:
        aside = _aside(text, intent, channel, facts, today, events, kb)
        if urgent and aside is None:  # the emergency was the reply: then the question again
            aside = []
        if aside is not None:
            messages.extend(aside)
            if not wants_handoff(text, intent):
                messages.append(Message(data.text("back_to_question")))
                return FormStep(slots, messages, fact)
            return FormStep({fact: UNKNOWN}, messages, None)
        corrected = {k: v for k, v in facts_stated(text, today).items()
                     if k != fact and facts.get(k) != v}
        if corrected:
            slots.update(corrected)
        else:
            failed += 1
            slots["failed_answers"] = failed
            if failed > MAX_FAILED_ANSWERS:
                slots.update({fact: UNKNOWN, "failed_answers": 0})
                messages.append(Message(data.text("unknown_noted")))
            else:
                messages.append(Message(data.text("unusable_answer")))
    facts.update(slots)
    return FormStep(slots, messages, next_fact(slots.get("complaint", complaint), facts,
                                               int(slots.get("questions_asked", asked)), today,
                                               ranking))


def _aside(text: str, intent: str | None, channel: str | None, facts: Mapping[str, Any],
           today: dt.date, events: list[dict] | None, kb: KnowledgeBase) -> list[Message] | None:
    """The answer to something said instead of an answer, or None.

    Only what the text itself shows counts (an article number, a follow-up or procedure
    question that matches; an emergency is answered before, by ``form_step``): the NLU intent
    of a short reply is not reliable.
    """
    if wants_handoff(text):  # the words, not the intent of a short reply
        return handoff_messages(events or [], None, channel)
    if kb.find_citations(text) and "条" in text:
        from bot.answers import answer_article_request

        return [Message(m) for m in answer_article_request(text, kb).messages]
    kind = followup_kind(text)
    topic = match_procedure_topic(text)
    if (intent in QUESTION_INTENTS or looks_like_question(text)) and (kind or topic):
        if kind and not channel and not topic:
            return [Message(load_conversation().text("after_route_known"))]
        start = as_date(facts.get("decision_date"))
        return answer_question(text, channel, intent=intent, deadline_start=start,
                               today=today, kb=kb)
    return None


def as_date(value: Any) -> dt.date | None:
    """An ISO date slot value as a date (None when empty or not a date)."""
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


__all__ = [
    "FACT_SLOTS",
    "UNKNOWN",
    "Button",
    "ConversationData",
    "Message",
    "ParsedAnswer",
    "FormStep",
    "TriageTurn",
    "form_step",
    "next_fact",
    "triage_turn",
    "answer_question",
    "article_buttons",
    "article_payload",
    "as_date",
    "full_text",
    "handoff_for",
    "clarify_message",
    "combine",
    "facts_stated",
    "feedback_message",
    "followup_kind",
    "handoff_messages",
    "is_correction",
    "known_facts",
    "load_conversation",
    "looks_like_question",
    "parse_answer",
    "procedure_menu",
    "question_for",
    "question_message",
    "reply_for_result",
    "threat_messages",
    "emergency_messages",
    "wants_handoff",
]
