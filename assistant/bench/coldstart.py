"""Where a cold `ask` spends its time: each phase of one process, for the README's before/after breakdown.

`python -m assistant.bench.coldstart [--rounds N]` runs N rounds of fresh processes, "before" (no prompt cache,
llama.cpp's parameter fitting on) and "after" (today's defaults) interleaved, and prints the medians as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

STARTED = time.perf_counter()
# A question the model answers (13 tokens): 合格ライン and other whole-answer questions are settled without it
# (GenerationPlan.settled), so their first and last token would not include generation.
QUESTION = "L2正則化は何をしますか？"
PHASES = ("imports", "model_load", "index_open", "retrieval", "first_token", "last_token", "total")


def phases() -> dict[str, float]:
    """One cold answer in this process, phase by phase (seconds); the process must be fresh."""
    marks = {}
    from assistant.answer.pipeline import Pipeline
    from assistant.generators.llamacpp import LlamaCppGenerator
    from assistant.retrieval import open_retriever

    if os.environ.get("COLDSTART_FIT") == "1":
        LlamaCppGenerator.fit_params = True
    marks["imports"] = time.perf_counter()
    generator = LlamaCppGenerator()
    marks["model_load"] = time.perf_counter()
    retriever = open_retriever(None)
    marks["index_open"] = time.perf_counter()
    stream = Pipeline(retriever, generator).stream(QUESTION)
    first = None
    for _ in stream:
        first = first or time.perf_counter()
    end = time.perf_counter()
    timings = stream.answer.timings
    out = {
        "imports": marks["imports"] - STARTED,
        "model_load": marks["model_load"] - marks["imports"],
        "index_open": marks["index_open"] - marks["model_load"],
        "retrieval": timings.retrieval_ms / 1000,
        "first_token": (timings.first_token_ms or 0) / 1000,
        "last_token": timings.generation_ms / 1000,
        "total": end - STARTED,
        "answer": stream.answer.text,
    }
    generator.close()
    return out


def rounds(count: int) -> dict[str, dict]:
    """`count` interleaved rounds of before/after processes; medians per phase."""
    from assistant.bench.common import median
    from assistant.generators.llamacpp import PROMPT_CACHE_ENV

    variants = {"before": {PROMPT_CACHE_ENV: "0", "COLDSTART_FIT": "1"}, "after": {}}
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for _ in range(count):
        for name, env in variants.items():
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "assistant.bench.coldstart", "--one"], capture_output=True,
                                  text=True, env={**os.environ, "HF_HUB_OFFLINE": "1", **env}, timeout=600)
            wall = time.perf_counter() - started
            record = json.loads(done.stdout.strip().splitlines()[-1])
            runs[name].append({**record, "process_wall": wall})
    return {name: {**{k: median([r[k] for r in rs]) for k in (*PHASES, "process_wall")},
                   "answers": sorted({r["answer"] for r in rs}), "runs": len(rs)} for name, rs in runs.items()}


if __name__ == "__main__":
    if "--one" in sys.argv:
        print(json.dumps(phases(), ensure_ascii=False))
    else:
        from assistant.bench.common import ForeignLoad, load_average

        count = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
        with ForeignLoad() as others:
            before = load_average()[0]
            result = rounds(count)
        result["load"] = {"load_average": [round(before, 2), round(load_average()[0], 2)], "foreign_cores": others.summary()}
        print(json.dumps(result, ensure_ascii=False, indent=1))
