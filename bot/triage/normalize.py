"""Normalise citizens' complaint text for matching (never for display).

Complaints arrive colloquial, with typos, full-width characters, 繁體, emoji and voice-to-text
without punctuation. :func:`normalize` turns them into one canonical form that keyword and
pattern matching can rely on:

- emoji (and WeChat codes such as ``[捂脸]``) become a space, i.e. a pause; the flag is kept;
- zero-width, bidi, other format characters and control characters are dropped;
- NFKC: full-width ASCII becomes half-width (``３月２日`` → ``3月2日``, ``ＡＢＣ`` → ``ABC``), and
  the full-width punctuation ``，！？；：（）`` becomes ``,!?;:()``; ``。`` and ``、`` have no
  ASCII twin and stay as they are;
- 繁體 → 简体 with OpenCC's ``t2s`` data (``我們被強制拆遷`` → ``我们被强制拆迁``);
- whitespace runs collapse to one space, the ends are stripped, letters are lower-cased.

:func:`split_clauses` cuts a message into clauses, also unpunctuated voice text (on discourse
markers such as 然后、还有、另外). :func:`mask_personal` masks ID-card, phone and bank-card
numbers before anything is stored or logged.

All functions are pure, raise :class:`TypeError` for anything but ``str``, return ``""`` (or
``[]``) for empty input and run in linear time.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Normalized",
    "mask_personal",
    "normalize",
    "normalize_with_info",
    "split_clauses",
    "to_simplified",
]

# --- character classes ---------------------------------------------------------------------

# CJK ideographs (unified, extension A, compatibility, extensions B and later).
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_RE = re.compile(f"[{_CJK}]")
_NON_CJK_RE = re.compile(f"[^{_CJK}]+")

# Emoji and pictographs, including the pieces of emoji sequences (ZWJ, variation selectors,
# keycap, tags, skin tones). Arrows (←→), geometric shapes (■●) and circled digits (①) are
# not emoji and are kept; the dingbat digits ❶..➓ (U+2776..U+2793) are mapped to digits instead.
_EMOJI_RE = re.compile(
    "["
    "\U0001f000-\U0001faff"  # mahjong .. symbols & pictographs extended-A (incl. flags, tones)
    "\u2600-\u2775\u2794-\u27bf"  # miscellaneous symbols, dingbats
    "\u2b00-\u2bff"  # ⭐ ⭕ ⬆ ...
    "\u231a\u231b\u2328\u23cf\u23e9-\u23f3\u23f8-\u23fa"  # ⌚ ⏰ ...
    "\u3030\u303d\u3297\u3299"  # 〰 〽 ㊗ ㊙ (㊗ would become 祝 under NFKC)
    "\u200d\u20e3\ufe0e\ufe0f"  # ZWJ, keycap, variation selectors
    "\U000e0020-\U000e007f"  # tag characters (subdivision flags)
    "]+"
)

# Format (Cf) and control (Cc) characters that are not whitespace; surrogates and U+FFFD too.
_INVISIBLE = (
    "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffd"
    "\U000110bd\U000110cd\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
)
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]+")
_ASCII_INVISIBLE_RE = re.compile("[\x00-\x08\x0e-\x1b\x7f]+")

# ❶..❿, ➀..➉, ➊..➓ → 1..10 (NFKC leaves them alone).
_DINGBAT_DIGITS = {
    start + i: str(i + 1) for start in (0x2776, 0x2780, 0x278A) for i in range(10)
}

# WeChat / QQ emoticon codes as they appear in copied chat text.
_WECHAT_CODES = (
    "微笑 撇嘴 色 发呆 得意 流泪 害羞 闭嘴 睡 大哭 尴尬 发怒 调皮 呲牙 惊讶 难过 酷 冷汗 抓狂 吐 "
    "偷笑 可爱 愉快 白眼 傲慢 饥饿 困 惊恐 流汗 憨笑 大兵 悠闲 奋斗 咒骂 疑问 嘘 晕 折磨 衰 骷髅 "
    "敲打 再见 擦汗 抠鼻 鼓掌 糗大了 坏笑 左哼哼 右哼哼 哈欠 鄙视 委屈 快哭了 阴险 亲亲 吓 可怜 "
    "笑脸 生病 脸红 破涕为笑 恐惧 失望 无语 嘿哈 捂脸 奸笑 机智 皱眉 耶 吃瓜 加油 汗 天啊 emm "
    "社会社会 旺柴 好的 打脸 哇 翻白眼 666 让我看看 叹气 苦涩 裂开 嘴唇 爱心 心碎 拥抱 强 弱 握手 "
    "胜利 抱拳 勾引 拳头 ok 合十 啤酒 咖啡 蛋糕 玫瑰 凋谢 菜刀 炸弹 便便 月亮 太阳 庆祝 礼物 红包 "
    "發 福 烟花 爆竹 猪头 跳跳 发抖 转圈 憔悴 哭笑 doge 二哈 允悲 笑cry 泪 怒 鄙视 "
).split()
_WECHAT_RE = re.compile(
    r"\[(?:" + "|".join(sorted(map(re.escape, set(_WECHAT_CODES)), key=len, reverse=True)) + r")\]",
    re.IGNORECASE,
)

_WS_RE = re.compile(r"\s+")

# Sentence punctuation after normalisation (a space between two ideographs is a typed pause).
_PUNCT_RE = re.compile(f"[,。!?;:、…~]|(?<=[{_CJK}])\\s+(?=[{_CJK}])")
VOICE_MIN_CJK = 25


# --- 繁體 → 简体 -----------------------------------------------------------------------------

# OpenCC is pure Python and slow (~3 µs per character) and its phrase matcher is worse than
# linear on long runs without punctuation. The converter therefore maps single characters with
# ``str.translate`` (built from OpenCC's own TSCharacters table, first candidate as OpenCC
# does) and only runs OpenCC on small windows around the TSPhrases entries whose conversion
# differs from the character-by-character one (乾隆, 答覆, 瞭解, ...).
_PHRASE_PAD = 13  # longest TSPhrases key is 14 characters
_WINDOW_MAX = 256


@dataclass(frozen=True)
class _Converter:
    opencc: Any
    table: dict[int, str] | None  # None: dictionaries unreadable, fall back to plain OpenCC
    phrase_re: re.Pattern[str] | None


_converter: _Converter | None = None
_converter_lock = threading.Lock()


def _read_opencc_dict(path: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                continue
            key, value = line.split("\t")
            mapping[key] = value.split(" ")[0]
    return mapping


def _load_converter() -> _Converter:
    import opencc
    from opencc import OpenCC

    cc = OpenCC("t2s")
    folder = os.path.join(os.path.dirname(opencc.__file__), "dictionary")
    try:
        chars = _read_opencc_dict(os.path.join(folder, "TSCharacters.txt"))
        phrases = _read_opencc_dict(os.path.join(folder, "TSPhrases.txt"))
    except (OSError, ValueError):
        return _Converter(cc, None, None)
    if any(len(k) != 1 for k in chars):
        return _Converter(cc, None, None)
    table = {ord(k): v for k, v in chars.items() if k != v}
    special = sorted((k for k, v in phrases.items() if k.translate(table) != v), key=len)
    phrase_re = (
        re.compile("|".join(re.escape(k) for k in reversed(special))) if special else None
    )
    return _Converter(cc, table, phrase_re)


def _get_converter() -> _Converter:
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                _converter = _load_converter()
    return _converter


def to_simplified(text: str) -> str:
    """繁體 → 简体 (OpenCC ``t2s``); everything else is left untouched.

    The result has the same length as the input with OpenCC's data (every mapping is one
    character to one character), so offsets found in the result are valid in the input.
    """
    _check_str(text)
    if not text or text.isascii():
        return text
    conv = _get_converter()
    if conv.table is None:
        return "".join(
            conv.opencc.convert(text[i : i + _WINDOW_MAX])
            for i in range(0, len(text), _WINDOW_MAX)
        )
    out = text.translate(conv.table)
    if conv.phrase_re is None:
        return out
    # Merge padded windows around the special phrases; OpenCC converts only those windows.
    windows: list[tuple[int, int]] = []
    n = len(text)
    for m in conv.phrase_re.finditer(text):
        start, end = max(0, m.start() - _PHRASE_PAD), min(n, m.end() + _PHRASE_PAD)
        if windows and start <= windows[-1][1]:
            w_start, w_end = windows[-1]
            if end - w_start <= _WINDOW_MAX:
                windows[-1] = (w_start, end)
                continue
            start = w_end
        windows.append((start, end))
    if not windows:
        return out
    parts: list[str] = []
    pos = 0
    for start, end in windows:
        parts.append(out[pos:start])
        parts.append(conv.opencc.convert(text[start:end]))
        pos = end
    parts.append(out[pos:])
    return "".join(parts)


# --- normalisation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Normalized:
    """Result of :func:`normalize_with_info`."""

    text: str
    had_emoji: bool
    was_traditional: bool
    no_punctuation: bool  # voice-like: >= 25 ideographs and no sentence punctuation


def _check_str(text: object) -> None:
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")


def normalize_with_info(text: str) -> Normalized:
    """Normalise ``text`` for matching and report what was found on the way."""
    _check_str(text)
    had_emoji = was_traditional = False
    if text.isascii():
        s = _ASCII_INVISIBLE_RE.sub("", text)
    else:
        s, n_emoji = _EMOJI_RE.subn(" ", text)
        s = _INVISIBLE_RE.sub("", s).translate(_DINGBAT_DIGITS)
        s = unicodedata.normalize("NFKC", s)
        simplified = to_simplified(s)
        was_traditional = simplified != s
        s, n_codes = _WECHAT_RE.subn(" ", simplified)
        had_emoji = bool(n_emoji or n_codes)
    s = _WS_RE.sub(" ", s).strip().lower()
    no_punctuation = (
        len(s) >= VOICE_MIN_CJK
        and _PUNCT_RE.search(s) is None
        and len(_NON_CJK_RE.sub("", s)) >= VOICE_MIN_CJK
    )
    return Normalized(s, had_emoji, was_traditional, no_punctuation)


def normalize(text: str) -> str:
    """The canonical matching form of ``text`` (see the module docstring)."""
    return normalize_with_info(text).text


# --- clauses -------------------------------------------------------------------------------

# Hard boundaries: sentence punctuation and line breaks, commas and full stops except inside
# numbers (1,000 / 2026.3.2), and whitespace between two ideographs (a typed or spoken pause).
_CLAUSE_SPLIT_RE = re.compile(
    "[。｡！？!?；;…\n\r\u2028\u2029]+"
    "|[，﹐︐]+"
    "|(?:(?<!\\d),|,(?!\\d))+"
    "|(?:(?<!\\d)[.．]|[.．](?!\\d))+"
    f"|(?<=[{_CJK}])\\s+(?=[{_CJK}])"
    # list numbers: 1、 2) (3) ① also inside a run (房子被拆2、工资没发); "1." only after a break
    "|\\s*(?:(?<![\\d.第])\\d{1,2}[、)）](?![\\d.．])|[(（]\\d{1,2}[)）]|[①-⑳❶-➓])"
    "|(?:^|(?<=[\\s。！？!?；;，,:：]))\\s*\\d{1,2}[.．](?![\\d.．])"
    "|(?:^|(?<=[\\s。！？!?；;，,:：]))[一二三四五六七八九十]{1,2}、"
)
_CLAUSE_STRIP = " \t\u3000,，、:：-—~～"

# Discourse markers that, in unpunctuated text, usually start the next complaint point. 还有
# is not a marker after a pronoun or adverb (我还有三个孩子), 第二 only before 个/点/件/是...
_MARKER_RE = re.compile(
    "还有就是|再有就是|再就是|再一个|除此之外|除此以外|另一方面|另外|然后|而且|并且|以及|此外|其次"
    "|(?<![我你他她它们也都就又还没只要])还有"
    "|第[二三四五六七八九十](?=个|点|件|条问题|方面|就是|是)"
    "|(?<![\\d〇零一二两三四五六七八九十第])[二三四五六](?=是)"
)
_LIST_NUMBER_RE = re.compile(r"[(\[（【]?\d{1,2}[)\]）】]?$")  # "1." / "(2)" left by a cut
MARKER_MIN_CJK = 16  # only clauses at least this long are cut on discourse markers
_MARKER_SIDE_MIN = 4  # each side of a cut keeps at least this many ideographs


def _cjk_count(s: str) -> int:
    return len(_NON_CJK_RE.sub("", s))


def _split_on_markers(clause: str) -> list[str]:
    total = _cjk_count(clause)
    if total < MARKER_MIN_CJK:
        return [clause]
    parts: list[str] = []
    last = last_cjk = 0  # start of the current clause, ideographs before it
    seen_pos = seen_cjk = 0  # ideographs in clause[:seen_pos], counted incrementally

    def cjk_before(pos: int) -> int:
        nonlocal seen_pos, seen_cjk
        seen_cjk += _cjk_count(clause[seen_pos:pos])
        seen_pos = pos
        return seen_cjk

    for m in _MARKER_RE.finditer(clause):
        cut = m.start()
        before_cut = cjk_before(cut)
        after_marker = total - cjk_before(m.end())
        if before_cut - last_cjk >= _MARKER_SIDE_MIN and after_marker >= _MARKER_SIDE_MIN:
            parts.append(clause[last:cut])
            last, last_cjk = cut, before_cut
    parts.append(clause[last:])
    return parts


def split_clauses(text: str) -> list[str]:
    """Split a message into clauses, so that separate problems can be seen separately.

    Cuts on sentence punctuation, commas, line breaks and pauses (a space between ideographs);
    clauses of at least ``MARKER_MIN_CJK`` ideographs (typically unpunctuated voice text) are
    also cut before discourse markers (然后, 还有, 另外, 而且, 再就是, 第二个, 以及, 并且 ...),
    the marker staying at the start of the new clause. List numbers (``1、`` ``2.`` ``(3)`` ``①``
    ``一、``) are cut away; enumerations (房子、土地) and numbers (1,000 / 2026.3.2) are never
    cut. Works on raw or normalised text; returns the stripped, non-empty clauses in order, each
    a substring of ``text``.
    """
    _check_str(text)
    clauses: list[str] = []
    for piece in _CLAUSE_SPLIT_RE.split(text):
        piece = piece.strip(_CLAUSE_STRIP)
        if not piece:
            continue
        for part in _split_on_markers(piece):
            part = part.strip(_CLAUSE_STRIP)
            if part and not _LIST_NUMBER_RE.match(part):
                clauses.append(part)
    return clauses


# --- personal data masking -----------------------------------------------------------------

MASK = "＊＊＊"

# Detection runs on a same-length ASCII fold (full-width digits, X, brackets, hyphen, space).
_PII_FOLD = {0xFF10 + i: str(i) for i in range(10)}
_PII_FOLD.update(
    {0xFF38: "X", 0xFF58: "x", 0xFF08: "(", 0xFF09: ")", 0xFF0D: "-", 0x3000: " ", 0xFF0B: "+"}
)

_AMOUNT_AFTER = r"(?!\s*(?:元|块|圆|万|亿|千|百|美元|人民币|rmb|RMB))"
_PII_RE = re.compile(
    r"(?<![\d¥$￥.])(?:"
    # 18-digit ID card, optionally grouped 6-8-4 (checksum X allowed)
    r"\d{6}[ -]?\d{8}[ -]?\d{3}[\dXx]"
    # bank card grouped by four: 16-19 digits
    r"|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?"
    # any other run of 15-19 digits: 15-digit old ID card, bank card
    r"|\d{15,19}"
    # mainland mobile, optional +86 / 0086 / 86 prefix, optionally grouped 3-4-4
    r"|(?:(?:\+|00)?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}"
    # landline with area code: 010 / 02x / 0xxx, local number 7-8 digits not starting 0/1
    r"|(?:\(0(?:10|2\d|[3-9]\d{2})\)|0(?:10|2\d|[3-9]\d{2}))[ -]?[2-9]\d{6,7}"
    r")(?![\dXx])(?![.,]\d)" + _AMOUNT_AFTER
)
_DIGIT_OR_X = re.compile(r"[\dXx]")


def mask_personal(text: str) -> str:
    """Mask ID-card, mobile, landline and bank-card numbers, keeping their last four digits.

    ``身份证11010519491231002X`` → ``身份证＊＊＊002X``, ``电话138 1234 5678`` →
    ``电话＊＊＊5678``. Dates (``20261126``, ``2026-11-26``), amounts (``13800000000元``) and
    other short numbers are left alone. Full-width digits are recognised too.
    """
    _check_str(text)
    if not text:
        return text
    folded = text.translate(_PII_FOLD)
    parts: list[str] = []
    pos = 0
    for m in _PII_RE.finditer(folded):
        digits = _DIGIT_OR_X.findall(m.group())
        parts.append(text[pos : m.start()])
        parts.append(MASK + "".join(digits[-4:]))
        pos = m.end()
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)
