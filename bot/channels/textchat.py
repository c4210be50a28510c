"""Text in and out of the chat channels (the web page, WeChat, WeCom).

Incoming: :func:`clean_text` trims a citizen's message, unifies line ends, drops control
characters and refuses what cannot go to Rasa (not text, binary, empty, too long); every
channel uses it, each with its own wording of the refusal.

Outgoing, for text-only messengers (WeChat, WeCom):

A Rasa turn gives several bubbles, some with buttons. A text messenger gets them joined into
paragraphs, the buttons as numbered choices ("回复 1：…" lines and a "回复数字即可" hint, wording
from knowledge/conversation.yaml), cut into messages under the messenger's size limit, measured
in UTF-8 bytes. A later reply "1", "２", "1." or " 1 " is read back as choice 1.
Pure functions: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# WeChat limits a text message to 2048 bytes; keep a margin for what the platform adds.
CHUNK_BYTES = 1800
MAX_CHOICE = 99
MAX_MESSAGE_CHARS = 2000  # the longest message a citizen may send to the bot

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_SENTENCE_END_RE = re.compile(r"(?<=[。！？；!?;…\n])")
_NUMBER_RE = re.compile(r"^\s*(\d{1,2})\s*[.。、,，)）:：]?\s*$")


class TextProblem(ValueError):
    """Why a message cannot go to Rasa: ``kind`` is ``bad_message`` (not text),
    ``binary_message``, ``empty_message`` or ``too_long`` (``count`` characters)."""

    def __init__(self, kind: str, count: int = 0) -> None:
        super().__init__(kind)
        self.kind = kind
        self.count = count


def clean_text(message: Any, max_chars: int = MAX_MESSAGE_CHARS) -> str:
    """The message trimmed, line ends unified, control characters removed; TextProblem when
    it is not text, binary (NUL, lone surrogates, nothing printable), empty or too long."""
    if not isinstance(message, str):
        raise TextProblem("bad_message")
    if "\x00" in message or any(0xD800 <= ord(c) <= 0xDFFF for c in message):
        raise TextProblem("binary_message")
    text = _CONTROL_RE.sub("", message.replace("\r\n", "\n").replace("\r", "\n")).strip()
    printable = [c for c in text if not c.isspace() and unicodedata.category(c)[0] != "C"]
    if not printable:
        raise TextProblem("binary_message" if text or message.strip() else "empty_message")
    if len(text) > max_chars:
        raise TextProblem("too_long", len(text))
    return text


@dataclass(frozen=True)
class Choice:
    """A numbered choice made from a button."""

    number: int
    title: str
    payload: str


@dataclass(frozen=True)
class TextTurn:
    """One bot turn as plain-text messages plus the choices they offer."""

    chunks: tuple[str, ...]
    choices: tuple[Choice, ...]

    def payloads(self) -> dict[int, str]:
        """Choice number → payload, to store until the user's next message."""
        return {c.number: c.payload for c in self.choices}


def utf8_len(text: str) -> int:
    """The size of ``text`` in UTF-8 bytes (what WeChat's limit counts)."""
    return len(text.encode("utf-8", "surrogatepass"))


def _hard_split(text: str, limit: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` bytes, between characters."""
    pieces, current, size = [], [], 0
    for char in text:
        width = utf8_len(char)
        if size + width > limit and current:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        pieces.append("".join(current))
    return pieces


def _pack(parts: Sequence[str], limit: int, joiner: str) -> list[str]:
    """Greedily join ``parts`` (each already under the limit) into chunks under ``limit``."""
    chunks: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}{joiner}{part}" if current else part
        if utf8_len(candidate) <= limit:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = part
    if current:
        chunks.append(current)
    return chunks


def _split_paragraph(paragraph: str, limit: int) -> list[str]:
    """A paragraph over the limit: cut at sentence ends (or line breaks), then hard."""
    sentences: list[str] = []
    for sentence in _SENTENCE_END_RE.split(paragraph):
        if not sentence:
            continue
        if utf8_len(sentence) > limit:
            sentences.extend(_hard_split(sentence, limit))
        else:
            sentences.append(sentence)
    return [c.strip("\n") for c in _pack(sentences, limit, "") if c.strip()]


def split_text(text: str, limit: int = CHUNK_BYTES) -> list[str]:
    """Cut ``text`` into messages of at most ``limit`` UTF-8 bytes.

    Paragraphs (separated by blank lines) are kept whole and packed together while they fit; a
    paragraph longer than the limit is cut at sentence ends, a sentence longer than the limit
    is cut hard.
    """
    if limit < 4:
        raise ValueError("limit too small")
    paragraphs: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if utf8_len(paragraph) > limit:
            paragraphs.extend(_split_paragraph(paragraph, limit))
        else:
            paragraphs.append(paragraph)
    return _pack(paragraphs, limit, "\n\n")


def _bubble_text(message: Mapping[str, Any]) -> str:
    parts = []
    for key in ("text", "image", "attachment"):
        value = message.get(key)
        if isinstance(value, str) and value.strip():
            parts.append(value.strip())
    custom = message.get("custom")
    if isinstance(custom, Mapping) and isinstance(custom.get("text"), str):
        parts.append(custom["text"].strip())
    return "\n".join(p for p in parts if p)


def render_turn(messages: Sequence[Mapping[str, Any]], *, choice_line: str, choice_hint: str,
                limit: int = CHUNK_BYTES) -> TextTurn:
    """Rasa's bubbles of one turn as text messages under ``limit`` bytes, with choices.

    ``choice_line`` is a template with ``{number}`` and ``{title}``; the choices of a bubble
    follow its text, numbered across the whole turn; ``choice_hint`` follows the last ones.
    """
    paragraphs: list[str] = []
    found: list[Choice] = []
    last_with_choices = -1
    for message in messages:
        text = _bubble_text(message)
        lines = []
        for button in message.get("buttons") or ():
            if not isinstance(button, Mapping) or len(found) >= MAX_CHOICE:
                continue
            title = str(button.get("title") or "").strip()
            payload = str(button.get("payload") or title).strip()
            if not title and not payload:
                continue
            number = len(found) + 1
            found.append(Choice(number, title or payload, payload))
            lines.append(choice_line.format(number=number, title=title or payload))
        paragraph = "\n".join(p for p in (text, *lines) if p)
        if paragraph:
            paragraphs.append(paragraph)
            if lines:
                last_with_choices = len(paragraphs) - 1
    if last_with_choices >= 0 and choice_hint:
        paragraphs[last_with_choices] += "\n" + choice_hint
    return TextTurn(tuple(split_text("\n\n".join(paragraphs), limit)) if paragraphs else (),
                    tuple(found))


def choice_number(text: str | None) -> int | None:
    """The number a reply like "1", "２", "1." or " 1 " picks; None if it is not just that."""
    if not text:
        return None
    match = _NUMBER_RE.match(unicodedata.normalize("NFKC", text))
    if not match:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= MAX_CHOICE else None
