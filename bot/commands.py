"""Practice-mode commands, recognised by their words (knowledge/conversation.yaml ``practice``).

Plain and light (no knowledge database, no Rasa): the NLU component bot.nlu.commands, the
dialogue and the practice chat all read the words here.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from bot import config
from bot.triage.normalize import normalize

KINDS = ("start", "stop", "weakest")


def match_form(text: str) -> str:
    """Simplified, lower-case, without spaces or punctuation (开始練習！ → 开始练习)."""
    return "".join(ch for ch in normalize(text or "") if ch.isalnum()).lower()


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> dict[str, tuple[str, ...]]:
    return check(yaml.safe_load(Path(path).read_text("utf-8")) or {})


def check(data: object) -> dict[str, tuple[str, ...]]:
    """The ``practice`` section of conversation.yaml's data, checked; ValueError if broken."""
    section = data.get("practice") if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise ValueError("practice 应为映射（start、stop、weakest）")
    words = {}
    for kind in KINDS:
        raw = section.get(kind)
        if not isinstance(raw, list) or not raw or not all(isinstance(w, str) for w in raw):
            raise ValueError(f"practice.{kind} 应为非空的词语列表")
        words[kind] = tuple(match_form(w) for w in raw if match_form(w))
    return words


def words(kind: str) -> tuple[str, ...]:
    """The ``kind`` words (start / stop / weakest) in match form; ValueError when broken."""
    path = config.knowledge_dir() / "conversation.yaml"
    return _load(str(path), path.stat().st_mtime)[kind]


def is_start(text: str) -> bool:
    """The message starts with a practice command (开始练习 …)."""
    form = match_form(text)
    return bool(form) and any(form.startswith(w) for w in words("start"))


def is_stop(text: str) -> bool:
    """The whole message is a stop command (结束练习), not an answer that contains one."""
    return match_form(text) in words("stop")


def asks_weakest(text: str) -> bool:
    """The command asks for the staff member's weakest channels (薄弱 …)."""
    form = match_form(text)
    return any(w in form for w in words("weakest"))
