"""`rasa test core` on tests/test_stories.yml with the freshly trained model: every
conversation path of the bot (NLU included: the stories hold the citizens' words)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.e2e.conftest import VENV_BIN

pytestmark = pytest.mark.e2e
STORIES = ROOT / "tests" / "test_stories.yml"


def test_stories_cover_the_recorded_conversations() -> None:
    stories = yaml.safe_load(STORIES.read_text("utf-8"))["stories"]
    spec = yaml.safe_load((ROOT / "tests" / "conversations.yml").read_text("utf-8"))
    assert len(stories) >= 40
    assert [s["story"] for s in stories] == [c["name"] for c in spec["conversations"]]
    actions = {step.get("action") for s in stories for step in s["steps"]}
    # every path: form, fallback/handoff, feedback, article text, greetings
    assert {"triage_form", "action_handoff", "action_feedback", "action_quote_article",
            "utter_greet", "utter_out_of_scope", "utter_iamabot"} <= actions
    statuses = {step["slot_was_set"][0]["triage_status"] for s in stories
                for step in s["steps"] if "slot_was_set" in step
                and "triage_status" in step["slot_was_set"][0]}
    assert statuses == {"asking", "answered", "replied", "unclear", "out_of_scope"}


def test_rasa_test_core_passes(trained_model: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(VENV_BIN / "rasa"), "test", "core", "--model", str(trained_model),
         "--stories", str(STORIES), "--fail-on-prediction-errors", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=1200)
    failed = (tmp_path / "failed_test_stories.yml").read_text("utf-8")
    assert result.returncode == 0, failed[:4000] + result.stdout[-3000:]
    assert failed.startswith("# None of the test stories failed")
