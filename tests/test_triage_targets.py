"""The triage figures, measured as `make eval` measures them (issue 12).

The classifier trains on data/eval/dev.jsonl and, when ../shared is beside the project, on the
real citizens' corpus: both are therefore measured out-of-fold (5 folds, each triaged by a
classifier retrained without it). The holdout set is never trained on. The floors below are
the figures reached on 2026-12-04 less a small margin, so that a change that makes the triage
worse fails here; the issue's targets (corpus 0.90, dev and holdout 0.95) are not reached yet
and are reported in the README, not asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation import cross_validate, evaluate, load_cases, main_predictor
from tests.conftest import ROOT

CORPUS = ROOT.parent / "shared" / "corpus" / "real_dev.jsonl"


@pytest.fixture(scope="module")
def engine_kb(kb_url: str):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BOT_DB_URL", kb_url)
        yield kb_url


def _cv(path: Path, kb):
    cases = load_cases(path, kb)
    return cases, evaluate(cases, cross_validate(cases, path, 5, kb, progress=False),
                           progress=False, kb=kb)


def test_dev_set_out_of_fold(engine_kb, kb) -> None:
    cases, report = _cv(ROOT / "data" / "eval" / "dev.jsonl", kb)
    assert report.n >= 400
    assert report.acceptable_accuracy >= 0.93
    assert report.macro_f1 >= 0.88


def test_holdout_never_trained_on(engine_kb, kb) -> None:
    cases = load_cases(ROOT / "data" / "eval" / "holdout.jsonl", kb)
    predict = main_predictor()
    report = evaluate(cases, predict, progress=False, kb=kb)
    # without the corpus beside it (a bare clone) the classifier learns from the team's own
    # writing only: 0.854 on 2026-12-04; with it 0.896
    assert report.acceptable_accuracy >= (0.87 if CORPUS.is_file() else 0.84)
    answered = 0
    for case in cases:  # every answer cites articles that exist
        result = predict(case["text"])
        if result.channel is None:
            continue
        answered += 1
        assert result.articles, case["id"]
        for ref in result.articles:
            kb.quote(kb.citations.parse(ref))
    assert answered >= 0.9 * len(cases)


@pytest.mark.skipif(not CORPUS.is_file(), reason="../shared/corpus is not beside the project")
def test_real_corpus_out_of_fold(engine_kb, kb) -> None:
    cases, report = _cv(CORPUS, kb)
    assert report.n == len(cases) >= 300
    assert report.acceptable_accuracy >= 0.75
    assert report.severe_rate is not None and report.severe_rate <= 0.10
    assert report.clear_ask_rate is not None and report.clear_ask_rate <= 0.15
    assert set(report.per_source) >= {"lawbench_2-4", "tipdm2020_c_fj4"}
