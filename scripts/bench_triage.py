"""Benchmark: how long one triage takes on one core once everything is loaded.

    .venv/bin/python scripts/bench_triage.py [--nlu models/xinfang.tar.gz] [--file FILE.jsonl]

Pins the process to one CPU core (and TensorFlow to one thread), loads the engine, warms up,
then times every text of the file (default: the development set) several times and prints
mean, median, 95th percentile and maximum in milliseconds. The target is < 30 ms per triage.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default=str(ROOT / "data/eval/dev.jsonl"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ[var] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    texts = [json.loads(line)["text"] for line in Path(args.file).read_text("utf-8").splitlines()
             if line.strip()]
    from bot.triage.engine import TriageEngine

    started = time.perf_counter()
    engine = TriageEngine()
    for text in texts[:20]:  # warm-up: pipeline, jieba, caches
        engine.triage(text)
    load_seconds = time.perf_counter() - started

    timings: list[float] = []
    for _ in range(args.rounds):
        for text in texts:
            t0 = time.perf_counter()
            engine.triage(text)
            timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    figures = {
        "texts": len(texts), "runs": len(timings), "classifier": engine.classifier is not None,
        "load_and_warmup_s": round(load_seconds, 2),
        "mean_ms": round(statistics.mean(timings), 2),
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "max_ms": round(timings[-1], 2),
        "mean_chars": round(statistics.mean(len(t) for t in texts)),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:>18}: {value}")
        verdict = "OK" if figures["p95_ms"] < 30 else "over the 30 ms target"
        print(f"{'p95 vs 30 ms':>18}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
