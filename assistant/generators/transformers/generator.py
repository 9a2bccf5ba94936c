"""TransformersGenerator: any causal LM run by transformers on the CPU, streamed from a worker thread."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import closing

from assistant.config import GenerationParams
from assistant.generators.base import GenerationStream, Generator, PieceGenerator, SpanConstraint, Usage
from assistant.generators.llamacpp import BUNDLED_MODEL
from assistant.generators.streaming import stream_from_thread
from assistant.generators.transformers.constraint import SpanLogitsProcessor
from assistant.generators.transformers.convert import resolve_transformers_source
from assistant.generators.transformers.params import transformers_generate_kwargs
from assistant.generators.transformers.streamer import IncrementalTextStreamer, StopFilter
from assistant.generators.transformers.tokens import TokenTable
from corpus.environment import hub_offline
from corpus.errors import InputError


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
        local_only = local or hub_offline()
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

    def token_table(self) -> TokenTable:
        """The token byte table for span constraints, built on first use (~1 s for Gemma's 262k vocabulary)."""
        if self._table is None:
            self._table = TokenTable.from_tokenizer(self.tokenizer, self.eos_ids)
        return self._table

    def stream(
        self, prompt: str, params: GenerationParams, constraint: SpanConstraint | None = None
    ) -> GenerationStream:
        return GenerationStream(self._pieces(prompt, params, constraint))

    def _pieces(self, prompt: str, params: GenerationParams, constraint: SpanConstraint | None) -> PieceGenerator:
        if self.model is None:
            raise RuntimeError("this generator has been closed")
        import torch
        from transformers import LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

        inputs = self.tokenizer(prompt, return_tensors="pt")
        prompt_len = inputs["input_ids"].shape[1]
        counted = {"new_tokens": 0}  # written by the generating thread at every step
        kwargs = dict(**inputs, **transformers_generate_kwargs(params), pad_token_id=self.pad_id)
        if constraint is not None:
            kwargs["logits_processor"] = LogitsProcessorList([SpanLogitsProcessor(self.token_table(), constraint.sources)])

        def produce(emit: Callable[[str], None], cancelled: threading.Event) -> None:
            class _Cancel(StoppingCriteria):
                def __call__(self, input_ids, scores, **kwargs):
                    counted["new_tokens"] = input_ids.shape[1] - prompt_len
                    return torch.full((input_ids.shape[0],), cancelled.is_set(), dtype=torch.bool)

            with self._lock, torch.inference_mode():
                torch.manual_seed(params.seed)
                self.model.generate(
                    **kwargs,
                    streamer=IncrementalTextStreamer(self.tokenizer, emit),
                    stopping_criteria=StoppingCriteriaList([_Cancel()]),
                )

        stops = StopFilter(params.stop)
        finish_reason = None
        with closing(stream_from_thread(produce, name="transformers-stream", join_timeout=60)) as texts:
            for text in texts:
                if constraint is not None:
                    text = text.rstrip("\ufffd")  # a character cut short by max_new_tokens
                piece = stops.feed(text)
                if piece:
                    yield piece
                if stops.stopped:
                    finish_reason = "stop"
                    break
            else:
                if rest := stops.flush():
                    yield rest
                # OpenAI's meaning, as llama.cpp reports it: "length" at the token limit, else "stop"
                finish_reason = "length" if counted["new_tokens"] >= params.max_new_tokens else "stop"
        return Usage(new_tokens=counted["new_tokens"], prompt_tokens=prompt_len, finish_reason=finish_reason)

    def close(self) -> None:
        self.model = None
        self.tokenizer = None
        self._table = None
        import gc

        gc.collect()
