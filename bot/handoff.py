"""The handoff to a human (转人工): whom to contact locally, and a summary for the staff member.

Local contacts come from configuration, never from code: ``config/local.yml`` (or the file
named by ``BOT_LOCAL_CONFIG``) holds the local petition bureau and, optionally, local bodies per
channel. Values still holding the shipped placeholders (示例 / 请在此填写) are treated as not
set, and the citizen is pointed to the national 12345 hotline instead.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import config
from bot.triage.normalize import mask_personal
from bot.triage.result import TriageResult

HOTLINE_12345 = "12345政务服务便民热线"
PLACEHOLDER_MARKS = ("示例", "请在此填写", "请填写")
CONTACT_FIELDS = ("name", "phone", "address", "hours", "website", "email")
MAX_FIELD = 200  # characters of one configured value

MAX_USER_MESSAGES = 8  # the latest ones are kept in the summary
MAX_MESSAGE_CHARS = 200
MAX_QUESTIONS = 8
MAX_SUMMARY_CHARS = 3000
_PHONE_RE = re.compile(r"^[0-9()（）+\- 、,，/;；转]+$")
_URL_RE = re.compile(r"^https?://[^\s]+$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_WS_RE = re.compile(r"\s+")


def local_config_path() -> Path:
    """The local contacts file (``BOT_LOCAL_CONFIG``, default config/local.yml)."""
    return Path(os.environ.get("BOT_LOCAL_CONFIG") or config.ROOT / "config" / "local.yml")


def is_placeholder(value: str | None) -> bool:
    """True for an unset value or one still holding a placeholder of the shipped file."""
    return not value or any(mark in value for mark in PLACEHOLDER_MARKS)


@dataclass(frozen=True)
class Contact:
    """A local body: every field optional; placeholders are kept as written."""

    name: str | None = None
    phone: str | None = None
    address: str | None = None
    hours: str | None = None  # 接待时间
    website: str | None = None
    email: str | None = None

    def get(self, name: str) -> str | None:
        """The value of field ``name``, or None when unset or still a placeholder."""
        value = getattr(self, name)
        return None if is_placeholder(value) else value


@dataclass(frozen=True)
class LocalContacts:
    """The validated local configuration."""

    petition_bureau: Contact
    channels: dict[str, Contact] = field(default_factory=dict)  # channel code → local body
    source: Path | None = None  # the file read; None for the built-in default (12345 only)

    @property
    def is_default(self) -> bool:
        """True when no configuration file was found."""
        return self.source is None


class LocalConfigError(ValueError):
    """A malformed local configuration: names the file and the field."""

    def __init__(self, path: Path, where: str, problem: str) -> None:
        super().__init__(f"{path}：{where}：{problem}")
        self.path = path
        self.where = where


# --- loading -------------------------------------------------------------------------------


def load_local_contacts(path: Path | str | None = None) -> LocalContacts:
    """Read and validate the local contacts (``path``, else :func:`local_config_path`).

    A missing file gives the default (no local body: 12345 only); a malformed one raises
    :class:`LocalConfigError` (a ValueError) naming the file and the field.
    """
    path = Path(path) if path is not None else local_config_path()
    if not path.is_file():
        if path.exists():
            raise LocalConfigError(path, "文件", "不是普通文件")
        return LocalContacts(petition_bureau=Contact())
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise LocalConfigError(path, "文件", f"无法读取：{exc.strerror}") from None
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LocalConfigError(path, "文件", "不是 UTF-8 编码") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark else "文件"
        raise LocalConfigError(path, where, f"YAML 语法错误：{getattr(exc, 'problem', exc)}") \
            from None
    if not isinstance(data, dict):
        raise LocalConfigError(path, "文件", "应为“字段: 值”的映射（至少要有 petition_bureau）")
    unknown = sorted(str(k) for k in data if k not in ("petition_bureau", "channels"))
    if unknown:
        raise LocalConfigError(path, unknown[0], "未知字段（可用：petition_bureau、channels）")
    if "petition_bureau" not in data:
        raise LocalConfigError(path, "petition_bureau", "缺少字段")
    bureau = _contact(data["petition_bureau"], path, "petition_bureau")
    channels: dict[str, Contact] = {}
    raw_channels = data.get("channels")
    if raw_channels is not None:
        if not isinstance(raw_channels, dict):
            raise LocalConfigError(path, "channels", "应为“渠道代码: 联系方式”的映射")
        known = _channel_names()
        for code, raw in raw_channels.items():
            where = f"channels.{code}"
            if not isinstance(code, str) or (known and code not in known):
                raise LocalConfigError(path, where, "不是 knowledge/channels.yaml 中的渠道代码")
            channels[code] = _contact(raw, path, where)
    return LocalContacts(petition_bureau=bureau, channels=channels, source=path)


def _contact(raw: Any, path: Path, where: str) -> Contact:
    if not isinstance(raw, dict):
        raise LocalConfigError(path, where,
                               "应为映射（" + "、".join(CONTACT_FIELDS) + "）")
    unknown = sorted(str(k) for k in raw if k not in CONTACT_FIELDS)
    if unknown:
        raise LocalConfigError(path, f"{where}.{unknown[0]}",
                               "未知字段（可用：" + "、".join(CONTACT_FIELDS) + "）")
    values: dict[str, str | None] = {}
    for name in CONTACT_FIELDS:
        values[name] = _value(raw.get(name), path, f"{where}.{name}")
    phone, website, email = values["phone"], values["website"], values["email"]
    if phone and not is_placeholder(phone) and (
            not _PHONE_RE.match(phone) or sum(c.isdigit() for c in phone) < 3):
        raise LocalConfigError(path, f"{where}.phone", f"不像电话号码：{phone!r}")
    if website and not is_placeholder(website) and not _URL_RE.match(website):
        raise LocalConfigError(path, f"{where}.website",
                               f"应以 http:// 或 https:// 开头：{website!r}")
    if email and not is_placeholder(email) and not _EMAIL_RE.match(email):
        raise LocalConfigError(path, f"{where}.email", f"不像电子邮箱：{email!r}")
    return Contact(**values)


def _value(raw: Any, path: Path, where: str) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str):
        hint = "（电话号码请加引号，例如 \"0571-12345678\"）" if where.endswith(".phone") else ""
        raise LocalConfigError(path, where, f"应为文字，而不是 {type(raw).__name__}{hint}")
    value = _WS_RE.sub(" ", _CONTROL_RE.sub("", raw)).strip()
    if len(value) > MAX_FIELD:
        raise LocalConfigError(path, where, f"太长（最多{MAX_FIELD}字）")
    return value or None


@lru_cache(maxsize=4)
def _channel_names_at(path: Path) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return {c["code"]: c["name"] for c in data["channels"]}
    except (OSError, ValueError, yaml.YAMLError, KeyError, TypeError):
        return {}


def _channel_names() -> dict[str, str]:
    """Channel code → Chinese name from knowledge/channels.yaml (empty if unreadable)."""
    return _channel_names_at(config.knowledge_dir() / "channels.yaml")


# --- messages ------------------------------------------------------------------------------


def handoff_message(contacts: LocalContacts, channel: str | None = None) -> list[str]:
    """Short chat messages telling the citizen whom to contact, how and when.

    Placeholder or missing values are never shown: without a real local phone the citizen is
    pointed to 12345. With ``channel`` and a configured local body for it, that body is named.
    """
    bureau = contacts.petition_bureau
    name = bureau.get("name") or "当地信访部门"
    phone, hours, address = bureau.get("phone"), bureau.get("hours"), bureau.get("address")
    website, email = bureau.get("website"), bureau.get("email")
    messages: list[str] = []
    if phone:
        first = f"转人工：请联系{name}，电话 {phone}。"
        if hours:
            first += f"\n接待时间：{hours}"
        messages.append(first)
    else:
        messages.append(f"转人工：请拨打{HOTLINE_12345}，说明您的问题；"
                        "不知道该找哪个部门时，可以先问这里。")
        if hours and bureau.get("name"):
            messages.append(f"{name}接待时间：{hours}")
    if address:
        messages.append(f"也可以到{name}当面反映，地址：{address}。")
    online = [f"网上信访：{website}"] if website else []
    online += [f"电子邮箱：{email}"] if email else []
    if online:
        messages.append("\n".join(online))
    body = contacts.channels.get(channel) if channel else None
    if body is not None and body.get("name") and (body.get("phone") or body.get("address")):
        line = f"您的问题也可以直接找{body.get('name')}"
        line += f"，电话 {body.get('phone')}" if body.get("phone") else ""
        line += f"，地址：{body.get('address')}" if body.get("address") else ""
        line += f"（{body.get('hours')}）" if body.get("hours") else ""
        messages.append(line + "。")
    if phone:
        messages.append(f"一时联系不上，也可以拨打{HOTLINE_12345}。")
    messages.append("为保护您的隐私，请不要在聊天中发送身份证号、银行卡号。")
    return messages


# --- summary for the staff member ----------------------------------------------------------


def _short(text: object, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Masked, one-line, truncated text for the summary."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    cut = text[: limit * 4 + 256]  # masking never makes text longer; numbers survive the cut
    value = _WS_RE.sub(" ", mask_personal(_CONTROL_RE.sub("", cut))).strip()
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _fact_value(value: Any, values: dict[str, str]) -> str:
    if isinstance(value, bool):
        return values.get(str(value).lower(), "是" if value else "否")
    if isinstance(value, list | tuple):
        return "、".join(dict.fromkeys(_fact_value(v, values) for v in value))
    if isinstance(value, dict):  # a date found in the text: its own wording
        return str(value.get("text") or value.get("date") or "")
    return values.get(str(value), str(value))


def known_facts_line(facts: dict[str, Any]) -> str | None:
    """已知情况 in words: the facts named in conversation.yaml's summary_facts, or None."""
    from bot.dialogue import load_conversation

    data = load_conversation()
    values = dict(data.fact_values)
    parts, used = [], set()
    for name, label in data.fact_labels.items():  # parties before party: the list wins
        shown = _fact_value(facts[name], values) if name in facts else ""
        if shown and label not in used:
            used.add(label)
            parts.append(f"{label}：{_short(shown, 80)}")
    return "；".join(parts) or None


def _payload_label(payload: str) -> str:
    """A button payload whose button is unknown: the intent's plain name, never JSON."""
    from bot.dialogue import load_conversation

    intent = re.match(r"/([A-Za-z_]*)", payload)
    label = load_conversation().intent_labels.get(intent.group(1) if intent else "")
    return f"（按钮：{label}）" if label else "（点了一个按钮）"


def _is_question(text: str) -> bool:
    return "？" in text or "?" in text


def conversation_summary(events: list[dict], result: TriageResult | None) -> str:
    """A short, masked summary of the conversation for the staff member taking over.

    ``events`` are Rasa tracker events as dicts; only ``user``, ``bot`` and ``slot`` events are
    read. Lists the citizen's latest messages (a pressed button by its title), the channel
    decided (or the candidates), the known facts in words, and the questions the bot asked
    with the answers given.
    """
    from bot.dialogue import load_conversation

    user_messages: list[str] = []
    questions: list[list[str | None]] = []  # [question, answer]
    slots: dict[str, Any] = {}
    buttons: dict[str, str] = {}  # payload → title of the latest bot message's buttons
    for event in events or []:
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        if kind == "user":
            text = event.get("text")
            if not isinstance(text, str) or not text.strip():
                continue
            shown = _short(buttons.get(text) or text)
            if text.startswith("/") and text not in buttons:
                shown = _payload_label(text)
            user_messages.append(shown)
            if questions and questions[-1][1] is None:
                questions[-1][1] = shown
        elif kind == "bot":
            text = event.get("text")
            data = event.get("data") if isinstance(event.get("data"), dict) else {}
            buttons = {b["payload"]: str(b.get("title") or "")
                       for b in data.get("buttons") or []
                       if isinstance(b, dict) and isinstance(b.get("payload"), str)}
            if isinstance(text, str) and _is_question(text):
                questions.append([_short(text, 100), None])
        elif kind == "slot":
            name = event.get("name")
            if isinstance(name, str):  # only facts named in summary_facts are shown
                if event.get("value") is None:
                    slots.pop(name, None)
                else:
                    slots[name] = event.get("value")

    names = _channel_names()
    lines = ["【转人工摘要】（证件号、电话、银行卡号已隐去）"]
    if result is not None and result.emergency is not None:
        kind = load_conversation().fact_values.get(result.emergency.kind, result.emergency.kind)
        lines.append(f"⚠ 紧急情况：{kind}")
    if result is None:
        lines.append("渠道：尚未判断")
    elif result.channel:
        lines.append(f"渠道：{names.get(result.channel, result.channel)}（{result.channel}）")
    else:
        candidates = "、".join(f"{names.get(c, c)}（{c}）" for c in result.alternatives)
        lines.append("渠道：尚未确定" + (f"，可能是：{candidates}" if candidates else ""))
    if result is not None and result.deadline is not None and result.deadline.text:
        lines.append(f"期限：{_short(result.deadline.text)}")
    facts: dict[str, Any] = dict(result.facts) if result is not None else {}
    for name, value in slots.items():
        facts.setdefault(name, value)
    known = known_facts_line(facts)
    if known:
        lines.append("已知情况：" + known)
    if result is not None and result.missing:
        lines.append("还需了解：" + "；".join(_short(q.question, 80) for q in result.missing))
    lines.append(f"群众的话（共{len(user_messages)}条"
                 + (f"，只列最近{MAX_USER_MESSAGES}条" if len(user_messages) > MAX_USER_MESSAGES
                    else "") + "）：")
    for i, text in enumerate(user_messages[-MAX_USER_MESSAGES:], start=1):
        lines.append(f"{i}. {text}")
    if questions:
        lines.append("机器人问过：")
        for question, answer in questions[-MAX_QUESTIONS:]:
            lines.append(f"- {question} → {answer or '（未回答）'}")
    summary = "\n".join(lines)
    if len(summary) > MAX_SUMMARY_CHARS:
        summary = summary[: MAX_SUMMARY_CHARS - 1] + "…"
    return summary


__all__ = [
    "Contact",
    "LocalConfigError",
    "LocalContacts",
    "conversation_summary",
    "handoff_message",
    "is_placeholder",
    "load_local_contacts",
    "local_config_path",
]
