"""The triage engine: text and known facts in, a channel (or a question) out.

Parts, each doing one thing: ``normalize`` (width, 繁→简, emoji, voice text), the lexicon's
spaCy pipeline and regexes (concepts), ``facts`` (dates, amounts, places, parties), the rules
and weights of knowledge/triage/rules.yaml (decision), and optionally the Rasa NLU intent
ranking as a statistical signal. No routing knowledge lives here: it is all in knowledge/.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.deadlines import deadline_for, is_overdue
from bot.knowledge import KnowledgeBase, open_knowledge
from bot.triage import emergency as emergency_reading
from bot.triage import facts as fact_extraction
from bot.triage.classifier import ChannelClassifier, concept_tokens, load_classifier
from bot.triage.classifier import load_settings as load_classifier_settings
from bot.triage.lexicon import Hit, Lexicon, load_lexicon
from bot.triage.normalize import normalize_with_info, split_clauses
from bot.triage.result import Deadline, Emergency, Issue, Question, TriageResult
from bot.triage.rules import Rule, RuleSet, load_rules

log = logging.getLogger(__name__)

MAX_CHARS = 20_000  # longer messages are read up to here (a letter is rarely a tenth of it)
MAX_ARTICLES = 6

Ranking = Sequence[tuple[str, float]]


@dataclass
class Decision:
    """The outcome of the decision layer for one piece of text."""

    channel: str | None
    alternatives: list[str]
    confidence: float
    score: float
    rule: Rule | None = None
    scores: dict[str, float] = field(default_factory=dict)
    contributions: dict[str, list[str]] = field(default_factory=dict)


class TriageEngine:
    """Holds the loaded knowledge, lexicon and rules; ``triage()`` is pure given those."""

    def __init__(self, kb: KnowledgeBase | None = None, lexicon: Lexicon | None = None,
                 rules: RuleSet | None = None, classifier: ChannelClassifier | None = None,
                 use_classifier: bool = True) -> None:
        """``classifier`` defaults to the one trained from knowledge/triage/classifier.yaml
        (loaded lazily); ``use_classifier=False`` decides by the lexicon and rules alone."""
        self.kb = kb or open_knowledge()
        self.lexicon = lexicon or load_lexicon()
        self.classifier_settings = load_classifier_settings()
        self._classifier = classifier
        self.use_classifier = use_classifier
        self.channels = {c.code: c for c in self.kb.channels()}
        self.rules = rules or load_rules(concepts=self.lexicon.concepts,
                                         channels={k: v.data for k, v in self.channels.items()},
                                         hotlines=self.kb.hotlines())
        # fact=value → the concept that sets it, so facts from the conversation act as concepts
        self._fact_concepts: dict[tuple[str, str], str] = {}
        for concept in self.lexicon.concepts.values():
            for key, value in concept.sets.items():
                self._fact_concepts.setdefault((key, _fact_str(value)), concept.id)

    @property
    def classifier(self) -> ChannelClassifier | None:
        """The learned channel classifier (trained on first use when build/ is stale)."""
        if not self.use_classifier:
            return None
        if self._classifier is None:
            self._classifier = load_classifier(self.lexicon, self.classifier_settings)
        return self._classifier

    def ranking(self, text: str, hits: list[Hit]) -> Ranking:
        """The classifier's channel probabilities for normalised ``text`` (best first)."""
        classifier = self.classifier
        if classifier is None or not text.strip():
            return []
        return classifier.ranking(text, concept_tokens((h.concept, h.negated) for h in hits))

    # ---- public -------------------------------------------------------------------------
    def triage(self, text: str, facts: Mapping[str, Any] | None = None,
               today: dt.date | None = None, chosen: str | None = None,
               must_decide: bool = False) -> TriageResult:
        """Decide the channel for ``text`` (or what to ask), given facts already known.

        The same text and facts give the same result whichever front door asks. ``chosen`` is
        a channel the citizen picked himself (a button): it weighs like a sure classifier.
        With ``must_decide`` (the citizen could not answer the questions) the likeliest
        candidate is chosen even below the answer threshold, with the others as alternatives.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        today = today or dt.date.today()
        known = {k: v for k, v in (facts or {}).items() if v is not None and v != ""}
        explanation: list[str] = []
        if len(text) > MAX_CHARS:
            explanation.append(f"文字过长，只读取了前{MAX_CHARS}字")
            text = text[:MAX_CHARS]
        norm = normalize_with_info(text)
        if not norm.text.strip() and not known:
            return self._ask_what_happened([*explanation, "没有可读的内容"])
        hits = self.lexicon.match(norm.text)
        ranking = self.ranking(norm.text, hits)
        if chosen in self.channels:
            ranking = [(chosen, 1.0)]
        present = self._present(hits, known)
        extracted = fact_extraction.extract(norm.text, hits, self.lexicon, today)
        extracted.update(known)
        long_letter = len(norm.text) > self.classifier_settings.rule_max_chars
        decision = self.decide(present, ranking, explanation, decisive=not long_letter)
        top = ranking[0][1] if ranking and not chosen else 1.0
        if (decision.channel is not None and decision.rule is None
                and not self._situation(present)
                and (len(norm.text.strip()) < self.rules.setting("nlu_only_min_chars")
                     or (top < self.classifier_settings.alone_min_probability
                         and len(norm.text.strip()) < self.classifier_settings.alone_max_chars))):
            explanation.append("没有识别出任何情况，分类器也拿不准：先问清楚")
            decision = Decision(None, [], 0.0, decision.score, None, decision.scores,
                                decision.contributions)
        if decision.channel is None and must_decide and decision.alternatives:
            explanation.append("信息不全，按最可能的渠道回答")
            decision.channel, decision.alternatives = (decision.alternatives[0],
                                                       decision.alternatives[1:])
            decision.confidence = min(decision.confidence, 0.3)
        if (decision.channel is not None and decision.rule is None and not chosen
                and not must_decide and not long_letter):
            route_fact = self._route_deciding(decision.channel, present, {**known})
            if route_fact is not None:  # 合同纠纷: court or arbitration depends on the clause
                explanation.append(f"{route_fact.id}：要先知道{route_fact.fact}才能定渠道")
                candidates = [decision.channel, *(c for c in route_fact.channels
                                                  if c != decision.channel)]
                decision = Decision(None, candidates, 0.0, decision.score, None,
                                    decision.scores, decision.contributions)
        issues = self._issues(norm.text, hits, known)
        if len(issues) >= 2:
            explanation.append(f"一条消息里有{len(issues)}个问题")
            first = issues[0]
            # a decisive rule on the whole text (e.g. 复核意见 already given) outranks the split
            if first.channel and first.channel != decision.channel and decision.rule is None:
                alts = [decision.channel, *decision.alternatives] if decision.channel else []
                decision.channel = first.channel
                decision.alternatives = [c for c in dict.fromkeys(
                    [*(i.channel for i in issues[1:] if i.channel), *alts])
                    if c and c != first.channel][: int(self.rules.setting("max_alternatives"))]
        missing = self._missing(decision, present, {**extracted, **known})
        result = TriageResult(
            channel=decision.channel,
            alternatives=decision.alternatives,
            confidence=round(decision.confidence, 3),
            facts=extracted,
            missing=missing,
            issues=issues if len(issues) >= 2 else [],
            explanation=explanation,
        )
        result.emergency = self.emergency(present, hits, norm.text)
        if decision.channel is None:
            if not missing or not self._situation(present):
                result.missing = [self.question("what_happened")]
            result.reason = "还不能确定该走哪条渠道，需要先了解一个关键情况。"
            return result
        result.articles = self._articles(decision.channel, decision.rule)
        result.reason = self._reason(decision, hits)
        result.deadline = self._deadline(decision, extracted, text, today)
        return result

    def decide(self, present: set[str], ranking: Ranking | None = None,
               explanation: list[str] | None = None, decisive: bool = True) -> Decision:
        """Rules first (first match wins), else weighted concepts plus the classifier.

        With ``decisive=False`` (a long letter, where a word such as 判决 or 征收 is often
        background) the first matching rule adds ``rule_weight`` to its channel instead of
        deciding alone."""
        explanation = explanation if explanation is not None else []
        scores, contributions = self._scores(present, ranking)
        if not decisive:
            rule = next((r for r in self.rules.rules if r.when.holds(present)), None)
            if rule is not None:
                scores[rule.channel] = (scores.get(rule.channel, 0.0)
                                        + self.classifier_settings.rule_weight)
                contributions.setdefault(rule.channel, []).append(f"规则 {rule.id}")
                explanation.append(f"长信：规则 {rule.id} 只加分")
        for condition, codes in self.rules.exclude:  # e.g. 没有仲裁约定 → not 商事仲裁
            if condition.holds(present):
                for code in codes:
                    if scores.pop(code, None) is not None:
                        explanation.append(f"排除 {code}")
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        top_score = ranked[0][1] if ranked else 0.0
        for rule in self.rules.rules if decisive else ():
            if rule.when.holds(present):
                explanation.append(f"规则 {rule.id} → {rule.channel}")
                alternatives = list(rule.alternatives)
                for code, score in ranked:
                    if (code != rule.channel and code not in alternatives
                            and score >= self.rules.setting("alternative_ratio") * top_score
                            and score >= self.rules.setting("answer_min_score")):
                        alternatives.append(code)
                limit = int(self.rules.setting("max_alternatives"))
                return Decision(rule.channel, alternatives[:limit],
                                self.rules.setting("rule_confidence"), max(top_score, 5.0), rule,
                                scores, contributions)
        if not ranked or top_score < self.rules.setting("answer_min_score"):
            explanation.append(f"最高分{top_score:.1f}不足{self.rules.setting('answer_min_score')}，先问")
            candidates = [code for code, score in ranked[:3] if score > 0]
            return Decision(None, candidates, 0.0, top_score, None, scores, contributions)
        best, best_score = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        alternatives = [code for code, score in ranked[1:]
                        if score >= self.rules.setting("alternative_ratio") * best_score
                        and score >= self.rules.setting("answer_min_score") * 0.6]
        confidence = min(1.0, best_score / 8.0) * 0.5 + 0.5 * (best_score - second) / best_score
        for code, score in ranked[:3]:
            explanation.append(f"{code} {score:.1f}分：" + "、".join(contributions[code]))
        limit = int(self.rules.setting("max_alternatives"))
        return Decision(best, alternatives[:limit], confidence, best_score, None, scores,
                        contributions)

    # ---- parts ----------------------------------------------------------------------------
    def _present(self, hits: list[Hit], known: Mapping[str, Any]) -> set[str]:
        present = {h.concept for h in hits if not h.negated}
        for hit in hits:
            if hit.negated:  # 没有判决 → has_judgment=false, not the concept
                for key, value in self.lexicon.concept(hit.concept).sets.items():
                    if value is True:
                        present.add(f"{key}=false")
        for key, value in known.items():
            text = _fact_str(value)
            present.add(f"{key}={text}")
            concept = self._fact_concepts.get((key, text))
            if concept:
                present.add(concept)
            if text == "false":  # a fact the citizen denies cancels the concepts that set it
                for concept in self.lexicon.concepts.values():
                    if concept.sets.get(key) is True:
                        present.discard(concept.id)
        return present

    def _scores(self, present: set[str], ranking: Ranking | None
                ) -> tuple[dict[str, float], dict[str, list[str]]]:
        scores: dict[str, float] = defaultdict(float)
        contributions: dict[str, list[str]] = defaultdict(list)
        for concept_id in sorted(present):
            concept = self.lexicon.concepts.get(concept_id)
            if concept is None:
                continue
            for code, weight in concept.weights.items():
                scores[code] += weight
                contributions[code].append(f"{concept.label}+{weight:g}")
        if ranking:
            weight = self.classifier_settings.weight
            floor = self.classifier_settings.min_probability
            for code, probability in ranking:
                if code in self.channels and probability >= floor:
                    scores[code] += weight * probability
                    contributions[code].append(f"分类器 {probability:.2f}")
        return dict(scores), dict(contributions)

    def _issues(self, text: str, hits: list[Hit], known: Mapping[str, Any]) -> list[Issue]:
        """Several problems in one message: clauses grouped into segments, a segment starting
        where a clause brings a new, strong channel; two or more strong segments are issues."""
        clauses = split_clauses(text)
        if len(clauses) < 2:
            return []
        spans, pos = [], 0
        for clause in clauses:
            start = text.find(clause, pos)
            start = pos if start < 0 else start
            spans.append((start, start + len(clause), clause))
            pos = start + len(clause)
        minimum = self.rules.setting("multi_issue_min_score")
        segments: list[dict[str, Any]] = []
        markers = self.rules.issue_markers
        pending = False  # the previous clause was a bare marker (另外，……)
        for start, end, clause in spans:
            concepts = {h.concept for h in hits
                        if start <= h.start < end and not h.negated}
            decision = self.decide(concepts)
            strong = decision.channel if decision.score >= minimum else None
            current = segments[-1] if segments else None
            marked = pending or (clause.startswith(markers) if markers else True)
            pending = bool(markers) and clause.startswith(markers) and len(clause) <= 5
            if current is None or (marked and strong and current["channel"]
                                   and strong != current["channel"]):
                segments.append({"texts": [clause], "concepts": set(concepts), "channel": strong})
            else:
                current["texts"].append(clause)
                current["concepts"] |= concepts
                current["channel"] = current["channel"] or strong
        issues: list[Issue] = []
        for segment in segments:
            decision = self.decide(segment["concepts"])
            if decision.channel is None or decision.score < minimum:
                continue
            if any(i.channel == decision.channel for i in issues):
                continue
            issues.append(Issue(
                text="，".join(segment["texts"])[:200], channel=decision.channel,
                alternatives=decision.alternatives, confidence=round(decision.confidence, 3),
                reason=decision.rule.because if decision.rule else
                self.channels[decision.channel]["summary"],
                articles=self._articles(decision.channel, decision.rule)))
        return issues

    def _family(self, code: str) -> str:
        return self.channels[code].family

    def _missing(self, decision: Decision, present: set[str],
                 known: Mapping[str, Any]) -> list[Question]:
        questions: list[Question] = []
        candidates = {decision.channel, *decision.alternatives} - {None}
        for rule in self.rules.ask:
            answered_by = self.rules.questions[rule.fact].get("answered_by") or []
            if (rule.fact in known or any(k in known for k in answered_by)
                    or any(p.startswith(f"{rule.fact}=") for p in present)):
                continue
            if decision.channel is None:
                relevant = bool(candidates & set(rule.channels)) or not candidates
            else:
                relevant = decision.channel in rule.channels
            if (relevant and rule.when.holds(present)
                    and all(q.fact != rule.fact for q in questions)):
                questions.append(self.question(rule.fact))
        return questions

    def _route_deciding(self, channel: str, present: set[str],
                        known: Mapping[str, Any]) -> Any:
        """An ask rule listed in classifier.yaml ``route_questions`` (its fact chooses between
        routes: 合同 with or without an arbitration clause) that applies to the decided channel
        and is still unanswered: the route is not decided until it is asked."""
        for rule in self.rules.ask:
            if (rule.id not in self.classifier_settings.route_questions
                    or channel not in rule.channels):
                continue
            answered_by = self.rules.questions[rule.fact].get("answered_by") or []
            if (rule.fact in known or any(k in known for k in answered_by)
                    or any(p.startswith(f"{rule.fact}=") for p in present)):
                continue
            if rule.when.holds(present):
                return rule
        return None

    def question(self, fact: str) -> Question:
        """The question asking for ``fact`` (rules.yaml questions)."""
        spec = self.rules.questions[fact]
        return Question(fact, spec["question"], [dict(o) for o in spec.get("options") or []],
                        spec.get("why") or "")

    def _ask_what_happened(self, explanation: list[str]) -> TriageResult:
        return TriageResult(channel=None, missing=[self.question("what_happened")],
                            reason="请先描述遇到的问题。", explanation=explanation)

    def emergency(self, present: set[str], hits: Sequence[Hit] = (), text: str = ""
                  ) -> Emergency | None:
        """The emergency advice for what the normalised ``text`` shows, or None.

        Each emergency hit is read in its context (happening now or past, denied, who threatens
        whom: bot/triage/emergency.py with rules.yaml ``emergency:``); only concepts in
        ``present`` count.
        """
        concepts = self.lexicon.concepts
        found = emergency_reading.read(
            [h for h in hits if h.concept in present], text, self.rules.emergency,
            {c.id: c.group for c in concepts.values()},
            {c.id: c.sets.get("emergency") for c in concepts.values()
             if c.group == "emergency"}, present)
        return emergency_reading.advice(found, self.rules.emergency)

    def _situation(self, present: set[str]) -> bool:
        """Whether the text names something that bears on the channel: an emergency alone
        (农药我已经买好了) says nothing about the route, it is answered and then asked about."""
        return any(c in self.lexicon.concepts and self.lexicon.concepts[c].group != "emergency"
                   for c in present)

    def emergency_in(self, text: str) -> Emergency | None:
        """The emergency advice for a raw message (a reply in the middle of the questions)."""
        norm = normalize_with_info(text[:MAX_CHARS]).text
        hits = self.lexicon.match(norm)
        return self.emergency({h.concept for h in hits if not h.negated}, hits, norm)

    def _articles(self, channel: str, rule: Rule | None) -> list[str]:
        refs = [*(rule.articles if rule else ()), *self.channels[channel]["cite"]]
        return list(dict.fromkeys(refs))[:MAX_ARTICLES]

    def _reason(self, decision: Decision, hits: list[Hit]) -> str:
        if decision.rule:
            return decision.rule.because
        channel = self.channels[decision.channel]
        labels = []
        for hit in hits:
            concept = self.lexicon.concept(hit.concept)
            if (not hit.negated and concept.weights.get(decision.channel, 0) > 0
                    and concept.label not in labels):
                labels.append(concept.label)
        basis = f"您说的情况涉及{'、'.join(labels[:3])}。" if labels else ""
        return basis + channel["summary"]

    def _deadline(self, decision: Decision, facts: Mapping[str, Any], text: str,
                  today: dt.date) -> Deadline | None:
        rule = decision.rule
        if rule and rule.no_deadline:
            return None
        code = (rule.deadline_channel if rule and rule.deadline_channel else decision.channel)
        limits = self.channels[code].time_limits
        if not limits:
            return None
        wanted = rule.deadline_limit if rule else None
        limit = next((lim for lim in limits if lim["id"] == wanted), limits[0])
        start = _as_date(facts.get("decision_date")) or _as_date(facts.get("event_date"))
        deadline_facts = {}
        if facts.get("wages_owed") in (True, "true"):  # set by the lexicon or the conversation
            deadline_facts["wages_owed"] = True
            ongoing = facts.get("employment_ongoing")
            if ongoing in (True, "true"):
                deadline_facts["employment_ongoing"] = True
            elif _as_date(facts.get("employment_end_date")):
                deadline_facts["employment_end_date"] = _as_date(facts["employment_end_date"])
        try:
            result = deadline_for(limit, start, deadline_facts, self.kb.calendar())
        except ValueError:
            log.warning("deadline %s/%s failed", code, limit["id"], exc_info=True)
            return None
        return Deadline(limit_id=limit["id"], label=limit["label"], text=result.text,
                        due=result.due, start=start, no_limit=result.no_limit,
                        overdue=bool(result.due and is_overdue(result, today)),
                        grounds=list(result.grounds), explain=result.explain)


def _fact_str(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


__all__ = ["Decision", "TriageEngine"]
