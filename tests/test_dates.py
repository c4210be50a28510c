"""Tests for bot.triage.dates: date mentions in complaint text, relative to a fixed today."""

from __future__ import annotations

import dataclasses
import time
from datetime import date

import pytest

from bot.triage.dates import DateMention, latest_event_date, parse_dates

TODAY = date(2026, 11, 26)  # a Thursday


def one(text: str, today: date = TODAY) -> DateMention:
    mentions = parse_dates(text, today)
    assert len(mentions) == 1, mentions
    return mentions[0]


# (text, expected date, precision, approximate); the whole text is the mention
CASES = [
    # absolute
    ("2026年3月2日", date(2026, 3, 2), "day", False),
    ("2026年3月2号", date(2026, 3, 2), "day", False),
    ("2026年03月02日", date(2026, 3, 2), "day", False),
    ("2026 年 3 月 2 日", date(2026, 3, 2), "day", False),
    ("2026-03-02", date(2026, 3, 2), "day", False),
    ("2026/3/2", date(2026, 3, 2), "day", False),
    ("2026.3.2", date(2026, 3, 2), "day", False),
    ("2025年12月", date(2025, 12, 1), "month", False),
    ("2025年", date(2025, 1, 1), "year", False),
    ("2025年底", date(2025, 12, 31), "month", True),
    ("2024年3月底", date(2024, 3, 31), "day", True),
    # Chinese numerals
    ("二〇二六年", date(2026, 1, 1), "year", False),
    ("二〇二六年三月二日", date(2026, 3, 2), "day", False),
    ("二零二五年十二月三十一日", date(2025, 12, 31), "day", False),
    ("三月二号", date(2026, 3, 2), "day", False),
    ("十月一号", date(2026, 10, 1), "day", False),
    ("十五号", date(2026, 11, 15), "day", False),
    ("二十三号", date(2026, 11, 23), "day", False),
    ("八号", date(2026, 11, 8), "day", False),
    ("廿一号", date(2026, 11, 21), "day", False),
    ("１５号", date(2026, 11, 15), "day", False),  # full-width digits
    ("15號", date(2026, 11, 15), "day", False),  # 繁體
    # month and day without a year
    ("3月2日", date(2026, 3, 2), "day", False),
    ("3月2号", date(2026, 3, 2), "day", False),
    ("12月20号", date(2025, 12, 20), "day", False),  # would be in the future: last year
    ("11月28日", date(2026, 11, 28), "day", False),  # two days ahead: still this year
    ("3月", date(2026, 3, 1), "month", False),
    ("3月份", date(2026, 3, 1), "month", False),
    ("十二月", date(2025, 12, 1), "month", False),
    ("3月底", date(2026, 3, 31), "day", True),
    ("2月底", date(2026, 2, 28), "day", True),
    ("5月初", date(2026, 5, 1), "day", True),
    ("6月中旬", date(2026, 6, 15), "day", True),
    ("3月份15号", date(2026, 3, 15), "day", False),
    ("3月的15号", date(2026, 3, 15), "day", False),
    ("三月份的十五号", date(2026, 3, 15), "day", False),
    ("2023年3月份的15号", date(2023, 3, 15), "day", False),
    ("元月", date(2026, 1, 1), "month", False),
    ("今年元月份", date(2026, 1, 1), "month", False),
    ("2018年元月16日", date(2018, 1, 16), "day", False),
    # fixed holidays
    ("今年五一", date(2026, 5, 1), "day", False),
    ("去年五一", date(2025, 5, 1), "day", False),
    ("去年国庆", date(2025, 10, 1), "day", False),
    ("今年国庆节", date(2026, 10, 1), "day", False),
    ("国庆节", date(2026, 10, 1), "day", False),
    ("元旦", date(2026, 1, 1), "day", False),
    ("五一劳动节", date(2026, 5, 1), "day", False),
    ("2025年元旦", date(2025, 1, 1), "day", False),
    # relative to the month
    ("上个月15号", date(2026, 10, 15), "day", False),
    ("上个月的15号", date(2026, 10, 15), "day", False),
    ("上月15日", date(2026, 10, 15), "day", False),
    ("这个月3号", date(2026, 11, 3), "day", False),
    ("本月3日", date(2026, 11, 3), "day", False),
    ("上上个月5号", date(2026, 9, 5), "day", False),
    ("本月初", date(2026, 11, 1), "day", True),
    ("上月底", date(2026, 10, 31), "day", True),
    ("上个月底", date(2026, 10, 31), "day", True),
    ("月底", date(2026, 11, 30), "day", True),
    ("上个月", date(2026, 10, 1), "month", False),
    ("这个月", date(2026, 11, 1), "month", False),
    ("28号", date(2026, 11, 28), "day", False),
    ("30号", date(2026, 10, 30), "day", False),  # 4 days ahead: last month
    ("31号", date(2026, 10, 31), "day", False),  # November has no 31st
    # relative to the year
    ("去年", date(2025, 1, 1), "year", False),
    ("今年", date(2026, 1, 1), "year", False),
    ("前年", date(2024, 1, 1), "year", False),
    ("去年3月", date(2025, 3, 1), "month", False),
    ("去年三月份", date(2025, 3, 1), "month", False),
    ("去年3月15号", date(2025, 3, 15), "day", False),
    ("去年12月", date(2025, 12, 1), "month", False),
    ("去年年底", date(2025, 12, 31), "month", True),
    ("去年底", date(2025, 12, 31), "month", True),
    ("去年年初", date(2025, 1, 1), "month", True),
    ("去年初", date(2025, 1, 1), "month", True),
    ("今年初", date(2026, 1, 1), "month", True),
    ("今年年初", date(2026, 1, 1), "month", True),
    ("年初", date(2026, 1, 1), "month", True),
    ("去年下半年", date(2025, 7, 1), "month", True),
    ("去年3月底", date(2025, 3, 31), "day", True),
    # days
    ("今天", date(2026, 11, 26), "day", False),
    ("昨天", date(2026, 11, 25), "day", False),
    ("昨晚", date(2026, 11, 25), "day", False),
    ("前天", date(2026, 11, 24), "day", False),
    ("大前天", date(2026, 11, 23), "day", False),
    ("明天", date(2026, 11, 27), "day", False),
    ("前几天", date(2026, 11, 23), "day", True),
    # weeks (Monday is the first day of the week)
    ("上周五", date(2026, 11, 20), "day", False),
    ("上星期三", date(2026, 11, 18), "day", False),
    ("上礼拜一", date(2026, 11, 16), "day", False),
    ("上个星期天", date(2026, 11, 22), "day", False),
    ("上周日", date(2026, 11, 22), "day", False),
    ("这周一", date(2026, 11, 23), "day", False),
    ("本周二", date(2026, 11, 24), "day", False),
    ("上上周三", date(2026, 11, 11), "day", False),
    ("上周", date(2026, 11, 16), "day", True),
    ("上周末", date(2026, 11, 21), "day", True),
    ("星期三", date(2026, 11, 25), "day", True),
    ("礼拜四", date(2026, 11, 26), "day", True),
    ("星期五", date(2026, 11, 20), "day", True),
    # ago
    ("3天前", date(2026, 11, 23), "day", False),
    ("三天前", date(2026, 11, 23), "day", False),
    ("十五天以前", date(2026, 11, 11), "day", False),
    ("20多天前", date(2026, 11, 6), "day", True),
    ("十几天前", date(2026, 11, 11), "day", True),
    ("两周前", date(2026, 11, 12), "day", True),
    ("两个星期前", date(2026, 11, 12), "day", True),
    ("半个月前", date(2026, 11, 11), "day", True),
    ("一个月前", date(2026, 10, 26), "day", True),
    ("一个多月前", date(2026, 10, 26), "day", True),
    ("两个月前", date(2026, 9, 26), "day", True),
    ("两个半月前", date(2026, 9, 11), "day", True),
    ("半年前", date(2026, 5, 26), "day", True),
    ("一年前", date(2025, 11, 26), "day", True),
    ("一年半前", date(2025, 5, 26), "day", True),
    ("3年前", date(2023, 11, 26), "day", True),
]


@pytest.mark.parametrize(("text", "expected", "precision", "approximate"), CASES)
def test_single_mention(text: str, expected: date, precision: str, approximate: bool) -> None:
    mention = one(text)
    assert mention.date == expected
    assert mention.text == text
    assert mention.precision == precision
    assert mention.approximate is approximate


@pytest.mark.parametrize(
    ("text", "expected_text", "expected"),
    [
        ("我家房子去年3月被强拆了", "去年3月", date(2025, 3, 1)),
        ("上个月15号他们又来打人", "上个月15号", date(2026, 10, 15)),
        ("3天前去派出所报警没人管", "3天前", date(2026, 11, 23)),
        ("2026年3月2日起就没发工资", "2026年3月2日", date(2026, 3, 2)),
        ("请于3月15日内答复", "3月15日", date(2026, 3, 15)),  # a date, 内 notwithstanding
        ("老板从去年年底开始拖欠", "去年年底", date(2025, 12, 31)),
        ("截至今天还没有答复", "今天", date(2026, 11, 26)),
    ],
)
def test_mention_inside_sentence(text: str, expected_text: str, expected: date) -> None:
    mention = one(text)
    assert (mention.text, mention.date) == (expected_text, expected)
    start, end = mention.span
    assert text[start:end] == expected_text


@pytest.mark.parametrize(
    "text",
    [
        "3个月工资",
        "拖欠3个月工资",
        "500元",
        "罚款2000元",
        "15日内",
        "应当在15日内作出决定",
        "第31条",
        "依据第十五条",
        "1年",
        "工作了10年",
        "3个月内",
        "3天后",
        "60岁",
        "十几个人",
        "3号楼",
        "住在8号院",
        "坐1号线",
        "国发〔2011〕15号",
        "15号文件",
        "每月15号发工资",
        "每月底",
        "以前天天被骚扰",
        "然后天天来闹",
        "提前两天通知",
        "周一至周五上班",
        "星期一到星期五",
        "上个周期",
        "版本2026.3.2.1",
        "金额2026.3元",
        "20261126",
        "拖欠工资15日",
        "",
    ],
)
def test_not_dates(text: str) -> None:
    assert parse_dates(text, TODAY) == []


# --- issue 12: a bare "N号" is a day only where the context makes it one ---------------------

# (text, [(mention text, date), ...]): a bare day in a day's context, with the other mentions
BARE_DAYS = [
    # a time word after it
    ("15号那天他们来强拆", [("15号", date(2026, 11, 15))]),
    ("15号当天就被带走了", [("15号", date(2026, 11, 15))]),
    ("十五号那天被打", [("十五号", date(2026, 11, 15))]),
    ("１５号那天被打", [("１５号", date(2026, 11, 15))]),
    ("15號那天被打", [("15號", date(2026, 11, 15))]),
    ("15号的时候收到的决定书", [("15号", date(2026, 11, 15))]),
    ("25号上午开庭", [("25号", date(2026, 11, 25))]),
    ("廿三号下午去的派出所", [("廿三号", date(2026, 11, 23))]),
    ("二十号晚上有人砸门", [("二十号", date(2026, 11, 20))]),
    ("28号晚8点左右", [("28号", date(2026, 11, 28))]),  # two days ahead: still this month
    ("30号凌晨两点", [("30号", date(2026, 10, 30))]),  # four days ahead: last month
    ("15号的那天下午", [("15号", date(2026, 11, 15))]),
    # an event word after it
    ("15号收到处罚决定书", [("15号", date(2026, 11, 15))]),
    ("20号被城管打了", [("20号", date(2026, 11, 20))]),
    ("8号开始停工", [("8号", date(2026, 11, 8))]),
    ("５号接到通知", [("５号", date(2026, 11, 5))]),
    ("八号去的信访局", [("八号", date(2026, 11, 8))]),
    ("十号又来闹了", [("十号", date(2026, 11, 10))]),
    ("公司说好15号发工资", [("15号", date(2026, 11, 15))]),
    ("法院15号开庭", [("15号", date(2026, 11, 15))]),
    ("我知道15号要开庭", [("15号", date(2026, 11, 15))]),
    ("办公室15号打电话通知我", [("15号", date(2026, 11, 15))]),
    ("15号左右送达的", [("15号", date(2026, 11, 15))]),
    ("15号之前必须搬走", [("15号", date(2026, 11, 15))]),
    ("15号，他们又来了", [("15号", date(2026, 11, 15))]),
    ("15号我去了派出所", [("15号", date(2026, 11, 15))]),
    ("12号老板跑了", [("12号", date(2026, 11, 12))]),
    ("8号出的事", [("8号", date(2026, 11, 8))]),
    ("村里15号来人量房子", [("15号", date(2026, 11, 15))]),
    ("15号出院的", [("15号", date(2026, 11, 15))]),
    ("15号周五被打", [("15号", date(2026, 11, 15))]),
    ("周五15号开会", [("15号", date(2026, 11, 15))]),
    # a time word before it
    ("到了15号还没发工资", [("15号", date(2026, 11, 15))]),
    ("等到15号也没人来", [("15号", date(2026, 11, 15))]),
    ("截止15号都没答复", [("15号", date(2026, 11, 15))]),
    ("从十二号起就断水了", [("十二号", date(2026, 11, 12))]),
    ("今天都25号了还没发工资", [("今天", date(2026, 11, 26)), ("25号", date(2026, 11, 25))]),
    # listed with a day
    ("12号和15号那两天都来闹", [("12号", date(2026, 11, 12)), ("15号", date(2026, 11, 15))]),
    ("12号到15号被关在屋里", [("12号", date(2026, 11, 12)), ("15号", date(2026, 11, 15))]),
    ("3月12号到15号被关了", [("3月12号", date(2026, 3, 12)), ("15号", date(2026, 3, 15))]),
    ("上个月12号、15号两次来闹",
     [("上个月12号", date(2026, 10, 12)), ("15号", date(2026, 10, 15))]),
    ("2023年3月28日至30日停工",
     [("2023年3月28日", date(2023, 3, 28)), ("30日", date(2023, 3, 30))]),
    # a bare 15日 with a time word
    ("15日下午在村委会被打", [("15日", date(2026, 11, 15))]),
    ("十五日上午", [("十五日", date(2026, 11, 15))]),
    ("22日那天", [("22日", date(2026, 11, 22))]),
    # the whole message is the day (a reply to 哪天收到的？)
    ("15号", [("15号", date(2026, 11, 15))]),
    ("大概15号吧", [("15号", date(2026, 11, 15))]),
    ("应该是十五号", [("十五号", date(2026, 11, 15))]),
    ("15号收到的", [("15号", date(2026, 11, 15))]),
    ("是8号。", [("8号", date(2026, 11, 8))]),
    # a house number next to a real date
    ("住址幸福路8号，15号被打", [("15号", date(2026, 11, 15))]),
    ("8号那天我去幸福路12号找他", [("8号", date(2026, 11, 8))]),
    ("我家住幸福路8号，上个月15号房子被强拆", [("上个月15号", date(2026, 10, 15))]),
    ("家住人民路18号，2023年3月2日被拆", [("2023年3月2日", date(2023, 3, 2))]),
    ("(2023)湘01民初8号判决书是3月2日收到的", [("3月2日", date(2026, 3, 2))]),
    ("我父亲今年89岁，去年3月被打", [("去年3月", date(2025, 3, 1))]),
    ("3栋2单元501的住户前天被打", [("前天", date(2026, 11, 24))]),
    # holidays
    ("五一那天被打", [("五一", date(2026, 5, 1))]),
    ("国庆期间强拆的", [("国庆", date(2026, 10, 1))]),
    ("元旦前后老板跑了", [("元旦", date(2026, 1, 1))]),
    ("今年五一去的信访局", [("今年五一", date(2026, 5, 1))]),
]


@pytest.mark.parametrize(("text", "expected"), BARE_DAYS)
def test_bare_day_in_a_days_context(text: str, expected: list[tuple[str, date]]) -> None:
    mentions = parse_dates(text, TODAY)
    assert [(m.text, m.date) for m in mentions] == expected
    assert all(text[m.span[0]:m.span[1]] == m.text for m in mentions)


# No date at all: house, room and case numbers, amounts, articles, phone numbers, ages, counts,
# percentages, times of day, plates, ordinal lists, labels and recurring days
NOT_A_DAY = [
    # a road, street, lane or place word before the number
    "我家住幸福路8号",
    "幸福路8号被强拆了",
    "幸福路８号被强拆",
    "幸福路八号被强拆",
    "人民路十五号被打",
    "东风街12号被拆",
    "和平巷3号",
    "长乐弄5号被占",
    "解放大道18号门口被打",
    "南京道8号被拆",
    "帽儿胡同8号被拆",
    "幸福路东段8号被拆",
    "张家村12号被拆",
    "黄家村3组15号被拆",
    "碧桂园8号被盗",
    "机关家属院3号被拆",
    "阳光公寓12号被盗",
    # buildings, units, rooms
    "3栋2单元501",
    "5栋12号被盗",
    "2单元8号被偷",
    "3楼15号被盗",
    "8号楼",
    "住在8号楼",
    "12号院",
    "201室",
    "3号病房",
    "8号床",
    # addresses and labels
    "住在5号",
    "他家住12号",
    "我家是8号",
    "门牌号8号被拆",
    "编号8号",
    "工号15号被扣工资",
    "手机尾号8号",
    "我是8号",
    "排队8号",
    "8号技师",
    "8号窗口",
    "在8号地块",
    "5号电池",
    "8号被告",
    "8号被告人",
    "8号出口",
    "8号停车场",
    "8号晚会",
    "15号前面那栋楼",
    # case and file numbers
    "(2023)湘01民初8号",
    "（2023）湘01民初8号判决书",
    "（２０２３）湘０１民初８号判决",
    "湘01民初8号判决",
    "案号(2024)京0105民初12号",
    "(2023)湘01执恢8号",
    "劳人仲案字[2023]8号",
    "长政发〔2023〕8号",
    # recurring days
    "每个月15号发工资",
    "每月的15号",
    "每月12号和15号发工资",
    "逢8号赶集",
    # amounts, articles, phone numbers
    "8万",
    "借了他8万块",
    "1500元",
    "一千五百元",
    "第8条",
    "31条",
    "第三十一条",
    "13812345678",
    "电话0731-84123456",
    "138 1234 5678",
    "拨打12345",
    # ages, counts, percentages, times of day, plates, lists
    "我今年8岁",
    "父亲今年89岁",
    "母亲今年快九十岁了",
    "今年都八十了",
    "他8岁",
    "8个人",
    "缝了12针",
    "8%",
    "百分之十五",
    "下午3点",
    "3点15分",
    "晚上8点半",
    "湘A12345",
    "京B·8A123",
    "1、2、3、",
    # a bare number without a day's context, a range between house numbers
    "幸福路8号到10号",
    "幸福路8号和10号被拆",
    "3栋5号、6号被盗",
    "8号到10号楼",
    "1号、2号、3号楼",
    "五一路8号",
    "五一广场",
    "王国庆打了我",
    "王国庆那天打我",
]


@pytest.mark.parametrize("text", NOT_A_DAY)
def test_not_a_day(text: str) -> None:
    assert parse_dates(text, TODAY) == []


@pytest.mark.parametrize(
    "text",
    ["我家住幸福路8号，房子被强拆了", "（2023）湘01民初8号判决我不服", "我今年8岁被打了"],
)
def test_house_number_gives_no_event_date(text: str) -> None:
    """Issue 12: no deadline start is read from a house number, a case number or an age."""
    from bot.triage.facts import extract

    facts = extract(text, [], None, TODAY)  # type: ignore[arg-type]  # no hits: no lexicon
    assert "dates" not in facts and "event_date" not in facts


def test_real_day_gives_event_date_next_to_a_house_number() -> None:
    from bot.triage.facts import extract

    facts = extract("我家住幸福路8号，15号那天房子被强拆了", [], None, TODAY)  # type: ignore[arg-type]
    assert facts["event_date"] == "2026-11-15"
    assert [d["text"] for d in facts["dates"]] == ["15号"]


def test_several_mentions_in_text_order() -> None:
    text = "去年3月房子被拆，上个月15号又被打，3天前去信访局，他们说15日内答复"
    mentions = parse_dates(text, TODAY)
    assert [m.text for m in mentions] == ["去年3月", "上个月15号", "3天前"]
    assert [m.date for m in mentions] == [date(2025, 3, 1), date(2026, 10, 15), date(2026, 11, 23)]
    assert [m.span[0] for m in mentions] == sorted(m.span[0] for m in mentions)


def test_longest_mention_wins() -> None:
    assert one("大前天").date == date(2026, 11, 23)  # not 前天
    assert one("2026年3月2日").precision == "day"  # not 2026年 or 3月2日
    assert one("去年年底").text == "去年年底"  # not 去年 + 年底


def test_voice_text_without_punctuation() -> None:
    text = "我是去年十二月份开始在工地干活的干到今年三月老板跑了上个月十五号我去劳动局他们说要等"
    mentions = parse_dates(text, TODAY)
    assert [(m.text, m.date) for m in mentions] == [
        ("去年十二月份", date(2025, 12, 1)),
        ("今年三月", date(2026, 3, 1)),
        ("上个月十五号", date(2026, 10, 15)),
    ]


def test_full_width_and_traditional() -> None:
    assert one("２０２６年３月２日").date == date(2026, 3, 2)
    assert one("２０２６－０３－０２").date == date(2026, 3, 2)
    mention = one("上個月15號被打")
    assert (mention.text, mention.date) == ("上個月15號", date(2026, 10, 15))
    assert one("兩週前").date == date(2026, 11, 12)
    assert one("上禮拜一").date == date(2026, 11, 16)
    assert one("從去年年底開始").text == "去年年底"


def test_month_day_near_the_year_boundary() -> None:
    early = date(2026, 2, 27)
    assert one("3月2日", early).date == date(2026, 3, 2)  # 3 days ahead: tolerated
    assert one("3月10日", early).date == date(2025, 3, 10)
    assert one("12月", early).date == date(2025, 12, 1)
    january = date(2026, 1, 10)  # a Saturday
    assert one("上个月", january).date == date(2025, 12, 1)
    assert one("上个月15号", january).date == date(2025, 12, 15)
    assert one("去年年底", january).date == date(2025, 12, 31)
    assert one("上周五", january).date == date(2026, 1, 2)
    assert one("两个月前", january).date == date(2025, 11, 10)


def test_invalid_calendar_dates_are_not_days() -> None:
    mentions = parse_dates("2026年2月30日", TODAY)
    assert all(m.precision != "day" for m in mentions)
    assert [(m.text, m.precision) for m in parse_dates("2月30日", TODAY)] == [("2月", "month")]
    assert parse_dates("2026-02-30", TODAY) == []
    assert parse_dates("1800年", TODAY) == []


def test_date_mention_is_frozen_and_compares_without_span() -> None:
    mention = one("昨天")
    with pytest.raises(dataclasses.FrozenInstanceError):
        mention.date = date(2000, 1, 1)  # type: ignore[misc]
    assert mention == DateMention(date(2026, 11, 25), "昨天", "day", False)


def test_latest_event_date() -> None:
    mentions = parse_dates("去年3月被拆，上个月15号被打，明天开庭，3天前去信访", TODAY)
    assert latest_event_date(mentions, TODAY) == date(2026, 11, 23)  # 明天 is in the future
    assert latest_event_date([], TODAY) is None
    assert latest_event_date(parse_dates("明天开庭", TODAY), TODAY) is None
    assert latest_event_date(parse_dates("2000年", TODAY)) == date(2000, 1, 1)  # real today


def test_bad_input() -> None:
    with pytest.raises(TypeError):
        parse_dates(None, TODAY)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_dates(b"2026-03-02", TODAY)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_dates("昨天", "2026-11-26")  # type: ignore[arg-type]
    assert parse_dates("", TODAY) == []
    assert parse_dates("没有日期的投诉", TODAY) == []


def test_one_megabyte_is_linear() -> None:
    unit = "我家房子去年3月被强拆了然后上个月15号又来人把我打了还有就是工资拖了3个月"
    text = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
    start = time.perf_counter()
    mentions = parse_dates(text, TODAY)
    assert time.perf_counter() - start < 10.0  # typically ~1 s
    assert len(mentions) >= 2 * (1_000_000 // len(unit))
