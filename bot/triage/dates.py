"""Find the dates a complaint mentions, relative to the day it was written.

``parse_dates("上个月15号被打了，3天前去派出所", today)`` gives two :class:`DateMention`s. The
text may be raw (full-width digits, 繁體) or normalised; ``DateMention.text`` is always the
matched part of the text as given. Understood:

- absolute: ``2026年3月2日``, ``2026-03-02``, ``2026/3/2``, ``2026.3.2``, ``二〇二六年三月二号``,
  ``2026年3月``, ``2025年``, ``2025年底``;
- month and day without a year: ``3月2日`` / ``三月二号`` / ``3月份的2号`` (this year, or last
  year when that would be more than ``FUTURE_TOLERANCE_DAYS`` ahead), ``3月`` / ``3月份``,
  ``元月``, ``3月底``;
- relative to the month: ``上个月15号``, ``这个月3号``, ``本月初``, ``上月底``, ``上个月``,
  ``月底``;
- a bare ``15号`` (this month, or last month when ahead) only where the context makes it a day:
  a time or event word next to it (``15号那天``, ``15号的时候``, ``15号被打``, ``15号收到``,
  ``到了15号``), listed with such a day (``12号和15号那两天``; after ``3月12号和`` it is in
  March), or the whole message (``15号``, ``大概15号吧``: the answer to 哪天收到的？). Never
  after a place word (``幸福路8号``, ``3栋8号``, ``张家村12号``, ``编号8号``), in a case or file
  number (``(2023)湘01民初8号``), nor after ``每月``. A bare ``15日`` needs a time word
  (``15日下午``);
- holidays on a fixed day: ``元旦``, ``五一`` / ``劳动节``, ``国庆节``, also with a year
  (``今年五一``, ``去年国庆``); ``五一`` and ``国庆`` alone need a year or a time word
  (``五一那天``, ``国庆期间``: not ``五一路``, ``王国庆``);
- relative to the year: ``去年``, ``今年``, ``前年``, ``去年3月``, ``去年年底``, ``去年初``,
  ``今年初``, ``年初``, ``去年下半年``;
- relative days and weeks: ``今天``, ``昨天``, ``前天``, ``大前天``, ``明天``, ``前几天``,
  ``上周五``, ``上星期三``, ``上礼拜一``, ``这周二``, ``上周``, ``星期三`` (most recent one);
- ago: ``3天前``, ``两周前``, ``半个月前``, ``一个多月前``, ``两个月前``, ``半年前``, ``3年前``.

Conventions: ``date`` is the best single day for the mention. A month (``上个月``, ``去年3月``)
is its 1st with precision ``"month"``, a year its 1 January with precision ``"year"``. Parts
of a month are days with ``approximate=True`` (初/上旬 → 1st, 中旬 → 15th, 下旬 → 25th, 底/末
→ last day); parts of a year have precision ``"month"`` (年初 → 1 January, 年中 → 1 July,
年底 → 31 December), also approximate. Offsets (``两周前``, ``半年前``) count back from
``today`` and are approximate except whole days (``3天前``).

Not dates (deliberately not matched): durations and limits such as ``3个月工资``, ``15日内``,
``1年``, ``3天后``; amounts; article numbers (``第31条``); house, room and file numbers
(``3号楼``, ``幸福路8号``, ``15号文``) and a bare ``15号`` without a day's context; ages
(``今年89岁`` is not the year); compact ``20261126``; lunar festivals (``春节前``, ``初三``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from bot.triage.normalize import to_simplified

__all__ = ["DateMention", "Precision", "latest_event_date", "parse_dates"]

Precision = Literal["day", "month", "year"]

FUTURE_TOLERANCE_DAYS = 3  # "3月2日" up to this many days ahead is this year, else last year
_MIN_YEAR = 1900
_MAX_YEARS_AHEAD = 10


@dataclass(frozen=True)
class DateMention:
    """One date found in a text."""

    date: date
    text: str  # the matched words, as written
    precision: Precision
    approximate: bool
    span: tuple[int, int] = field(default=(-1, -1), compare=False)  # offsets in the text


# --- numbers -------------------------------------------------------------------------------

_CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9}  # fmt: skip


def _to_int(s: str) -> int | None:
    """``15`` / ``十五`` / ``二十三`` / ``廿一`` / ``二〇二六`` → int."""
    if s.isdigit() and s.isascii():
        return int(s)
    if s and all(ch in _CN_DIGIT for ch in s):
        if len(s) == 1:
            return _CN_DIGIT[s]
        if "两" in s:
            return None
        return int("".join(str(_CN_DIGIT[ch]) for ch in s))  # 二〇二六
    total = cur = 0
    for ch in s:
        if ch in _CN_DIGIT:
            cur = _CN_DIGIT[ch]
        elif ch == "十":
            total += (cur or 1) * 10
            cur = 0
        elif ch == "廿":
            total += 20
            cur = 0
        elif ch == "百":
            total += (cur or 1) * 100
            cur = 0
        else:
            return None
    return total + cur


# --- calendar helpers ----------------------------------------------------------------------


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    y, m = divmod(index, 12)
    return date(y, m + 1, min(d.day, _last_day(y, m + 1)))


def _sane_year(y: int, today: date) -> bool:
    return _MIN_YEAR <= y <= today.year + _MAX_YEARS_AHEAD


# --- building blocks -----------------------------------------------------------------------

_NUM_BEFORE = r"(?<![\d〇零一二两三四五六七八九十廿百千万几第每个.])"
_Y4 = r"(?:19|20)\d{2}|[一二][〇零一二三四五六七八九]{3}"
_YEAR = rf"(?:(?P<ya>{_Y4})\s?年|(?P<yr>大前年|(?<![提之以])前年|去年|今年|明年))"
# 元月 is January (not 美元月薪, 单元)
_MONTH = r"(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]|(?<![单美日港欧韩台])元)\s?月"
_DAY_NUM = (
    r"(?:3[01]|[12]\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|廿[一二三四五六七八九]?"
    r"|十[一二三四五六七八九]?|[一二三四五六七八九])"
)
_DAY = rf"(?P<d>{_DAY_NUM})\s?"
_MONTH_PART = r"(?P<part>上旬|中旬|下旬|初|底|末)"
_YEAR_PART = r"(?P<ypart>上半年|下半年|年初|年中|年底|年末|初|底|末)"
_MREL = r"(?P<mr>上上个?月|上个?月|这个?月|本月|下个?月)"
_WEEK = r"(?:周|星期|礼拜)"
_WREL = r"(?P<wr>上上个?|上个?|这个?|本|下个?)"
_WEEKDAY = r"(?P<wd>[一二三四五六日天末])"
# 今年89岁, 今年都八十了: an age, not the year
_NOT_AGE = (r"(?!\s?(?:已经|已|都|才|刚满|刚|就|也|快要|快|将近|满|虚岁|周岁){0,2}\s?"
            r"(?:\d+|[一二两三四五六七八九十百]+)\s?多?\s?(?:周岁|岁|了))")
# 3号楼, 1号线, 15号文: not days
_BUILDING = r"[楼栋院房室线文令门床车站口台位窗柜铺店库机道路街巷弄码桌座层]"
_NO_BUILDING = rf"(?!{_BUILDING})"
_NOT_LIMIT = r"(?!\s?(?:内|以内|之内|之久))"
_DE = r"(?:的)?"

_RELATIVE_YEAR = {"大前年": -3, "前年": -2, "去年": -1, "今年": 0, "明年": 1}
_RELATIVE_MONTH = {"上上个月": -2, "上上月": -2, "上个月": -1, "上月": -1, "这个月": 0,
                   "这月": 0, "本月": 0, "下个月": 1, "下月": 1}  # fmt: skip
_RELATIVE_WEEK = {"上上个": -2, "上上": -2, "上个": -1, "上": -1, "这个": 0, "这": 0, "本": 0,
                  "下个": 1, "下": 1}  # fmt: skip
_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_DAY_WORDS = {
    "大大前天": (-4, False), "大前天": (-3, False), "前天": (-2, False), "前日": (-2, False),
    "前晚": (-2, False), "昨天": (-1, False), "昨日": (-1, False), "昨晚": (-1, False),
    "昨夜": (-1, False), "今天": (0, False), "今日": (0, False), "今早": (0, False),
    "今晨": (0, False), "今晚": (0, False), "明天": (1, False), "明日": (1, False),
    "后天": (2, False), "前几天": (-3, True), "前两天": (-2, True), "前些天": (-3, True),
    "前些日子": (-7, True),
}  # fmt: skip

# Holidays on a fixed day of the (solar) year. Lunar ones (春节, 中秋) are not computed.
_FIXED_HOLIDAYS = {"元旦": (1, 1), "元旦节": (1, 1), "五一": (5, 1), "五一节": (5, 1),
                   "劳动节": (5, 1), "五一劳动节": (5, 1), "国庆": (10, 1),
                   "国庆节": (10, 1)}  # fmt: skip
# 五一 and 国庆 alone are also a road (五一路) or a name (王国庆): a holiday only after a year
# word (今年五一) or before one of these words (五一那天, 国庆期间)
_HOLIDAY_CUES = ("假期", "期间", "放假", "长假", "小长假", "黄金周", "前后", "前夕", "那天", "当天",
                 "的时候", "之前", "之后", "以前", "以后", "过后", "左右", "前", "后")  # fmt: skip
_NOT_HOLIDAY_AFTER = ("路", "街", "巷", "大道", "广场", "村", "小学", "中学", "大桥", "劳动奖")

# --- a bare day of the month ("15号"): a day only where the context makes it one ---------------
#
# "15号" alone is as often a house, room or file number (幸福路8号, (2023)湘01民初8号) as a day.
# It is read as a day only when a time word or an event word is next to it (15号那天, 15号被打,
# 到了15号), when it is listed with such a day (12号和15号那两天), or when it is the whole
# message (the answer to 哪天收到的？); never after a place word, in a case or file number, or
# after 每月. A bare "15日" needs a time word right after it (15日下午).

# The text before the number ends with one of these: a house, room, plot or label number.
_PLACE_BEFORE = (
    "路", "街", "巷", "弄", "道", "胡同", "栋", "幢", "楼", "单元", "室", "大院", "小院",
    "四合院", "家属院", "村", "屯", "组", "苑", "园", "湾", "公寓", "大厦", "花园", "新村", "家园",
    "山庄", "广场", "门牌", "号",  # 编号 / 门牌号 / 工号8号
    "住", "住在", "家住", "住址", "地址", "位于", "坐落", "坐落在",
)  # fmt: skip
# ... unless it ends with one of these, which end like a place word but name none
_NOT_PLACE_BEFORE = (
    "知道", "难道", "报道", "说道", "问道", "骂道", "喊道", "叫道", "答道", "写道", "街道",
    "渠道", "频道", "味道", "一道", "公道", "霸道", "管道", "上楼", "下楼", "办公室", "会议室",
    "接待室", "调解室", "值班室", "信访室", "警务室", "卫生室", "医务室", "工作室", "科室",
    "教室", "工作组", "专案组", "调查组", "督查组", "督导组", "巡视组", "巡察组", "检查组",
    "幼儿园", "公园", "校园", "乐园", "动物园", "陵园",
)  # fmt: skip
# 幸福路东段8号, 村北8号
_PLACE_SIDE_RE = re.compile(r"(?:[东西南北中]段|[东西南北]侧|[东西南北])$")
# 我家是8号, 住的是8号: an address unless a time word follows (我家是15号那天被拆的)
_ADDRESS_BEFORE_RE = re.compile(
    r"(?:家|住的|房子|房间|屋|门面|铺面|店面|摊位|车位|床位|座位|位置)(?:就|也|都)?(?:是在|是|在)$"
)
# (2023)湘01民初8号, 国发〔2011〕15号 (the bracket itself is excluded by the pattern), 湘01民初8号
_CASE_NUMBER_BEFORE_RE = re.compile(
    r"(?:[(\[〔【]\s?(?:19|20)\d{2}\s?[)\]〕】][^\s,。!?;:、]{0,20}"
    r"|[\u4e00-\u9fff]\d{2,6}[民刑行执赔破知财司][\u4e00-\u9fff]{0,2})$"
)
_EVERY_BEFORE_RE = re.compile(r"(?:每|逢)个?(?:月|周|星期|礼拜)?的?$")  # 每月15号发工资

# Time words right after the number, also after 的 (15号那天, 15号的时候, 15号下午)
_DAY_TIME_AFTER = (
    "那天", "那日", "那一天", "那晚", "那会", "那次", "那两天", "那几天", "当天", "当日",
    "当晚", "这天", "这一天", "时候", "上午", "下午", "中午", "早上", "早晨", "清早", "一早",
    "一大早", "凌晨", "晚上", "晚间", "傍晚", "夜里", "夜间", "半夜", "深夜", "白天",
)  # fmt: skip
# Other words right after "N号" (or after a comma) that make it a day: time relations, event
# verbs and adverbs, the actors of an event (15号左右, 15号开始, 15号被打, 15号，我去了…)
_DAY_EVENT_AFTER = (
    "左右", "前后", "之前", "以前", "之后", "以后", "为止", "开始", "起", "至", "到", "截止",
    "遭", "收到", "接到", "拿到", "领到", "得到", "去", "来", "回", "又", "就", "才", "再",
    "还", "也", "都", "已", "便", "给", "把", "让", "叫", "向", "找", "打", "发", "拆", "砸", "判",
    "断", "砍", "抓", "交", "签", "报", "送", "寄", "递", "办", "开", "要", "说", "讲",
    "催", "通知", "答复", "回复", "作出", "做出", "出了", "出事", "出院", "出来", "下了",
    "下达", "下发", "下班", "下来", "上班", "上门", "上访", "上诉", "发生", "出现", "突然",
    "当场", "入职", "离职", "辞职", "辞退", "开除", "解除", "受伤", "住院", "去世", "死",
    "起诉", "立案", "申请", "提交", "递交", "报警", "联系", "见面", "约",
    "我", "俺", "咱", "他", "她", "对方", "老板", "公司", "单位", "厂里", "村里", "村委", "镇里",
    "派出所", "公安", "警察", "民警", "法院", "政府", "城管", "物业", "开发商", "领导",
)  # fmt: skip
# Words right before the number that make it a day (到了15号, 今天是15号, 截止15号)
_DAY_BEFORE = (
    "那天是", "当天是", "今天是", "今天", "昨天是", "日期是", "日期为", "日期", "时间是",
    "时间为", "时间", "日子是", "到了", "直到", "等到", "拖到", "推到", "推迟到", "延到",
    "延期到", "延迟到", "改到", "改在", "改为", "定在", "定于", "约在", "约定", "约好", "说好",
    "讲好", "截至", "截止", "截止到", "自从", "从", "于", "已经", "都", "是在", "等",
)  # fmt: skip
# The whole message is the day, give or take these (the answer to 哪天收到的？: 大概15号吧)
_ONLY_DAY_BEFORE = (
    "", "是", "就是", "应该是", "应该", "大概是", "大概", "大约是", "大约", "好像是", "好像",
    "可能是", "可能", "估计是", "估计", "差不多", "约", "在", "是在", "于", "就",
)  # fmt: skip
_ONLY_DAY_AFTER_RE = re.compile(r"(?:左右|前后|那天|的样子|吧|啊|呀|吗|呢|的|了|哈|嘛)*")
_NOT_TEXT_RE = re.compile(r"[\s,.!?;:、。~…\"'“”‘’()\[\]【】<>《》-]+")

_Result = tuple[date, Precision, bool] | None
_Handler = Callable[["re.Match[str]", date], _Result]


def _year_of(m: re.Match[str], today: date) -> int | None:
    if m.group("ya"):
        y = _to_int(m.group("ya"))
        return y if y is not None and _sane_year(y, today) else None
    return today.year + _RELATIVE_YEAR[m.group("yr")]


def _month_of(m: re.Match[str]) -> int | None:
    month = 1 if m.group("m") == "元" else _to_int(m.group("m"))
    return month if month is not None and 1 <= month <= 12 else None


def _day_of(m: re.Match[str]) -> int | None:
    day = _to_int(m.group("d"))
    return day if day is not None and 1 <= day <= 31 else None


def _month_part_day(part: str, y: int, month: int) -> int:
    return {"初": 1, "上旬": 1, "中旬": 15, "下旬": 25}.get(part) or _last_day(y, month)


def _infer_year(month: int, day: int, today: date) -> date | None:
    """``3月2日`` without a year: this year unless that is clearly in the future."""
    this_year = _safe_date(today.year, month, day)
    if this_year is not None and this_year <= today + timedelta(days=FUTURE_TOLERANCE_DAYS):
        return this_year
    return _safe_date(today.year - 1, month, day)


# --- handlers ------------------------------------------------------------------------------


def _h_ymd(m: re.Match[str], today: date) -> _Result:
    y, month, day = _year_of(m, today), _month_of(m), _day_of(m)
    if y is None or month is None or day is None:
        return None
    d = _safe_date(y, month, day)
    return (d, "day", False) if d else None


def _h_numeric(m: re.Match[str], today: date) -> _Result:
    y, month, day = int(m.group("y")), int(m.group("m")), int(m.group("d"))
    d = _safe_date(y, month, day) if _sane_year(y, today) else None
    return (d, "day", False) if d else None


def _h_ym_part(m: re.Match[str], today: date) -> _Result:
    y, month = _year_of(m, today), _month_of(m)
    if y is None or month is None:
        return None
    return date(y, month, _month_part_day(m.group("part"), y, month)), "day", True


def _h_ym(m: re.Match[str], today: date) -> _Result:
    y, month = _year_of(m, today), _month_of(m)
    if y is None or month is None:
        return None
    return date(y, month, 1), "month", False


def _h_y_part(m: re.Match[str], today: date) -> _Result:
    y = _year_of(m, today) if "yr" in m.re.groupindex else today.year
    if y is None:
        return None
    part = m.group("ypart").removeprefix("年")
    month, day = {"初": (1, 1), "上半年": (1, 1), "中": (7, 1), "下半年": (7, 1)}.get(
        part, (12, 31)
    )
    return date(y, month, day), "month", True


def _h_y(m: re.Match[str], today: date) -> _Result:
    y = _year_of(m, today)
    return (date(y, 1, 1), "year", False) if y is not None else None


def _h_md(m: re.Match[str], today: date) -> _Result:
    month, day = _month_of(m), _day_of(m)
    if month is None or day is None:
        return None
    d = _infer_year(month, day, today)
    return (d, "day", False) if d else None


def _h_m_part(m: re.Match[str], today: date) -> _Result:
    month = _month_of(m)
    if month is None:
        return None
    y = today.year if month <= today.month else today.year - 1
    return date(y, month, _month_part_day(m.group("part"), y, month)), "day", True


def _h_m(m: re.Match[str], today: date) -> _Result:
    month = _month_of(m)
    if month is None:
        return None
    y = today.year if month <= today.month else today.year - 1
    return date(y, month, 1), "month", False


def _relative_month(m: re.Match[str], today: date) -> date:
    """The 1st of the month named by ``上个月`` / ``本月`` / ... (``月`` alone: this month)."""
    mr = m.groupdict().get("mr")
    return _add_months(today.replace(day=1), _RELATIVE_MONTH[mr] if mr else 0)


def _h_mrel_day(m: re.Match[str], today: date) -> _Result:
    first, day = _relative_month(m, today), _day_of(m)
    d = _safe_date(first.year, first.month, day) if day else None
    return (d, "day", False) if d else None


def _h_mrel_part(m: re.Match[str], today: date) -> _Result:
    first = _relative_month(m, today)
    return first.replace(day=_month_part_day(m.group("part"), first.year, first.month)), "day", True


def _h_mrel(m: re.Match[str], today: date) -> _Result:
    return _relative_month(m, today), "month", False


def _words_re(words: Iterable[str]) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_DAY_TIME_AFTER_RE = re.compile(
    rf"的?\s?(?:{_words_re(_DAY_TIME_AFTER)}|晚(?![会餐报辈霞])|时(?![装代尚髦间针钟])"
    rf"|\(?{_WEEK}[一二三四五六日天末])"  # 15号周五, 15号(星期五)
)
_WEEKDAY_BEFORE_RE = re.compile(rf"{_WEEK}[一二三四五六日天]\s?$")  # 周五15号
_DAY_EVENT_AFTER_RE = re.compile(
    rf"[,\s]?(?:{_words_re(_DAY_EVENT_AFTER)}|[前后](?![面边头门排台院楼座])"
    r"|被(?![告害执申诉保])|停(?!车场|车位)|出(?![口租])"
    r"|[~—-]\s?(?:\d|[一二三四五六七八九十廿]))"
)
_LIST_SEP = r"\s?(?:和|跟|与|及|或者|或|还有|、|,|到|至|~|—|-)\s?"
_LISTED_BEFORE_RE = re.compile(rf"(?P<n>{_DAY_NUM})\s?(?P<unit>[号日]){_LIST_SEP}$")
# 幸福路8号和10号, 每月12号、15号, 8号到10号楼: joined numbers are the same kind of number (no
# comma here: 住址幸福路8号，15号被打 lists nothing)
_JOIN = r"\s?(?:和|跟|与|及|或者|或|还有|、|到|至|~|—|-)\s?"
_JOINED_BEFORE_RE = re.compile(rf"(?P<n>{_DAY_NUM})\s?[号日]{_JOIN}$")
_JOINED_AFTER_BUILDING_RE = re.compile(rf"{_JOIN}{_DAY_NUM}\s?号{_BUILDING}")
_LISTED_AFTER_RE = re.compile(rf"{_LIST_SEP}(?P<n>{_DAY_NUM})\s?(?P<unit>[号日]){_NO_BUILDING}")
_NUMERALS = "0123456789〇零一二两三四五六七八九十廿百千万"
_MONTH_BEFORE_RE = re.compile(r"月份?的?\s?$")  # 3月12号和15号: the first one is 3月12号


def _never_a_day(before: str) -> bool:
    """True when the text before "N号" makes it an address, a case number or a recurring day."""
    for b in (before, _PLACE_SIDE_RE.sub("", before)):
        if b.endswith(_PLACE_BEFORE) and not b.endswith(_NOT_PLACE_BEFORE):
            return True
    return bool(_CASE_NUMBER_BEFORE_RE.search(before) or _EVERY_BEFORE_RE.search(before))


def _joined_to_a_non_day(s: str, start: int, depth: int = 0) -> bool:
    """True when the number is joined to one that is no day (幸福路8号和10号)."""
    prev = _JOINED_BEFORE_RE.search(s, max(0, start - 12), start)
    if prev is None or (prev.start() > 0 and s[prev.start() - 1] in _NUMERALS):
        return False
    if _never_a_day(s[max(0, prev.start() - 40):prev.start()].rstrip(" :")):
        return True
    return depth < 3 and _joined_to_a_non_day(s, prev.start(), depth + 1)


def _only_day(s: str, start: int, end: int) -> bool:
    """True when the message is just the day (``15号``, ``大概15号吧``)."""
    if start > 12 or len(s) - end > 12:
        return False
    before, after = _NOT_TEXT_RE.sub("", s[:start]), _NOT_TEXT_RE.sub("", s[end:])
    return before in _ONLY_DAY_BEFORE and _ONLY_DAY_AFTER_RE.fullmatch(after) is not None


def _bare_day_in_context(s: str, start: int, end: int, unit: str, direction: int = 0,
                         depth: int = 0) -> bool:
    """Whether ``s[start:end]`` (``15号`` / ``15日``) is a day of the month in its context.

    ``direction`` and ``depth`` bound the look at listed neighbours (12号和15号那两天): -1 only
    looks at the day before, 1 only at the day after.
    """
    before, after = s[max(0, start - 40):start].rstrip(" :"), s[end:end + 12]
    if (_never_a_day(before) or _joined_to_a_non_day(s, start)
            or _JOINED_AFTER_BUILDING_RE.match(after)):
        return False
    time_after = _DAY_TIME_AFTER_RE.match(after) is not None
    if unit == "日" or _ADDRESS_BEFORE_RE.search(before):
        found = time_after
    else:
        found = (time_after or _DAY_EVENT_AFTER_RE.match(after) is not None
                 or before.endswith(_DAY_BEFORE) or _WEEKDAY_BEFORE_RE.search(before) is not None
                 or (depth == 0 and _only_day(s, start, end)))
    if found or depth >= 3:
        return found
    if direction <= 0:
        prev = _LISTED_BEFORE_RE.search(s, max(0, start - 12), start)
        if prev and (prev.start() == 0 or s[prev.start() - 1] not in _NUMERALS):
            p_start = prev.start()
            if (_MONTH_BEFORE_RE.search(s, max(0, p_start - 4), p_start)
                    and not _never_a_day(s[max(0, p_start - 40):p_start])):
                return True
            if _bare_day_in_context(s, p_start, prev.end("unit"), prev.group("unit"), -1,
                                    depth + 1):
                return True
    if direction >= 0:
        nxt = _LISTED_AFTER_RE.match(s, end)
        if nxt and _bare_day_in_context(s, nxt.start("n"), nxt.end("unit"), nxt.group("unit"), 1,
                                        depth + 1):
            return True
    return False


def _h_day_alone(m: re.Match[str], today: date) -> _Result:
    day = _day_of(m)
    if day is None or not _bare_day_in_context(m.string, m.start(), m.end(), m.group("unit")):
        return None
    d = _safe_date(today.year, today.month, day)
    if d is None or d > today + timedelta(days=FUTURE_TOLERANCE_DAYS):
        prev = _add_months(today.replace(day=1), -1)
        d = _safe_date(prev.year, prev.month, day)
    return (d, "day", False) if d else None


def _h_y_holiday(m: re.Match[str], today: date) -> _Result:
    y = _year_of(m, today)
    month, day = _FIXED_HOLIDAYS[m.group("hol")]
    return (date(y, month, day), "day", False) if y is not None else None


def _h_holiday(m: re.Match[str], today: date) -> _Result:
    d = _infer_year(*_FIXED_HOLIDAYS[m.group("hol")], today)
    return (d, "day", False) if d else None


def _h_day_word(m: re.Match[str], today: date) -> _Result:
    offset, approximate = _DAY_WORDS[m.group()]
    return today + timedelta(days=offset), "day", approximate


def _h_week(m: re.Match[str], today: date) -> _Result:
    monday = today - timedelta(days=today.weekday())
    monday += timedelta(weeks=_RELATIVE_WEEK[m.group("wr")])
    wd = m.group("wd")
    if wd is None:
        return monday, "day", True
    if wd == "末":
        return monday + timedelta(days=5), "day", True
    return monday + timedelta(days=_WEEKDAY_INDEX[wd]), "day", False


def _h_weekday_alone(m: re.Match[str], today: date) -> _Result:
    back = (today.weekday() - _WEEKDAY_INDEX[m.group("wd")]) % 7
    return today - timedelta(days=back), "day", True


_FUZZY_NUMBERS = {"几": 3, "十几": 15, "二十几": 25, "一两": 1.5, "两三": 2.5, "三四": 3.5,
                  "三五": 4, "半": 0.5}  # fmt: skip


def _h_ago(m: re.Match[str], today: date) -> _Result:
    raw, unit = m.group("n"), m.group("unit")
    half = bool(m.group("half") or m.group("half2"))
    approximate = half or "多" in m.group() or raw in _FUZZY_NUMBERS
    n: float | None = _FUZZY_NUMBERS.get(raw)
    if n is None:
        n = _to_int(raw)
    if n is None or n <= 0:
        return None
    if half:
        n += 0.5
    if unit == "天":
        if n > 3660:
            return None
        return today - timedelta(days=round(n)), "day", approximate
    if unit in ("周", "星期", "礼拜"):
        return (today - timedelta(days=round(n * 7)), "day", True) if n <= 520 else None
    if unit == "月":
        if not (m.group("ge") or raw == "半") or n > 600:
            return None  # "3月前" is "before March", not "three months ago"
        whole = int(n)
        d = _add_months(today, -whole) - timedelta(days=round((n - whole) * 30))
        return d, "day", True
    # 年
    if n > 100:
        return None  # "2020年前" is "before 2020"
    return _add_months(today, -round(n * 12)), "day", True


# --- patterns (order does not matter: overlaps are resolved leftmost-longest) --------------

_PATTERNS: list[tuple[re.Pattern[str], _Handler]] = [
    (re.compile(
        r"(?<![\d./-])(?P<y>(?:19|20)\d{2})(?P<sep>[-/.])(?P<m>1[0-2]|0?[1-9])(?P=sep)"
        r"(?P<d>3[01]|[12]\d|0?[1-9])(?!\d|[./-]\d|\s?元)"), _h_numeric),
    (re.compile(rf"{_NUM_BEFORE}{_YEAR}{_DE}\s?{_MONTH}\s?{_DAY}(?:[日号]|(?!\d))"), _h_ymd),
    (re.compile(rf"{_NUM_BEFORE}{_YEAR}{_DE}\s?{_MONTH}(?:份的|份|的)\s?{_DAY}[日号]"), _h_ymd),
    (re.compile(rf"{_NUM_BEFORE}{_YEAR}{_DE}\s?{_MONTH}份?{_DE}{_MONTH_PART}"), _h_ym_part),
    (re.compile(rf"{_NUM_BEFORE}{_YEAR}{_DE}\s?{_MONTH}份?{_NOT_LIMIT}"), _h_ym),
    (re.compile(rf"{_NUM_BEFORE}{_YEAR}{_DE}{_YEAR_PART}"), _h_y_part),
    (re.compile(rf"{_NUM_BEFORE}{_YEAR}(?!\s?(?:内|以内|之内|多|半)){_NOT_AGE}"), _h_y),
    (re.compile(rf"{_NUM_BEFORE}{_YEAR}{_DE}(?P<hol>{_words_re(_FIXED_HOLIDAYS)})"
                rf"(?!{_words_re(_NOT_HOLIDAY_AFTER)})"), _h_y_holiday),
    (re.compile(rf"{_NUM_BEFORE}(?<![周期拜])(?P<hol>元旦节|元旦|五一劳动节|五一节|劳动节|国庆节"
                rf"|五一(?={_words_re(_HOLIDAY_CUES)})|(?:(?<![\u4e00-\u9fff])|(?<=[在到了过是等从自于的那这]))"
                rf"国庆(?={_words_re(_HOLIDAY_CUES)}))"), _h_holiday),
    (re.compile(rf"{_NUM_BEFORE}{_MONTH}(?:份的|份|的)?\s?{_DAY}[日号]"), _h_md),
    (re.compile(rf"{_NUM_BEFORE}{_MONTH}份?{_DE}{_MONTH_PART}"), _h_m_part),
    (re.compile(rf"{_NUM_BEFORE}{_MONTH}份?{_NOT_LIMIT}"), _h_m),
    (re.compile(rf"{_MREL}{_DE}{_NUM_BEFORE}{_DAY}[日号]"), _h_mrel_day),
    (re.compile(rf"(?:{_MREL}|(?<![\d〇零一二两三四五六七八九十个年岁每])月){_MONTH_PART}"),
     _h_mrel_part),
    (re.compile(_MREL), _h_mrel),
    (re.compile(r"(?<![年\d〇零一二两三四五六七八九十几多每前去今明少成老青新过周千百万])年"
                r"(?P<ypart>初|底|末)"), _h_y_part),
    (re.compile(rf"(?:{_NUM_BEFORE}|(?<=[周期拜][一二三四五六日天]))"  # 周五15号
                rf"(?<![〕\])】）)a-zA-Z#-])(?<!每月){_DAY}(?P<unit>[号日]){_NO_BUILDING}"),
     _h_day_alone),
    (re.compile(r"(?<![提之以面最先然今])(?:" + "|".join(sorted(_DAY_WORDS, key=len, reverse=True))
                + ")"), _h_day_word),
    (re.compile(rf"{_WREL}{_WEEK}{_WEEKDAY}?(?!期|岁|边|围|转|年|刊|报)"), _h_week),
    (re.compile(r"(?<![每至到和~—\-上下这本个])(?:星期|礼拜)(?P<wd>[一二三四五六日天])"
                r"(?!\s?[至到~—\-])"), _h_weekday_alone),
    (re.compile(
        rf"{_NUM_BEFORE}(?P<n>\d+|二十几|十几|一两|两三|三四|三五|[〇零一二两三四五六七八九十廿百]+|半|几)"
        r"\s?(?:多)?(?P<ge>个)?(?:多)?(?P<half>半)?(?P<unit>天|周|星期|礼拜|月|年)"
        r"(?:多)?(?P<half2>半)?(?:以前|之前|前)"), _h_ago),
]  # fmt: skip


# Same-length folding: full-width ASCII → ASCII, ideographic space → space.
_FOLD = {0xFF01 + i: chr(0x21 + i) for i in range(0x5E)}
_FOLD[0x3000] = " "


def _fold(text: str) -> str:
    folded = to_simplified(text.translate(_FOLD))
    return folded if len(folded) == len(text) else text.translate(_FOLD)


def parse_dates(text: str, today: date) -> list[DateMention]:
    """All date mentions in ``text``, in text order, resolved relative to ``today``."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    if not isinstance(today, date):
        raise TypeError(f"today must be a date, got {type(today).__name__}")
    if not text:
        return []
    folded = _fold(text)
    candidates: list[tuple[int, int, date, Precision, bool, bool]] = []
    for pattern, handler in _PATTERNS:
        for m in pattern.finditer(folded):
            result = handler(m, today)
            if result is not None:
                candidates.append((m.start(), m.end(), *result, handler is _h_day_alone))
    candidates.sort(key=lambda c: (c[0], c[0] - c[1]))
    mentions: list[DateMention] = []
    last_end = 0
    for start, end, d, precision, approximate, bare in candidates:
        if start < last_end:
            continue
        if bare and mentions:
            d = _listed_day(folded, mentions[-1], start, d, today)
        mentions.append(DateMention(d, text[start:end].strip(), precision, approximate,
                                    (start, end)))  # fmt: skip
        last_end = end
    return mentions


_LIST_SEP_RE = re.compile(_LIST_SEP)


def _listed_day(folded: str, prev: DateMention, start: int, d: date, today: date) -> date:
    """A bare day listed after a day of a known month is in that month (3月12号到15号)."""
    if (prev.precision != "day" or not prev.text.endswith(("号", "日", "號"))
            or not _LIST_SEP_RE.fullmatch(folded, prev.span[1], start)):
        return d
    listed = _safe_date(prev.date.year, prev.date.month, d.day)
    if listed is not None and listed < prev.date:  # 3月28号到2号
        nxt = _add_months(prev.date.replace(day=1), 1)
        listed = _safe_date(nxt.year, nxt.month, d.day)
    ahead = today + timedelta(days=FUTURE_TOLERANCE_DAYS)
    return listed if listed is not None and (listed <= ahead or d > ahead) else d


def latest_event_date(
    mentions: Iterable[DateMention], today: date | None = None
) -> date | None:
    """The most recent mentioned date that is not after ``today`` (default: the real today)."""
    limit = today if today is not None else date.today()
    past = [m.date for m in mentions if m.date <= limit]
    return max(past, default=None)
