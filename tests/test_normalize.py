"""Tests for bot.triage.normalize: width, 繁→简, emoji, invisible characters, clauses, masking."""

from __future__ import annotations

import random
import time

import pytest

from bot.triage.normalize import (
    MASK,
    Normalized,
    mask_personal,
    normalize,
    normalize_with_info,
    split_clauses,
    to_simplified,
)

# --- normalize: width, case, whitespace ---------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("３月２日", "3月2日"),
        ("ＡＢＣ", "abc"),
        ("２０２６年１１月２６日", "2026年11月26日"),
        ("欠薪５０００元", "欠薪5000元"),
        ("ＡＢＣ　ｄｅｆ", "abc def"),  # ideographic space
        ("Hello WORLD", "hello world"),
        ("你好，世界！真的？是；对：（补充）", "你好,世界!真的?是;对:(补充)"),
        ("房子、土地。", "房子、土地。"),  # 、 and 。 have no ASCII twin and stay
        ("2026．3．2", "2026.3.2"),
        ("  被拆迁\t\n\n  没补偿  ", "被拆迁 没补偿"),
        ("①房子②工资", "1房子2工资"),
        ("❶房子❷工资", "1房子2工资"),
        ("⼈民政府", "人民政府"),  # Kangxi radical from some input methods
        ("A→B", "a→b"),  # arrows are not emoji
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalize_width_case_whitespace(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_invisible_and_control_characters_are_dropped() -> None:
    assert normalize("强\u200b制\u200c拆\ufeff迁\u2060了") == "强制拆迁了"
    assert normalize("被\x00打\x07了\x1b") == "被打了"
    assert normalize("abc\u00addef") == "abcdef"  # soft hyphen
    assert normalize("右\u202e到左") == "右到左"  # bidi override


# --- 繁體 → 简体 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("「我們被強制拆遷」", "「我们被强制拆迁」"),
        ("我們被強制拆遷", "我们被强制拆迁"),
        ("老闆拖欠工資三個月", "老板拖欠工资三个月"),
        ("村委會說是上面的命令", "村委会说是上面的命令"),
        ("頭髮", "头发"),
        ("答覆", "答复"),  # phrase table, not character table
        ("瞭解情況", "了解情况"),
        ("乾隆皇帝", "乾隆皇帝"),  # 乾 stays in the name
        ("乾淨", "干净"),
        ("上週五去勞動局", "上周五去劳动局"),
    ],
)
def test_traditional_to_simplified(raw: str, expected: str) -> None:
    info = normalize_with_info(raw)
    assert info.text == expected
    assert info.was_traditional is (raw != expected)


@pytest.mark.parametrize("text", ["我们被强制拆迁", "什么怎么办", "覆盖面", "沈先生的著作", "abc"])
def test_simplified_text_is_not_flagged_traditional(text: str) -> None:
    info = normalize_with_info(text)
    assert info.text == text.lower()
    assert not info.was_traditional


def test_to_simplified_agrees_with_opencc_and_keeps_length() -> None:
    from opencc import OpenCC

    cc = OpenCC("t2s")
    rng = random.Random(7)
    phrases = ["答覆", "乾隆", "瞭解", "沈默", "反覆", "藉口", "頭髮", "發現", "乾淨", "著名"]
    filler = list("我們被強制拆遷沒有補償的村委會說是上面命令去信訪辦反映三次都結果請問應該怎麼")
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(1, 6)):
            if rng.random() < 0.4:
                parts.append(rng.choice(phrases))
            else:
                parts.append("".join(rng.choice(filler) for _ in range(rng.randint(0, 15))))
            if rng.random() < 0.2:
                parts.append(rng.choice("，。 "))
        text = "".join(parts)
        converted = to_simplified(text)
        assert converted == cc.convert(text)
        assert len(converted) == len(text)


def test_to_simplified_long_run_without_punctuation() -> None:
    text = "他們答覆說沒有補償" * 2000  # one run of 18,000 characters, many special phrases
    assert to_simplified(text) == "他们答复说没有补偿" * 2000


# --- emoji ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("被打了😡😡然后没人管", "被打了 然后没人管"),  # an emoji is a pause
        ("太欺负人了😭", "太欺负人了"),
        ("点赞👍🏻", "点赞"),  # skin tone
        ("🇨🇳中国", "中国"),  # flag
        ("全家👨‍👩‍👧都", "全家 都"),  # ZWJ sequence
        ("我❤️你", "我 你"),  # variation selector
        ("☎️电话", "电话"),
        ("⭐⭐⭐差评", "差评"),
        ("1️⃣第一", "1 第一"),  # keycap: the digit stays
        ("㊗️你", "你"),  # would become 祝 under NFKC
        ("太难了[捂脸][流泪]", "太难了"),  # WeChat codes
        ("我[微笑]了", "我 了"),
    ],
)
def test_emoji_removed_with_flag(raw: str, expected: str) -> None:
    info = normalize_with_info(raw)
    assert info.text == expected
    assert info.had_emoji


@pytest.mark.parametrize("text", ["没有表情", "A→B", "【通知】", "[2020]15号", "第①条", "[证据]"])
def test_no_emoji_flag_without_emoji(text: str) -> None:
    assert not normalize_with_info(text).had_emoji


# --- voice-like text -----------------------------------------------------------------------

VOICE = "我家房子被强拆了然后村里也不给补偿还有就是我老公被他们打伤了到现在医药费也没人出"


def test_no_punctuation_flag_for_voice_text() -> None:
    assert normalize_with_info(VOICE).no_punctuation
    assert normalize_with_info("嗯" + VOICE[:24]).no_punctuation  # exactly 25 ideographs


@pytest.mark.parametrize(
    "text",
    [
        VOICE[:20],  # short
        VOICE[:12] + "，" + VOICE[12:],  # punctuated
        VOICE[:12] + "。" + VOICE[12:],
        VOICE[:12] + " " + VOICE[12:],  # typed pause
        "abc " * 30,  # long but no ideographs
        "",
    ],
)
def test_no_punctuation_flag_false(text: str) -> None:
    assert not normalize_with_info(text).no_punctuation


def test_normalized_dataclass_and_idempotence() -> None:
    info = normalize_with_info("")
    assert info == Normalized("", False, False, False)
    for raw in ["我們被強制拆遷😡，３月２日！", VOICE, "ＡＢＣ　１２３", "太难了[捂脸]"]:
        once = normalize(raw)
        assert normalize(once) == once


# --- type errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "func", [normalize, normalize_with_info, split_clauses, mask_personal, to_simplified]
)
@pytest.mark.parametrize("bad", [None, b"bytes", 123, ["list"]])
def test_non_str_raises_type_error(func, bad) -> None:
    with pytest.raises(TypeError):
        func(bad)


# --- split_clauses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("房子被拆了。没有补偿！怎么办？", ["房子被拆了", "没有补偿", "怎么办"]),
        ("房子被拆了,没有补偿!怎么办?", ["房子被拆了", "没有补偿", "怎么办"]),
        ("被拆了，没补偿；找了村里\n也不管", ["被拆了", "没补偿", "找了村里", "也不管"]),
        ("房子被拆了 没有补偿", ["房子被拆了", "没有补偿"]),  # typed pause
        ("工资1,000元没发,2026.3.2发的", ["工资1,000元没发", "2026.3.2发的"]),
        ("房子、土地、果树都被毁了", ["房子、土地、果树都被毁了"]),  # lists stay whole
        ("3.5万元没给", ["3.5万元没给"]),
        ("1.房子被拆 2.工资没发", ["房子被拆", "工资没发"]),
        ("1、房子被拆2、工资没发", ["房子被拆", "工资没发"]),
        ("一、房屋问题 二、工资问题", ["房屋问题", "工资问题"]),
        ("（1）房子被拆（2）工资没发", ["房子被拆", "工资没发"]),
        ("拖欠工资3、4个月", ["拖欠工资3、4个月"]),
        ("然后呢", ["然后呢"]),
        ("", []),
        ("。。。", []),
    ],
)
def test_split_clauses_punctuation(text: str, expected: list[str]) -> None:
    assert split_clauses(text) == expected


def test_split_clauses_voice_markers() -> None:
    text = (
        "我家房子被强拆了然后村里也不给补偿还有就是我老公被他们打伤了到现在医药费也没人出"
        "另外工资也拖欠了三个月"
    )
    assert split_clauses(text) == [
        "我家房子被强拆了",
        "然后村里也不给补偿",
        "还有就是我老公被他们打伤了到现在医药费也没人出",
        "另外工资也拖欠了三个月",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 而且 / 并且 / 以及 / 再就是
        (
            "单位一直拖欠我们的工资不发而且还不给交社保再就是加班费也没有",
            ["单位一直拖欠我们的工资不发", "而且还不给交社保", "再就是加班费也没有"],
        ),
        # 第二个 starts a point, 第二天 does not
        (
            "第一个问题是房子被拆了没补偿第二个问题是我被打了第二天又来人闹",
            ["第一个问题是房子被拆了没补偿", "第二个问题是我被打了第二天又来人闹"],
        ),
        # 还有 after a pronoun is "still have", not a new point
        (
            "房子被拆了没有地方住我还有三个孩子要养活真的没办法",
            ["房子被拆了没有地方住我还有三个孩子要养活真的没办法"],
        ),
        # too short on one side: no cut
        ("我们要求赔偿损失以及道歉", ["我们要求赔偿损失以及道歉"]),
    ],
)
def test_split_clauses_markers_are_conservative(text: str, expected: list[str]) -> None:
    assert split_clauses(text) == expected


def test_split_clauses_short_punctuated_clauses_not_cut_on_markers() -> None:
    assert split_clauses("被打了，然后报警了。") == ["被打了", "然后报警了"]


def test_split_clauses_are_substrings_in_order() -> None:
    text = "1、房子被拆了，然后村里不管。2、工资没发 另外社保也没交😡" + VOICE
    clauses = split_clauses(text)
    pos = 0
    for clause in clauses:
        found = text.find(clause, pos)
        assert found >= 0
        pos = found + len(clause)


def test_split_clauses_on_normalized_traditional_text() -> None:
    text = normalize("房子被強拆了，然後村裡也不給補償")
    assert split_clauses(text) == ["房子被强拆了", "然后村里也不给补偿"]


# --- mask_personal -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("身份证11010519491231002X", f"身份证{MASK}002X"),
        ("身份证号：11010519491231002x。", f"身份证号：{MASK}002x。"),
        ("身份证110105 19491231 002X", f"身份证{MASK}002X"),
        ("身份证１１０１０５１９４９１２３１００２Ｘ", f"身份证{MASK}002X"),  # full width
        ("老身份证110105491231002", f"老身份证{MASK}1002"),  # 15 digits
        ("我的电话是13812345678请联系", f"我的电话是{MASK}5678请联系"),
        ("电话138-1234-5678", f"电话{MASK}5678"),
        ("电话138 1234 5678", f"电话{MASK}5678"),
        ("电话+86 13812345678", f"电话{MASK}5678"),
        ("电话8613812345678", f"电话{MASK}5678"),
        ("座机010-62345678", f"座机{MASK}5678"),
        ("座机0755-2345678", f"座机{MASK}5678"),
        ("座机(0755)23456789", f"座机{MASK}6789"),
        ("座机（021）62345678", f"座机{MASK}5678"),
        ("卡号6222021234567890123", f"卡号{MASK}0123"),  # 19 digits
        ("卡号6222021234567890", f"卡号{MASK}7890"),  # 16 digits
        ("卡号6222 0212 3456 7890", f"卡号{MASK}7890"),
        ("电话13812345678和13987654321", f"电话{MASK}5678和{MASK}4321"),
    ],
)
def test_mask_personal(raw: str, expected: str) -> None:
    assert mask_personal(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "20261126",  # a compact date is 8 digits, nothing personal
        "2026-11-26",
        "2026年11月26日",
        "日期20261126，金额500元",
        "欠款13800000000元",  # an amount that looks like a mobile number
        "合计13812345678.50元",
        "¥13812345678",
        "共1380000元",
        "第31条",
        "编号12345",
        "2026-11-26 13:45",
        "12345678901234567890123",  # 23 digits: not a card or ID
        "",
    ],
)
def test_mask_personal_leaves_non_personal_numbers(text: str) -> None:
    assert mask_personal(text) == text


def test_mask_personal_is_idempotent() -> None:
    raw = "身份证11010519491231002X，电话13812345678，卡号6222021234567890123"
    once = mask_personal(raw)
    assert "1101051949" not in once and "138123" not in once and "622202" not in once
    assert mask_personal(once) == once


# --- speed ---------------------------------------------------------------------------------

TRAD = (
    "我們被強制拆遷，沒有任何補償，村委會說是上面的命令，"
    "我們去信訪辦反映了三次都沒有結果，請問應該怎麼辦？"
)


def _mean_seconds(func, arg, runs: int) -> float:
    func(arg)  # warm-up (loads OpenCC once)
    start = time.perf_counter()
    for _ in range(runs):
        func(arg)
    return (time.perf_counter() - start) / runs


def test_normalize_100_characters_is_fast() -> None:
    text = (TRAD * 3)[:100]
    assert _mean_seconds(normalize, text, 200) < 0.002  # typically ~0.04 ms


@pytest.mark.parametrize("func", [normalize, split_clauses, mask_personal])
@pytest.mark.parametrize("kind", ["traditional", "voice", "emoji"])
def test_one_megabyte_is_linear(func, kind: str) -> None:
    unit = {"traditional": TRAD, "voice": VOICE + "另外", "emoji": "被打了😡13812345678然后"}[kind]
    text = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
    start = time.perf_counter()
    func(text)
    assert time.perf_counter() - start < 5.0  # typically 0.2-0.4 s
