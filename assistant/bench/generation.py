"""Generation speed: our llama.cpp backend against the raw xllamacpp wheel and a native llama.cpp build when one is
installed (DESIGN "Bench raw figures"), transformers variants, and the whole RAG answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.bench.common import failure_reason, median, ratio, real_corpus, say, skipped

MAX_NEW_TOKENS = 64
PROMPT_TOKENS = 300
# Each variant loads its own model in a fresh process; torch.compile on 2 cores may take minutes.
VARIANT_TIMEOUT_S = 900
TRANSFORMERS_VARIANTS = ("fp32", "bf16", "int8-dynamic", "static-cache", "compile")


@dataclass(frozen=True)
class Run:
    """One timed generation."""

    ttft_s: float
    total_s: float
    new_tokens: int
    decode_s: float  # first piece to last piece

    @property
    def tokens_per_s(self) -> float:
        """End-to-end: new tokens over the whole call, prompt reading included."""
        return self.new_tokens / self.total_s if self.total_s > 0 else float("nan")

    @property
    def decode_tokens_per_s(self) -> float:
        """Decoding only: tokens after the first over the time after the first."""
        return (self.new_tokens - 1) / self.decode_s if self.decode_s > 0 and self.new_tokens > 1 else float("nan")


def summarise(runs: list[Run]) -> dict[str, Any]:
    return {
        "runs": len(runs),
        "ttft_ms": median([r.ttft_s * 1000 for r in runs]),
        "total_ms": median([r.total_s * 1000 for r in runs]),
        "new_tokens": median([r.new_tokens for r in runs]),
        "tokens_per_s": median([r.tokens_per_s for r in runs]),
        "decode_tokens_per_s": median([r.decode_tokens_per_s for r in runs]),
    }


def bench_prompt(passage_count: int) -> str:
    """The app's real prompt over the first `passage_count` chunks of the notes."""
    from assistant.answer.prompt import build_prompt

    corpus = real_corpus()
    return build_prompt(corpus.questions[0], corpus.texts[:passage_count])


def _params():
    from assistant.config import DEFAULT_GENERATION

    return DEFAULT_GENERATION.with_overrides(temperature=0.0, max_new_tokens=MAX_NEW_TOKENS)


def _unique(prompt: str, run: int) -> str:
    # A different first line each run defeats llama.cpp's prompt cache, so every run reads the whole prompt.
    return f"({run})\n{prompt}"


def time_stream(pieces) -> Run:
    """Time an iterator of text pieces; a GenerationStream's usage (set once it ends) may give the exact token count."""
    started = time.perf_counter()
    first = last = None
    count = 0
    for piece in pieces:
        if piece:
            last = time.perf_counter()
            first = first or last
            count += 1
    ended = time.perf_counter()
    usage = getattr(pieces, "usage", None)
    tokens = (usage.new_tokens if usage is not None else None) or count
    first, last = first or ended, last or ended
    return Run(first - started, ended - started, int(tokens), last - first)


# --- ours / native / wheel: one prompt, one thread count, one set of settings, runs interleaved ------------------

BASELINES = ("ours", "native", "wheel")


def baseline_figures(runs: list[Run], prompt_tokens: int, build: str, runtime: str) -> dict[str, Any]:
    """One row of `generation.ours|native|wheel`: prompt reading and decoding speed, medians over `runs`.

    prompt_tokens_per_s is the prompt over the time to the first piece (reading it plus one decoding step), the same
    definition for all three, since llama.cpp's own prompt timer is not visible through every runtime.
    """
    return {
        "build": build,
        "runtime": runtime,
        **summarise(runs),
        "prompt_tokens": prompt_tokens,
        "prompt_tokens_per_s": median([prompt_tokens / r.ttft_s for r in runs if r.ttft_s > 0]),
    }


def baseline_section(
    ours: dict[str, Any], wheel: dict[str, Any], native: dict[str, Any] | None, settings: dict[str, Any],
) -> dict[str, Any]:
    """`generation.ours`, `.native` and `.wheel` (DESIGN contract), with the settings they share.

    `native` is the faster build where one is installed; without one it repeats the wheel's figures and says so.
    """
    if native is None:
        native = {**wheel, "same_as": "wheel",
                  "note": "no native llama.cpp build is installed (llama-cpp-python not importable, xllamacpp is the "
                          "prebuilt wheel), so native is the raw wheel"}
    return {"ours": ours, "native": native, "wheel": wheel, "baseline_settings": settings}


class NativeRunner:
    """llama-cpp-python, compiled on this machine (e.g. for AVX-512), on the same GGUF, threads and context size."""

    build = "native"

    def __init__(self, model_path: Path, n_ctx: int, threads: int) -> None:
        import llama_cpp

        self.runtime = f"llama-cpp-python {getattr(llama_cpp, '__version__', '?')}"
        self._llm = llama_cpp.Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                                    verbose=False)

    def run(self, prompt: str, params: Any) -> Run:
        pieces = self._llm.create_completion(
            prompt, max_tokens=params.max_new_tokens, temperature=params.temperature, top_k=params.top_k,
            top_p=params.top_p, min_p=0.0, repeat_penalty=params.repetition_penalty, seed=params.seed, stream=True,
        )
        return time_stream(chunk["choices"][0].get("text", "") for chunk in pieces)

    def close(self) -> None:
        self._llm = None


def native_runner(model_path: Path, n_ctx: int, threads: int) -> NativeRunner | None:
    """The installed native build, or None when there is none (llama-cpp-python is compiled from source, ~450 s)."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return None
    return NativeRunner(model_path, n_ctx, threads)


def raw_llamacpp_run(server: Any, body: dict[str, Any]) -> Run:
    """The baseline: xllamacpp's Server.handle_completions called directly, timed in its callback."""
    marks: dict[str, Any] = {"first": None, "last": None, "pieces": 0, "tokens": None}

    def on_chunk(chunk: dict[str, Any]) -> bool:
        now = time.perf_counter()
        for choice in chunk.get("choices", ()):
            if choice.get("text"):
                marks["first"] = marks["first"] or now
                marks["last"] = now
                marks["pieces"] += 1
        if "usage" in chunk:
            marks["tokens"] = chunk["usage"].get("completion_tokens")
        return False

    started = time.perf_counter()
    server.handle_completions(body, on_chunk)
    ended = time.perf_counter()
    first, last = marks["first"] or ended, marks["last"] or ended
    return Run(first - started, ended - started, int(marks["tokens"] or marks["pieces"]), last - first)


def llamacpp_overhead(reps: int) -> dict[str, Any]:
    """Our LlamaCppGenerator vs the raw wheel on one model instance (same request body), and the native build when
    installed, runs interleaved. The old `llamacpp` record, with the ours/native/wheel rows under "baselines"."""
    from importlib import metadata

    from assistant.generators.llamacpp import PROMPT_CACHE_ENV, llamacpp_request, xllamacpp_build
    from assistant.generators.registry import make_generator

    # Every timed prompt is new, so the on-disk prompt cache cannot help; off, so the bench leaves the user's alone.
    previous = os.environ.get(PROMPT_CACHE_ENV)
    os.environ[PROMPT_CACHE_ENV] = "0"
    try:
        load_s, generator = _timed(lambda: make_generator("llamacpp"))
    finally:
        if previous is None:
            os.environ.pop(PROMPT_CACHE_ENV, None)
        else:
            os.environ[PROMPT_CACHE_ENV] = previous
    server = generator._server  # the same loaded model, so only our wrapper differs
    params = _params()
    # Grow the prompt until it is about PROMPT_TOKENS long (these calls also warm the model up).
    passages, prompt_tokens = 1, 0
    while True:
        prompt = bench_prompt(passages)
        probe = llamacpp_request(prompt, params.with_overrides(max_new_tokens=1), n_ctx=generator.n_ctx)
        prompt_tokens = _prompt_tokens(server, probe)
        if prompt_tokens >= PROMPT_TOKENS or passages >= len(real_corpus().texts):
            break
        passages += 1
    try:
        native = native_runner(generator.model_path, generator.n_ctx, generator.n_threads)
    except Exception as exc:  # noqa: BLE001 - a broken native build must not cost the other figures
        say(f"native llama.cpp build failed to load: {failure_reason(exc)}")
        native = None
    ours: list[Run] = []
    raw: list[Run] = []
    natives: list[Run] = []
    for rep in range(reps + 1):  # the first round warms up
        body = llamacpp_request(_unique(prompt, 3 * rep), params, n_ctx=generator.n_ctx)
        raw_run = raw_llamacpp_run(server, body)
        our_run = time_stream(generator.stream(_unique(prompt, 3 * rep + 1), params))
        native_run = native.run(_unique(prompt, 3 * rep + 2), params) if native is not None else None
        if rep:
            raw.append(raw_run)
            ours.append(our_run)
            if native_run is not None:
                natives.append(native_run)
    generator.close()
    if native is not None:
        native.close()
    ours_s, raw_s = summarise(ours), summarise(raw)
    wheel_build = xllamacpp_build()
    wheel_runtime = f"xllamacpp {metadata.version('xllamacpp')}"
    settings = {"model": "Gemma-3-270M Q4_K_M (bundled)", "threads": generator.n_threads, "n_ctx": generator.n_ctx,
                "prompt_tokens": prompt_tokens, "max_new_tokens": MAX_NEW_TOKENS, "temperature": 0.0,
                "runs": reps, "order": "interleaved: wheel, ours, native per round, after one warm-up round"}
    baselines = baseline_section(
        baseline_figures(ours, prompt_tokens, generator.build, f"{wheel_runtime} through LlamaCppGenerator"),
        baseline_figures(raw, prompt_tokens, wheel_build, wheel_runtime),
        baseline_figures(natives, prompt_tokens, native.build, native.runtime) if natives else None,
        settings,
    )
    return {
        "model": "Gemma-3-270M Q4_K_M (bundled)",
        "threads": generator.n_threads,
        "prompt_tokens": prompt_tokens,
        "passages": passages,
        "max_new_tokens": MAX_NEW_TOKENS,
        "load_s": load_s,
        "ours": ours_s,
        "raw": raw_s,
        "overhead_total_pct": _pct(ours_s["total_ms"], raw_s["total_ms"]),
        "overhead_ttft_pct": _pct(ours_s["ttft_ms"], raw_s["ttft_ms"]),
        "overhead_tokens_per_s_pct": _pct(raw_s["tokens_per_s"], ours_s["tokens_per_s"]),
        "baselines": baselines,
    }


def _prompt_tokens(server: Any, body: dict[str, Any]) -> int:
    usage: dict[str, Any] = {}

    def on_chunk(chunk: dict[str, Any]) -> bool:
        usage.update(chunk.get("usage") or {})
        return False

    server.handle_completions(body, on_chunk)
    return int(usage.get("prompt_tokens") or 0)


def _pct(ours: float | None, base: float | None) -> float | None:
    r = ratio(ours, base)
    return None if r is None else (r - 1) * 100


def _timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


# --- transformers variants, each in its own process -----------------------------------------------------------


def _apply_variant(generator: Any, variant: str) -> None:
    import torch

    model = generator.model
    if variant == "fp32":
        return
    if variant == "bf16":
        generator.model = model.to(torch.bfloat16)
    elif variant == "int8-dynamic":
        from torch.ao.quantization import quantize_dynamic

        generator.model = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    elif variant == "static-cache":
        model.generation_config.cache_implementation = "static"
    elif variant == "compile":
        model.generation_config.cache_implementation = "static"
        model.forward = torch.compile(model.forward, dynamic=False)
    else:
        raise ValueError(f"unknown variant {variant!r}; choose one of: {', '.join(TRANSFORMERS_VARIANTS)}")


def transformers_variant(variant: str, prompt: str, reps: int) -> dict[str, Any]:
    """Load the transformers backend (bundled model), apply `variant`, and time `reps` generations after a warm-up."""
    from assistant.generators.transformers import TransformersGenerator

    load_s, generator = _timed(lambda: TransformersGenerator(None))
    _apply_variant(generator, variant)
    params = _params()
    warmup = time_stream(generator.stream(prompt, params))
    runs = [time_stream(generator.stream(prompt, params)) for _ in range(reps)]
    return {"variant": variant, "load_s": load_s, "warmup_s": warmup.total_s, **summarise(runs)}


def transformers_variants(variants: tuple[str, ...], prompt: str, reps: int, timeout: float = VARIANT_TIMEOUT_S) -> dict[str, Any]:
    """Every variant's figures, or the reason it was skipped."""
    results: dict[str, Any] = {}
    for variant in variants:
        say(f"transformers {variant}")
        job = {"variant": variant, "prompt": prompt, "reps": reps}
        try:
            done = subprocess.run(
                [sys.executable, "-m", "assistant.bench.generation"], input=json.dumps(job), capture_output=True,
                text=True, timeout=timeout, env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"},
            )
        except subprocess.TimeoutExpired:
            results[variant] = skipped(f"took longer than {timeout:.0f} s")
            continue
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            tail = [line for line in done.stderr.strip().splitlines() if line.strip()]
            results[variant] = skipped(f"failed: {tail[-1][:300] if tail else f'exit code {done.returncode}'}")
            continue
        results[variant] = json.loads(lines[-1])
    return results


# --- the whole answer, retrieval included -------------------------------------------------------------------------


def pipeline_latency(index_dir: Path, questions: tuple[str, ...]) -> dict[str, Any]:
    """`ask` in-process with a warm model: question to first piece and to the end, retrieval included."""
    from assistant.config import DEFAULT_GENERATION
    from assistant.answer.pipeline import create_pipeline

    pipeline = create_pipeline(index_dir, "llamacpp")
    params = DEFAULT_GENERATION.with_overrides(max_new_tokens=MAX_NEW_TOKENS)
    pipeline.answer("warm-up: 合格ラインは？", params)
    answered: list[dict[str, Any]] = []
    abstained = 0
    for question in questions:
        stream = pipeline.stream(question, params)
        started = time.perf_counter()
        first = None
        for _ in stream:
            first = first or time.perf_counter()
        total = time.perf_counter() - started
        answer = stream.answer
        if answer.abstained:
            abstained += 1
            continue
        answered.append({
            "total_ms": total * 1000, "first_token_ms": ((first or started) - started) * 1000,
            "retrieval_ms": answer.timings.retrieval_ms, "new_tokens": answer.timings.new_tokens,
        })
    pipeline.generator.close()
    if not answered:
        return skipped(f"all {len(questions)} questions abstained")
    return {
        "questions": len(questions),
        "abstained": abstained,
        "answer_ms": median([a["total_ms"] for a in answered]),
        "first_token_ms": median([a["first_token_ms"] for a in answered]),
        "retrieval_ms": median([a["retrieval_ms"] for a in answered]),
        "new_tokens": median([a["new_tokens"] for a in answered]),
        "note": "answers stop at the first newline (pipeline stop strings), so most are shorter than 64 tokens",
    }


def run(quick: bool, index_dir: Path | None) -> dict[str, Any]:
    """The generation section of the report."""
    out: dict[str, Any] = {}
    say("generation: llama.cpp, ours vs the raw wheel vs a native build")
    try:
        out["llamacpp"] = llamacpp_overhead(reps=3 if quick else 7)
        out.update(out["llamacpp"].pop("baselines"))
    except Exception as exc:  # noqa: BLE001 - a missing model must not stop the other sections
        out["llamacpp"] = skipped(failure_reason(exc))
        for name in BASELINES:
            out[name] = skipped(failure_reason(exc))
    if quick:
        out["transformers"] = skipped("--quick: transformers variants take minutes on 2 cores; run without --quick")
    else:
        prompt = bench_prompt(out["llamacpp"].get("passages", 4))  # the prompt the llama.cpp runs read
        variants = transformers_variants(TRANSFORMERS_VARIANTS, prompt, reps=3)
        base = out["llamacpp"].get("ours", {}).get("decode_tokens_per_s")
        for figures in variants.values():
            if "skipped" not in figures:
                figures["ratio_to_llamacpp"] = ratio(figures["decode_tokens_per_s"], base)
        out["transformers"] = variants
    if index_dir is not None:
        say("generation: whole answers through the pipeline")
        try:
            out["pipeline"] = pipeline_latency(index_dir, real_corpus().questions[: 5 if quick else 15])
        except Exception as exc:  # noqa: BLE001
            out["pipeline"] = skipped(failure_reason(exc))
    else:
        out["pipeline"] = skipped("no index was built")
    return out


if __name__ == "__main__":  # one transformers variant, in a fresh process: JSON job on stdin, JSON figures on stdout
    job = json.loads(sys.stdin.read())
    print(json.dumps(transformers_variant(job["variant"], job["prompt"], int(job["reps"]))))
