"""Practice report: scores per staff member and per channel, the items most often missed, and a
PNG chart.

The chart uses ASCII labels (channel codes, item keys, staff ids as given): the machine has no
CJK font matplotlib could load, and nothing is downloaded. The text report is in Chinese.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.practice.attempts import Attempt

CHART_FILE = "practice-report.png"
JSON_FILE = "practice-report.json"


@dataclass(frozen=True)
class ScoreStats:
    """Count and mean/best/worst score of a group of attempts."""

    count: int
    mean: float
    best: int
    worst: int

    @classmethod
    def of(cls, scores: list[int]) -> ScoreStats:
        """Statistics of ``scores`` (not empty)."""
        return cls(len(scores), round(sum(scores) / len(scores), 1), max(scores), min(scores))


@dataclass(frozen=True)
class WeakPoint:
    """An item missed in some attempts."""

    item: str
    label: str
    missed: int  # attempts that did not get full marks on it
    points_lost: int


@dataclass
class PracticeReport:
    """Everything the report shows."""

    total: ScoreStats | None
    staff: dict[str, ScoreStats] = field(default_factory=dict)
    channels: dict[str, ScoreStats] = field(default_factory=dict)
    channel_names: dict[str, str] = field(default_factory=dict)
    weak_points: list[WeakPoint] = field(default_factory=list)
    staff_weak_points: dict[str, list[WeakPoint]] = field(default_factory=dict)
    staff_weak_channels: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        def stats(s: ScoreStats) -> dict[str, Any]:
            return {"count": s.count, "mean": s.mean, "best": s.best, "worst": s.worst}

        def weak(points: list[WeakPoint]) -> list[dict[str, Any]]:
            return [{"item": w.item, "label": w.label, "missed": w.missed,
                     "points_lost": w.points_lost} for w in points]

        return {
            "total": stats(self.total) if self.total else None,
            "staff": {k: {**stats(v), "weak_channels": self.staff_weak_channels.get(k, []),
                          "weak_points": weak(self.staff_weak_points.get(k, []))}
                      for k, v in self.staff.items()},
            "channels": {k: {**stats(v), "name": self.channel_names.get(k, k)}
                         for k, v in self.channels.items()},
            "weak_points": weak(self.weak_points),
        }


def _weak_points(attempts: Iterable[Attempt], labels: Mapping[str, str]) -> list[WeakPoint]:
    missed: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for attempt in attempts:
        missed.update(attempt.missed)
        for item, points in attempt.lost.items():
            lost[item] += points
    order = sorted(missed, key=lambda k: (-missed[k], -lost[k], k))
    return [WeakPoint(k, labels.get(k, k), missed[k], lost[k]) for k in order]


def build_report(attempts: list[Attempt], labels: Mapping[str, str],
                 channel_name: Callable[[str], str] = str) -> PracticeReport:
    """Aggregate attempts: per staff member, per channel, and the weak points."""
    if not attempts:
        return PracticeReport(total=None)
    by_staff: dict[str, list[Attempt]] = defaultdict(list)
    by_channel: dict[str, list[int]] = defaultdict(list)
    for attempt in attempts:
        by_staff[attempt.staff_id].append(attempt)
        by_channel[attempt.channel].append(attempt.score)
    report = PracticeReport(total=ScoreStats.of([a.score for a in attempts]))
    for staff_id in sorted(by_staff):
        mine = by_staff[staff_id]
        report.staff[staff_id] = ScoreStats.of([a.score for a in mine])
        report.staff_weak_points[staff_id] = _weak_points(mine, labels)[:3]
        means = defaultdict(list)
        for attempt in mine:
            means[attempt.channel].append(attempt.score)
        ranked = sorted(means, key=lambda c: (sum(means[c]) / len(means[c]), c))
        report.staff_weak_channels[staff_id] = [c for c in ranked
                                                if sum(means[c]) / len(means[c]) < 100][:3]
    for code in sorted(by_channel, key=lambda c: (sum(by_channel[c]) / len(by_channel[c]), c)):
        report.channels[code] = ScoreStats.of(by_channel[code])
        report.channel_names[code] = channel_name(code)
    report.weak_points = _weak_points(attempts, labels)
    return report


def render_report(report: PracticeReport) -> str:
    """The report as Chinese text (CLI)."""
    if report.total is None:
        return "没有练习记录。"
    t = report.total
    lines = [f"练习记录 {t.count} 次，平均 {t.mean} 分（最高 {t.best}，最低 {t.worst}）", "",
             "按工作人员："]
    for staff_id, s in report.staff.items():
        weak = "，".join(report.channel_names.get(c, c)
                        for c in report.staff_weak_channels.get(staff_id, [])) or "无"
        points = "、".join(f"{w.label}（{w.missed}次）"
                          for w in report.staff_weak_points.get(staff_id, [])) or "无"
        lines.append(f"  {staff_id}：{s.count} 次，平均 {s.mean} 分；较弱渠道：{weak}；"
                     f"常失分：{points}")
    renamed = [f"{_ascii(k)} = {k}" for k in report.staff if _ascii(k) != k]
    if renamed:
        lines.append("  （图中的编号：" + "；".join(renamed) + "）")
    lines += ["", "按渠道（平均分从低到高）："]
    for code, s in report.channels.items():
        lines.append(f"  {report.channel_names.get(code, code)}（{code}）：{s.count} 次，"
                     f"平均 {s.mean} 分")
    lines += ["", "最常失分的项目："]
    for w in report.weak_points:
        lines.append(f"  {w.label}：{w.missed} 次未得满分，共失 {w.points_lost} 分")
    if not report.weak_points:
        lines.append("  无")
    return "\n".join(lines)


def write_report(report: PracticeReport, out_dir: Path) -> tuple[Path, Path]:
    """Write the chart (PNG) and the numbers (JSON) to ``out_dir``; return both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data_path = out_dir / JSON_FILE
    data_path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n",
                         encoding="utf-8")
    return write_chart(report, out_dir / CHART_FILE), data_path


def write_chart(report: PracticeReport, path: Path) -> Path:
    """A PNG with three bar charts: mean score per channel, per staff member, items missed."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, 3, figsize=(15, 5), dpi=100)
    try:
        panels = [
            ("Mean score by channel", "score (0-100)",
             list(report.channels), [s.mean for s in report.channels.values()], (0, 105)),
            ("Mean score by staff", "score (0-100)",
             [_ascii(k) for k in report.staff], [s.mean for s in report.staff.values()],
             (0, 105)),
            ("Items most often missed", "attempts",
             [w.item for w in report.weak_points], [w.missed for w in report.weak_points],
             None),
        ]
        for ax, (title, ylabel, names, values, ylim) in zip(axes, panels, strict=True):
            ax.set_title(title)
            ax.set_ylabel(ylabel)
            if names:
                bars = ax.bar(range(len(names)), values, color="#3b6ea5")
                ax.set_xticks(range(len(names)))
                ax.set_xticklabels(names, rotation=45, ha="right", fontsize=8)
                ax.bar_label(bars, labels=[f"{v:g}" for v in values], fontsize=7)
            else:
                ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            if ylim:
                ax.set_ylim(*ylim)
            else:
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path


def _ascii(text: str) -> str:
    """A chart label without characters the default font lacks (staff ids may be Chinese)."""
    if text.isascii():
        return text
    return "id-" + text.encode("utf-8").hex()[:8]
