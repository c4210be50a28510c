"""The evaluation harness (bot.evaluation) and the baselines (bot.triage.baselines)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bot import evaluation
from bot.evaluation import (
    EvalReport,
    abbreviations,
    add_evaluate_command,
    cmd_evaluate,
    evaluate,
    format_report,
    load_cases,
    write_report_dir,
)
from bot.knowledge import KnowledgeBase
from bot.triage.baselines import keyword_baseline, load_keywords, rasa_baseline
from bot.triage.result import TriageResult
from tests.conftest import channel_codes

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# text → (channel, confidence, articles) of the fake predictor
ANSWERS: dict[str, tuple[str | None, float, list[str]]] = {
    "甲": ("admin_reconsideration", 0.9, ["条例 第31条 第4项", "复议法 第20条 第1款"]),
    "乙": ("admin_reconsideration", 0.8, ["行诉法 第46条"]),
    "丙": (None, 0.3, []),
    "丁": ("civil_litigation", 0.7, []),
    "戊": ("civil_litigation", 0.95, []),
    "己": ("labour_arbitration", 0.6, ["劳仲法 第27条 第4款"]),
}

CASES: list[dict] = [
    # right; both gold articles found (复议法20 without 款 matches the prediction's 第1款)
    {"text": "甲", "channel": "admin_reconsideration",
     "acceptable": ["admin_reconsideration", "admin_litigation"],
     "articles": ["条例 第31条 第4项", "复议法 第20条"]},
    # wrong but acceptable, other family; gold 第1款 not matched by a bare 第46条
    {"text": "乙", "channel": "admin_litigation",
     "acceptable": ["admin_litigation", "admin_reconsideration"],
     "articles": ["行诉法 第46条 第1款"]},
    # the bot asks: wrong everywhere; no "acceptable" means [channel]
    {"text": "丙", "channel": "labour_arbitration"},
    {"text": "丁", "channel": "civil_litigation", "acceptable": ["civil_litigation"]},
    # wrong and not acceptable, but the same family (诉讼)
    {"text": "戊", "channel": "criminal_report", "acceptable": ["criminal_report"],
     "source_style": "chat"},
    # right; gold 劳仲法27 matches the prediction's 第4款
    {"text": "己", "channel": "labour_arbitration", "articles": ["劳仲法 第27条"]},
]


def fake_predict(text: str) -> TriageResult:
    channel, confidence, articles = ANSWERS[text]
    return TriageResult(channel=channel, confidence=confidence, articles=articles)


@pytest.fixture()
def report(kb: KnowledgeBase) -> EvalReport:
    return evaluate(CASES, fake_predict, progress=False, kb=kb)


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


# ---- metrics, computed by hand ---------------------------------------------------------
def test_accuracy_acceptable_family_ask(report: EvalReport) -> None:
    assert report.n == 6
    assert report.accuracy == pytest.approx(3 / 6)  # 甲 丁 己
    assert report.acceptable_accuracy == pytest.approx(4 / 6)  # + 乙
    assert report.family_accuracy == pytest.approx(4 / 6)  # 甲 丁 戊 己
    assert report.ask_rate == pytest.approx(1 / 6)  # 丙


def test_per_channel_and_macro_f1(report: EvalReport) -> None:
    pc = {code: {k: row[k] for k in ("precision", "recall", "f1", "support")}
          for code, row in report.per_channel.items()}
    # channels that occur as gold or prediction, in catalogue order
    assert list(pc) == ["admin_reconsideration", "admin_litigation", "civil_litigation",
                        "criminal_report", "labour_arbitration"]
    assert pc["admin_reconsideration"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1})
    assert pc["admin_litigation"] == pytest.approx(
        {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1})
    assert pc["civil_litigation"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1})
    assert pc["criminal_report"] == pytest.approx(
        {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1})
    # asking counts against labour_arbitration's recall
    assert pc["labour_arbitration"] == pytest.approx(
        {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2})
    assert report.macro_f1 == pytest.approx((3 * 2 / 3) / 5)


def test_confusion(report: EvalReport) -> None:
    assert report.confusion == {
        "admin_reconsideration": {"admin_reconsideration": 1},
        "admin_litigation": {"admin_reconsideration": 1},
        "civil_litigation": {"civil_litigation": 1},
        "criminal_report": {"civil_litigation": 1},
        "labour_arbitration": {"labour_arbitration": 1, "ASK": 1},
    }


def test_article_recall(report: EvalReport) -> None:
    assert report.article_cases == 3
    assert report.article_recall == pytest.approx(3 / 4)


def test_article_recall_none_without_gold_articles(kb: KnowledgeBase) -> None:
    cases = [{"text": "丁", "channel": "civil_litigation"}]
    assert evaluate(cases, fake_predict, progress=False, kb=kb).article_recall is None


def test_article_matching_rules(kb: KnowledgeBase) -> None:
    """Citations are compared normalised; gold 款/项 must match when given."""
    def predict(_: str) -> TriageResult:
        return TriageResult("admin_reconsideration", articles=[
            "《信访工作条例》第三十一条第（四）项", "复议法 第23条 第1款 第3项"])

    def recall(articles: list[str]) -> float | None:
        cases = [{"text": "x", "channel": "admin_reconsideration", "articles": articles}]
        return evaluate(cases, predict, progress=False, kb=kb).article_recall

    assert recall(["条例 第31条 第4项"]) == 1.0  # other spelling, same citation
    assert recall(["条例 第31条"]) == 1.0  # gold without 款/项: any part of the article
    assert recall(["复议法 第23条 第1款"]) == 1.0
    assert recall(["复议法 第23条 第1款 第2项"]) == 0.0  # another 项
    assert recall(["行诉法 第31条"]) == 0.0  # same number, another law
    assert recall(["条例 第31条 第4项", "条例 第32条"]) == 0.5


def test_worst_errors(report: EvalReport) -> None:
    errors = report.worst_errors
    # wrong answers only (the ask of 丙 is not one), most confident first
    assert [(e["text"], e["predicted"], e["confidence"]) for e in errors] == [
        ("戊", "civil_litigation", 0.95), ("乙", "admin_reconsideration", 0.8)]
    assert errors[0]["gold"] == "criminal_report"
    assert errors[0]["acceptable"] == ["criminal_report"]
    assert errors[1]["within_acceptable"] is True


def test_worst_errors_truncate_and_cap(kb: KnowledgeBase) -> None:
    cases = [{"text": f"{i:02d}" + "长" * 100, "channel": "suggestion"} for i in range(25)]

    def predict(text: str) -> TriageResult:
        return TriageResult("ordinary_petition", confidence=int(text[:2]) / 100)

    errors = evaluate(cases, predict, progress=False, kb=kb).worst_errors
    assert len(errors) == 20
    assert errors[0]["confidence"] == 0.24
    assert len(errors[0]["text"]) == 80 and errors[0]["text"].endswith("…")


def test_to_dict_is_json(report: EvalReport) -> None:
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    for key in ("n", "accuracy", "acceptable_accuracy", "macro_f1", "family_accuracy",
                "ask_rate", "per_channel", "confusion", "article_recall", "worst_errors"):
        assert key in data
    assert data["confusion"]["labour_arbitration"]["ASK"] == 1


def test_progress_bar_goes_to_stderr(kb: KnowledgeBase, capsys: pytest.CaptureFixture) -> None:
    evaluate(CASES, fake_predict, progress=True, kb=kb)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "evaluate" in captured.err and "/6" in captured.err


def test_evaluate_rejects_no_cases(kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="没有评测用例"):
        evaluate([], fake_predict, progress=False, kb=kb)


def test_predictor_failure_names_the_case(kb: KnowledgeBase) -> None:
    def broken(_: str) -> TriageResult:
        raise KeyError("boom")

    with pytest.raises(RuntimeError, match="第1个用例"):
        evaluate(CASES, broken, progress=False, kb=kb)


# ---- load_cases ----------------------------------------------------------------------
def test_load_cases(tmp_path: Path, kb: KnowledgeBase) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(CASES[0], ensure_ascii=False) + "\n\n"
                    + json.dumps(CASES[2], ensure_ascii=False) + "\n", "utf-8")
    cases = load_cases(path, kb)
    assert [c["text"] for c in cases] == ["甲", "丙"]
    assert cases[1]["acceptable"] == ["labour_arbitration"]  # missing → [channel]
    assert cases[0]["articles"] == ["条例 第31条 第4项", "复议法 第20条"]


@pytest.mark.parametrize(("line", "message"), [
    ('{"text": "甲", "channel": ', "第2行：不是有效的 JSON"),
    ('["甲", "admin_litigation"]', "第2行：每行应是一个 JSON 对象"),
    ('{"channel": "admin_litigation"}', "第2行：缺少 text"),
    ('{"text": "  ", "channel": "admin_litigation"}', "第2行：缺少 text"),
    ('{"text": "甲"}', "第2行：缺少 channel"),
    ('{"text": "甲", "channel": "petition"}', "第2行：未知的渠道代码 'petition'"),
    ('{"text": "甲", "channel": "suggestion", "acceptable": ["x"]}', "第2行：acceptable"),
    ('{"text": "甲", "channel": "suggestion", "acceptable": "suggestion"}', "第2行：acceptable"),
    ('{"text": "甲", "channel": "suggestion", "articles": ["第31条"]}', "第2行：无法解析"),
])
def test_load_cases_errors(tmp_path: Path, kb: KnowledgeBase, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "好", "channel": "suggestion"}\n' + line + "\n", "utf-8")
    with pytest.raises(ValueError, match=message):
        load_cases(path, kb)


def test_load_cases_file_errors(tmp_path: Path, kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="找不到评测文件"):
        load_cases(tmp_path / "missing.jsonl", kb)
    (tmp_path / "empty.jsonl").write_text("\n\n", "utf-8")
    with pytest.raises(ValueError, match="没有任何用例"):
        load_cases(tmp_path / "empty.jsonl", kb)
    (tmp_path / "gbk.jsonl").write_bytes('{"text": "罚款"}'.encode("gbk"))
    with pytest.raises(ValueError, match="UTF-8"):
        load_cases(tmp_path / "gbk.jsonl", kb)


# ---- reports -------------------------------------------------------------------------
def test_format_report(report: EvalReport) -> None:
    text = format_report({"keyword": report, "ours": report})
    header = next(line for line in text.splitlines() if line.startswith("| 指标"))
    assert header == "| 指标 | ours | keyword |"  # ours first, whatever the dict order
    assert "| accuracy 准确率（与标注渠道一致） | 0.500 | 0.500 |" in text
    assert "| labour_arbitration | 1.000 | 0.500 | 0.500 | 0.667 | 2 |" in text
    assert "| LA | · | · | · | · | 1 | 1 |" in text  # confusion row, ASK last
    assert "LA = labour_arbitration" in text
    assert "| 1 | 0.95 | criminal_report | civil_litigation | 否 | 戊 |" in text


def test_abbreviations_are_unique() -> None:
    codes = [*channel_codes(), "admin_x_y", "ASK"]
    short = abbreviations(codes)
    assert short["admin_reconsideration"] == "AR"
    assert short["land_contract_arbitration"] == "LCA"
    assert short["ASK"] == "ASK"
    assert len(set(short.values())) == len(codes)


def test_write_report_dir(report: EvalReport, tmp_path: Path) -> None:
    target = tmp_path / "out" / "eval"
    write_report_dir({"ours": report, "rasa": report}, target)
    assert (target / "report.md").read_text("utf-8") == format_report(
        {"ours": report, "rasa": report})
    metrics = json.loads((target / "metrics.json").read_text("utf-8"))
    assert metrics["accuracy"] == pytest.approx(0.5)
    assert set(metrics["baselines"]) == {"rasa"}
    for name in ("ours", "rasa"):
        png = target / f"confusion_{name}.png"
        assert png.read_bytes()[:8] == PNG_SIGNATURE
        import matplotlib.image

        image = matplotlib.image.imread(png)  # decodes: a valid PNG
        assert image.shape[0] > 100 and image.shape[1] > 100


# ---- CLI -----------------------------------------------------------------------------
def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    add_evaluate_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture()
def cases_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "cases.jsonl", CASES)


@pytest.fixture()
def fake_triage(monkeypatch: pytest.MonkeyPatch, use_kb: str) -> None:
    """The triage engine replaced by the fake predictor."""
    import types

    import bot.triage

    fake = types.SimpleNamespace(nlu=None, triage=lambda text, *a, **k: fake_predict(text))
    monkeypatch.setattr(bot.triage, "get_engine", lambda: fake)


@pytest.mark.usefixtures("fake_triage")
def test_cmd_evaluate_json(cases_file: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture) -> None:
    status = run_cli(["evaluate", str(cases_file), "--json", "--no-classifier",
                      "--baseline", "keyword", "--report", str(tmp_path / "rep")])
    assert status == 0
    data = json.loads(capsys.readouterr().out)  # stdout is exactly one JSON object
    for key in ("n", "accuracy", "acceptable_accuracy", "macro_f1", "family_accuracy",
                "ask_rate", "per_channel", "confusion", "article_recall", "worst_errors"):
        assert key in data
        assert key in data["baselines"]["keyword"]
    assert data["accuracy"] == pytest.approx(0.5)
    assert data["macro_f1"] == pytest.approx(0.4)
    # the keyword baseline finds no keyword in 甲…己: it always asks
    assert data["baselines"]["keyword"]["ask_rate"] == 1.0
    assert sorted(p.name for p in (tmp_path / "rep").iterdir()) == [
        "confusion_keyword.png", "confusion_ours.png", "metrics.json", "report.md"]


@pytest.mark.usefixtures("fake_triage")
def test_cmd_evaluate_text_and_limit(cases_file: Path, capsys: pytest.CaptureFixture) -> None:
    args = argparse.Namespace(file=str(cases_file), json=False, report=None, baseline=[],
                              model=None, limit=2, nlu=False)
    assert cmd_evaluate(args) == 0
    out = capsys.readouterr().out
    assert "| n 用例数 | 2 |" in out
    assert "| 指标 | ours |" in out


def test_cmd_evaluate_arguments() -> None:
    with pytest.raises(SystemExit):
        run_cli(["evaluate", "x.jsonl", "--baseline", "bert"])
    with pytest.raises(SystemExit):
        run_cli(["evaluate", "x.jsonl", "--limit", "0"])


@pytest.mark.usefixtures("fake_triage")
def test_cmd_evaluate_bad_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [{"text": "甲", "channel": "nope"}])
    with pytest.raises(ValueError, match="第1行：未知的渠道代码"):
        run_cli(["evaluate", str(path), "--no-classifier"])


def test_main_predictor_calls_triage(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    import bot.triage

    seen: list[str] = []
    fake = types.SimpleNamespace(triage=lambda text, *a, **k:
                                 seen.append(text) or TriageResult(None))
    monkeypatch.setattr(bot.triage, "get_engine", lambda: fake)
    assert evaluation.main_predictor()("你好").channel is None
    assert seen == ["你好"]  # the same engine as every front door, no Rasa model needed


# ---- keyword baseline ----------------------------------------------------------------
def test_keyword_file_covers_every_channel() -> None:
    keywords = load_keywords()
    assert list(keywords) == channel_codes()  # every channel, catalogue order
    for code, words in keywords.items():
        assert 5 <= len(words) <= 12, code
        assert len(set(words)) == len(words), code


@pytest.mark.parametrize(("text", "channel"), [
    ("交警罚款200元还扣车，我不服这个行政处罚", "admin_reconsideration"),
    ("公司拖欠工资三个月，还不给加班费", "labour_arbitration"),
    ("网上刷单被骗了三万块，怎么报案", "criminal_report"),
    ("村干部贪污扶贫款，我要举报", "discipline_report"),
    ("ＫＴＶ噪音扰民到凌晨", "duty_performance"),
    ("你好", None),
])
def test_keyword_baseline(text: str, channel: str | None) -> None:
    result = keyword_baseline()(text)
    assert result.channel == channel
    if channel is None:
        assert result.asks and result.confidence == 0.0
    else:
        assert 0.0 < result.confidence <= 1.0 and result.reason.startswith("关键词：")


def test_keyword_baseline_ties_by_file_order(tmp_path: Path) -> None:
    path = tmp_path / "kw.yaml"
    path.write_text("channels:\n  suggestion: [公交, 线路]\n  ordinary_petition: [公交, 困难]\n"
                    "  review_request: [线路, 困难]\n", "utf-8")
    predict = keyword_baseline(path)
    assert predict("公交").channel == "suggestion"
    assert predict("困难").channel == "ordinary_petition"
    result = predict("公交困难")
    assert result.channel == "ordinary_petition"  # 2 hits beat 1
    assert result.alternatives == ["suggestion", "review_request"]
    assert result.confidence == pytest.approx(2 / 4)


def test_keyword_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("channels: [罚款]\n", "utf-8")
    with pytest.raises(ValueError, match="channels"):
        keyword_baseline(bad)
    bad.write_text("channels:\n  suggestion: []\n", "utf-8")
    with pytest.raises(ValueError, match="suggestion"):
        keyword_baseline(bad)
    with pytest.raises(ValueError, match="无法读取"):
        keyword_baseline(tmp_path / "missing.yaml")


# ---- Rasa baseline -------------------------------------------------------------------
@pytest.mark.e2e
def test_rasa_baseline_asks_for_a_greeting(use_kb: str, trained_model: Path) -> None:
    from bot.triage.nlu import RasaNLU

    MODEL = trained_model
    predict = rasa_baseline(MODEL)
    assert predict("老板拖欠我三个月工资，一直不发").channel == "labour_arbitration"
    result = predict("你好")
    assert result.channel is None  # greet is not a channel code: the baseline asks
    assert result.reason.startswith("意图 greet")
    nlu = RasaNLU.load(MODEL)
    assert nlu is RasaNLU.load(MODEL)  # cached
    ranking = nlu.ranking("你好")
    assert ranking[0][0] == "greet"
    assert all(0.0 <= conf <= 1.0 for _, conf in ranking)
    assert len(nlu.ranking("/greet")) > 1  # parsed as text, not trusted as an intent payload
    assert nlu.ranking("   ") == []
    assert predict("").channel is None


def test_rasa_baseline_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="找不到 Rasa 模型"):
        rasa_baseline(tmp_path / "none.tar.gz", channels=["suggestion"])


# ---- real-corpus figures: clarity, sources, acceptable recall ------------------------
def _fixed(results: dict[str, str | None]):
    def predict(text: str) -> TriageResult:
        channel = results[text]
        return TriageResult(channel=channel, confidence=0.9 if channel else 0.0)
    return predict


def test_clarity_source_and_acceptable_recall(kb: KnowledgeBase) -> None:
    cases = [
        {"text": "甲", "channel": "duty_performance", "acceptable": ["duty_performance"],
         "clarity": "clear", "source": "board"},
        {"text": "乙", "channel": "duty_performance",
         "acceptable": ["duty_performance", "suggestion"], "clarity": "clear", "source": "board"},
        {"text": "丙", "channel": "admin_reconsideration", "clarity": "ambiguous",
         "source": "qa"},
        {"text": "丁", "channel": "civil_litigation", "clarity": "clear", "source": "qa"},
        {"text": "戊", "channel": "labour_arbitration", "clarity": "clear", "source": "qa"},
    ]
    predictions = {"甲": "duty_performance", "乙": "suggestion", "丙": None,
                   "丁": "admin_reconsideration", "戊": None}
    report = evaluate(cases, _fixed(predictions), progress=False, kb=kb)
    assert report.acceptable_accuracy == pytest.approx(2 / 5)
    assert report.acceptable_with_asks == pytest.approx(3 / 5)  # 丙 asked where it is unclear
    assert report.clear_ask_rate == pytest.approx(1 / 4)  # 戊
    assert report.severe_rate == pytest.approx(1 / 4)  # 丁: 复议 is not the 诉讼 family
    assert report.per_source == {"board": {"n": 2, "acceptable_accuracy": 1.0},
                                 "qa": {"n": 3, "acceptable_accuracy": 0.0}}
    assert report.per_channel["duty_performance"]["recall"] == pytest.approx(0.5)
    assert report.per_channel["duty_performance"]["acceptable_recall"] == pytest.approx(1.0)


def test_title_is_read_before_the_text(kb: KnowledgeBase) -> None:
    seen: list[str] = []

    def predict(text: str) -> TriageResult:
        seen.append(text)
        return TriageResult(channel="suggestion")

    evaluate([{"text": "正文", "title": "标题", "channel": "suggestion"},
              {"text": "没有标题", "channel": "suggestion"}], predict, progress=False, kb=kb)
    assert seen == ["标题。正文", "没有标题"]


def test_cross_validation_never_trains_on_the_fold(tmp_path: Path, kb: KnowledgeBase,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Each fold is predicted by a classifier trained without it: a text seen only in its
    own fold is never in the training data of the model that triages it."""
    from bot.triage import classifier as clf_module

    trained_on: list[set[str]] = []
    real_train = clf_module.train

    def spy(examples, lexicon, settings=None):
        trained_on.append({e.text for e in examples})
        return real_train(examples, lexicon, settings)

    monkeypatch.setattr(clf_module, "train", spy)
    rows = [{"text": f"单位拖欠我{i}个月工资不给", "channel": "labour_arbitration"}
            for i in range(1, 7)]
    rows += [{"text": f"楼下饭店油烟扰民第{i}回了", "channel": "duty_performance"}
             for i in range(1, 7)]
    path = write_jsonl(tmp_path / "cases.jsonl", rows)
    cases = load_cases(path, kb)
    from bot.evaluation import cross_validate

    predict = cross_validate(cases, path, 3, kb, progress=False)
    report = evaluate(cases, predict, progress=False, kb=kb)
    assert len(trained_on) == 3
    texts = {r["text"] for r in rows}
    for seen in trained_on:  # two thirds of the file each time, never all of it
        assert len(seen & texts) == 8
    assert report.acceptable_accuracy >= 0.8
