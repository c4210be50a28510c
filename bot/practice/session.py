"""The practice API for the chat (Rasa actions) and the CLI: pick cases, grade, keep score.

    from bot.practice import session
    cases = session.pick_cases(5, mode="weakest", staff_id="A1023")   # or mode="mix" / "channel"
    grade = session.grade(cases[0], "您好，您反映的情况我们已经登记……")   # -> Grade
    grade.score, grade.render(), grade.to_dict()

    s = session.PracticeSession.start("A1023", n=5, mode="mix", seed=7)
    s.current().scenario; g = s.submit("……"); s.finished; s.summary()
    slot_value = s.to_dict(); s = session.PracticeSession.from_dict(slot_value)

Everything is plain Python; nothing here knows about Rasa.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge import KnowledgeBase
from bot.practice.attempts import clean_staff_id, list_attempts, record_attempt
from bot.practice.cases import Case, CaseBank, PracticeError
from bot.practice.data import get_bank, get_grader
from bot.practice.grader import Grade

MODES = ("mix", "channel", "weakest")
DEFAULT_CASES = 5
MAX_CASES = 50
WEAK_CHANNELS = 3


def grade(case: Case | str, answer: str, kb: KnowledgeBase | None = None) -> Grade:
    """Grade ``answer`` to ``case`` (a Case or a case id). Raises :class:`PracticeError` with a
    Chinese message for an unknown case id or an empty answer."""
    if isinstance(case, str):
        case = get_bank(kb).get(case)
    return get_grader(kb).grade(case, answer)


def weakest_channels(staff_id: str, limit: int = WEAK_CHANNELS, url: str | None = None
                     ) -> list[str]:
    """The staff member's channels with the lowest mean score (below 100), weakest first."""
    scores: dict[str, list[int]] = defaultdict(list)
    for attempt in list_attempts(staff_id, url=url):
        scores[attempt.channel].append(attempt.score)
    means = {code: sum(v) / len(v) for code, v in scores.items()}
    ranked = sorted((code for code, mean in means.items() if mean < 100),
                    key=lambda c: (means[c], c))
    return ranked[:limit]


def pick_cases(n: int = DEFAULT_CASES, *, mode: str = "mix", channel: str | None = None,
               staff_id: str | None = None, seed: int | None = None,
               kb: KnowledgeBase | None = None, url: str | None = None,
               bank: CaseBank | None = None) -> list[Case]:
    """Choose up to ``n`` cases, without repeats.

    ``mode="channel"``: cases of ``channel`` only; ``"mix"``: a random mix, spread over the
    channels; ``"weakest"``: cases of the staff member's weakest channels (from the stored
    attempts, ``url``), cases not yet tried or scored lowest first, topped up with a mix when
    there are too few (or no attempts yet). ``seed`` makes the choice reproducible.
    """
    if mode not in MODES:
        raise PracticeError(f"练习方式应为 {' / '.join(MODES)} 之一")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_CASES:
        raise PracticeError(f"题数应为 1 到 {MAX_CASES} 之间的整数")
    bank = bank or get_bank(kb)
    rng = random.Random(seed)
    if mode == "channel":
        if not channel:
            raise PracticeError("按渠道练习时请指定渠道代码")
        cases = bank.by_channel(channel)
        if not cases:
            raise PracticeError(f"没有渠道 {channel} 的练习案例")
        rng.shuffle(cases)
        return cases[:n]
    if mode == "weakest":
        if not staff_id:
            raise PracticeError("按薄弱渠道练习时需要工作人员编号")
        return _weakest(bank, n, clean_staff_id(staff_id), rng, url)
    return _mix(bank, n, rng, exclude=())


def _mix(bank: CaseBank, n: int, rng: random.Random, exclude: tuple[str, ...] | set[str]
         ) -> list[Case]:
    """Round-robin over the channels in random order, a random case of each in turn."""
    pools: dict[str, list[Case]] = defaultdict(list)
    for case in bank:
        if case.id not in exclude:
            pools[case.channel].append(case)
    for pool in pools.values():
        rng.shuffle(pool)
    order = sorted(pools)
    rng.shuffle(order)
    chosen: list[Case] = []
    while len(chosen) < n and any(pools.values()):
        for code in order:
            if pools[code] and len(chosen) < n:
                chosen.append(pools[code].pop())
    return chosen


def _weakest(bank: CaseBank, n: int, staff_id: str, rng: random.Random, url: str | None
             ) -> list[Case]:
    attempts = list_attempts(staff_id, url=url)
    last: dict[str, int] = {}
    for attempt in attempts:  # oldest first: the last score of each case wins
        last[attempt.case_id] = attempt.score
    weak = weakest_channels(staff_id, url=url)
    pools = []
    for code in weak:
        cases = bank.by_channel(code)
        rng.shuffle(cases)
        cases.sort(key=lambda c: (c.id in last, last.get(c.id, -1)))
        pools.append(cases)
    chosen: list[Case] = []
    while len(chosen) < n and any(pools):
        for pool in pools:
            if pool and len(chosen) < n:
                chosen.append(pool.pop(0))
    if len(chosen) < n:
        chosen += _mix(bank, n - len(chosen), rng, exclude={c.id for c in chosen})
    return chosen


@dataclass
class PracticeSession:
    """A round of practice: the cases, where the staff member is, and the scores so far.

    ``to_dict()`` / ``from_dict()`` give a JSON-safe form to keep in a Rasa slot.
    """

    staff_id: str
    case_ids: list[str]
    position: int = 0
    scores: list[int] = field(default_factory=list)

    @classmethod
    def start(cls, staff_id: str, n: int = DEFAULT_CASES, mode: str = "mix",
              channel: str | None = None, seed: int | None = None,
              kb: KnowledgeBase | None = None, url: str | None = None) -> PracticeSession:
        """A new session with cases chosen by :func:`pick_cases`."""
        staff = clean_staff_id(staff_id)
        cases = pick_cases(n, mode=mode, channel=channel, staff_id=staff, seed=seed, kb=kb,
                           url=url)
        return cls(staff, [c.id for c in cases])

    @property
    def finished(self) -> bool:
        """Whether every case has been answered."""
        return self.position >= len(self.case_ids)

    def current(self, kb: KnowledgeBase | None = None) -> Case | None:
        """The case to answer now (None when finished)."""
        if self.finished:
            return None
        return get_bank(kb).get(self.case_ids[self.position])

    def submit(self, answer: str, *, record: bool = True, kb: KnowledgeBase | None = None,
               url: str | None = None) -> Grade:
        """Grade the answer to the current case, store the attempt (``record``), move on.

        An empty answer raises :class:`PracticeError` and does not move on.
        """
        case = self.current(kb)
        if case is None:
            raise PracticeError("本轮练习已经结束")
        result = get_grader(kb).grade(case, answer)
        if record:
            record_attempt(self.staff_id, case, result, answer, url)
        self.scores.append(result.score)
        self.position += 1
        return result

    def summary(self) -> dict[str, Any]:
        """Answered cases, mean score and the scores so far."""
        done = len(self.scores)
        return {"answered": done, "total": len(self.case_ids),
                "mean": round(sum(self.scores) / done, 1) if done else None,
                "scores": list(self.scores)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (for a slot)."""
        return {"staff_id": self.staff_id, "case_ids": list(self.case_ids),
                "position": self.position, "scores": list(self.scores)}

    @classmethod
    def from_dict(cls, data: Any) -> PracticeSession:
        """Rebuild a session from :meth:`to_dict` output; PracticeError when malformed."""
        try:
            session = cls(clean_staff_id(data["staff_id"]),
                          [str(c) for c in data["case_ids"]], int(data["position"]),
                          [int(s) for s in data.get("scores") or []])
        except (KeyError, TypeError, ValueError) as exc:
            raise PracticeError("练习进度数据无效，请重新开始练习") from exc
        if not 0 <= session.position <= len(session.case_ids):
            raise PracticeError("练习进度数据无效，请重新开始练习")
        bank = get_bank()
        if not all(case_id in bank for case_id in session.case_ids):  # the bank changed
            raise PracticeError("练习案例已经更新，请重新开始练习")
        return session
