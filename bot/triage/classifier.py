"""The learned part of the triage: a channel classifier trained on realistic text.

    clf = load_classifier()                     # trained once, cached in build/, rebuilt when
    clf.ranking(text, concepts)                 # its data or settings change
    # -> [("labour_arbitration", 0.81), ("duty_performance", 0.09), ...]

Character 1–3-grams of the normalised text (title first, long letters cut) and the lexicon's
concept ids are the features of a logistic regression (scikit-learn, already a Rasa
dependency; it trains in seconds on 2 cores and runs offline). What it learns from, and how,
is data: knowledge/triage/classifier.yaml. The real citizens' corpus (../shared/corpus) is a
training source when it is present; figures on it are measured out-of-fold
(``bot.evaluation`` ``--cv``), never on texts the model was trained on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import config
from bot.knowledge.loader import KnowledgeDataError
from bot.triage.normalize import normalize_with_info

log = logging.getLogger(__name__)

FORMAT_VERSION = 1  # bump when the pickled model's shape changes

Ranking = list[tuple[str, float]]


@dataclass(frozen=True)
class Example:
    """One labelled training text (already joined: title first)."""

    text: str
    channel: str
    weight: float = 1.0
    source: str = ""


@dataclass
class ClassifierSettings:
    """knowledge/triage/classifier.yaml, checked."""

    max_chars: int
    ngrams: tuple[int, int]
    concept_weight: float
    c: float
    class_weight: str | None
    max_iter: int
    solver: str
    tol: float
    sources: list[dict[str, Any]]
    weight: float
    min_probability: float
    rule_max_chars: int
    rule_weight: float
    alone_min_probability: float
    alone_max_chars: int
    route_questions: tuple[str, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def load_settings(path: Path | None = None) -> ClassifierSettings:
    """Read and check classifier.yaml; errors name the file and the key."""
    path = path or config.knowledge_dir() / "triage" / "classifier.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise KnowledgeDataError(f"{path}: 无法读取（{exc}）") from exc
    try:
        features, model, decision = data["features"], data["model"], data["decision"]
        low, high = (int(n) for n in features["char_ngrams"])
        sources = list(data["training"])
        settings = ClassifierSettings(
            max_chars=int(features["max_chars"]), ngrams=(low, high),
            concept_weight=float(features["concept_weight"]), c=float(model["C"]),
            class_weight=model.get("class_weight"), max_iter=int(model.get("max_iter", 5000)),
            solver=str(model.get("solver", "saga")), tol=float(model.get("tol", 1e-3)),
            sources=sources, weight=float(decision["weight"]),
            min_probability=float(decision["min_probability"]),
            rule_max_chars=int(decision["rule_max_chars"]),
            rule_weight=float(decision["rule_weight"]),
            alone_min_probability=float(decision["alone_min_probability"]),
            alone_max_chars=int(decision.get("alone_max_chars", 30)),
            route_questions=tuple(decision.get("route_questions") or ()), raw=data)
    except (KeyError, TypeError, ValueError) as exc:
        raise KnowledgeDataError(f"{path}: 格式不对（{exc!r}）") from exc
    if not 1 <= low <= high or settings.max_chars < 20:
        raise KnowledgeDataError(f"{path}: char_ngrams 或 max_chars 不合理")
    for source in sources:
        if source.get("format") not in ("rasa_nlu", "jsonl") or not source.get("path"):
            raise KnowledgeDataError(f"{path}: 训练来源 {source!r} 需要 path 和 format")
    return settings


# ---- training data --------------------------------------------------------------------
def join_title(text: str, title: str | None = None) -> str:
    """A letter's subject line and body as one text (the subject first)."""
    title = (title or "").strip()
    return f"{title}。{text}" if title else text


def source_path(source: dict[str, Any]) -> Path:
    """Where a training source is (the ``env`` variable, if set, wins)."""
    env = source.get("env")
    if env and os.environ.get(env):
        return Path(os.environ[env])
    path = Path(source["path"])
    return path if path.is_absolute() else config.ROOT / path


def read_source(source: dict[str, Any]) -> list[Example]:
    """The examples of one training source ([] for a missing optional one)."""
    path = source_path(source)
    weight = float(source.get("weight", 1.0))
    if not path.exists():
        if source.get("optional"):
            return []
        raise KnowledgeDataError(f"训练来源不存在：{path}")
    files = sorted(path.glob("*.yml")) if path.is_dir() else [path]
    examples: list[Example] = []
    for file in files:
        if source["format"] == "rasa_nlu":
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            for block in data.get("nlu") or []:
                for line in str(block.get("examples") or "").splitlines():
                    line = line.strip()
                    if line.startswith("- ") and block.get("intent"):
                        examples.append(Example(line[2:].strip(), block["intent"], weight,
                                                str(file)))
        else:
            for line in file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    case = json.loads(line)
                    examples.append(Example(join_title(case["text"], case.get("title")),
                                            case["channel"], weight, str(file)))
    return examples


def training_examples(settings: ClassifierSettings,
                      exclude: Iterable[Path] = ()) -> list[Example]:
    """Every example of the configured sources, minus the files in ``exclude``."""
    skip = {Path(p).resolve() for p in exclude}
    examples: list[Example] = []
    for source in settings.sources:
        path = source_path(source)
        if path.exists() and path.resolve() in skip:
            continue
        examples.extend(read_source(source))
    return examples


# ---- the model ------------------------------------------------------------------------
def concept_tokens(concepts: Iterable[tuple[str, bool]]) -> str:
    """Lexicon hits as feature tokens: ``C_<id>`` found, ``NOT_<id>`` negated."""
    tokens = {("NOT_" if negated else "C_") + concept for concept, negated in concepts}
    return " ".join(sorted(tokens)) or "C_none"


class ChannelClassifier:
    """Character n-grams + concept tokens → logistic regression over channel codes."""

    def __init__(self, settings: ClassifierSettings) -> None:
        """An untrained classifier; call :meth:`fit`."""
        self.settings = settings
        self.chars: Any = None
        self.concepts: Any = None
        self.model: Any = None
        self.digest = ""

    @property
    def channels(self) -> list[str]:
        """The channel codes the model knows."""
        return [] if self.model is None else [str(c) for c in self.model.classes_]

    def _matrix(self, texts: Sequence[str], concepts: Sequence[str], fit: bool = False) -> Any:
        from scipy.sparse import hstack

        cut = [t[: self.settings.max_chars] for t in texts]
        if fit:
            a, b = self.chars.fit_transform(cut), self.concepts.fit_transform(concepts)
        else:
            a, b = self.chars.transform(cut), self.concepts.transform(concepts)
        return hstack([a, b * self.settings.concept_weight]).tocsr()

    def fit(self, texts: Sequence[str], concepts: Sequence[str], labels: Sequence[str],
            weights: Sequence[float] | None = None) -> ChannelClassifier:
        """Train on normalised texts, their concept tokens and channel labels."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        if len(set(labels)) < 2:
            raise ValueError("训练数据至少要有两个渠道")
        self.chars = TfidfVectorizer(analyzer="char", ngram_range=self.settings.ngrams,
                                     sublinear_tf=True)
        self.concepts = TfidfVectorizer(token_pattern=r"\S+", lowercase=False)
        self.model = LogisticRegression(C=self.settings.c, max_iter=self.settings.max_iter,
                                        class_weight=self.settings.class_weight,
                                        solver=self.settings.solver, tol=self.settings.tol,
                                        random_state=0)  # same data, same model
        self.model.fit(self._matrix(texts, concepts, fit=True), list(labels),
                       sample_weight=list(weights) if weights is not None else None)
        return self

    def probabilities(self, texts: Sequence[str], concepts: Sequence[str]) -> list[Ranking]:
        """One ranking (channel, probability), best first, per text."""
        if self.model is None:
            raise RuntimeError("classifier is not trained")
        rows = self.model.predict_proba(self._matrix(texts, concepts))
        return [sorted(((str(c), float(p)) for c, p in zip(self.model.classes_, row,
                                                             strict=True)),
                       key=lambda kv: -kv[1]) for row in rows]

    def ranking(self, text: str, concepts: str) -> Ranking:
        """The ranking for one normalised text and its concept tokens."""
        return self.probabilities([text], [concepts])[0]


# ---- training with the lexicon, caching -----------------------------------------------
def featurize(texts: Sequence[str], lexicon: Any) -> tuple[list[str], list[str]]:
    """Normalised texts and their concept tokens (the lexicon reads the same cut text)."""
    from bot.triage.engine import MAX_CHARS

    norm, tokens = [], []
    for text in texts:
        clean = normalize_with_info(text[:MAX_CHARS]).text
        norm.append(clean)
        hits = lexicon.match(clean)
        tokens.append(concept_tokens((h.concept, h.negated) for h in hits))
    return norm, tokens


def train(examples: Sequence[Example], lexicon: Any,
          settings: ClassifierSettings | None = None) -> ChannelClassifier:
    """A classifier trained on ``examples`` (text, channel, weight)."""
    settings = settings or load_settings()
    norm, tokens = featurize([e.text for e in examples], lexicon)
    return ChannelClassifier(settings).fit(norm, tokens, [e.channel for e in examples],
                                           [e.weight for e in examples])


def _digest(settings: ClassifierSettings, lexicon: Any) -> str:
    h = hashlib.sha256(f"v{FORMAT_VERSION}".encode())
    h.update(json.dumps(settings.raw, sort_keys=True, ensure_ascii=False).encode())
    h.update(str(getattr(lexicon, "digest", "")).encode())
    for source in settings.sources:
        path = source_path(source)
        files = sorted(path.glob("*.yml")) if path.is_dir() else [path]
        for file in files:
            h.update(str(file.name).encode())
            if file.exists():
                h.update(file.read_bytes())
    return h.hexdigest()


_cache: dict[str, ChannelClassifier] = {}
_lock = threading.Lock()


def model_path() -> Path:
    """Where the trained classifier is kept (``BOT_BUILD_DIR``, default build/)."""
    return Path(os.environ.get("BOT_BUILD_DIR", config.ROOT / "build")) / "triage_classifier.pkl"


def load_classifier(lexicon: Any, settings: ClassifierSettings | None = None,
                    rebuild: bool = False) -> ChannelClassifier:
    """The classifier for the current data: from build/ when up to date, else trained now
    (a few seconds) and saved there."""
    settings = settings or load_settings()
    digest = _digest(settings, lexicon)
    with _lock:
        if not rebuild and digest in _cache:
            return _cache[digest]
        path = model_path()
        clf: ChannelClassifier | None = None
        if not rebuild and path.is_file():
            try:
                with path.open("rb") as fh:
                    stored = pickle.load(fh)  # our own build artefact
                if isinstance(stored, dict) and stored.get("digest") == digest:
                    clf = ChannelClassifier(settings)
                    clf.chars, clf.concepts, clf.model = (stored["chars"], stored["concepts"],
                                                          stored["model"])
                    clf.digest = digest
            except Exception:  # a broken or old file is rebuilt
                log.warning("classifier in %s unreadable; retraining", path)
        if clf is None:
            clf = train(training_examples(settings), lexicon, settings)
            clf.digest = digest
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                with tmp.open("wb") as fh:
                    pickle.dump({"digest": digest, "chars": clf.chars,
                                 "concepts": clf.concepts, "model": clf.model}, fh)
                tmp.replace(path)
            except OSError:
                log.warning("could not save the classifier to %s", path, exc_info=True)
        _cache.clear()
        _cache[digest] = clf
        return clf


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.triage.classifier``: train (if needed) and say what it learnt from."""
    from bot.triage.lexicon import load_lexicon

    settings = load_settings()
    lexicon = load_lexicon()
    clf = load_classifier(lexicon, settings, rebuild=bool(argv and "--rebuild" in argv))
    counts: dict[str, int] = {}
    for source in settings.sources:
        path = source_path(source)
        counts[str(source["path"])] = len(read_source(source)) if path.exists() else 0
    print(f"分类器：{model_path()}，{len(clf.channels)}个渠道")
    for name, n in counts.items():
        print(f"  {name}: {n}条" if n else f"  {name}: 不存在，未使用")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
