"""Parse an official law text (the format of ``shared/laws/*.md``) into articles, 款 and 项.

Format: a ``# title`` line, promulgation lines, ``<!-- INFO END -->``, then headings
(``第X编``, ``第X分编``, ``第X章``, ``第X节``, at any ``#`` level) and articles. A heading without a
number (民法典's ``# 附则``) opens a unit of the level its ``#`` marks have had in the text so
far. An article starts a line with ``第X条`` and a space; each following line is a new 款
(paragraph), except lines starting with ``（一）``, which are 项 (items) of the 款 before them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.knowledge.numerals import CHINESE_NUMERAL_CHARS, cn_to_int

INFO_END = "<!-- INFO END -->"
_NUM = f"[{CHINESE_NUMERAL_CHARS}]+"
# "第X条 text"; one source also has the misprint "第X 条text", accepted as well.
ARTICLE_RE = re.compile(rf"^第({_NUM})(?:条(?:[\s\u3000]+(.*))?|[\s\u3000]+条(.*))$")
ITEM_RE = re.compile(rf"^[（(]({_NUM})[）)]\s*(.*)$")
HEADING_RE = re.compile(rf"^(#+)\s*(第({_NUM})(分编|[编章节]))?\s*(.*)$")
# the heading kinds from the largest unit to the smallest
_UNITS = ("编", "分编", "章", "节")
_SPACE_RE = re.compile(r"[\s\u3000]+")


def normalise_space(text: str) -> str:
    """Drop all whitespace (ASCII and full-width): Chinese statute text has none that matters."""
    return _SPACE_RE.sub("", text)


@dataclass
class Paragraph:
    """One 款 with its 项."""

    text: str
    items: list[str] = field(default_factory=list)


@dataclass
class ParsedArticle:
    """One article as parsed from the official text."""

    number: int
    part: str | None
    chapter: str | None
    section: str | None
    paragraphs: list[Paragraph]
    subpart: str | None = None  # 第X分编 (民法典's 物权编 and 合同编)


@dataclass
class ParsedLaw:
    """A whole official text."""

    title: str
    header: list[str]
    articles: list[ParsedArticle]
    item_brackets: str = "（）"  # how the official text writes item labels: （一） or (一)


class LawTextError(ValueError):
    """The text does not follow the official-text format."""


def _clean(line: str) -> str:
    return line.strip().strip("\u3000").strip()


def _heading_title(kind_no: str, rest: str) -> str:
    rest = normalise_space(rest)
    return f"{kind_no} {rest}" if rest else kind_no


def parse_law_text(text: str) -> ParsedLaw:
    """Parse an official text; raise LawTextError with a line number when it is malformed."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        raise LawTextError("第1行应为标题（以“# ”开头）")
    title = _clean(lines[0][2:])
    try:
        end = next(i for i, line in enumerate(lines) if line.strip() == INFO_END)
    except StopIteration as exc:
        raise LawTextError(f"缺少 {INFO_END} 标记") from exc
    header = [_clean(line) for line in lines[1:end] if _clean(line)]
    # the current 编, 分编, 章 and 节; a larger unit closes the smaller ones
    units: dict[str, str | None] = dict.fromkeys(_UNITS)
    level_unit: dict[int, str] = {}  # number of # → the unit numbered headings of it opened
    articles: list[ParsedArticle] = []
    brackets: str | None = None
    for lineno, raw in enumerate(lines[end + 1 :], start=end + 2):
        line = _clean(raw)
        if not line:
            continue
        heading = HEADING_RE.match(line) if line.startswith("#") else None
        if heading:
            level = len(heading.group(1))
            if heading.group(2):
                kind, name = heading.group(4), _heading_title(heading.group(2), heading.group(5))
                level_unit[level] = kind
            elif level in level_unit and normalise_space(heading.group(5)):
                kind, name = level_unit[level], normalise_space(heading.group(5))
            else:
                continue
            for smaller in _UNITS[_UNITS.index(kind) + 1 :]:
                units[smaller] = None
            units[kind] = name
            continue
        art = ARTICLE_RE.match(line)
        if art:
            number = cn_to_int(art.group(1))
            expected = articles[-1].number + 1 if articles else 1
            if number != expected:
                raise LawTextError(f"第{lineno}行：条号为{number}，应为{expected}")
            first = _clean(art.group(2) or art.group(3) or "")
            paragraphs = [Paragraph(first)] if first else []
            articles.append(ParsedArticle(number, units["编"], units["章"], units["节"],
                                          paragraphs, units["分编"]))
            continue
        if not articles:
            continue  # preamble between the marker and the first article
        current = articles[-1]
        item = ITEM_RE.match(line)
        if item:
            if not current.paragraphs:
                current.paragraphs.append(Paragraph(""))
            para = current.paragraphs[-1]
            index = cn_to_int(item.group(1))
            if index != len(para.items) + 1:
                raise LawTextError(f"第{lineno}行：项号为{index}，应为{len(para.items) + 1}")
            para.items.append(_clean(item.group(2)))
            style = "()" if line.startswith("(") else "（）"
            if brackets is None:
                brackets = style
            elif style != brackets:
                raise LawTextError(f"第{lineno}行：项号括号与前文不一致（{style}/{brackets}）")
        else:
            current.paragraphs.append(Paragraph(line))
    if not articles:
        raise LawTextError("没有找到任何条文（应以“第X条 ”开头）")
    return ParsedLaw(title, header, articles, brackets or "（）")


def item_label(index: int, brackets: str = "（）") -> str:
    """（四） or (四), as the official text of the law writes it."""
    from bot.knowledge.numerals import int_to_cn

    return f"{brackets[0]}{int_to_cn(index)}{brackets[1]}"


def article_plain_text(paragraphs: list[Paragraph], brackets: str = "（）") -> str:
    """The article body as one string, items labelled （一）…, whitespace removed.

    Used to compare a stored article with the official text character for character.
    """
    parts: list[str] = []
    for para in paragraphs:
        parts.append(para.text)
        parts.extend(item_label(i, brackets) + item for i, item in enumerate(para.items, start=1))
    return normalise_space("".join(parts))
