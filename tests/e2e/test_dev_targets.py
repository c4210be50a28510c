"""The triage targets on the development set, measured as `make eval` measures them: the
engine with the trained model's intent ranking, through the evaluation harness."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation import evaluate, load_cases, main_predictor
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def predictor(trained_model: Path, use_kb_module: str):
    from bot.triage import get_engine

    yield main_predictor(str(trained_model), use_nlu=True)
    get_engine().nlu = None  # the shared engine goes back to its default


@pytest.fixture(scope="module")
def use_kb_module(kb_url: str) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BOT_DB_URL", kb_url)
        yield kb_url


def test_dev_set_targets(predictor, kb) -> None:
    cases = load_cases(ROOT / "data" / "eval" / "dev.jsonl", kb)
    report = evaluate(cases, predictor, progress=False, kb=kb)
    assert report.n >= 400
    assert report.acceptable_accuracy >= 0.95
    assert report.macro_f1 >= 0.90


def test_every_answer_cites_stored_articles(predictor, kb) -> None:
    cases = load_cases(ROOT / "data" / "eval" / "holdout.jsonl", kb)
    answered = 0
    for case in cases:
        result = predictor(case["text"])
        if result.channel is None:
            continue
        answered += 1
        assert result.articles, case["id"]
        for ref in result.articles:
            kb.quote(kb.citations.parse(ref))
    assert answered >= 0.9 * len(cases)
