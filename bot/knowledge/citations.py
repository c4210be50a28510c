"""Article citations: parse the forms people and our data write, format the official form.

Understood forms include ``第三十一条``, ``31条``, ``第31条第四项``, ``第三十一条第（四）项``,
``条例31(四)``, ``第三十六条第三款``, ``复议法 第23条 第1款 第3项`` and ``《行政复议法》第二十条``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.knowledge.numerals import CHINESE_NUMERAL_CHARS, cn_to_int, int_to_cn

_N = rf"[0-9０-９{CHINESE_NUMERAL_CHARS}]+"
# article, then optional 款 and 项 in their usual spellings
_CITE_BODY = (
    rf"(?:第\s*(?P<art>{_N})\s*[条條]|(?P<art2>[0-9０-９]+)\s*[条條]"
    rf"|(?P<art3>[0-9０-９]+)(?=\s*[(（]))"
    rf"(?:\s*第?\s*(?P<para>{_N})\s*款)?"
    rf"(?:\s*(?:第\s*[（(]?\s*(?P<item>{_N})\s*[）)]?\s*[项項]"
    rf"|[（(]\s*(?P<item2>{_N})\s*[）)](?:\s*[项項])?))?"
)
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
# a law name written right before an article number that is none of ours: 《劳动法》, 工会法,
# 某某条例 — the citation then keeps that name, so quoting it says 未收录, never another law
_OTHER_LAW_RE = re.compile(
    r"(?:《(?P<title>[^《》]{1,40})》|(?P<name>[\u4e00-\u9fff]{0,20}"
    r"(?:法|条例|规定|办法|细则|解释|决定)))\s*$")
# a place name written right before one of our names: 北京市物业管理条例, 广东省劳动保障监察条例
# are local regulations (省、自治区、直辖市、设区的市、自治州; 自治县 for 自治条例) with their own
# article numbers, never the national one
_PLACE_RE = re.compile(r"[\u4e00-\u9fff]{0,8}(?:省|市|自治区|州|自治县)$")
_NOT_PLACES = ("城市", "超市", "门市", "全市", "全省", "本州", "神州")
# words written before a place name in a question: 我想问一下北京市 → 北京市
# (和 only as the first word: 呼和浩特市 keeps it)
_BEFORE_PLACE_RE = re.compile(r"^(?:.*[与及的了下问说在是把对向给跟从想看查]|和)")
_LEAD_INS = r"^(?:按照|根据|依据|依照|参照|对照|关于|看看|查查|查一下|我想看|请问)+"


@dataclass(frozen=True)
class Citation:
    """A reference to an article, optionally to one 款 (paragraph) and/or 项 (item)."""

    law: str | None  # law id, or None when the text names no law
    article: int
    paragraph: int | None = None
    item: int | None = None

    def label(self) -> str:
        """Official-style label: 第三十一条第四项, 第三十六条第三款, 第二十三条第一款第三项."""
        text = f"第{int_to_cn(self.article)}条"
        if self.paragraph:
            text += f"第{int_to_cn(self.paragraph)}款"
        if self.item:
            text += f"第{int_to_cn(self.item)}项"
        return text

    def key(self) -> str:
        """Compact stable key, e.g. ``xinfang_gongzuo_tiaoli:31.1.4`` (0 for absent parts)."""
        return f"{self.law}:{self.article}.{self.paragraph or 0}.{self.item or 0}"


@dataclass(frozen=True)
class CitationSpan:
    """A citation found in free text: where it is, and what it says (``citation.law`` is None
    when the text names no law right before the article number)."""

    start: int
    end: int
    law_start: int | None  # where the law name begins, when one is written
    citation: Citation


def _num(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.translate(_FULLWIDTH)
    return cn_to_int(value)


class CitationParser:
    """Finds citations in text, resolving law names and aliases to law ids."""

    def __init__(self, aliases: Mapping[str, str], default_law: str | None = None) -> None:
        """``aliases`` maps every name and alias (e.g. 条例, 行政复议法) to a law id."""
        self.aliases = dict(aliases)
        self.default_law = default_law
        names = sorted(self.aliases, key=len, reverse=True)
        law_alt = "|".join(re.escape(n) for n in names) or "(?!)"
        self._re = re.compile(
            rf"(?:《?(?:中华人民共和国)?(?P<law>{law_alt})》?\s*)?{_CITE_BODY}"
        )

    def find(self, text: str, default_law: str | None = None) -> list[Citation]:
        """All citations in ``text``, in order. A bare 第X条 takes the last law named before it,
        else ``default_law``."""
        found: list[Citation] = []
        current = default_law if default_law is not None else self.default_law
        previous_end = 0
        for m in self._re.finditer(text):
            before = text[max(previous_end, m.start() - 14):m.start()]
            previous_end = m.end()
            if m.group("law") and (local := self._local_law(before, m)):
                current = local
            elif m.group("law"):
                current = self.aliases[m.group("law")]
            elif other := self._other_law(text[max(0, m.start() - 44):m.start()]):
                current = other
            art = _num(m.group("art") or m.group("art2") or m.group("art3"))
            if not art:
                continue
            found.append(
                Citation(
                    law=current,
                    article=art,
                    paragraph=_num(m.group("para")),
                    item=_num(m.group("item") or m.group("item2")),
                )
            )
        return found

    def _other_law(self, before: str) -> str | None:
        """The name of a law we do not hold, written right before a bare article number."""
        m = _OTHER_LAW_RE.search(before)
        if not m:
            return None
        name = re.sub(_LEAD_INS, "", (m.group("title") or m.group("name")).strip())
        name = name.removeprefix("中华人民共和国")
        if (not name or name.startswith(("该", "本", "此", "上述", "前述", "同"))  # 该法: back
                or name in self.aliases
                or any(name.endswith(a) for a in self.aliases if len(a) >= 3)):
            return None
        return name

    @staticmethod
    def _local_law(before: str, m: re.Match[str]) -> str | None:
        """The local regulation's name when a place name comes right before the law name
        ``m`` matched (北京市 + 物业管理条例), else None."""
        if "中华人民共和国" in m.group(0)[:m.start("law") - m.start()]:
            return None
        place = _PLACE_RE.search(before)
        if not place:
            return None
        place_name = _BEFORE_PLACE_RE.sub("", re.sub(_LEAD_INS, "", place.group()))
        if len(place_name) < 2 or place_name.endswith(_NOT_PLACES):
            return None
        return place_name + m.group("law")

    def spans(self, text: str) -> list[CitationSpan]:
        """Every citation in ``text`` with its position and the law it names itself (None for
        a bare 第X条: the caller decides which law a bare citation belongs to)."""
        found: list[CitationSpan] = []
        for m in self._re.finditer(text):
            art = _num(m.group("art") or m.group("art2") or m.group("art3"))
            if not art:
                continue
            law = self.aliases[m.group("law")] if m.group("law") else None
            found.append(CitationSpan(
                start=m.start(), end=m.end(),
                law_start=m.start("law") if m.group("law") else None,
                citation=Citation(law=law, article=art, paragraph=_num(m.group("para")),
                                  item=_num(m.group("item") or m.group("item2")))))
        return found

    def parse(self, reference: str) -> Citation:
        """Parse a single reference that must name its law (as written in knowledge/ data)."""
        ref = reference.strip()
        m = self._re.fullmatch(ref)
        if not m or not m.group("law"):
            raise ValueError(f"无法解析的条文引用：{reference!r}（应如“条例 第31条 第4项”）")
        return self.find(ref)[0]


def iter_reference_strings(data: object) -> Iterable[str]:
    """Yield every string under keys named ``grounds``, ``cite``, ``cost_grounds`` or
    ``articles`` in nested YAML data: the places our data files put article references."""
    keys = {"grounds", "cite", "cost_grounds", "articles"}
    if isinstance(data, Mapping):
        for key, value in data.items():
            if key in keys and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            elif key in keys and isinstance(value, str):
                yield value
            else:
                yield from iter_reference_strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from iter_reference_strings(value)
