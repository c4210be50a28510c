"""Evaluation harness: run a predictor over labelled complaints and measure it.

    cases = load_cases("data/eval/holdout.jsonl")
    report = evaluate(cases, triage)                 # predict(text) -> TriageResult
    print(format_report({"ours": report, "keyword": evaluate(cases, keyword_baseline())}))

A case is one JSON line ``{"text", "channel", "acceptable": [...], "articles": [...]}``
("acceptable" defaults to [channel], "articles" is optional, other fields are ignored).
CLI: ``python -m bot evaluate FILE.jsonl [--json] [--report DIR] [--baseline keyword|rasa]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.knowledge import Citation, KnowledgeBase
    from bot.knowledge.citations import CitationParser
    from bot.triage.result import TriageResult

Predictor = Callable[[str], "TriageResult"]

ASK = "ASK"  # the predicted label when the bot asked instead of answering
MAIN = "ours"  # name of the system under test in reports
BASELINES = ("keyword", "rasa")
WORST_ERRORS = 20
TEXT_WIDTH = 80

METRICS: tuple[tuple[str, str], ...] = (
    ("n", "用例数"),
    ("accuracy", "准确率（与标注渠道一致）"),
    ("acceptable_accuracy", "可接受准确率（在可接受渠道内）"),
    ("macro_f1", "宏平均 F1"),
    ("family_accuracy", "大类准确率（复议/诉讼/仲裁/信访）"),
    ("ask_rate", "追问率"),
    ("acceptable_with_asks", "可接受率（标注为 ambiguous 的用例追问也算对）"),
    ("severe_rate", "严重错分率（清楚用例答到所有可接受渠道之外的大类）"),
    ("clear_ask_rate", "清楚用例的追问率"),
    ("article_recall", "条文召回率"),
)


# ---- cases ---------------------------------------------------------------------------
def load_cases(path: str | Path, kb: KnowledgeBase | None = None) -> list[dict[str, Any]]:
    """Read a JSONL file of labelled cases, checking every line.

    Raises ValueError naming the line for bad JSON, a missing text or channel, an unknown
    channel code (also in "acceptable") or an unparsable citation in "articles". Blank lines
    are skipped. "acceptable" always comes back as a list that starts with the channel.
    """
    source = Path(path)
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ValueError(f"找不到评测文件：{source}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{source}：不是 UTF-8 编码的文本") from None
    except OSError as exc:
        raise ValueError(f"无法读取评测文件 {source}：{exc}") from exc
    kb = kb or _knowledge()
    codes = {c.code for c in kb.channels()}
    cases: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source} 第{number}行"
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}：不是有效的 JSON（{exc.msg}，第{exc.colno}列）") from None
        if not isinstance(case, dict):
            raise ValueError(f"{where}：每行应是一个 JSON 对象")
        cases.append(_check_case(case, where, codes, kb.citations))
    if not cases:
        raise ValueError(f"{source}：没有任何用例")
    return cases


def _check_case(case: dict[str, Any], where: str, codes: set[str],
                parser: CitationParser) -> dict[str, Any]:
    text = case.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}：缺少 text（投诉文本）")
    channel = case.get("channel")
    if not isinstance(channel, str) or not channel:
        raise ValueError(f"{where}：缺少 channel（标注渠道）")
    if channel not in codes:
        raise ValueError(f"{where}：未知的渠道代码 {channel!r}")
    acceptable = case.get("acceptable", [channel])
    if not isinstance(acceptable, list) or not all(isinstance(a, str) for a in acceptable):
        raise ValueError(f"{where}：acceptable 应为渠道代码列表")
    unknown = [a for a in acceptable if a not in codes]
    if unknown:
        raise ValueError(f"{where}：acceptable 中有未知的渠道代码 {unknown[0]!r}")
    result = dict(case)
    result["acceptable"] = _acceptable(channel, acceptable)
    if "articles" in case:
        articles = case["articles"]
        if not isinstance(articles, list) or not all(isinstance(a, str) for a in articles):
            raise ValueError(f"{where}：articles 应为条文引用列表，如 [\"条例 第31条 第4项\"]")
        for ref in articles:
            try:
                parser.parse(ref)
            except ValueError as exc:
                raise ValueError(f"{where}：{exc}") from None
    return result


def _acceptable(channel: str, acceptable: Iterable[str] | None) -> list[str]:
    return list(dict.fromkeys([channel, *(acceptable or [])]))


def _knowledge() -> KnowledgeBase:
    from bot.knowledge import open_knowledge

    return open_knowledge()


# ---- evaluation ----------------------------------------------------------------------
@dataclass
class EvalReport:
    """The metrics of one system on one set of cases (all rates in 0..1)."""

    n: int
    accuracy: float
    acceptable_accuracy: float
    macro_f1: float
    family_accuracy: float
    ask_rate: float
    per_channel: dict[str, dict[str, float | int]]  # code → precision, recall, f1, support
    confusion: dict[str, dict[str, int]]  # gold → predicted (or "ASK") → count
    article_recall: float | None = None  # None when no case gives "articles"
    article_cases: int = 0  # cases that give (non-empty) "articles"
    worst_errors: list[dict[str, Any]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list, repr=False)  # channel order for display
    acceptable_with_asks: float = 0.0  # a question counts as right on an "ambiguous" case
    severe_rate: float | None = None  # over "clear" cases (None: the file has no clarity)
    clear_ask_rate: float | None = None
    per_source: dict[str, dict[str, float | int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable metrics."""
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "acceptable_accuracy": self.acceptable_accuracy,
            "macro_f1": self.macro_f1,
            "family_accuracy": self.family_accuracy,
            "ask_rate": self.ask_rate,
            "acceptable_with_asks": self.acceptable_with_asks,
            "severe_rate": self.severe_rate,
            "clear_ask_rate": self.clear_ask_rate,
            "per_source": {k: dict(v) for k, v in self.per_source.items()},
            "article_recall": self.article_recall,
            "article_cases": self.article_cases,
            "per_channel": {k: dict(v) for k, v in self.per_channel.items()},
            "confusion": {k: dict(v) for k, v in self.confusion.items()},
            "worst_errors": [dict(e) for e in self.worst_errors],
        }


def case_text(case: Mapping[str, Any]) -> str:
    """What the bot reads of a case: a letter's subject line (``title``) before its text."""
    from bot.triage.classifier import join_title

    return join_title(case["text"], case.get("title"))


def evaluate(cases: Sequence[Mapping[str, Any]], predict: Predictor, *, progress: bool = True,
             kb: KnowledgeBase | None = None, desc: str = "evaluate") -> EvalReport:
    """Run ``predict`` on every case and compute the metrics (see the module docstring).

    ``kb`` (default: ``open_knowledge()``) gives the channel families and parses citations.
    A progress bar goes to stderr when ``progress`` is true. Cases may carry ``clarity``
    (clear / ambiguous / multi) and ``source``: then the severe-misroute rate, the ask rate on
    clear cases and the figures per source are computed too.
    """
    from tqdm import tqdm

    if not cases:
        raise ValueError("没有评测用例")
    kb = kb or _knowledge()
    families = {c.code: c.family for c in kb.channels()}
    golds: list[str] = []
    preds: list[str | None] = []
    correct = acceptable_hits = family_hits = asks = 0
    found_articles = gold_articles = article_cases = 0
    errors: list[tuple[float, int, dict[str, Any]]] = []
    with_asks = clear = clear_asks = severe = 0
    by_source: dict[str, list[bool]] = defaultdict(list)
    acceptable_recall: dict[str, list[bool]] = defaultdict(list)
    for index, case in enumerate(tqdm(cases, desc=desc, unit="例", file=sys.stderr,
                                      disable=not progress, leave=False)):
        text, gold = case_text(case), case["channel"]
        acceptable = _acceptable(gold, case.get("acceptable"))
        try:
            result = predict(text)
        except Exception as exc:
            raise RuntimeError(f"第{index + 1}个用例预测失败（{type(exc).__name__}: {exc}）："
                               f"{_short(text)}") from exc
        predicted = result.channel or None
        confidence = float(result.confidence or 0.0)
        golds.append(gold)
        preds.append(predicted)
        if predicted is None:
            asks += 1
        correct += predicted == gold
        hit = predicted is not None and predicted in acceptable
        acceptable_hits += hit
        clarity = case.get("clarity")
        with_asks += hit or (predicted is None and clarity == "ambiguous")
        if clarity == "clear":
            clear += 1
            clear_asks += predicted is None
            severe += (predicted is not None and families.get(predicted) not in
                       {families.get(a) for a in acceptable})
        if case.get("source"):
            by_source[str(case["source"])].append(hit)
        acceptable_recall[gold].append(hit)
        family_hits += (predicted is not None and predicted in families
                        and families[predicted] == families.get(gold))
        wanted = list(case.get("articles") or [])
        if wanted:
            article_cases += 1
            gold_articles += len(wanted)
            found_articles += _count_found(wanted, list(result.articles or []), kb.citations)
        if predicted is not None and predicted != gold:
            errors.append((confidence, index, {
                "text": _short(text),
                "gold": gold,
                "acceptable": acceptable,
                "predicted": predicted,
                "confidence": confidence,
                "within_acceptable": predicted in acceptable,
            }))
    n = len(golds)
    per_channel = _per_channel(golds, preds, list(families))
    for code, row in per_channel.items():
        hits = acceptable_recall.get(code) or []
        row["acceptable_recall"] = sum(hits) / len(hits) if hits else 0.0
    confusion: dict[str, dict[str, int]] = defaultdict(dict)
    for (gold, label), count in Counter(
            (g, p if p is not None else ASK) for g, p in zip(golds, preds, strict=True)).items():
        confusion[gold][label] = count
    order = {code: i for i, code in enumerate(families)}
    confusion_sorted = {
        g: dict(sorted(row.items(), key=lambda kv: order.get(kv[0], len(order))))
        for g, row in sorted(confusion.items(), key=lambda kv: order.get(kv[0], len(order)))
    }
    errors.sort(key=lambda item: (-item[0], item[1]))
    labels = [c for c in families if c in per_channel] + [
        c for c in per_channel if c not in families]
    return EvalReport(
        n=n,
        accuracy=correct / n,
        acceptable_accuracy=acceptable_hits / n,
        macro_f1=(sum(m["f1"] for m in per_channel.values()) / len(per_channel)
                  if per_channel else 0.0),
        family_accuracy=family_hits / n,
        ask_rate=asks / n,
        per_channel=per_channel,
        confusion=confusion_sorted,
        article_recall=found_articles / gold_articles if gold_articles else None,
        article_cases=article_cases,
        worst_errors=[e for _, _, e in errors[:WORST_ERRORS]],
        labels=labels,
        acceptable_with_asks=with_asks / n,
        severe_rate=severe / clear if clear else None,
        clear_ask_rate=clear_asks / clear if clear else None,
        per_source={name: {"n": len(v), "acceptable_accuracy": sum(v) / len(v)}
                    for name, v in sorted(by_source.items())},
    )


def _per_channel(golds: list[str], preds: list[str | None],
                 order: list[str]) -> dict[str, dict[str, float | int]]:
    """Precision, recall, F1 and support per channel that occurs as gold or prediction."""
    support = Counter(golds)
    predicted = Counter(p for p in preds if p is not None)
    true_pos = Counter(g for g, p in zip(golds, preds, strict=True) if g == p)
    present = set(support) | set(predicted)
    codes = [c for c in order if c in present] + sorted(present - set(order))
    table: dict[str, dict[str, float | int]] = {}
    for code in codes:
        tp = true_pos[code]
        precision = tp / predicted[code] if predicted[code] else 0.0
        recall = tp / support[code] if support[code] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[code] = {"precision": precision, "recall": recall, "f1": f1,
                       "support": support[code]}
    return table


def _count_found(wanted: list[str], given: list[str], parser: CitationParser) -> int:
    """How many gold citations the prediction's citations cover. A gold citation without
    款 or 项 matches any prediction of the same article (and law)."""
    predicted: list[Citation] = []
    for ref in given:
        try:
            predicted.append(parser.parse(ref))
        except ValueError:
            predicted.extend(parser.find(ref))  # e.g. 《信访工作条例》第三十一条 in prose
    found = 0
    for ref in wanted:
        gold = parser.parse(ref)
        found += any(
            p.law == gold.law and p.article == gold.article
            and (gold.paragraph is None or p.paragraph == gold.paragraph)
            and (gold.item is None or p.item == gold.item)
            for p in predicted
        )
    return found


def _short(text: str, width: int = TEXT_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# ---- reports -------------------------------------------------------------------------
def _ordered(reports: Mapping[str, EvalReport]) -> list[str]:
    """Report names: the main system first, then the baselines (keyword, rasa), then others."""
    rank = {name: i for i, name in enumerate((MAIN, *BASELINES))}
    return sorted(reports, key=lambda name: rank.get(name, len(rank)))


def _main_name(reports: Mapping[str, EvalReport]) -> str:
    return _ordered(reports)[0]


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def abbreviations(codes: Iterable[str]) -> dict[str, str]:
    """Short unique labels for channel codes: initials in upper case (admin_reconsideration →
    AR, land_contract_arbitration → LCA); "ASK" stays as it is."""
    result: dict[str, str] = {}
    used: set[str] = set()
    for code in codes:
        if code == ASK:
            result[code] = ASK
            continue
        base = "".join(part[0] for part in code.split("_") if part).upper() or code.upper()
        label, k = base, 2
        while label in used or label == ASK:
            label, k = f"{base}{k}", k + 1
        used.add(label)
        result[code] = label
    return result


def _matrix_labels(report: EvalReport) -> tuple[list[str], list[str]]:
    """Rows (gold) and columns (predicted, with ASK last when the bot asked)."""
    seen = set(report.confusion)
    for row in report.confusion.values():
        seen.update(row)
    codes = [c for c in report.labels if c in seen]
    codes += sorted(seen - set(codes) - {ASK})
    columns = codes + ([ASK] if ASK in seen else [])
    return codes, columns


def format_report(reports: Mapping[str, EvalReport]) -> str:
    """A readable Markdown report: every system side by side, then per-channel scores, the
    confusion matrix and the worst errors of the main system ("ours", else the first)."""
    if not reports:
        raise ValueError("没有可报告的评测结果")
    names = _ordered(reports)
    main = reports[names[0]]
    lines = ["# 分流评测报告", "", "## 总体指标", ""]
    lines.append("| 指标 | " + " | ".join(names) + " |")
    lines.append("|---|" + "---:|" * len(names))
    for key, label in METRICS:
        values = [getattr(reports[name], key) for name in names]
        lines.append(f"| {key} {label} | " + " | ".join(_fmt(v) for v in values) + " |")
    lines += ["", "准确率、大类准确率中追问都算错；条文召回率只统计标注了 articles 的用例"
              f"（{names[0]}：{main.article_cases}例）。", ""]

    if main.per_source:
        lines += [f"## 各来源（{names[0]}）", "", "| 来源 | 用例数 | 可接受准确率 |",
                  "|---|---:|---:|"]
        for source, m in main.per_source.items():
            lines.append(f"| {source} | {m['n']} | {_fmt(m['acceptable_accuracy'])} |")
        lines.append("")
    lines += [f"## 各渠道 P/R/F1（{names[0]}；可接受召回 = 该渠道的用例答在可接受渠道内的比例）",
              "", "| 渠道 | precision | recall | 可接受召回 | F1 | support |",
              "|---|---:|---:|---:|---:|---:|"]
    for code, m in main.per_channel.items():
        lines.append(f"| {code} | {_fmt(m['precision'])} | {_fmt(m['recall'])} | "
                     f"{_fmt(m.get('acceptable_recall'))} | {_fmt(m['f1'])} | {m['support']} |")

    rows, columns = _matrix_labels(main)
    short = abbreviations(columns)
    lines += ["", f"## 混淆矩阵（{names[0]}；行 = 标注，列 = 预测，ASK = 追问）", ""]
    lines.append("| 标注＼预测 | " + " | ".join(short[c] for c in columns) + " |")
    lines.append("|---|" + "---:|" * len(columns))
    for gold in rows:
        row = main.confusion.get(gold, {})
        cells = [str(row[c]) if row.get(c) else "·" for c in columns]
        lines.append(f"| {short[gold]} | " + " | ".join(cells) + " |")
    legend = "，".join(f"{short[c]} = {c}" for c in columns if c != ASK)
    lines += ["", f"缩写：{legend}。", ""]

    lines += [f"## 最自信的错误（{names[0]}，最多{WORST_ERRORS}条）", ""]
    if not main.worst_errors:
        lines.append("没有答错的用例（追问不计入此表）。")
    else:
        lines += ["| # | 置信度 | 标注 | 预测 | 可接受 | 文本 |", "|---:|---:|---|---|---|---|"]
        for i, err in enumerate(main.worst_errors, start=1):
            ok = "是" if err["within_acceptable"] else "否"
            lines.append(f"| {i} | {err['confidence']:.2f} | {err['gold']} | {err['predicted']} "
                         f"| {ok} | {_cell(err['text'])} |")
    return "\n".join(lines) + "\n"


def combined_json(reports: Mapping[str, EvalReport]) -> dict[str, Any]:
    """The main system's metrics at top level, the others under "baselines"."""
    names = _ordered(reports)
    data = reports[names[0]].to_dict()
    data["baselines"] = {name: reports[name].to_dict() for name in names[1:]}
    return data


def plot_confusion(report: EvalReport, path: str | Path, title: str = "") -> Path:
    """Write the confusion matrix as a PNG (ASCII channel codes as labels, counts in cells)."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows, columns = _matrix_labels(report)
    matrix = np.array([[report.confusion.get(g, {}).get(c, 0) for c in columns] for g in rows],
                      dtype=int).reshape(len(rows), len(columns))
    size = max(4.0, 0.55 * len(columns) + 3.0)
    fig = Figure(figsize=(size, max(4.0, 0.5 * len(rows) + 3.0)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap="Blues", aspect="auto", vmin=0)
    fig.colorbar(image, ax=ax, fraction=0.04)
    ax.set_xticks(range(len(columns)), labels=columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), labels=rows, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title or "confusion matrix")
    limit = matrix.max() if matrix.size else 0
    for i in range(len(rows)):
        for j in range(len(columns)):
            if matrix[i, j]:
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if matrix[i, j] > limit / 2 else "black")
    fig.tight_layout()
    target = Path(path)
    fig.savefig(target, format="png")
    return target


def write_report_dir(reports: Mapping[str, EvalReport], directory: str | Path) -> list[Path]:
    """Write report.md, metrics.json and confusion_<name>.png per system; return the paths."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = [target / "report.md", target / "metrics.json"]
    written[0].write_text(format_report(reports), encoding="utf-8")
    written[1].write_text(json.dumps(combined_json(reports), ensure_ascii=False, indent=2) + "\n",
                          encoding="utf-8")
    for name in _ordered(reports):
        written.append(plot_confusion(reports[name], target / f"confusion_{name}.png",
                                      title=f"{name} (n={reports[name].n})"))
    return written


# ---- CLI -----------------------------------------------------------------------------
def add_evaluate_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``evaluate FILE.jsonl [--json] [--report DIR] [--baseline …] [--model PATH]
    [--limit N]``."""
    from bot.cli import positive_int

    p = subparsers.add_parser(
        "evaluate", help="在标注用例上评测分流（可与基线对比）",
        description="在 JSONL 标注用例上评测分流引擎，可与关键词基线、Rasa NLU 基线并列比较。")
    p.add_argument("file", metavar="FILE.jsonl",
                   help='每行一个用例：{"text", "channel", "acceptable": [...], "articles": [...]}')
    p.add_argument("--json", action="store_true", help="只输出一个 JSON 对象")
    p.add_argument("--report", metavar="DIR",
                   help="把 report.md、metrics.json 和混淆矩阵 PNG 写入该目录")
    p.add_argument("--baseline", action="append", choices=BASELINES, default=[],
                   help="同时评测基线（可重复）：keyword 关键词，rasa 仅 Rasa NLU")
    p.add_argument("--model", metavar="PATH",
                   help="Rasa 模型（默认 models/xinfang.tar.gz），rasa 基线用")
    p.add_argument("--no-classifier", dest="classifier", action="store_false",
                   help="本系统不用学习得到的分类器（只用词表和规则）")
    p.add_argument("--cv", type=positive_int, metavar="K",
                   help="K 折交叉验证：每折的分类器不含该折重新训练"
                        "（评测文件本身是训练来源时用它）")
    p.add_argument("--limit", type=positive_int, metavar="N", help="只评测前 N 个用例")
    p.set_defaults(func=cmd_evaluate)
    return p


def main_predictor(use_classifier: bool = True) -> Predictor:
    """The system under test: the triage engine (``bot.triage``), as every front door uses
    it; ``use_classifier=False`` decides by the lexicon and rules alone."""
    try:
        from bot.triage.engine import TriageEngine
    except ImportError as exc:
        raise ValueError(f"分流引擎 bot.triage 不可用：{exc}") from exc
    from bot.triage import get_engine

    engine = get_engine()
    if not use_classifier and isinstance(engine, TriageEngine):
        engine = TriageEngine(kb=engine.kb, lexicon=engine.lexicon, rules=engine.rules,
                              use_classifier=False)

    def predict(text: str) -> TriageResult:
        return engine.triage(text)

    return predict


def is_training_source(path: str | Path) -> float | None:
    """The weight of ``path`` as a training source of the classifier, or None."""
    from bot.triage.classifier import load_settings, source_path

    target = Path(path).resolve()
    for source in load_settings().sources:
        where = source_path(source)
        if where.exists() and (where.resolve() == target or target.parent == where.resolve()):
            return float(source.get("weight", 1.0))
    return None


def cross_validate(cases: Sequence[Mapping[str, Any]], path: str | Path, folds: int,
                   kb: KnowledgeBase | None = None, progress: bool = True) -> Predictor:
    """Out-of-fold predictions: the cases split into ``folds`` folds (stratified by channel,
    fixed seed); each fold is triaged by an engine whose classifier was trained on every
    other source and the other folds, never on the fold itself. Returns a predictor that
    replays the results in case order (for :func:`evaluate`)."""
    from sklearn.model_selection import StratifiedKFold
    from tqdm import tqdm

    from bot.triage import get_engine
    from bot.triage.classifier import Example, train, training_examples
    from bot.triage.engine import TriageEngine

    if folds < 2 or folds > len(cases):
        raise ValueError(f"--cv 需要 2 到 {len(cases)} 折")
    base = get_engine()
    settings = base.classifier_settings
    weight = is_training_source(path) or 1.0
    pool = training_examples(settings, exclude=[path])
    labels = [str(c["channel"]) for c in cases]
    strata = [code if labels.count(code) >= folds else "rare" for code in labels]
    if min(strata.count(s) for s in set(strata)) < folds:
        strata = ["all"] * len(cases)
    results: list[TriageResult | None] = [None] * len(cases)
    splits = StratifiedKFold(folds, shuffle=True, random_state=0).split(strata, strata)
    for train_idx, test_idx in tqdm(list(splits), desc="cv", unit="折", file=sys.stderr,
                                    disable=not progress, leave=False):
        extra = [Example(case_text(cases[i]), labels[i], weight) for i in train_idx]
        engine = TriageEngine(kb=base.kb, lexicon=base.lexicon, rules=base.rules,
                              classifier=train([*pool, *extra], base.lexicon, settings))
        engine.classifier_settings = settings
        for i in test_idx:
            results[i] = engine.triage(case_text(cases[i]))
    replay = iter(results)

    def predict(text: str) -> TriageResult:
        result = next(replay)
        assert result is not None
        return result

    return predict


def baseline_predictor(name: str, model: str | None = None) -> Predictor:
    """A baseline by name: "keyword" or "rasa"."""
    from bot.triage import baselines

    if name == "keyword":
        return baselines.keyword_baseline()
    if name == "rasa":
        return baselines.rasa_baseline(model)
    raise ValueError(f"未知的基线：{name}（可用：{'、'.join(BASELINES)}）")


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate the triage engine (and the chosen baselines) on a JSONL file."""
    from bot.knowledge import open_knowledge

    kb = open_knowledge(getattr(args, "db", None))
    cases = load_cases(args.file, kb)
    if getattr(args, "limit", None):
        cases = cases[: args.limit]
    folds = getattr(args, "cv", None)
    use_classifier = getattr(args, "classifier", True)
    if folds and use_classifier:
        main = cross_validate(cases, args.file, folds, kb, progress=not args.json)
    else:
        main = main_predictor(use_classifier)
        if use_classifier and is_training_source(args.file) is not None:
            print(f"注意：{args.file} 是分类器的训练来源，不加 --cv 得到的是训练集上的数字，"
                  "不是结果", file=sys.stderr)
    systems: dict[str, Predictor] = {MAIN: main}
    for name in dict.fromkeys(getattr(args, "baseline", None) or []):
        systems[name] = baseline_predictor(name, getattr(args, "model", None))
    reports = {name: evaluate(cases, predict, kb=kb, desc=name)
               for name, predict in systems.items()}
    if args.json:
        print(json.dumps(combined_json(reports), ensure_ascii=False, indent=2))
    else:
        print(format_report(reports), end="")
    if getattr(args, "report", None):
        write_report_dir(reports, args.report)
        print(f"报告已写入 {args.report}", file=sys.stderr if args.json else sys.stdout)
    return 0
