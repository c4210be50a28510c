"""Article references in a staff member's free-text answer, resolved against the knowledge base.

Forms understood (by :mod:`bot.knowledge.citations`, plus the context rules here):
``第三十一条``, ``31条``, ``第31条第四项``, ``31条4项``, ``条例31(四)``,
``第三十一条第二项、第四项``, ``《信访工作条例》第三十一条第（四）项``,
``《中华人民共和国劳动争议调解仲裁法》第二十七条``, ``行政复议法第20条``.

A bare ``第X条`` belongs to the law named just before it (within ``context_chars`` characters
of the same sentence, e.g. ``依照劳动争议调解仲裁法的规定，第二十七条`` or ``劳仲法第27条、第28条``)
or referred to by 该法/本法; else to the default law (信访工作条例) — unless that law has no
such article and a law named earlier in the text has it. A law name that is only the tail of a
longer, unknown title (``《职工带薪年休假条例》第三条``) is not taken for the known law: such a
reference is reported as one that cannot be checked.

:class:`KnowledgeView` gives the grader what it needs from the knowledge base — law names and
aliases, the channel catalogue, and whether an article exists in the current text — either from
the built database (:meth:`KnowledgeView.from_kb`) or straight from the validated YAML
(:meth:`KnowledgeView.from_data`, used while building, before the database is written).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.knowledge.api import KnowledgeBase, KnowledgeError
from bot.knowledge.citations import Citation, CitationParser, iter_reference_strings
from bot.knowledge.loader import KnowledgeData, current_text_version, resolve_problem
from bot.knowledge.numerals import CHINESE_NUMERAL_CHARS, cn_to_int, int_to_cn

OK, INVENTED, OUTDATED = "ok", "invented", "outdated"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_N = rf"[0-9０-９{CHINESE_NUMERAL_CHARS}]+"
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_BARE_ITEM_RE = re.compile(rf"\s*(?P<n>{_N})\s*[项項]")
_MORE_ITEM_RE = re.compile(rf"\s*[、和及与或]\s*(?:第\s*)?[（(]?\s*(?P<n>{_N})\s*[）)]?\s*[项項]")
_SENTENCE_BREAK_RE = re.compile(r"[。；;！!？?\n]")
_PRC = "中华人民共和国"


@dataclass(frozen=True)
class Lookup:
    """Whether a citation exists in the current text of its law."""

    status: str  # OK / INVENTED / OUTDATED (we hold only a superseded text of that law)
    message: str = ""


class KnowledgeView:
    """Law names, the channel catalogue and article existence, for grading."""

    def __init__(self, aliases: Mapping[str, str], law_names: Mapping[str, str],
                 channels: Iterable[Mapping[str, Any]],
                 lookup: Callable[[Citation], Lookup], hotlines: Iterable[str] = ()) -> None:
        """Prefer :meth:`from_kb` or :meth:`from_data`."""
        self.aliases = dict(aliases)
        self.hotlines = frozenset(hotlines)
        self.law_names = dict(law_names)
        self.channels = {c["code"]: dict(c) for c in channels}
        self._lookup = lookup
        self._cache: dict[Citation, Lookup] = {}
        self.parser = CitationParser(self.aliases)
        # every reference in a channel's entry, and those that ground the channel itself (the
        # grounds of its next_if_fails steps belong to the next route)
        self.channel_refs = {code: self._refs_of(data) for code, data in self.channels.items()}
        self.channel_own_refs = {
            code: self._refs_of({k: v for k, v in data.items() if k != "next_if_fails"})
            for code, data in self.channels.items()}

    @classmethod
    def from_kb(cls, kb: KnowledgeBase) -> KnowledgeView:
        """A view of the built knowledge database."""
        def lookup(citation: Citation) -> Lookup:
            try:
                quote = kb.quote(citation)
            except KnowledgeError as exc:
                return Lookup(INVENTED, str(exc))
            if not quote.in_force:
                return Lookup(OUTDATED, quote.superseded_note or "")
            return Lookup(OK)

        return cls(kb.citations.aliases, {law.id: law.name for law in kb.laws()},
                   (c.data for c in kb.channels()), lookup, kb.hotlines())

    @classmethod
    def from_data(cls, data: KnowledgeData) -> KnowledgeView:
        """A view of validated YAML (:func:`bot.knowledge.loader.load_knowledge`)."""
        laws = {law.id: law for law in data.laws}

        def lookup(citation: Citation) -> Lookup:
            law = laws.get(citation.law or "")
            if law is None:
                return Lookup(INVENTED, f"未收录法律 {citation.law}")
            version = current_text_version(law)
            if version is not None and not version.in_force:
                # we hold only a superseded text: does the article exist at least there?
                problem = resolve_problem([_with_force(law, version)], citation)
                return Lookup(INVENTED, problem) if problem else Lookup(
                    OUTDATED, f"{law.name}的收录文本（{version.label}）已失效")
            problem = resolve_problem(data.laws, citation)
            return Lookup(INVENTED, problem) if problem else Lookup(OK)

        return cls(data.alias_map(), {law.id: law.name for law in data.laws}, data.channels,
                   lookup, (h["number"] for h in data.hotlines))

    def lookup(self, citation: Citation) -> Lookup:
        """Whether ``citation`` exists in the current text of its law (cached)."""
        found = self._cache.get(citation)
        if found is None:
            found = self._cache[citation] = self._lookup(citation)
        return found

    def checked(self, ref: str) -> Citation:
        """A reference of the practice data that must cite the current text of its law;
        ValueError with the reason (unparsable, not found, superseded) otherwise."""
        citation = self.parser.parse(ref)
        found = self.lookup(citation)
        if found.status == OUTDATED:
            raise ValueError(f"{ref}：{found.message}，不应引用条号")
        if found.status != OK:
            raise ValueError(f"{ref}：{found.message or '引用的文本不是现行有效的'}")
        return citation

    def label(self, citation: Citation) -> str:
        """《信访工作条例》第三十一条第二项."""
        name = self.law_names.get(citation.law or "", citation.law or "")
        return f"《{name}》{citation.label()}"

    def channel_name(self, code: str) -> str:
        """The catalogue name of a channel (its code when unknown)."""
        return str(self.channels.get(code, {}).get("name", code))

    def _refs_of(self, channel: Mapping[str, Any]) -> tuple[Citation, ...]:
        refs = []
        for ref in iter_reference_strings(dict(channel)):
            try:
                refs.append(self.parser.parse(ref))
            except ValueError:
                continue  # the knowledge build refuses these; nothing to learn here
        return tuple(dict.fromkeys(refs))


def _with_force(law: Any, version: Any) -> Any:
    """A copy of ``law`` whose held text counts as in force (to test an article's existence)."""
    from dataclasses import replace

    return replace(law, versions=[replace(version, in_force=True)])


@dataclass(frozen=True)
class FoundRef:
    """A reference found in an answer."""

    start: int
    end: int
    surface: str  # as written
    citation: Citation | None  # None: the law is one we do not hold (``unknown_law``)
    unknown_law: str | None = None
    law_named: bool = True  # False: the law (or the article) is not written at this place


class ReferenceFinder:
    """Finds and resolves article references in free text (see the module docstring)."""

    def __init__(self, view: KnowledgeView, default_law: str, lead_ins: Iterable[str],
                 context_chars: int, same_law: Iterable[str] = ()) -> None:
        """``default_law``: a name or alias; ``lead_ins``: words that may precede a law name;
        ``same_law``: words that refer back to the law named last (该法, 本法)."""
        if default_law not in view.aliases:
            raise ValueError(f"未知法律 {default_law}")
        self.view = view
        self.default_law = view.aliases[default_law]
        self.lead_ins = tuple(sorted({w for w in lead_ins if w}, key=len, reverse=True))
        self.context_chars = context_chars
        self.same_law = tuple(w for w in same_law if w)
        names = sorted(view.aliases, key=len, reverse=True)
        self._law_re = re.compile(rf"(?:{_PRC})?(?:{'|'.join(re.escape(n) for n in names)})")

    def find(self, text: str) -> list[FoundRef]:
        """Every reference in ``text``, in order, each resolved to a law (or an unknown one)."""
        anchors: list[tuple[int, str | None, str | None]] = []  # (end, law id, unknown title)
        for m in self._law_re.finditer(text):
            title = self._unknown_title(text, m.start(), m.end())
            law = None if title else self.view.aliases[m.group().removeprefix(_PRC)]
            anchors.append((m.end(), law, title))
        found: list[FoundRef] = []
        for span in self.view.parser.spans(text):
            cite = span.citation
            surface_end = span.end
            if cite.law is not None:
                name_start = span.law_start if span.law_start is not None else span.start
                name = self._law_re.match(text, name_start)
                name_end = name.end() if name else name_start
                if text.startswith(_PRC, name_start - len(_PRC)):
                    name_start -= len(_PRC)
                title = self._unknown_title(text, name_start, name_end)
                if title:
                    ref = FoundRef(span.start, span.end, text[span.start:span.end], None, title)
                    found.append(ref)
                    anchors.append((span.end, None, title))
                    continue
                law, named = cite.law, True
            else:
                law, title = self._context_law(text, span.start, anchors, cite)
                named = False
                if title:
                    found.append(FoundRef(span.start, span.end, text[span.start:span.end], None,
                                          title, law_named=False))
                    continue
            item = cite.item
            extra = _BARE_ITEM_RE.match(text, surface_end) if item is None else None
            if extra:
                item = _int(extra.group("n"))
                surface_end = extra.end()
            base = Citation(law, cite.article, cite.paragraph, item)
            found.append(FoundRef(span.start, surface_end, text[span.start:surface_end], base,
                                  law_named=named))
            pos = surface_end
            while (more := _MORE_ITEM_RE.match(text, pos)) is not None:
                surface = text[more.start():more.end()].lstrip(" 、和及与或")
                found.append(FoundRef(more.start(), more.end(), surface,
                                      Citation(law, cite.article, cite.paragraph,
                                               _int(more.group("n"))), law_named=False))
                pos = more.end()
            anchors.append((pos, law, None))
        return found

    def _unknown_title(self, text: str, start: int, end: int) -> str | None:
        """The longer title a law name at ``text[start:end]`` is only the tail of, if any."""
        before = text[start - 1] if start > 0 else ""
        if before == "《":
            close = text.find("》", end)
            title = text[start:close] if close != -1 and close - start <= 40 else ""
            if title and title.removeprefix(_PRC) not in self.view.aliases:
                return title
            return None
        if not before or not re.match(f"[{_CJK}]", before):
            return None
        run_start = start
        while run_start > 0 and re.match(f"[{_CJK}]", text[run_start - 1]):
            run_start -= 1
        run = text[run_start:start]
        if any(run.endswith(w) for w in self.lead_ins):
            return None
        return (run + text[start:end])[-14:]

    def _context_law(self, text: str, start: int,
                     anchors: list[tuple[int, str | None, str | None]],
                     cite: Citation) -> tuple[str, str | None]:
        """The law of a bare 第X条 at ``start``: the one named just before it (or by 该法), else
        the default law — unless the default law has no such article and a law named earlier
        in the text has it (``……《民事诉讼法》第二百一十条……；依照第二百一十六条``)."""
        before = sorted((a for a in anchors if a[0] <= start), key=lambda a: a[0])
        if before:
            end, law, title = before[-1]
            gap = text[end:start]
            near = len(gap) <= self.context_chars and not _SENTENCE_BREAK_RE.search(gap)
            if near or any(gap.rstrip().endswith(w) for w in self.same_law):
                return (law or self.default_law), title
        default = Citation(self.default_law, cite.article, cite.paragraph, cite.item)
        if self.view.lookup(default).status == INVENTED:
            for _, law, _ in reversed(before):
                if law and law != self.default_law and self.view.lookup(
                        Citation(law, cite.article, cite.paragraph, cite.item)).status != INVENTED:
                    return law, None
        return self.default_law, None


def _int(value: str) -> int:
    return cn_to_int(value.translate(_FULLWIDTH))


def covers(cited: Citation, ref: Citation) -> bool:
    """Whether ``cited`` points at ``ref``: same law and article, and no 款 or 项 that differs
    (a citation of the whole article covers each of its 款 and 项)."""
    if (cited.law, cited.article) != (ref.law, ref.article):
        return False
    if cited.paragraph and ref.paragraph and cited.paragraph != ref.paragraph:
        return False
    return not (cited.item and ref.item and cited.item != ref.item)


def finer_than(ref: Citation, cited: Citation) -> str:
    """What ``ref`` names beyond ``cited`` (第二项, 第一款…), or "" when nothing."""
    parts = []
    if ref.paragraph and not cited.paragraph:
        parts.append(f"第{int_to_cn(ref.paragraph)}款")
    if ref.item and not cited.item:
        parts.append(f"第{int_to_cn(ref.item)}项")
    return "".join(parts)
