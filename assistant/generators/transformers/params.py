"""GenerationParams as transformers' `model.generate` keyword arguments."""

from __future__ import annotations

from typing import Any

from assistant.config import GenerationParams


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
