"""Chinese numerals as used in article numbers (第三百零六条, 第二十一条, （四）)."""

from __future__ import annotations

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_DIGITS = "零一二三四五六七八九"

CHINESE_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_UNITS)


def cn_to_int(text: str) -> int:
    """Convert a Chinese numeral below 10000 (e.g. 三百零六, 十二, 二十) or digits to an int."""
    text = text.strip()
    if not text:
        raise ValueError("empty numeral")
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch in _UNITS:
            total += (current or 1) * _UNITS[ch]
            current = 0
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + current


def int_to_cn(number: int) -> str:
    """Convert 1..9999 to the form used in statute numbering (十二, 二十, 一百零五, 三百一十)."""
    if not 0 < number < 10000:
        raise ValueError(f"out of range: {number}")
    if number < 10:
        return _CN_DIGITS[number]
    if number < 20:
        return "十" + (_CN_DIGITS[number - 10] if number > 10 else "")
    parts: list[str] = []
    zero_pending = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // value % 10
        if digit:
            if zero_pending:
                parts.append("零")
                zero_pending = False
            parts.append(_CN_DIGITS[digit] + unit)
        elif parts:
            zero_pending = True
    return "".join(parts)
