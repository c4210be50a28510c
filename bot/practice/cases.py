"""The practice case bank: knowledge/practice/cases.yaml, loaded and checked entry by entry.

Structure checks (this module): ids unique and well-formed, every field present with the right
type, channel and acceptable codes in channels.yaml, 告知 ids in grading.yaml, every article
reference resolving in the current text of its law, no number that could be a phone number
(other than the national hotlines). The grading checks (the standard answer earns full marks, a
wrong answer scores low) are in :mod:`bot.practice.validation`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.knowledge.citations import Citation
from bot.knowledge.loader import KnowledgeDataError, _read_yaml
from bot.practice.refs import KnowledgeView
from bot.practice.rules import GradingRules

CASES_FILE = "cases.yaml"
MAX_SCENARIO = 600
MAX_ANSWER = 1500
MAX_PHRASE = 40

_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_MAX_ID = 60
_CASE_KEYS = {"id", "channel", "acceptable", "scenario", "standard_answer", "key_points"}
_REQUIRED_KEYS = _CASE_KEYS - {"acceptable"}
_POINT_KEYS = {"body", "time_limit", "articles", "notice"}
_DIGIT_RUN_RE = re.compile(r"(?<![\d-])\d{3,}(?![\d-])")  # not inside 2024-03-05
_PHONE_RE = re.compile(r"\d{3,4}-\d{7,8}")  # 010-12345678


class PracticeError(ValueError):
    """A user-facing practice error (unknown case, empty answer …); ``str()`` is Chinese."""


@dataclass(frozen=True)
class Case:
    """One practice case: the citizen's words, the standard answer and the grading points."""

    id: str
    channel: str
    acceptable: tuple[str, ...]
    scenario: str
    standard_answer: str
    body: tuple[str, ...]
    time_limit: tuple[str, ...]
    articles: tuple[str, ...]  # as written in the YAML (条例 第31条 第2项)
    citations: tuple[Citation, ...]  # the same, parsed
    notice: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (the shape of the YAML entry)."""
        return {"id": self.id, "channel": self.channel, "acceptable": list(self.acceptable),
                "scenario": self.scenario, "standard_answer": self.standard_answer,
                "key_points": {"body": list(self.body), "time_limit": list(self.time_limit),
                               "articles": list(self.articles), "notice": list(self.notice)}}


@dataclass(frozen=True)
class CaseBank:
    """All cases, in file order."""

    path: str
    cases: tuple[Case, ...]

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)

    def __contains__(self, case_id: object) -> bool:
        return any(case.id == case_id for case in self.cases)

    def get(self, case_id: str) -> Case:
        """The case with that id; :class:`PracticeError` (Chinese message) when there is none."""
        key = case_id.strip() if isinstance(case_id, str) else case_id
        for case in self.cases:
            if case.id == key:
                return case
        raise PracticeError(f"没有编号为“{str(case_id)[:60]}”的练习案例"
                            "（python -m bot practice cases 可列出全部案例）")

    def by_channel(self, channel: str) -> list[Case]:
        """The cases whose right channel is ``channel``."""
        return [c for c in self.cases if c.channel == channel]

    def channels(self) -> list[str]:
        """The channel codes that have cases, in first-appearance order."""
        return list(dict.fromkeys(c.channel for c in self.cases))


def load_bank(path: Path, view: KnowledgeView, rules: GradingRules) -> CaseBank:
    """Load cases.yaml and check its structure (see the module docstring)."""
    data = _read_yaml(path)
    if not isinstance(data, Mapping) or not isinstance(data.get("cases"), list):
        raise KnowledgeDataError(path, "文件", "顶层应为 {cases: [...]}")
    extra = sorted(set(map(str, data)) - {"cases"})
    if extra:
        raise KnowledgeDataError(path, "文件", f"未知字段 {'、'.join(extra)}")
    cases: list[Case] = []
    seen: set[str] = set()
    scenarios: dict[str, str] = {}
    for index, raw in enumerate(data["cases"], start=1):
        case = _case(raw, path, f"cases[{index}]", view, rules)
        if case.id in seen:
            raise KnowledgeDataError(path, f"案例 {case.id}", "案例 id 重复")
        seen.add(case.id)
        if case.scenario in scenarios:
            raise KnowledgeDataError(path, f"案例 {case.id}",
                                     f"群众原话与案例 {scenarios[case.scenario]} 完全相同")
        scenarios[case.scenario] = case.id
        cases.append(case)
    if not cases:
        raise KnowledgeDataError(path, "cases", "至少需要一个案例")
    return CaseBank(str(path), tuple(cases))


def _case(raw: Any, path: Path, where: str, view: KnowledgeView, rules: GradingRules) -> Case:
    if not isinstance(raw, Mapping):
        raise KnowledgeDataError(path, where, "应为映射")
    case_id = raw.get("id")
    if isinstance(case_id, str) and case_id:
        where = f"案例 {case_id}"
    if not isinstance(case_id, str) or not _ID_RE.match(case_id) or len(case_id) > _MAX_ID:
        raise KnowledgeDataError(path, where, f"id 应为小写字母、数字和连字符（如 wage-arrears-"
                                              f"resigned），不超过 {_MAX_ID} 个字符：{case_id!r}")
    unknown = sorted(set(map(str, raw)) - _CASE_KEYS)
    if unknown:
        raise KnowledgeDataError(path, where, f"未知字段 {'、'.join(unknown)}")
    missing = sorted(_REQUIRED_KEYS - set(raw))
    if missing:
        raise KnowledgeDataError(path, where, f"缺少字段 {'、'.join(missing)}")
    channel = raw["channel"]
    if not isinstance(channel, str) or channel not in view.channels:
        raise KnowledgeDataError(path, where,
                                 f"channel {channel!r} 不是 channels.yaml 中的渠道代码")
    acceptable = raw.get("acceptable") or []
    if not isinstance(acceptable, list) or not all(isinstance(c, str) for c in acceptable):
        raise KnowledgeDataError(path, where, "acceptable 应为渠道代码列表")
    for code in acceptable:
        if code not in view.channels:
            raise KnowledgeDataError(path, where, f"acceptable 中的 {code!r} 不是 channels.yaml "
                                                  "中的渠道代码")
    if channel in acceptable or len(set(acceptable)) != len(acceptable):
        raise KnowledgeDataError(path, where, "acceptable 不应重复，也不应包含 channel 本身")
    scenario = _text(raw, "scenario", path, where, MAX_SCENARIO)
    answer = _text(raw, "standard_answer", path, where, MAX_ANSWER)
    points = raw.get("key_points")
    if not isinstance(points, Mapping):
        raise KnowledgeDataError(path, where, "key_points 应为映射")
    bad = sorted(set(map(str, points)) ^ _POINT_KEYS)
    if bad:
        raise KnowledgeDataError(path, where, f"key_points 应恰有 body、time_limit、articles、"
                                              f"notice 四项（多出或缺少：{'、'.join(bad)}）")
    body = _phrases(points, "body", path, where, required=True)
    time_limit = _phrases(points, "time_limit", path, where, required=False)
    refs = _phrases(points, "articles", path, where, required=True)
    citations = []
    for ref in refs:
        try:
            citations.append(view.checked(ref))
        except ValueError as exc:
            raise KnowledgeDataError(path, f"{where} key_points.articles", str(exc)) from None
    if len(set(citations)) != len(citations):
        raise KnowledgeDataError(path, f"{where} key_points.articles", "条文重复")
    notice = _phrases(points, "notice", path, where, required=True)
    for element in notice:
        if element not in rules.notice:
            raise KnowledgeDataError(path, f"{where} key_points.notice",
                                     f"未知告知要素 {element}（可用：{'、'.join(rules.notice)}）")
    if len(set(notice)) != len(notice):
        raise KnowledgeDataError(path, f"{where} key_points.notice", "告知要素重复")
    for field_name, text in (("scenario", scenario), ("standard_answer", answer),
                             *(("key_points.body", b) for b in body),
                             *(("key_points.time_limit", t) for t in time_limit)):
        problem = number_problem(text, view.hotlines)
        if problem:
            raise KnowledgeDataError(path, f"{where} {field_name}", problem)
    return Case(case_id, channel, tuple(acceptable), scenario, answer, tuple(body),
                tuple(time_limit), tuple(refs), tuple(citations), tuple(notice))


def number_problem(text: str, hotlines: frozenset[str] | set[str]) -> str | None:
    """Why a digit run in ``text`` could be a phone number that is not a national hotline.

    A run of three or more digits must be a hotline, a year (1900–2100) or a three-digit
    number from 200 to 399 (days, a 300-元 fine); 1xx numbers look like short service numbers
    (119, 122, 114) and are refused unless they are hotlines. Amounts are written in Chinese
    numerals. (conversation.yaml is stricter: no digit run but the hotlines.)
    """
    folded = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if phone := _PHONE_RE.search(folded):
        return f"号码 {phone.group()} 不是 hotlines.yaml 中的全国热线"
    for run in _DIGIT_RUN_RE.findall(folded):
        if run in hotlines or (len(run) == 4 and 1900 <= int(run) <= 2100):
            continue
        if len(run) == 3 and 200 <= int(run) < 400:
            continue
        return (f"号码 {run} 不是 hotlines.yaml 中的全国热线"
                "（金额、面积等请用汉字写，如 一万二千元）")
    return None


def _text(raw: Mapping, key: str, path: Path, where: str, limit: int) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeDataError(path, where, f"{key} 应为非空文字")
    value = value.strip()
    if len(value) > limit:
        raise KnowledgeDataError(path, where, f"{key} 太长（{len(value)} 字，最多 {limit} 字）")
    return value


def _phrases(points: Mapping, key: str, path: Path, where: str, required: bool) -> list[str]:
    value = points.get(key)
    if value is None:
        value = []
    if not isinstance(value, list):
        raise KnowledgeDataError(path, f"{where} key_points.{key}", "应为列表")
    items = [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    if not all(isinstance(v, str) and v.strip() and len(v) <= MAX_PHRASE for v in items):
        raise KnowledgeDataError(path, f"{where} key_points.{key}",
                                 f"应为非空字符串（每个不超过 {MAX_PHRASE} 字）")
    if required and not items:
        raise KnowledgeDataError(path, f"{where} key_points.{key}", "不能为空")
    return [v.strip() for v in items]
