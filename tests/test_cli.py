"""The command line: quoting, searching, versions, deadlines, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.cli import main
from tests.conftest import ROOT


def run(args: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_the_commands(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    for command in ("knowledge", "article", "search", "channels", "deadline"):
        assert command in out


def test_module_entry_point_runs(use_kb: str) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "article", "条例", "31", "--item", "4"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert "第三十一条第四项" in result.stdout and "（四）可以通过行政复议" in result.stdout


def test_article_with_item(use_kb: str, capsys: pytest.CaptureFixture, kb) -> None:
    code, out, _ = run(["article", "信访工作条例", "31", "--item", "4"], capsys)
    quote = kb.get_article("信访工作条例", 31, item=4)
    assert code == 0
    assert quote.text in out
    assert "《信访工作条例》第三十一条第四项" in out
    assert "2022年5月1日施行" in out and "现行有效" in out


def test_article_json_holds_the_text(use_kb: str, capsys: pytest.CaptureFixture, kb) -> None:
    code, out, _ = run(["article", "信访工作条例", "第三十六条", "--paragraph", "3", "--json"],
                       capsys)
    data = json.loads(out)
    assert code == 0
    assert data["text"] == kb.get_article("条例", 36, paragraph=3).text
    assert data["law_name"] == "信访工作条例" and data["effective"] == "2022-05-01"
    assert data["in_force"] is True and data["version_label"] == "2022年版"


def test_superseded_version_is_named(use_kb: str, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(["article", "仲裁法", "4"], capsys)
    assert code == 0
    assert "2017年修正" in out and "非现行文本" in out
    assert "2025年修订" in out and "2026年3月1日施行" in out


@pytest.mark.parametrize(("args", "message"), [
    (["article", "物权法", "1"], "未收录"),
    (["article", "信访工作条例", "99"], "没有第九十九条"),
    (["article", "信访工作条例", "31", "--item", "12"], "没有第十二项"),
    (["article", "复议法", "20", "--version", "1999年版"], "没有“1999年版”这个版本"),
    (["channels", "nope"], "没有渠道代码"),
    (["deadline", "suggestion", "--start", "2026-01-01"], "没有法定期限"),
    (["deadline", "admin_reconsideration", "--limit", "zzz"], "没有期限 zzz"),
])
def test_lookup_errors_exit_2(use_kb: str, capsys: pytest.CaptureFixture, args: list[str],
                              message: str) -> None:
    code, out, err = run(args, capsys)
    assert code == 2
    assert message in err and "Traceback" not in err and out == ""


@pytest.mark.parametrize("args", [
    ["article", "信访工作条例", "abc"],
    ["article", "信访工作条例", "-3"],
    ["search", "复查", "--limit", "0"],
    ["article"],
    ["deadline", "admin_reconsideration", "--start", "2026-02-30"],
    ["nosuchcommand"],
])
def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture, args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err


def test_search(use_kb: str, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(["search", "复查", "期限"], capsys)
    assert code == 0 and "《信访工作条例》第三十六条" in out
    code, out, _ = run(["search", "复查", "--json", "--limit", "3"], capsys)
    results = json.loads(out)
    assert code == 0 and 0 < len(results) <= 3 and all("复查" in r["text"] for r in results)
    code, out, _ = run(["search", "量子纠缠"], capsys)
    assert code == 0 and "没有找到" in out
    code, _, err = run(["search"], capsys)
    assert code == 2 and "请给出要查找的词" in err


def test_channels(use_kb: str, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(["channels", "--json"], capsys)
    assert code == 0 and len(json.loads(out)) == 15
    code, out, _ = run(["channels", "admin_reconsideration"], capsys)
    assert code == 0 and "行政复议" in out and "60日" in out


def test_deadline(use_kb: str, capsys: pytest.CaptureFixture) -> None:
    # 60 days from 2026-03-02 end on 2026-05-01 (劳动节), moved to the first working day
    code, out, _ = run(["deadline", "admin_reconsideration", "--start", "2026-03-02", "--json"],
                       capsys)
    data = json.loads(out)
    assert code == 0 and data["due"] == "2026-05-06"
    assert any("第二十条" in g or "第20条" in g for g in data["grounds"])
    code, out, _ = run(["deadline", "labour_arbitration", "--wages-owed", "--json"], capsys)
    assert code == 0 and json.loads(out)["no_limit"] is True


def test_knowledge_build_and_check(tmp_path, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(["--db", f"sqlite:///{tmp_path / 'k.db'}", "knowledge", "build"], capsys)
    assert code == 0 and "28部法律法规" in out and "15个渠道" in out
    code, out, _ = run(["knowledge", "check"], capsys)
    assert code == 0 and "条文引用均可解析" in out
