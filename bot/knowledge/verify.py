"""Check stored article texts against the official texts, character for character.

Deliberately independent of ``lawtext.parse_law_text`` (which the importer uses): here an
article is simply every line from its ``第X条`` line to the next one, whitespace removed, so a
parser bug cannot hide itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.lawtext import INFO_END, Paragraph, article_plain_text, normalise_space
from bot.knowledge.loader import KnowledgeData
from bot.knowledge.numerals import CHINESE_NUMERAL_CHARS, cn_to_int

_HEAD = re.compile(rf"^第([{CHINESE_NUMERAL_CHARS}]+)\s*条\s*(.*)$")


@dataclass
class VerifyReport:
    """How many articles matched, and a line per mismatch."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    laws: int = 0


def official_articles(text: str) -> dict[int, str]:
    """Article number → whitespace-free text (without the 第X条 label) of an official file."""
    body = text.split(INFO_END, 1)[1] if INFO_END in text else text
    result: dict[int, str] = {}
    current: int | None = None
    for raw in body.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _HEAD.match(line)
        expected = (max(result) + 1) if result else 1
        if match and cn_to_int(match.group(1)) == expected:
            current = expected
            result[current] = normalise_space(match.group(2))
        elif current is not None:
            result[current] += normalise_space(line)
    return result


def compare_with_official(data: KnowledgeData, shared: Path) -> VerifyReport:
    """Compare every stored version whose ``source`` file exists in ``shared``."""
    report = VerifyReport()
    for law in data.laws:
        for version in law.versions:
            if not version.articles or not version.source:
                continue
            source = shared / version.source
            if not source.is_file():
                continue
            report.laws += 1
            official = official_articles(source.read_text(encoding="utf-8"))
            stored = {a.number: a for a in version.articles}
            for number in sorted(set(official) - set(stored)):
                report.problems.append(f"{law.name}（{version.label}）缺少第{number}条")
            for number, article in sorted(stored.items()):
                if number not in official:
                    report.problems.append(f"{law.name}（{version.label}）第{number}条在官方文本中不存在")
                    continue
                mine = article_plain_text([Paragraph(p["text"], p["items"])
                                           for p in article.paragraphs], version.item_brackets)
                theirs = official[number]
                if mine != theirs:
                    pairs = zip(mine, theirs, strict=False)
                    at = next((i for i, (a, b) in enumerate(pairs) if a != b),
                              min(len(mine), len(theirs)))
                    report.problems.append(
                        f"{law.name}（{version.label}）第{number}条与官方文本不一致，"
                        f"自第{at + 1}字起：库中“{mine[at:at + 12]}”，官方“{theirs[at:at + 12]}”")
                else:
                    report.checked += 1
    return report
