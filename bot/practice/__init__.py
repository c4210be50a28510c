"""Practice mode for petition-bureau staff: graded answers to realistic cases (issue 6).

Data: ``knowledge/practice/cases.yaml`` (the case bank) and ``knowledge/practice/grading.yaml``
(items, weights, recognised phrases, feedback sentences). Modules:

- :mod:`~bot.practice.cases` — Case, CaseBank, loading and structure checks
- :mod:`~bot.practice.rules` — grading.yaml
- :mod:`~bot.practice.phrases` — matching form, phrases, negation
- :mod:`~bot.practice.refs` — article references in free text
- :mod:`~bot.practice.grader` — Grader, Grade, GradeItem
- :mod:`~bot.practice.validation` — build-time checks (full marks, wrong answers score low)
- :mod:`~bot.practice.data` — the loaded rules, bank and grader (cached)
- :mod:`~bot.practice.attempts` — stored attempts (SQLAlchemy)
- :mod:`~bot.practice.report` — report and chart
- :mod:`~bot.practice.session` — the API for the chat: pick cases, grade, PracticeSession
- :mod:`~bot.practice.cli` — ``python -m bot practice …``
"""

from bot.practice.cases import Case, CaseBank, PracticeError
from bot.practice.data import get_bank, get_grader
from bot.practice.grader import Grade, GradeItem, Grader
from bot.practice.session import PracticeSession, grade, pick_cases, weakest_channels

__all__ = [
    "Case", "CaseBank", "Grade", "GradeItem", "Grader", "PracticeError", "PracticeSession",
    "get_bank", "get_grader", "grade", "pick_cases", "weakest_channels",
]
