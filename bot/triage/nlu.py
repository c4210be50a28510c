"""The trained Rasa NLU model as a plain, synchronous intent ranker.

    nlu = RasaNLU.load("models/xinfang.tar.gz")   # loaded once per path, then cached
    nlu.ranking("我被罚款了")                       # -> [("out_of_scope", 0.79), ...]

The triage engine uses the ranking as one statistical signal; ``bot.triage.baselines`` uses it
alone. Rasa (and TensorFlow) are imported only when a model is loaded.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bot import config

DEFAULT_MODEL = config.ROOT / "models" / "xinfang.tar.gz"

_cache: dict[tuple[str, int], RasaNLU] = {}
_cache_lock = threading.Lock()


class NLUModelError(ValueError):
    """The model cannot be loaded; ``str()`` is a Chinese message fit for a user."""


class RasaNLU:
    """A loaded Rasa model, used for NLU only (intent ranking); thread-safe."""

    def __init__(self, agent: Any, path: Path) -> None:
        """Wrap a loaded ``rasa.core.agent.Agent``; use :meth:`load` instead."""
        self.agent = agent
        self.path = path
        self._loop = asyncio.new_event_loop()  # private: parsing is synchronous for callers
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path | None = None) -> RasaNLU:
        """The model at ``path`` (default models/xinfang.tar.gz), loaded once and cached.

        A model file replaced on disk (new mtime) is loaded again.
        """
        model = Path(path) if path else DEFAULT_MODEL
        if not model.is_file():
            raise NLUModelError(f"找不到 Rasa 模型 {model}：请先运行 make train")
        key = (str(model.resolve()), model.stat().st_mtime_ns)
        with _cache_lock:
            cached = _cache.get(key)
            if cached is not None:
                return cached
            _quiet_structlog()
            from rasa.core.agent import Agent

            try:
                agent = Agent.load(str(model))
            except Exception as exc:  # Rasa raises many kinds for a broken archive
                raise NLUModelError(f"无法加载 Rasa 模型 {model}：{exc}") from exc
            if not agent.is_ready():
                raise NLUModelError(f"Rasa 模型 {model} 加载后不可用")
            nlu = cls(agent, model)
            _cache[key] = nlu
            return nlu

    def parse(self, text: str) -> dict[str, Any]:
        """Rasa's parse data for ``text`` (intent, intent_ranking, entities).

        A leading ``/`` is dropped so that user text is never taken as an intent payload.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        clean = text.strip().lstrip("/").strip()
        if not clean:
            return {"text": text, "intent": {"name": None, "confidence": 0.0},
                    "intent_ranking": [], "entities": []}
        return self._run(self.agent.parse_message(clean))

    def ranking(self, text: str) -> list[tuple[str, float]]:
        """Intents with their confidences, best first (empty for blank text)."""
        data = self.parse(text)
        ranking = data.get("intent_ranking") or []
        if not ranking and (data.get("intent") or {}).get("name"):
            ranking = [data["intent"]]
        pairs = [(str(r["name"]), float(r.get("confidence") or 0.0)) for r in ranking
                 if r.get("name")]
        return sorted(pairs, key=lambda pair: -pair[1])

    def _run(self, coro: Any) -> Any:
        """Run a coroutine to completion on the private loop, whatever the calling thread."""
        with self._lock:
            try:
                asyncio.get_running_loop()
            except RuntimeError:  # the usual case: no loop in this thread
                return self._loop.run_until_complete(coro)
            # Called from async code: a loop cannot be nested, so use a helper thread.
            with ThreadPoolExecutor(max_workers=1) as pool:
                return pool.submit(self._loop.run_until_complete, coro).result()


def _quiet_structlog() -> None:
    """Rasa logs each parse with structlog, by default as debug lines on stdout; unless the
    application configured structlog itself, keep warnings only and send them to stderr."""
    import structlog

    if not structlog.is_configured():
        structlog.configure(
            wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
            logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        )
