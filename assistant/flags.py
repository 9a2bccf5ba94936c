"""Command-line flags shared by the commands that answer (`ask`, `batch`, `ui`, `eval`), read into Settings."""

from __future__ import annotations

import argparse
from pathlib import Path

from index.retriever import RetrieverMode

from assistant.config import DEFAULT_SETTINGS, PASSAGES_RANGE, Settings, resolve_settings, setting_help, setting_range

# Flags of GenerationParams settings, with their types; their defaults and ranges come from assistant.config.
_GENERATION_FLAGS = (("temperature", float), ("top_k", int), ("top_p", float), ("max_new_tokens", int),
                     ("repetition_penalty", float), ("seed", int))


def add_index_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index-dir", type=Path, help="index folder (default: the data folder's index of the default notes)")


def add_generation_flags(parser: argparse.ArgumentParser) -> None:
    """Sampling, retrieval, backend and index flags. Every one defaults to None (unset): resolve_settings fills it."""
    generation, retrieval = DEFAULT_SETTINGS.generation, DEFAULT_SETTINGS.retrieval
    for name, kind in _GENERATION_FLAGS:
        spec = setting_range(name)
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=kind, default=None, metavar="N" if kind is int else "F",
            help=f"{setting_help(name)} (default: {getattr(generation, name)}, range {spec.describe()})",
        )
    parser.add_argument("--passages", type=int, default=None,
                        help=f"chunks retrieved for the answer (default: {retrieval.passages}, range {PASSAGES_RANGE.describe()})")
    parser.add_argument("--retriever", choices=[m.value for m in RetrieverMode], default=None,
                        help=f"default: {retrieval.retriever.value}")
    parser.add_argument("--backend", default=None, help="llamacpp (default), transformers or openai")
    parser.add_argument("--model", default=None, help="GGUF path (llamacpp), model id or path (transformers), model name (openai)")
    parser.add_argument("--base-url", default=None, help="OpenAI-compatible server URL for --backend openai, e.g. http://127.0.0.1:11434/v1")
    parser.add_argument("--no-grounding", dest="grounding", action="store_false",
                        help="let the model write the answer freely instead of copying a span of the notes (for larger models)")
    add_index_dir(parser)


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The flags over the defaults; InputError names a value out of range."""
    return resolve_settings(vars(args))


def pipeline_from_args(args: argparse.Namespace):
    """The answer pipeline with the flags' index, backend, model and settings (loads the model)."""
    from assistant.answer.pipeline import create_pipeline

    settings = settings_from_args(args)
    return create_pipeline(args.index_dir, args.backend, args.model, args.base_url, settings.generation,
                           settings.retrieval, grounding=settings.grounding, slots=getattr(args, "slots", None) or 1)
