"""The transformers backend, one job a module: params, tokens, constraint, streamer, convert, generator."""

from assistant.generators.transformers.convert import converted_dir_for, convert_gguf, resolve_transformers_source
from assistant.generators.transformers.generator import TransformersGenerator
from assistant.generators.transformers.params import transformers_generate_kwargs

__all__ = [
    "TransformersGenerator",
    "convert_gguf",
    "converted_dir_for",
    "resolve_transformers_source",
    "transformers_generate_kwargs",
]
