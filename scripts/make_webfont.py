"""Build bot/channels/webchat/xinfang-sans.woff2: the web chat page's bundled Chinese font.

The page lists the usual system CJK fonts first; this subset of Noto Sans CJK SC (SIL Open Font
License 1.1) is the last resort, so Chinese renders on a machine without any CJK font. It holds
every character of knowledge/ (everything the bot itself says), the most frequent characters of
jieba's dictionary (what citizens write), the traditional forms of the most frequent ones (some
citizens write traditional characters; OpenCC's table), ASCII and the CJK/full-width punctuation.

Not part of the build: the result is committed. To rebuild (Debian's fonts-noto-cjk, fonttools
and brotli in any Python; jieba from the project's venv for its dictionary):

    apt-get install fonts-noto-cjk
    python -m venv /tmp/fontvenv && /tmp/fontvenv/bin/pip install fonttools brotli
    /tmp/fontvenv/bin/python scripts/make_webfont.py \\
        --site-packages .venv/lib/python3.10/site-packages
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from fontTools import subset  # type: ignore[import-not-found]
from fontTools.ttLib import TTCollection  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
OUT = ROOT / "bot" / "channels" / "webchat" / "xinfang-sans.woff2"
SC_FACE = "Noto Sans CJK SC"
EXTRA_RANGES = [(0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2100, 0x214F),
                (0x2190, 0x21FF), (0x2460, 0x24FF), (0x25A0, 0x25FF), (0x3000, 0x303F),
                (0xFF00, 0xFFEF)]


def _is_han(char: str) -> bool:
    return 0x3400 <= ord(char) <= 0x9FFF


def characters(site_packages: Path, top: int, top_traditional: int) -> set[str]:
    """knowledge/ characters, frequent Han characters and their traditional forms, punctuation."""
    chars = {c for path in (ROOT / "knowledge").rglob("*.yaml")
             for c in path.read_text("utf-8") if _is_han(c)}
    weights: collections.Counter[str] = collections.Counter()
    for line in (site_packages / "jieba" / "dict.txt").read_text("utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            for char in parts[0]:
                if _is_han(char):
                    weights[char] += int(parts[1])
    chars.update(c for c, _ in weights.most_common(top))
    to_traditional = {}
    for line in (site_packages / "opencc" / "dictionary" / "STCharacters.txt").read_text(
            "utf-8").splitlines():
        key, _, values = line.partition("\t")
        to_traditional[key] = values.split()
    for char, _ in weights.most_common(top_traditional):
        chars.update(to_traditional.get(char, []))
    for low, high in EXTRA_RANGES:
        chars.update(chr(code) for code in range(low, high + 1))
    return chars


def main() -> None:
    """Write the subset font."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-packages", type=Path, required=True,
                        help="the project venv's site-packages (jieba and opencc dictionaries)")
    parser.add_argument("--top", type=int, default=4500, help="frequent Han characters to keep")
    parser.add_argument("--top-traditional", type=int, default=2500,
                        help="how many of the most frequent ones also get their traditional forms")
    parser.add_argument("--source", type=Path, default=SOURCE)
    args = parser.parse_args()
    chars = characters(args.site_packages, args.top, args.top_traditional)
    collection = TTCollection(str(args.source))
    font = next(f for f in collection.fonts if SC_FACE in str(f["name"].getDebugName(1)))
    options = subset.Options()
    options.flavor = "woff2"
    # fontTools' default layout features (kerning, ligatures, punctuation widths …), no
    # hinting: browsers render CJK outlines well unhinted, and the file stays under 2 MB
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.flavor = "woff2"
    font.save(str(OUT))
    han = sum(1 for c in chars if _is_han(c))
    print(f"{OUT.relative_to(ROOT)}: {han} Han characters, {OUT.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
