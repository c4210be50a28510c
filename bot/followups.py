"""Follow-up answers: questions about the route the bot just gave, and about the 信访 procedure.

Pure functions over the knowledge base: text in, short chat messages out. Everything said comes
from ``knowledge/`` (the channel catalogue through ``bot.knowledge``, the procedure topics and
the rules for missed time limits from ``knowledge/procedure.yaml``); no law text lives here.

    answer_followup("deadline", "admin_reconsideration", deadline_start=date(2026, 3, 2))
    answer_procedure("beijing")
    match_procedure_topic("能不能去北京上访")  -> "beijing"
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot import config
from bot.deadlines import DeadlineResult, deadline_for, format_date, is_overdue
from bot.knowledge import Channel, KnowledgeBase, KnowledgeError, open_knowledge
from bot.knowledge.loader import KnowledgeDataError, _read_yaml
from bot.triage.normalize import normalize

__all__ = [
    "KINDS",
    "MissedDeadline",
    "ProcedureData",
    "Topic",
    "answer_followup",
    "answer_procedure",
    "article_full_text",
    "cite_line",
    "load_procedure",
    "match_procedure_topic",
    "procedure_topics",
]

KINDS = ("materials", "where", "steps", "cost", "deadline", "overdue", "next_if_fails",
         "articles")
PROCEDURE_FILE = "procedure.yaml"
MAX_TITLE_CHARS = 12
MAX_MESSAGE_CHARS = 220  # one chat bubble on a phone; longer answers are split in the YAML
MIN_TRIGGERS = 3
MATCH_THRESHOLD = 0.35  # topic score below which no topic is suggested (see _topic_score)
GENERIC_SHARE = 0.25  # a bigram in at least this share of the topics (and in 3) is generic
GENERIC_MIN_TOPICS = 3
MIN_QUESTION_BIGRAMS = 3  # questions with fewer informative bigrams score lower

ASK_12348 = "您的情况是否适用、下一步怎么办，请尽快拨打12348公共法律服务热线咨询。"
NO_REMEDY = "我们收录的法律法规里，没有耽误这个期限之后的补救规定，我不能替您判断还有没有办法。"

_TOPIC_KEYS = {"id", "title", "triggers", "answer", "articles", "channels"}
_MISSED_KEYS = {"channel", "limits", "text", "articles"}
_TOP_KEYS = {"topics", "missed_deadlines"}
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_DIGIT_RUN_RE = re.compile(r"(?<![\d-])\d{3,}(?![\d-])")
_MATCH_KEEP_RE = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")


# ---- data -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Topic:
    """A question about the petition procedure and its answer (one entry of procedure.yaml)."""

    id: str
    title: str
    triggers: tuple[str, ...]
    answer: tuple[str, ...]
    articles: tuple[str, ...]
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class MissedDeadline:
    """What the law says once a channel's time limit has passed (procedure.yaml)."""

    channel: str
    limits: tuple[str, ...]
    text: str
    articles: tuple[str, ...]


@dataclass(frozen=True)
class ProcedureData:
    """procedure.yaml, validated."""

    file: str
    topics: tuple[Topic, ...]
    missed: tuple[MissedDeadline, ...]

    def topic(self, topic_id: str) -> Topic | None:
        """The topic with that id, if any."""
        return next((t for t in self.topics if t.id == topic_id), None)

    def missed_for(self, channel: str, limit_id: str) -> MissedDeadline | None:
        """The rule for a missed ``limit_id`` of ``channel``, if the data has one."""
        return next((m for m in self.missed
                     if m.channel == channel and limit_id in m.limits), None)


_cache: dict[tuple[str, str, str], ProcedureData] = {}
_cache_lock = threading.Lock()


def load_procedure(path: Path | str | None = None, kb: KnowledgeBase | None = None
                   ) -> ProcedureData:
    """Load and validate ``knowledge/procedure.yaml`` (or ``path``); cached per content.

    Raises KnowledgeDataError naming the file and the entry for: YAML or encoding errors,
    unknown or missing keys, an empty answer, a too long message or title, a duplicate id or
    trigger, an article reference that does not resolve (or points to a superseded text), an
    unknown channel or time limit, and a phone number that is not a national hotline.
    """
    kb = kb or open_knowledge()
    path = Path(path) if path else config.knowledge_dir() / PROCEDURE_FILE
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KnowledgeDataError(path, "文件", f"无法读取：{exc.strerror}") from exc
    key = (str(path.resolve()), hashlib.sha256(raw).hexdigest(),
           kb.engine.url.render_as_string())
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    data = _validate(_read_yaml(path), path, kb)
    with _cache_lock:
        _cache[key] = data
    return data


def _validate(data: Any, path: Path, kb: KnowledgeBase) -> ProcedureData:
    if not isinstance(data, Mapping) or not isinstance(data.get("topics"), list):
        raise KnowledgeDataError(path, "文件", "顶层应为 {topics: [...], missed_deadlines: [...]}")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise KnowledgeDataError(path, "文件", f"未知字段 {'、'.join(map(str, unknown))}")
    hotlines = set(kb.hotlines())
    topics: list[Topic] = []
    seen_triggers: dict[str, str] = {}
    for index, raw in enumerate(data["topics"], start=1):
        topic = _topic(raw, path, f"topics[{index}]", kb, hotlines)
        if any(t.id == topic.id for t in topics):
            raise KnowledgeDataError(path, f"话题 {topic.id}", "话题 id 重复")
        for trigger in topic.triggers:
            norm = _match_form(trigger)
            if norm in seen_triggers:
                raise KnowledgeDataError(path, f"话题 {topic.id}",
                                         f"问法“{trigger}”与话题 {seen_triggers[norm]} 重复")
            seen_triggers[norm] = topic.id
        topics.append(topic)
    if not topics:
        raise KnowledgeDataError(path, "topics", "至少需要一个话题")
    missed_raw = data.get("missed_deadlines") or []
    if not isinstance(missed_raw, list):
        raise KnowledgeDataError(path, "missed_deadlines", "应为列表")
    missed = [_missed(raw, path, f"missed_deadlines[{i}]", kb, hotlines)
              for i, raw in enumerate(missed_raw, start=1)]
    pairs = [(m.channel, lim) for m in missed for lim in m.limits]
    dup = next((p for p in pairs if pairs.count(p) > 1), None)
    if dup:
        raise KnowledgeDataError(path, f"missed_deadlines {dup[0]} {dup[1]}", "同一期限出现两次")
    return ProcedureData(str(path), tuple(topics), tuple(missed))


def _check_keys(raw: Any, allowed: set[str], path: Path, entry: str) -> Mapping:
    if not isinstance(raw, Mapping):
        raise KnowledgeDataError(path, entry, "应为映射")
    unknown = sorted(set(raw) - allowed, key=str)
    if unknown:
        raise KnowledgeDataError(path, entry, f"未知字段 {'、'.join(map(str, unknown))}")
    return raw


def _text(raw: Mapping, key: str, path: Path, entry: str, hotlines: set[str]) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeDataError(path, entry, f"缺少字段 {key}（应为非空文字）")
    _check_numbers(value, path, entry, hotlines)
    return value.strip()


def _texts(raw: Mapping, key: str, path: Path, entry: str, hotlines: set[str],
           required: bool = True) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not value:
        raise KnowledgeDataError(path, entry, f"缺少字段 {key}（应为非空列表）")
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise KnowledgeDataError(path, entry, f"{key} 应为非空字符串列表")
    for v in value:
        _check_numbers(v, path, entry, hotlines)
    return tuple(v.strip() for v in value)


def _check_numbers(text: str, path: Path, entry: str, hotlines: set[str]) -> None:
    """Any digit run that could be a phone number must be a national hotline."""
    for run in _DIGIT_RUN_RE.findall(text):
        if len(run) == 4 and 1900 <= int(run) <= 2100:
            continue  # a year
        if run not in hotlines and not (len(run) == 3 and int(run) < 400):
            raise KnowledgeDataError(path, entry, f"号码 {run} 不是 hotlines.yaml 中的全国热线")


def _check_articles(refs: Sequence[str], path: Path, entry: str, kb: KnowledgeBase) -> None:
    for ref in refs:
        try:
            quote = kb.quote(kb.citations.parse(ref))
        except (ValueError, KnowledgeError) as exc:
            raise KnowledgeDataError(path, entry, f"{ref}: {exc}") from exc
        if not quote.in_force:
            raise KnowledgeDataError(path, entry, f"{ref}: 引用的文本不是现行有效的，不应引用条号")


def _topic(raw: Any, path: Path, entry: str, kb: KnowledgeBase, hotlines: set[str]) -> Topic:
    if not isinstance(raw, Mapping):
        raise KnowledgeDataError(path, entry, "应为映射")
    topic_id = raw.get("id")
    if not isinstance(topic_id, str) or not _ID_RE.match(topic_id):
        raise KnowledgeDataError(path, entry, "缺少字段 id（小写英文字母、数字和下划线）")
    entry = f"话题 {topic_id}"
    raw = _check_keys(raw, _TOPIC_KEYS, path, entry)
    title = _text(raw, "title", path, entry, hotlines)
    if len(title) > MAX_TITLE_CHARS:
        raise KnowledgeDataError(path, entry, f"title 超过{MAX_TITLE_CHARS}个字")
    triggers = _texts(raw, "triggers", path, entry, hotlines)
    if len({_match_form(t) for t in triggers}) < MIN_TRIGGERS:
        raise KnowledgeDataError(path, entry, f"triggers 至少需要{MIN_TRIGGERS}种不同的问法")
    answer = _texts(raw, "answer", path, entry, hotlines)
    for message in answer:
        if len(message) > MAX_MESSAGE_CHARS:
            raise KnowledgeDataError(path, entry,
                                     f"answer 中有一条超过{MAX_MESSAGE_CHARS}个字：{message[:20]}…")
    articles = _texts(raw, "articles", path, entry, hotlines)
    _check_articles(articles, path, entry, kb)
    channels = _texts(raw, "channels", path, entry, hotlines, required=False)
    for code in channels:
        _channel(kb, code, path, entry)
    return Topic(topic_id, title, triggers, answer, articles, channels)


def _missed(raw: Any, path: Path, entry: str, kb: KnowledgeBase,
            hotlines: set[str]) -> MissedDeadline:
    if not isinstance(raw, Mapping):
        raise KnowledgeDataError(path, entry, "应为映射")
    code = _text(raw, "channel", path, entry, hotlines)
    entry = f"missed_deadlines {code}"
    raw = _check_keys(raw, _MISSED_KEYS, path, entry)
    channel = _channel(kb, code, path, entry)
    limits = _texts(raw, "limits", path, entry, hotlines)
    known = {lim["id"] for lim in channel.time_limits}
    for limit_id in limits:
        if limit_id not in known:
            raise KnowledgeDataError(path, f"{entry} {limit_id}",
                                     f"渠道 {code} 没有期限 {limit_id}")
    text = _text(raw, "text", path, entry, hotlines)
    articles = _texts(raw, "articles", path, entry, hotlines)
    _check_articles(articles, path, entry, kb)
    return MissedDeadline(code, limits, text, articles)


def _channel(kb: KnowledgeBase, code: str, path: Path, entry: str) -> Channel:
    try:
        return kb.get_channel(code)
    except KnowledgeError as exc:
        raise KnowledgeDataError(path, entry, f"未知渠道 {code}") from exc


# ---- citations -------------------------------------------------------------------------------
def _short_citation(kb: KnowledgeBase, ref: str) -> str:
    """《行政复议法》第二十条第一款 (the official label, without 中华人民共和国)."""
    return kb.quote(kb.citations.parse(ref)).citation.replace("《中华人民共和国", "《")


def cite_line(refs: Iterable[str], kb: KnowledgeBase | None = None,
              prefix: str = "依据：") -> str:
    """One short line of citations, grouped by law (in order of first mention) and sorted by
    article: ``依据：《信访工作条例》第十九条第一款、第二十条；《法律援助法》第三十一条``."""
    kb = kb or open_knowledge()
    groups: dict[str, list[tuple[tuple[int, int, int], str]]] = {}
    for ref in dict.fromkeys(refs):
        citation = kb.citations.parse(ref)
        law, _, label = _short_citation(kb, ref).partition("》")
        order = (citation.article, citation.paragraph or 0, citation.item or 0)
        groups.setdefault(law + "》", []).append((order, label))
    if not groups:
        return ""
    return prefix + "；".join(law + "、".join(label for _, label in sorted(labels))
                              for law, labels in groups.items())


def article_full_text(ref: str, kb: KnowledgeBase | None = None) -> str:
    """The quoted article, 款 or 项 for a 查看原文 button: citation, version and exact text.

    ``ref`` is a data-style reference (``条例 第20条 第1款``) or any citation naming its law.
    Raises ValueError with a Chinese message when it cannot be parsed or does not exist.
    """
    if not isinstance(ref, str) or not ref.strip():
        raise ValueError("请指明要查看的条文，例如“条例 第20条 第1款”。")
    kb = kb or open_knowledge()
    try:
        citation = kb.citations.parse(ref)
    except ValueError:
        found = kb.find_citations(ref)
        if len(found) != 1:
            raise ValueError(f"无法识别的条文：{ref!r}（应如“条例 第20条 第1款”）") from None
        citation = found[0]
    try:
        return kb.quote(citation).render()
    except KnowledgeError as exc:
        raise ValueError(str(exc)) from exc


# ---- follow-ups about a channel ----------------------------------------------------------------
def answer_followup(kind: str, channel_code: str, *, deadline_start: date | None = None,
                    today: date | None = None, kb: KnowledgeBase | None = None,
                    limit_id: str | None = None, facts: Mapping[str, Any] | None = None
                    ) -> list[str]:
    """Short chat messages answering a follow-up question about a channel.

    ``kind`` is one of KINDS. ``deadline_start`` is the day the time limit starts from (the
    ``from_event`` of the limit; that day is not counted); ``limit_id`` picks a time limit of
    the channel (default: its first, the one the citizen must usually meet); ``facts`` go to
    ``bot.deadlines.deadline_for`` (e.g. ``wages_owed``). ``today`` defaults to the real date.
    Raises ValueError with a Chinese message for an unknown kind, channel or time limit.
    """
    if kind not in KINDS:
        raise ValueError(f"不支持的追问类型：{kind}（可选：{'、'.join(KINDS)}）")
    kb = kb or open_knowledge()
    try:
        channel = kb.get_channel(channel_code)
    except KnowledgeError as exc:
        raise ValueError(f"没有这个渠道：{channel_code}") from exc
    if kind == "deadline":
        return _deadline(channel, kb, deadline_start, limit_id, facts)
    if kind == "overdue":
        return _overdue(channel, kb, deadline_start, today or date.today(), limit_id, facts)
    return _BUILDERS[kind](channel, kb)


def _numbered(items: Sequence[str]) -> str:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, start=1))


def _materials(channel: Channel, kb: KnowledgeBase) -> list[str]:
    materials = channel.get("materials") or []
    if not materials:
        return [f"{channel.name}：目录里没有列出需要准备的材料，可以向办理机关问清楚。"]
    return [f"{channel.name}要准备的材料：\n{_numbered(materials)}",
            "交复印件的，原件自己留好；不确定的，可以先向办理机关问清楚。"]


def _where(channel: Channel, kb: KnowledgeBase) -> list[str]:
    body = channel["body"]
    first = f"找谁办：{body['name']}"
    if body.get("detail"):
        first += f"\n{body['detail']}"
    messages = [first]
    if body.get("how_to_find"):
        messages.append(f"怎么找：{body['how_to_find']}")
    known = kb.hotlines()
    numbers = [n for n in channel.get("hotlines") or [] if n in known]
    if numbers:
        messages.append("咨询电话：" + "、".join(f"{n}（{known[n]['name']}）" for n in numbers))
    if body.get("grounds"):
        messages.append(cite_line(body["grounds"], kb))
    return messages


def _steps(channel: Channel, kb: KnowledgeBase) -> list[str]:
    return [f"{channel.name}的办理步骤：\n{_numbered(channel.get('steps') or [])}"]


def _cost(channel: Channel, kb: KnowledgeBase) -> list[str]:
    cost = channel.get("cost") or "目录里没有费用信息，请向办理机关确认。"
    messages = [f"{channel.name}的费用：{cost}"]
    if channel.get("cost_grounds"):
        messages.append(cite_line(channel["cost_grounds"], kb))
    return messages


def _next_if_fails(channel: Channel, kb: KnowledgeBase) -> list[str]:
    steps = channel.get("next_if_fails") or []
    if not steps:
        return [f"{channel.name}走不通时怎么办，目录里没有记载。", ASK_12348]
    lines = []
    for step in steps:
        line = step["text"]
        if step.get("channel"):
            line += f"\n  → 对应途径：{kb.get_channel(step['channel']).name}"
        if step.get("grounds"):
            line += "\n  " + cite_line(step["grounds"], kb, prefix="（依据：") + "）"
        lines.append(line)
    return [f"如果{channel.name}没有解决问题：\n{_numbered(lines)}"]


def _articles(channel: Channel, kb: KnowledgeBase) -> list[str]:
    refs = list(dict.fromkeys(channel.get("cite") or []))
    names = [kb.quote(kb.citations.parse(ref)).citation for ref in refs]
    return ["这个途径的法律依据：\n" + "\n".join(f"· {n}" for n in names),
            "想看哪一条的原文，点“查看原文”，或者直接问我。"]


_BUILDERS = {"materials": _materials, "where": _where, "steps": _steps, "cost": _cost,
             "next_if_fails": _next_if_fails, "articles": _articles}


def _choose_limit(channel: Channel, limit_id: str | None) -> dict[str, Any]:
    limits = channel.time_limits
    if limit_id is None:
        return limits[0]
    for limit in limits:
        if limit["id"] == limit_id:
            return limit
    ids = "、".join(lim["id"] for lim in limits) or "无"
    raise ValueError(f"{channel.name}没有期限 {limit_id}（有：{ids}）")


def _no_time_limits(channel: Channel) -> list[str]:
    messages = [f"我们收录的规定里，“{channel.name}”没有可以计算的期限。"]
    notes = [n for n in channel.get("notes") or [] if "期限" in n]
    messages += notes or [channel.get("summary")]
    return messages


def _ask_for_start(limit: Mapping[str, Any], text: str) -> str:
    event = (limit.get("from_event") or "").strip()
    hint = f"（{event}）" if event else ""
    return f"{limit['label']}：{text}\n告诉我起算的日期{hint}，我帮您算出最后一天。"


def _result_lines(head: str, result: DeadlineResult) -> str:
    lines = [head, result.text]
    if result.explain and result.explain != result.text:
        lines.append(result.explain)
    return "\n".join(lines)


def _deadline(channel: Channel, kb: KnowledgeBase, start: date | None, limit_id: str | None,
              facts: Mapping[str, Any] | None) -> list[str]:
    if not channel.time_limits:
        if limit_id is not None:
            _choose_limit(channel, limit_id)  # raises: the channel has no time limits
        return _no_time_limits(channel)
    limit = _choose_limit(channel, limit_id)
    facts = facts or {}
    result = deadline_for(limit, start, facts, kb.calendar())
    if result.due is not None or result.no_limit or facts.get("wages_owed"):
        messages = [_result_lines(f"{channel.name}：{limit['label']}", result)]
    else:
        messages = [f"{channel.name}的" + _ask_for_start(limit, result.text)]
    if limit.get("note"):
        messages.append(limit["note"])
    others = [lim for lim in channel.time_limits if lim is not limit]
    if others:
        lines = [f"· {lim['label']}：{deadline_for(lim, None).text}" for lim in others]
        messages.append("其他期限：\n" + "\n".join(lines))
    if result.grounds:
        messages.append(cite_line(result.grounds, kb))
    return messages


def _overdue(channel: Channel, kb: KnowledgeBase, start: date | None, today: date,
             limit_id: str | None, facts: Mapping[str, Any] | None) -> list[str]:
    if not channel.time_limits:
        if limit_id is not None:
            _choose_limit(channel, limit_id)
        return _no_time_limits(channel)
    limit = _choose_limit(channel, limit_id)
    facts = facts or {}
    result = deadline_for(limit, start, facts, kb.calendar())
    name = f"{channel.name}的“{limit['label']}”"
    if result.no_limit:
        messages = [_result_lines(f"{name}：", result), "按您说的情况，不存在超过期限的问题。"]
        return messages + ([limit["note"]] if limit.get("note") else [])
    if result.due is None:
        if facts.get("wages_owed"):
            return [_result_lines(f"{name}：", result)]
        return [_ask_for_start(limit, result.text)]
    if not is_overdue(result, today):
        left = (result.due - today).days
        when = "今天就是最后一天" if left == 0 else f"距最后一日还有{left}天"
        return [f"还没有超过{name}：最后一日是{format_date(result.due)}，{when}。\n"
                f"{result.explain}"]
    days = (today - result.due).days
    messages = [f"按您给的日期，已经超过了{name}：最后一日是{format_date(result.due)}，"
                f"已过去{days}天。\n{result.explain}"]
    rule = load_procedure(kb=kb).missed_for(channel.code, limit["id"])
    if rule is not None:
        messages.append(f"法律的相关规定：{rule.text}")
        messages.append(cite_line(rule.articles, kb))
    else:
        messages.append(NO_REMEDY)
    messages.append(ASK_12348)
    return messages


# ---- the petition procedure --------------------------------------------------------------------
def procedure_topics(kb: KnowledgeBase | None = None) -> list[Topic]:
    """The procedure topics of knowledge/procedure.yaml, in file order."""
    return list(load_procedure(kb=kb).topics)


def answer_procedure(topic_id: str, kb: KnowledgeBase | None = None) -> list[str]:
    """The topic's answer messages, then one line with the short citations.

    Raises ValueError with a Chinese message for an unknown topic.
    """
    kb = kb or open_knowledge()
    topic = load_procedure(kb=kb).topic(topic_id)
    if topic is None:
        raise ValueError(f"没有这个话题：{topic_id}")
    return [*topic.answer, cite_line(topic.articles, kb)]


def _match_form(text: str) -> str:
    return _MATCH_KEEP_RE.sub("", normalize(text))


def _bigrams(text: str) -> list[str]:
    if len(text) < 2:
        return [text] if text else []
    return [text[i:i + 2] for i in range(len(text) - 1)]


@dataclass(frozen=True)
class _Matcher:
    triggers: Mapping[str, tuple[tuple[str, frozenset[str]], ...]]  # topic → (form, bigrams)
    topic_grams: Mapping[str, frozenset[str]]  # every informative bigram of a topic's triggers
    generic: frozenset[str]  # bigrams in many topics (怎么, 信访, 可以 …): not evidence
    idf: Mapping[str, float]
    unseen: float

    def weight(self, grams: Iterable[str]) -> float:
        return sum(self.idf.get(b, self.unseen) for b in grams)


@functools.lru_cache(maxsize=4)
def _matcher(data: ProcedureData) -> _Matcher:
    triggers = {t.id: tuple((form, frozenset(_bigrams(form)))
                            for form in map(_match_form, t.triggers)) for t in data.topics}
    all_grams = {tid: frozenset().union(*(g for _, g in forms)) for tid, forms in triggers.items()}
    n = len(all_grams)
    df: Counter[str] = Counter(b for grams in all_grams.values() for b in grams)
    generic = frozenset(b for b, count in df.items()
                        if count >= max(GENERIC_MIN_TOPICS, n * GENERIC_SHARE))
    idf = {b: math.log(1 + n / count) for b, count in df.items()}
    topic_grams = {tid: grams - generic for tid, grams in all_grams.items()}
    return _Matcher(triggers, topic_grams, generic, idf, math.log(1 + n))


def _topic_score(query: str, qgrams: frozenset[str], topic_id: str, m: _Matcher) -> float:
    """Half the best weighted Dice with one trigger, half the share of the question's
    informative bigrams found among the topic's triggers (damped for very short questions);
    a trigger contained in the question scores above 1."""
    contained = [len(form) for form, _ in m.triggers[topic_id] if form in query]
    if contained:
        return 1.0 + max(contained) / 100
    best = 0.0
    for _, grams in m.triggers[topic_id]:
        grams = grams - m.generic
        total = m.weight(qgrams) + m.weight(grams)
        if total:
            best = max(best, 2 * m.weight(qgrams & grams) / total)
    query_weight = m.weight(qgrams)
    coverage = m.weight(qgrams & m.topic_grams[topic_id]) / query_weight if query_weight else 0.0
    coverage *= min(1.0, len(qgrams) / MIN_QUESTION_BIGRAMS)
    return (best + coverage) / 2


def match_procedure_topic(text: str, kb: KnowledgeBase | None = None) -> str | None:
    """The id of the procedure topic a question is about, or None.

    Deterministic and simple (the Rasa NLU is the main matcher): the text is normalised
    (``bot.triage.normalize``, punctuation dropped); a trigger phrase contained in it wins (the
    longest); otherwise character bigrams are compared with each topic's trigger phrases,
    weighted by rarity among the topics and ignoring bigrams common to many topics, and the
    best topic is returned if its score reaches MATCH_THRESHOLD.
    """
    if not isinstance(text, str):
        return None
    query = _match_form(text)
    if len(query) < 2:
        return None
    matcher = _matcher(load_procedure(kb=kb))
    qgrams = frozenset(_bigrams(query)) - matcher.generic
    best_id, best = None, 0.0
    for topic_id in matcher.triggers:  # file order: ties go to the earlier topic
        score = _topic_score(query, qgrams, topic_id, matcher)
        if score > best:
            best_id, best = topic_id, score
    return best_id if best >= MATCH_THRESHOLD else None
