"""The practice data at run time: grading rules, case bank and grader, loaded once per content.

Everything is read from ``knowledge/practice/`` (``BOT_KNOWLEDGE_DIR``) against the built
knowledge database (:func:`bot.knowledge.open_knowledge`), and reloaded when a file changes.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from bot import config
from bot.knowledge import KnowledgeBase, open_knowledge
from bot.knowledge.loader import KnowledgeDataError
from bot.practice.cases import CASES_FILE, CaseBank, load_bank
from bot.practice.grader import Grader
from bot.practice.refs import KnowledgeView
from bot.practice.rules import GRADING_FILE, load_rules
from bot.practice.validation import PRACTICE_DIR

_cache: dict[tuple[str, str, str], tuple[Grader, CaseBank]] = {}
_lock = threading.Lock()


def practice_dir() -> Path:
    """knowledge/practice (under ``BOT_KNOWLEDGE_DIR``)."""
    return config.knowledge_dir() / PRACTICE_DIR


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise KnowledgeDataError(path, "文件", f"无法读取：{exc.strerror}") from exc


def load(kb: KnowledgeBase | None = None, folder: Path | None = None) -> tuple[Grader, CaseBank]:
    """The grader and the case bank (cached until a file or the database changes)."""
    kb = kb or open_knowledge()
    folder = folder or practice_dir()
    grading, cases = folder / GRADING_FILE, folder / CASES_FILE
    key = (kb.engine.url.render_as_string(hide_password=False) + f"#{id(kb)}",
           _digest(grading), _digest(cases))
    with _lock:
        found = _cache.get(key)
    if found is not None:
        return found
    view = KnowledgeView.from_kb(kb)
    rules = load_rules(grading, view)
    grader = Grader(rules, view)
    bank = load_bank(cases, view, rules)
    with _lock:
        _cache.clear()  # one current version is enough
        _cache[key] = (grader, bank)
    return grader, bank


def get_grader(kb: KnowledgeBase | None = None) -> Grader:
    """The grader (rules of grading.yaml, current knowledge base)."""
    return load(kb)[0]


def get_bank(kb: KnowledgeBase | None = None) -> CaseBank:
    """The case bank of cases.yaml."""
    return load(kb)[1]
