"""Practice mode on the command line: ``python -m bot practice cases | grade | report``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.practice.data import load
from tests.conftest import ROOT

LABOUR = "dismissed-overtime-unpaid"


def run(args: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cases_text_and_json(use_kb: str, kb, capsys: pytest.CaptureFixture) -> None:
    bank = load(kb)[1]
    code, out, _ = run(["practice", "cases"], capsys)
    assert code == 0 and f"共 {len(bank)} 个案例" in out
    case = bank.get(LABOUR)
    assert f"{LABOUR}（labour_arbitration）" in out and case.scenario in out
    assert case.standard_answer in out
    code, out, _ = run(["practice", "cases", "--json", "--channel", "labour_arbitration"], capsys)
    data = json.loads(out)
    assert code == 0 and data and {c["channel"] for c in data} == {"labour_arbitration"}
    assert set(data[0]) == {"id", "channel", "scenario", "standard_answer"}
    assert len(data) == len(bank.by_channel("labour_arbitration"))


def test_cases_of_an_unknown_channel(use_kb: str, capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(["practice", "cases", "--channel", "nope"], capsys)
    assert code == 2 and "没有渠道代码 nope" in err


def test_grade_text_and_json(use_kb: str, kb, capsys: pytest.CaptureFixture) -> None:
    standard = load(kb)[1].get(LABOUR).standard_answer
    code, out, _ = run(["practice", "grade", LABOUR, standard], capsys)
    assert code == 0 and "得分：100/100" in out and "✓ 渠道判断 25/25" in out
    assert f"标准答复：{standard}" in out
    code, out, _ = run(["practice", "grade", LABOUR, "您好，请申请行政复议，依据条例第九十九条",
                        "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["score"] < 40
    items = {i["key"]: i for i in data["items"]}
    assert items["channel"]["points"] == 0 and items["channel"]["verdict"] == "wrong"
    assert "并不存在" in items["no_wrong_article"]["text"]
    assert data["model_answer"] == standard and "channel" in data["missed"]


def test_grade_reads_standard_input(use_kb: str, capsys: pytest.CaptureFixture,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO("您好，请申请劳动仲裁。".encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = run(["practice", "grade", LABOUR, "-", "--json"], capsys)
    assert code == 0 and json.loads(out)["items"][0]["verdict"] == "right"


@pytest.mark.parametrize(("args", "message"), [
    (["practice", "grade", "no-such-case", "您好"], "没有编号为“no-such-case”的练习案例"),
    (["practice", "grade", LABOUR, ""], "答复是空的"),
    (["practice", "grade", LABOUR, "   "], "答复是空的"),
    (["practice", "grade", LABOUR, "您好", "--staff", "  "], "工作人员编号不能为空"),
])
def test_grade_errors_exit_2(use_kb: str, capsys: pytest.CaptureFixture, args: list[str],
                             message: str) -> None:
    code, out, err = run(args, capsys)
    assert code == 2 and message in err and "Traceback" not in err and not out


def test_bad_report_date_exits_2(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["practice", "report", "--since", "yesterday"])
    assert exit_.value.code == 2 and "YYYY-MM-DD" in capsys.readouterr().err


def test_grade_with_staff_then_report(kb, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'p.db'}"]  # attempts (and a knowledge copy) here
    standard = load(kb)[1].get(LABOUR).standard_answer
    assert run([*db, "practice", "grade", LABOUR, standard, "--staff", "A1"], capsys)[0] == 0
    assert run([*db, "practice", "grade", LABOUR, "您好，请申请行政复议。", "--staff", "B2"],
               capsys)[0] == 0
    out_dir = tmp_path / "report"
    code, out, _ = run([*db, "practice", "report", "--out", str(out_dir)], capsys)
    assert code == 0 and "练习记录 2 次" in out and "A1：1 次，平均 100.0 分" in out
    assert "最常失分的项目" in out and str(out_dir / "practice-report.png") in out
    assert (out_dir / "practice-report.png").read_bytes()[:4] == b"\x89PNG"
    numbers = json.loads((out_dir / "practice-report.json").read_text("utf-8"))
    assert numbers["total"]["count"] == 2 and numbers["staff"]["A1"]["mean"] == 100.0
    code, out, _ = run([*db, "practice", "report", "--staff", "B2", "--since", "2000-01-01",
                        "--out", str(out_dir)], capsys)
    assert code == 0 and "练习记录 1 次" in out and "A1" not in out


def test_practice_help_and_module_entry(use_kb: str) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "practice", "grade", LABOUR,
                             "您好，请申请劳动仲裁"], capture_output=True, text=True, cwd=ROOT,
                            timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert "得分：" in result.stdout and "标准答复：" in result.stdout
    result = subprocess.run([sys.executable, "-m", "bot", "practice"], capture_output=True,
                            text=True, cwd=ROOT, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0 and "cases" in result.stdout and "report" in result.stdout
