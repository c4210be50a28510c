"""Baselines the triage engine is measured against (``python -m bot evaluate --baseline``).

- :func:`keyword_baseline`: a plain keyword router (knowledge/triage/baseline_keywords.yaml);
- :func:`rasa_baseline`: the trained Rasa NLU model alone (top intent, when it is a channel code).

Both return a predictor ``predict(text) -> TriageResult``; ``channel`` None means "asks".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

from bot import config
from bot.triage.result import TriageResult

Predictor = Callable[[str], TriageResult]

KEYWORDS_FILE = Path("triage") / "baseline_keywords.yaml"


def _plain(text: str) -> str:
    """The only normalisation of the baseline: NFKC (full-width → half-width) and lower case."""
    return unicodedata.normalize("NFKC", text).casefold()


def load_keywords(path: str | Path | None = None) -> dict[str, list[str]]:
    """Channel code → keywords, in file order (default knowledge/triage/baseline_keywords.yaml)."""
    source = Path(path) if path else config.knowledge_dir() / KEYWORDS_FILE
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"无法读取关键词文件 {source}：{exc}") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"{source}：YAML 格式错误：{exc}") from exc
    channels = data.get("channels") if isinstance(data, dict) else None
    if not isinstance(channels, dict) or not channels:
        raise ValueError(f"{source}：应有 channels: {{渠道代码: [关键词, …]}}")
    result: dict[str, list[str]] = {}
    for code, words in channels.items():
        if not isinstance(words, list) or not words or not all(
                isinstance(w, str) and w.strip() for w in words):
            raise ValueError(f"{source}：渠道 {code} 的关键词应为非空字符串列表")
        result[str(code)] = [w.strip() for w in words]
    return result


def keyword_baseline(path: str | Path | None = None) -> Predictor:
    """A keyword router: the channel whose list has most keywords in the text wins (ties: the
    earlier channel in the file); no keyword at all → ask (channel None)."""
    table = [(code, [(word, _plain(word)) for word in words])
             for code, words in load_keywords(path).items()]

    def predict(text: str) -> TriageResult:
        plain = _plain(text)
        hits = [(code, [word for word, key in words if key in plain]) for code, words in table]
        scored = [(code, found) for code, found in hits if found]
        if not scored:
            return TriageResult(channel=None, reason="没有命中任何关键词",
                                explanation=["keyword baseline: no keyword"])
        # sorted() is stable: equal counts keep file order
        ranked = sorted(scored, key=lambda item: -len(item[1]))
        best_code, best_words = ranked[0]
        total = sum(len(found) for _, found in scored)
        return TriageResult(
            channel=best_code,
            alternatives=[code for code, _ in ranked[1:]],
            confidence=len(best_words) / total,
            reason="关键词：" + "、".join(best_words),
            explanation=[f"keyword baseline: {code} {len(found)} ({'、'.join(found)})"
                         for code, found in ranked],
        )

    return predict


def rasa_baseline(model_path: str | Path | None = None,
                  channels: Iterable[str] | None = None) -> Predictor:
    """The Rasa NLU model alone: the top intent is the answer when it is a channel code, else
    the bot asks (channel None). ``channels`` defaults to the knowledge base's codes."""
    from bot.triage.nlu import RasaNLU

    nlu = RasaNLU.load(model_path)
    if channels is None:
        from bot.knowledge import open_knowledge

        channels = [c.code for c in open_knowledge().channels()]
    codes = set(channels)

    def predict(text: str) -> TriageResult:
        ranking = nlu.ranking(text)
        if not ranking:
            return TriageResult(channel=None, reason="空消息", explanation=["rasa: empty"])
        intent, confidence = ranking[0]
        others = [name for name, _ in ranking[1:] if name in codes]
        explanation = [f"rasa: {name} {conf:.3f}" for name, conf in ranking[:5]]
        if intent in codes:
            return TriageResult(channel=intent, alternatives=others, confidence=confidence,
                                reason=f"意图 {intent}", explanation=explanation)
        return TriageResult(channel=None, alternatives=others, confidence=confidence,
                            reason=f"意图 {intent} 不是渠道", explanation=explanation)

    return predict
