"""The evaluation files: size, coverage, valid codes, and independence from the training data."""

from __future__ import annotations

import json
import re
from collections import Counter

import yaml

from tests.conftest import ROOT

EVAL = ROOT / "data" / "eval"


def _cases(name: str) -> list[dict]:
    return [json.loads(line) for line in (EVAL / name).read_text("utf-8").splitlines()
            if line.strip()]


def _nlu_examples() -> set[str]:
    examples: set[str] = set()
    for path in (ROOT / "data" / "nlu").rglob("*.yml"):
        for block in yaml.safe_load(path.read_text("utf-8")).get("nlu", []):
            for line in (block.get("examples") or "").splitlines():
                if line.startswith("- "):
                    examples.add(line[2:].strip())
    return examples


def _grams(text: str, n: int = 8) -> set[str]:
    text = re.sub(r"\s", "", text)
    return {text[i:i + n] for i in range(len(text) - n + 1)}


def test_dev_set_size_and_coverage(kb) -> None:
    cases = _cases("dev.jsonl")
    codes = {c.code for c in kb.channels()}
    per_channel = Counter(c["channel"] for c in cases)
    assert len(cases) >= 400
    assert set(per_channel) == codes and min(per_channel.values()) >= 15
    assert all(c["acceptable"][0] == c["channel"] and set(c["acceptable"]) <= codes
               for c in cases)
    assert len({c["text"] for c in cases}) == len(cases)
    tags = Counter(t for c in cases for t in c.get("tags", []))
    for tag in ("long_letter", "short", "typo", "dialect", "emoji", "voice", "multi",
                "traditional", "trap"):
        assert tags[tag] >= 10, tag


def test_eval_sets_are_not_training_data() -> None:
    examples = _nlu_examples()
    training_grams = set().union(*(_grams(e) for e in examples))
    for name in ("dev.jsonl", "holdout.jsonl"):
        for case in _cases(name):
            assert case["text"] not in examples, case["id"]
            grams = _grams(case["text"])
            if grams:
                assert len(grams & training_grams) / len(grams) <= 0.5, case["id"]
