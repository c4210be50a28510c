"""Grade a staff member's answer to a practice case: a score out of 100 with itemised feedback.

The items, their weights and every recognised phrase are in knowledge/practice/grading.yaml
(its header explains each item). Grading is deterministic and pure: text in, :class:`Grade`
out; nothing is stored here (see :mod:`bot.practice.attempts`).

Choices worth knowing:

- a channel, body or 告知 phrase counts only where it is not negated or rejected in its clause
  (``这不是行政复议的事``, ``不属于劳动仲裁`` name nothing); the longest phrase wins, and law
  titles name no channel (``行政复议法`` is not ``行政复议``);
- an article cited at article level earns the point for a required 款 or 项 of it (with a note
  that it could be named); a different 项 of the same article does not;
- an article that does not exist in the current text costs ``invented_article_penalty``; one
  that grounds another channel only (复议法第二十条 in a labour case, 条例第三十一条第四项 where
  第二项 is required) costs ``wrong_article_penalty``; an existing article that is merely not
  required is mentioned without deduction; a law we do not hold is mentioned, never penalised;
- when the channel is wrong, the 告知 element "route" is not earned (a wrong route was told),
  and a case without a time limit does not give the time-limit points for free.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.knowledge.citations import Citation
from bot.practice.cases import Case, PracticeError
from bot.practice.phrases import Hit, PhraseSet, claim, match_form
from bot.practice.refs import (
    INVENTED,
    OUTDATED,
    FoundRef,
    KnowledgeView,
    ReferenceFinder,
    covers,
    finer_than,
)
from bot.practice.rules import ITEMS, GradingRules

MAX_GRADED_CHARS = 3000  # longer answers are graded on their first 3000 characters

RIGHT, PARTIAL, MISSING, WRONG = "right", "partial", "missing", "wrong"
CONTENT_ITEMS = ("channel", "body", "time_limit", "articles", "notice")
UNEARNED_WITHOUT_CONTENT = ("no_wrong_article", "wording", "no_promise")
_MARKS = {RIGHT: "✓", PARTIAL: "△", MISSING: "✗", WRONG: "✗"}


@dataclass(frozen=True)
class GradeItem:
    """One graded item: points out of its weight, a verdict and Chinese feedback."""

    key: str  # channel, body, time_limit, articles, no_wrong_article, notice, wording, no_promise
    label: str  # 渠道判断 …
    points: int
    max_points: int
    verdict: str  # right / partial / missing / wrong
    text: str  # what was right, what is missing, what is wrong

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {"key": self.key, "label": self.label, "points": self.points,
                "max": self.max_points, "verdict": self.verdict, "text": self.text}


@dataclass(frozen=True)
class Grade:
    """The result of grading one answer."""

    case_id: str
    channel: str
    score: int  # 0..100
    items: tuple[GradeItem, ...]
    model_answer: str
    score_line: str  # 得分：85/100
    model_line: str  # 标准答复：……

    @property
    def missed(self) -> list[str]:
        """Keys of the items that did not get full marks."""
        return [i.key for i in self.items if i.points < i.max_points]

    @property
    def lost(self) -> dict[str, int]:
        """Points lost per item (only items that lost some)."""
        return {i.key: i.max_points - i.points for i in self.items if i.points < i.max_points}

    def item(self, key: str) -> GradeItem:
        """The item with that key."""
        return next(i for i in self.items if i.key == key)

    def feedback_lines(self) -> list[str]:
        """One line per item: ``✓ 渠道判断 25/25：渠道正确：……``."""
        return [f"{_MARKS[i.verdict]} {i.label} {i.points}/{i.max_points}：{i.text}"
                for i in self.items]

    def render(self, with_model_answer: bool = True) -> str:
        """Plain text for the CLI and the chat: score, the items, then the model answer."""
        parts = [self.score_line, *self.feedback_lines()]
        if with_model_answer:
            parts.append(self.model_line)
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form: ``score``, ``items`` and the model answer."""
        return {"case_id": self.case_id, "channel": self.channel, "score": self.score,
                "items": [i.to_dict() for i in self.items], "missed": self.missed,
                "model_answer": self.model_answer}


@dataclass(frozen=True)
class ChannelMentions:
    """The channels a text names, and those it names only to reject them."""

    positive: tuple[str, ...]  # channel codes named (not negated), in order of first mention
    negated: tuple[str, ...]
    definite: tuple[str, ...] = ()  # positive ones named by a phrase of that channel alone


class Grader:
    """Grades answers with the rules of grading.yaml against a knowledge base view."""

    def __init__(self, rules: GradingRules, view: KnowledgeView) -> None:
        """Compile the channel phrases (with law titles as neutral words) once."""
        self.rules = rules
        self.view = view
        self.finder = ReferenceFinder(view, rules.default_law, rules.lead_ins,
                                      rules.context_chars, rules.same_law)
        self._channels_of: dict[str, set[str]] = {}
        for code, phrases in rules.channel_phrases.items():
            for phrase in phrases:
                self._channels_of.setdefault(phrase, set()).add(code)
        neutral = [*rules.neutral, *view.aliases]
        for phrase in neutral:
            self._channels_of.setdefault(phrase, set())
        self._channel_set = PhraseSet(self._channels_of, rules.gap_chars)
        self._case_sets: dict[tuple[str, ...], PhraseSet] = {}

    # ---- public ---------------------------------------------------------------------------
    def grade(self, case: Case, answer: str) -> Grade:
        """Grade ``answer`` to ``case``; :class:`PracticeError` when the answer is empty."""
        if isinstance(answer, bytes | bytearray):
            answer = bytes(answer).decode("utf-8", errors="replace")
        if not isinstance(answer, str):
            raise TypeError(f"answer must be str, got {type(answer).__name__}")
        text = "".join(ch for ch in answer[:MAX_GRADED_CHARS]
                       if ch in "\n\t" or ch.isprintable())
        form = match_form(text)
        if not form:
            raise PracticeError("答复是空的：请写出您会对群众说的话。")
        mentions = self.channel_mentions(form)
        channel = self._channel(case, mentions)
        channel_ok = channel.verdict in (RIGHT, PARTIAL)
        items = {
            "channel": channel,
            "body": self._body(case, form),
            "time_limit": self._time_limit(case, form, channel_ok),
        }
        items["articles"], items["no_wrong_article"] = self._articles(case, text)
        items["notice"] = self._notice(case, form, channel_ok)
        items["wording"] = self._wording(form)
        items["no_promise"] = self._promise(form)
        if not any(items[key].points for key in CONTENT_ITEMS):
            # nothing of substance (no route, body, limit, article or 告知): the items that
            # reward what an answer does not do wrong, and its wording, earn nothing either
            for key in UNEARNED_WITHOUT_CONTENT:
                if items[key].points:
                    items[key] = self._item(key, 0, MISSING,
                                            self.rules.say("summary", "no_content"))
        ordered = tuple(items[key] for key in ITEMS)
        score = sum(i.points for i in ordered)
        return Grade(case.id, case.channel, score, ordered, case.standard_answer,
                     self.rules.say("summary", "score", score=score),
                     self.rules.say("summary", "model_answer", answer=case.standard_answer))

    def channel_mentions(self, form: str) -> ChannelMentions:
        """The channels a matching-form text names, and those it names only to reject them."""
        hits = [(h, self._channels_of[h.phrase]) for h in self._channel_set.hits(form)]
        positive: list[str] = []
        negated: list[str] = []
        definite: list[str] = []
        for hit, codes in claim(hits):
            if not codes:
                continue
            is_negated = self.rules.negation.is_negated(form, hit.start, hit.end)
            target = negated if is_negated else positive
            for code in sorted(codes):
                if code not in target:
                    target.append(code)
            if not is_negated and len(codes) == 1 and next(iter(codes)) not in definite:
                definite.append(next(iter(codes)))
        return ChannelMentions(tuple(positive), tuple(c for c in negated if c not in positive),
                               tuple(definite))

    def references(self, answer: str) -> list[FoundRef]:
        """The article references in an answer (see :mod:`bot.practice.refs`)."""
        return self.finder.find(answer)

    # ---- items ----------------------------------------------------------------------------
    def _item(self, key: str, points: int, verdict: str, text: str) -> GradeItem:
        return GradeItem(key, self.rules.labels[key], points, self.rules.weights[key], verdict,
                         text)

    def _share(self, key: str, part: float, whole: float) -> int:
        weight = self.rules.weights[key]
        return weight if part >= whole else int(weight * part / whole + 0.5)

    def _names(self, codes: Iterable[str]) -> str:
        return "和".join(self.view.channel_name(c) for c in codes)  # names may contain 、

    def _next_steps(self, codes: Iterable[str]) -> set[str]:
        steps = set()
        for code in codes:
            for step in self.view.channels.get(code, {}).get("next_if_fails") or []:
                if step.get("channel"):
                    steps.add(step["channel"])
        return steps

    def _channel(self, case: Case, mentions: ChannelMentions) -> GradeItem:
        say = self.rules.say
        right = self.view.channel_name(case.channel)
        if case.channel in mentions.positive:
            # a hedge (naming many other routes too, as if any would do) is not a decision;
            # a model answer may name one or two (the step already taken, a related body)
            allowed = {case.channel, *case.acceptable, *self._next_steps([case.channel])}
            hedged = [c for c in mentions.definite if c not in allowed]
            if len(hedged) >= self.rules.hedge_channels:
                points = int(self.rules.weights["channel"] * self.rules.acceptable_share + 0.5)
                return self._item("channel", points, PARTIAL,
                                  say("channel", "hedged", channel=right,
                                      others=self._names(hedged[:3])))
            text = say("channel", "right", channel=right)
            rejected = [c for c in mentions.negated if c not in case.acceptable]
            if rejected:
                text += say("channel", "rejected_note", rejected=self._names(rejected))
            return self._item("channel", self.rules.weights["channel"], RIGHT, text)
        accepted = [c for c in mentions.positive if c in case.acceptable]
        if accepted:
            points = int(self.rules.weights["channel"] * self.rules.acceptable_share + 0.5)
            return self._item("channel", points, PARTIAL,
                              say("channel", "acceptable", named=self._names(accepted[:2]),
                                  channel=right))
        if case.channel in mentions.negated:
            return self._item("channel", 0, WRONG, say("channel", "rejected_right",
                                                       channel=right))
        if mentions.positive:
            return self._item("channel", 0, WRONG,
                              say("channel", "wrong", named=self._names(mentions.positive[:2]),
                                  channel=right))
        return self._item("channel", 0, MISSING, say("channel", "missing", channel=right))

    def _phrase_set(self, phrases: Sequence[str]) -> PhraseSet:
        key = tuple(phrases)
        found = self._case_sets.get(key)
        if found is None:
            found = self._case_sets[key] = PhraseSet(phrases, self.rules.gap_chars)
        return found

    def _positive(self, form: str, hits: Iterable[Hit]) -> list[str]:
        neg = self.rules.negation
        return list(dict.fromkeys(h.phrase for h in hits
                                  if not neg.is_negated(form, h.start, h.end)))

    def _body(self, case: Case, form: str) -> GradeItem:
        found = self._positive(form, self._phrase_set(case.body).hits(form))
        if found:
            return self._item("body", self.rules.weights["body"], RIGHT,
                              self.rules.say("body", "right", found=found[0]))
        return self._item("body", 0, MISSING,
                          self.rules.say("body", "missing", expected=case.body[0]))

    def _time_limit(self, case: Case, form: str, channel_ok: bool) -> GradeItem:
        say = self.rules.say
        if not channel_ok:  # a limit of the wrong route is no help to the citizen
            return self._item("time_limit", 0, MISSING, say("time_limit", "wrong_channel"))
        if not case.time_limit:
            return self._item("time_limit", self.rules.weights["time_limit"], RIGHT,
                              say("time_limit", "none_needed"))
        neg = self.rules.negation
        hits = [h for h in self._phrase_set(case.time_limit).hits(form)
                if (h.start == 0 or not form[h.start - 1].isdigit())
                and not neg.is_negated(form, h.start, h.end)]
        if hits:
            return self._item("time_limit", self.rules.weights["time_limit"], RIGHT,
                              say("time_limit", "right", found=hits[0].phrase))
        return self._item("time_limit", 0, MISSING,
                          say("time_limit", "missing", expected="或".join(case.time_limit[:2])))

    def _articles(self, case: Case, text: str) -> tuple[GradeItem, GradeItem]:
        say, view = self.rules.say, self.view
        required = list(case.citations)
        matched: dict[int, list[tuple[str, Citation]]] = {}  # required index → (cited, citation)
        art_notes: list[str] = []
        wrong_notes: list[str] = []
        extra_notes: list[str] = []
        invented = wrong = 0
        seen: set[Citation | str] = set()
        right_refs, other_refs = self._ref_sets(case)
        for ref in self.references(text):
            key: Citation | str = ref.citation if ref.citation else f"?{ref.unknown_law}"
            if key in seen:
                continue
            seen.add(key)
            cited = ref.surface.strip()
            if ref.citation is not None and not ref.law_named:
                cited = f"{cited}（{view.label(ref.citation)}）"
            if ref.citation is None:
                extra_notes.append(say("no_wrong_article", "unknown_note", cited=cited,
                                       law=ref.unknown_law))
                continue
            citation = ref.citation
            found = view.lookup(citation)
            if found.status == INVENTED:
                invented += 1
                wrong_notes.append(say("no_wrong_article", "invented", cited=cited,
                                       reason=found.message.rstrip("。")))
                continue
            if found.status == OUTDATED:
                extra_notes.append(say("no_wrong_article", "outdated_note", cited=cited,
                                       reason=found.message.rstrip("。")))
                continue
            hit = [i for i, r in enumerate(required) if covers(citation, r)]
            if hit:
                for i in hit:
                    matched.setdefault(i, []).append((cited, citation))
                continue
            same = [r for r in required if (r.law, r.article) == (citation.law,
                                                                   citation.article)]
            grounds_of = self._wrong_channels(citation, right_refs, other_refs)
            if grounds_of:
                wrong += 1
                wrong_notes.append(say("no_wrong_article", "wrong", cited=cited,
                                       channels=self._names(grounds_of[:2])))
            elif same:
                art_notes.append(say("articles", "other_part_note", cited=cited,
                                     ref=view.label(same[0])))
            else:
                extra_notes.append(say("no_wrong_article", "extra_note", cited=cited))
        # articles item; "could be more precise" once per citation, unless cited precisely too
        finer: dict[str, list[str]] = {}
        for i, cites in sorted(matched.items()):
            if all(finer_than(required[i], c) for _, c in cites):
                finer.setdefault(cites[0][0], []).append(view.label(required[i]))
        art_notes = [say("articles", "finer_note", cited=cited, ref="、".join(refs))
                     for cited, refs in finer.items()] + art_notes
        labels_found = [view.label(required[i]) for i in sorted(matched)]
        labels_missing = [view.label(r) for i, r in enumerate(required) if i not in matched]
        points = self._share("articles", len(matched), len(required))
        if not labels_missing:
            verdict, text_a = RIGHT, say("articles", "all", found="、".join(labels_found))
        elif labels_found:
            verdict, text_a = PARTIAL, say("articles", "partial", found="、".join(labels_found),
                                           missing="、".join(labels_missing))
        else:
            verdict, text_a = MISSING, say("articles", "missing",
                                           missing="、".join(labels_missing))
        articles = self._item("articles", points, verdict, text_a + "".join(art_notes))
        # no_wrong_article item
        weight = self.rules.weights["no_wrong_article"]
        lost = invented * self.rules.invented_penalty + wrong * self.rules.wrong_penalty
        points_w = max(0, weight - lost)
        if wrong_notes:
            verdict_w = WRONG if points_w == 0 else PARTIAL
            text_w = "".join(wrong_notes)
        else:
            verdict_w, text_w = RIGHT, say("no_wrong_article", "clean")
        no_wrong = self._item("no_wrong_article", points_w, verdict_w,
                              text_w + "".join(extra_notes))
        return articles, no_wrong

    def _ref_sets(self, case: Case) -> tuple[list[Citation], dict[str, tuple[Citation, ...]]]:
        """References that ground the right route, and those of every other channel."""
        own = {case.channel, *case.acceptable}
        own |= self._next_steps(own)
        right = list(case.citations)
        for code in own:
            right.extend(self.view.channel_refs.get(code, ()))
        others = {code: refs for code, refs in self.view.channel_own_refs.items()
                  if code not in own}
        return right, others

    def _wrong_channels(self, cited: Citation, right: list[Citation],
                        others: dict[str, tuple[Citation, ...]]) -> list[str]:
        """The other channels ``cited`` grounds, when it grounds none of the right route."""
        same_article = (cited.law, cited.article)
        if cited.item:
            # a named 项 (条例第三十一条第四项): wrong when it is another channel's 项
            fits = any((r.law, r.article) == same_article and r.item in (None, cited.item)
                       for r in right)
            codes = [code for code, refs in others.items()
                     if any((r.law, r.article) == same_article and r.item == cited.item
                            for r in refs)]
            if codes and not fits:
                return codes
        allowed = {(r.law, r.article) for r in right}
        allowed |= {(r.law, r.article) for r in self.rules.general_refs}
        if same_article in allowed:
            return []
        return [code for code, refs in others.items()
                if any((r.law, r.article) == same_article for r in refs)]

    def _notice(self, case: Case, form: str, channel_ok: bool) -> GradeItem:
        say = self.rules.say
        present, absent = [], []
        note = ""
        for element in case.notice:
            group = self.rules.notice[element]
            ok = bool(self._positive(form, group.phrases.hits(form)))
            if element == "route" and ok and not channel_ok:
                ok, note = False, say("notice", "route_wrong_note")
            (present if ok else absent).append(group.name)
        points = self._share("notice", len(present), len(case.notice))
        if not absent:
            return self._item("notice", points, RIGHT, say("notice", "all",
                                                           found="、".join(present)))
        if present:
            return self._item("notice", points, PARTIAL,
                              say("notice", "partial", found="、".join(present),
                                  missing="、".join(absent)) + note)
        return self._item("notice", 0, MISSING,
                          say("notice", "missing", missing="、".join(absent)) + note)

    def _wording(self, form: str) -> GradeItem:
        say = self.rules.say
        improper = self.rules.improper.found(form)
        if improper:
            return self._item("wording", 0, WRONG,
                              say("wording", "improper", found="、".join(improper[:3])))
        groups = self.rules.wording_groups
        absent = [g.name for g in groups if not g.phrases.hits(form)]
        points = self._share("wording", len(groups) - len(absent), len(groups))
        if not absent:
            return self._item("wording", points, RIGHT, say("wording", "right"))
        return self._item("wording", points, PARTIAL if points else MISSING,
                          say("wording", "partial", missing="、".join(absent)))

    def _promise(self, form: str) -> GradeItem:
        found = self._positive(form, self.rules.promises.hits(form))
        if found:
            return self._item("no_promise", 0, WRONG,
                              self.rules.say("no_promise", "wrong", found="、".join(found[:3])))
        return self._item("no_promise", self.rules.weights["no_promise"], RIGHT,
                          self.rules.say("no_promise", "right"))
