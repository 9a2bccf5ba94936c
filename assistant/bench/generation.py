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
    missing: str = "no native llama.cpp build is installed (xllamacpp is the prebuilt wheel and llama-cpp-python is "
                   "not importable; scripts/setup --native builds one)",
) -> dict[str, Any]:
    """`generation.ours`, `.native` and `.wheel` (DESIGN contract), with the settings they share.

    `native` is the faster build where one is installed (scripts/setup --native, or llama-cpp-python); without one it
    repeats the wheel's figures and says so (`missing`: why there is none).
    """
    if native is None:
        native = {**wheel, "same_as": "wheel", "note": f"{missing}, so native is the raw wheel"}
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
    """llama-cpp-python when it is installed (compiled from source, ~450 s), else None. Only asked when xllamacpp is
    the prebuilt wheel: scripts/setup --native's xllamacpp build is preferred, as it is the one the app runs."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return None
    return NativeRunner(model_path, n_ctx, threads)


def raw_llamacpp_run(server: Any, body: dict[str, Any]) -> Run:
    """The baseline: xllamacpp's Server.handle_completions called directly, timed in its callback."""
    return raw_llamacpp_text_run(server, body)[0]


def raw_llamacpp_text_run(server: Any, body: dict[str, Any], chunks: list | None = None) -> tuple[Run, str]:
    """raw_llamacpp_run, with the text it generated (and every response chunk appended to `chunks`)."""
    marks: dict[str, Any] = {"first": None, "last": None, "pieces": 0, "tokens": None}
    texts: list[str] = []

    def on_chunk(chunk: dict[str, Any]) -> bool:
        now = time.perf_counter()
        if chunks is not None:
            chunks.append(chunk)
        for choice in chunk.get("choices", ()):
            if choice.get("text"):
                marks["first"] = marks["first"] or now
                marks["last"] = now
                marks["pieces"] += 1
                texts.append(choice["text"])
        if "usage" in chunk:
            marks["tokens"] = chunk["usage"].get("completion_tokens")
        return False

    started = time.perf_counter()
    server.handle_completions(body, on_chunk)
    ended = time.perf_counter()
    first, last = marks["first"] or ended, marks["last"] or ended
    return Run(first - started, ended - started, int(marks["tokens"] or marks["pieces"]), last - first), "".join(texts)


class ChildLlamaCpp:
    """xllamacpp from `folder` (put first on PYTHONPATH) in a child process, same GGUF, context size and threads."""

    def __init__(self, folder: Path, n_ctx: int, threads: int) -> None:
        from assistant.generators.llamacpp import PROMPT_CACHE_ENV

        path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "PYTHONPATH": path, PROMPT_CACHE_ENV: "0", "HF_HUB_OFFLINE": "1"}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "assistant.bench.llamacpp_child", str(n_ctx), str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        self.n_ctx = n_ctx
        hello = self._reply()
        self.build: str = hello["build"]
        self.file: str = hello["file"]
        self.runtime = f"xllamacpp {hello['version']} ({self.build}, in a child process)"
        self.cpu_features = cpu_features(hello.get("system_info", ""))

    def _reply(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        for line in self._process.stdout:  # llama.cpp's own output, if any, is not JSON
            if line.startswith("{"):
                return json.loads(line)
        error = (self._process.stderr.read() if self._process.stderr else "").strip().splitlines()
        raise RuntimeError(f"the llama.cpp child process ended: {error[-1] if error else 'no output'}")

    def run(self, prompt: str, params: Any) -> Run:
        """One timed generation, with the body our backend would send."""
        from assistant.generators.llamacpp import llamacpp_request

        return self.complete(llamacpp_request(prompt, params, n_ctx=self.n_ctx))[0]

    def complete(self, body: dict[str, Any]) -> tuple[Run, str]:
        """One completion request (its `stream` flag is kept): the timed run and the text."""
        reply = self._request(body)
        return Run(**reply["run"]), reply["text"]

    def response(self, body: dict[str, Any]) -> dict[str, Any]:
        """The last response chunk of one request: with "stream": False, llama.cpp's whole answer (e.g. logprobs)."""
        return self._request({**body, "stream": False})["last"]

    def _request(self, body: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(body) + "\n")
        self._process.stdin.flush()
        return self._reply()

    def close(self) -> None:
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def cpu_features(system_info: str) -> list[str]:
    """The instruction sets a llama.cpp build uses, from its system info ("CPU : SSE3 = 1 | AVX512 = 1 | …")."""
    features = []
    for part in system_info.replace(":", "|").split("|"):
        name, _, value = part.partition("=")
        if value.strip() == "1":
            features.append(name.strip())
    return features


def kept_wheel_runner(n_ctx: int, threads: int) -> ChildLlamaCpp | None:
    """The prebuilt wheel that scripts/setup --native kept, loaded in a child process; None when none is kept."""
    from assistant.generators.llamacpp import BUILD_WHEEL, kept_wheel_dir

    folder = kept_wheel_dir()
    if folder is None:
        return None
    child = ChildLlamaCpp(folder, n_ctx, threads)
    if child.build != BUILD_WHEEL:
        child.close()
        raise RuntimeError(f"the kept wheel in {folder} loaded as the {child.build} build ({child.file})")
    return child


def llamacpp_overhead(reps: int) -> dict[str, Any]:
    """Our LlamaCppGenerator vs the raw xllamacpp on one model instance (same request body), and the other build, runs
    interleaved. The old `llamacpp` record, with the ours/native/wheel rows under "baselines".

    The raw in-process server is the installed build. When that is the one scripts/setup --native compiled, it gives
    the `native` row and the wheel it kept runs in a child process for the `wheel` row; when it is the prebuilt wheel,
    it gives the `wheel` row and `native` is llama-cpp-python when that is installed.
    """
    from importlib import metadata

    from assistant.generators.llamacpp import BUILD_NATIVE, PROMPT_CACHE_ENV, llamacpp_request, xllamacpp_build
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
    installed = xllamacpp_build()
    installed_runtime = f"xllamacpp {metadata.version('xllamacpp')}"
    other: Any = None  # the build that is not in this process: the kept wheel, or llama-cpp-python
    other_missing = None
    try:
        if installed == BUILD_NATIVE:
            other = kept_wheel_runner(generator.n_ctx, generator.n_threads)
            if other is None:
                other_missing = "the prebuilt wheel was not kept (scripts/setup --native keeps it in .venv/llamacpp-wheel)"
        else:
            other = native_runner(generator.model_path, generator.n_ctx, generator.n_threads)
    except Exception as exc:  # noqa: BLE001 - a broken second build must not cost the other figures
        which = "prebuilt wheel" if installed == BUILD_NATIVE else "native build"
        other_missing = f"the {which} failed to load: {failure_reason(exc)}"
        say(other_missing)
        other = None

    ours: list[Run] = []
    raw: list[Run] = []
    others: list[Run] = []
    for rep in range(reps + 1):  # the first round warms up
        body = llamacpp_request(_unique(prompt, 3 * rep), params, n_ctx=generator.n_ctx)
        raw_run = raw_llamacpp_run(server, body)
        our_run = time_stream(generator.stream(_unique(prompt, 3 * rep + 1), params))
        second = other.run(_unique(prompt, 3 * rep + 2), params) if other is not None else None
        if rep:
            raw.append(raw_run)
            ours.append(our_run)
            if second is not None:
                others.append(second)
    generator.close()
    if other is not None:
        other.close()
    ours_s, raw_s = summarise(ours), summarise(raw)
    settings = {"model": "Gemma-3-270M Q4_K_M (bundled)", "threads": generator.n_threads, "n_ctx": generator.n_ctx,
                "prompt_tokens": prompt_tokens, "max_new_tokens": MAX_NEW_TOKENS, "temperature": 0.0,
                "runs": reps, "order": "interleaved: raw in-process build, ours, the other build per round, after one "
                                       "warm-up round"}
    ours_row = baseline_figures(ours, prompt_tokens, generator.build, f"{installed_runtime} through LlamaCppGenerator")
    in_process = baseline_figures(raw, prompt_tokens, installed, installed_runtime)
    second_row = baseline_figures(others, prompt_tokens, other.build, other.runtime) if others else None
    ours_row["cpu_features"] = in_process["cpu_features"] = cpu_features(generator.system_info)
    if second_row is not None and getattr(other, "cpu_features", None):
        second_row["cpu_features"] = other.cpu_features
    if installed == BUILD_NATIVE:
        in_process["runtime"] = f"{installed_runtime}, compiled here by scripts/setup --native"
        wheel = second_row or {**skipped(other_missing or "no runs"), "build": "wheel"}
        baselines = baseline_section(ours_row, wheel, in_process, settings)
    else:
        baselines = (baseline_section(ours_row, in_process, second_row, settings, missing=other_missing)
                     if other_missing else baseline_section(ours_row, in_process, second_row, settings))
    return {
        "model": "Gemma-3-270M Q4_K_M (bundled)",
        "threads": generator.n_threads,
        "prompt_tokens": prompt_tokens,
        "passages": passages,
        "max_new_tokens": MAX_NEW_TOKENS,
        "load_s": load_s,
        "build": installed,
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
