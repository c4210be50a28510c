"""The lexicon (knowledge/lexicon/concepts.yaml) and the spaCy pipeline built from it.

The pipeline is ``spacy.blank("zh")`` with character segmentation and an EntityRuler holding
one phrase pattern per term: matching by character means a term is found whatever the word
segmentation (jieba may split 区人社局 as 区人/社局). Variable phrasings are regexes, applied
beside the pipeline. The pipeline is saved to ``build/spacy_zh`` and rebuilt when the lexicon
changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import config
from bot.knowledge.loader import KnowledgeDataError

log = logging.getLogger(__name__)

GROUPS = ("party", "act", "status", "modifier", "emergency", "threat")
NEGATIONS = ("没有", "未曾", "还没", "并未", "不是", "没", "未", "无", "非")
_NEGATION_WINDOW = 3


@dataclass(frozen=True)
class Concept:
    """One concept of the lexicon."""

    id: str
    label: str
    group: str
    sets: dict[str, Any]
    terms: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]
    negatable: bool
    weights: dict[str, float]


@dataclass(frozen=True)
class Hit:
    """A concept found in the text."""

    concept: str
    start: int
    end: int
    text: str
    negated: bool = False


@dataclass
class Lexicon:
    """All concepts, and the matcher over normalised text."""

    concepts: dict[str, Concept]
    digest: str
    _nlp: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def concept(self, concept_id: str) -> Concept:
        """A concept by id."""
        return self.concepts[concept_id]

    # ---- the spaCy pipeline ------------------------------------------------------------
    def build_pipeline(self) -> Any:
        """A blank Chinese pipeline (character segmentation) with an EntityRuler of all terms."""
        import spacy

        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
        ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH",
                                                     "validate": False})
        ruler.add_patterns([{"label": c.id, "pattern": term, "id": c.id}
                            for c in self.concepts.values() for term in c.terms])
        nlp.meta["name"] = "xinfang_lexicon"
        nlp.meta["description"] = "由 knowledge/lexicon/concepts.yaml 构建的中文概念识别管道"
        nlp.meta["lexicon_digest"] = self.digest
        return nlp

    def pipeline(self, directory: Path | None = None) -> Any:
        """The pipeline from ``directory`` (default build/spacy_zh), built there if missing or
        built from another version of the lexicon."""
        with self._lock:
            if self._nlp is not None:
                return self._nlp
            import spacy

            directory = directory or config.ROOT / "build" / "spacy_zh"
            meta = directory / "meta.json"
            nlp = None
            if meta.is_file():
                try:
                    if json.loads(meta.read_text("utf-8")).get("lexicon_digest") == self.digest:
                        nlp = spacy.load(directory)
                except (OSError, ValueError) as exc:
                    log.warning("rebuilding the spaCy pipeline: %s", exc)
            if nlp is None:
                nlp = self.build_pipeline()
                try:
                    directory.mkdir(parents=True, exist_ok=True)
                    nlp.to_disk(directory)
                except OSError as exc:  # read-only install: keep it in memory
                    log.warning("cannot save the spaCy pipeline to %s: %s", directory, exc)
            self._nlp = nlp
            return nlp

    # ---- matching ----------------------------------------------------------------------
    def match(self, text: str) -> list[Hit]:
        """Every concept hit in normalised ``text``, in text order."""
        hits: list[Hit] = []
        if not text:
            return hits
        doc = self.pipeline()(text)
        for ent in doc.ents:
            hits.append(self._hit(ent.label_, ent.start_char, ent.end_char, text))
        for concept in self.concepts.values():
            for pattern in concept.patterns:
                for m in pattern.finditer(text):
                    if m.end() > m.start():
                        hits.append(self._hit(concept.id, m.start(), m.end(), text))
        hits.sort(key=lambda h: (h.start, -h.end))
        unique: list[Hit] = []
        seen: set[tuple[str, int, int]] = set()
        for hit in hits:
            key = (hit.concept, hit.start, hit.end)
            if key not in seen:
                seen.add(key)
                unique.append(hit)
        return unique

    def _hit(self, concept_id: str, start: int, end: int, text: str) -> Hit:
        concept = self.concepts[concept_id]
        negated = False
        if concept.negatable:
            before = text[max(0, start - _NEGATION_WINDOW - 1):start]
            negated = (any(before.endswith(n) or before[:-1].endswith(n) for n in NEGATIONS)
                       or any(n in text[start:end] for n in NEGATIONS[:6]))
        return Hit(concept_id, start, end, text[start:end], negated)


def load_lexicon(path: Path | None = None) -> Lexicon:
    """Load and validate concepts.yaml; errors name the file and the concept."""
    path = path or config.knowledge_dir() / "lexicon" / "concepts.yaml"
    try:
        raw_bytes = path.read_bytes()
        data = yaml.safe_load(raw_bytes.decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise KnowledgeDataError(path, "文件", f"无法读取：{exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("concepts"), dict):
        raise KnowledgeDataError(path, "文件", "顶层应为 {concepts: {...}}")
    concepts: dict[str, Concept] = {}
    for cid, raw in data["concepts"].items():
        entry = f"概念 {cid}"
        if not isinstance(raw, dict):
            raise KnowledgeDataError(path, entry, "应为映射")
        group = raw.get("group")
        if group not in GROUPS:
            raise KnowledgeDataError(path, entry, f"group 应为 {'/'.join(GROUPS)} 之一")
        terms = raw.get("terms") or []
        if not all(isinstance(t, str) and len(t) >= 2 for t in terms):
            raise KnowledgeDataError(path, entry, "terms 应为至少两个字的词语")
        patterns = []
        for source in raw.get("patterns") or []:
            try:
                patterns.append(re.compile(source))
            except re.error as exc:
                raise KnowledgeDataError(path, entry, f"正则表达式有误 {source!r}：{exc}") from None
        if not terms and not patterns:
            raise KnowledgeDataError(path, entry, "至少需要一个词语或正则表达式")
        weights = raw.get("weights") or {}
        if not all(isinstance(v, int | float) for v in weights.values()):
            raise KnowledgeDataError(path, entry, "weights 的值应为数字")
        concepts[cid] = Concept(
            cid, str(raw.get("label") or cid), group, dict(raw.get("sets") or {}),
            tuple(dict.fromkeys(terms)), tuple(patterns), bool(raw.get("negatable")),
            {k: float(v) for k, v in weights.items()})
    digest = hashlib.sha256(raw_bytes).hexdigest()[:16]
    return Lexicon(concepts, digest)
