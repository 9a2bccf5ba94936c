"""The transformers backend on the bundled Gemma GGUF (converted once to a cached safetensors folder)."""

from __future__ import annotations

import pytest

from assistant.config import GenerationParams
from assistant.generators.base import SpanConstraint
from assistant.generators.grammar import is_span_of

pytestmark = pytest.mark.slow

PROMPT = "AWS の SageMaker は"
SOURCE = 'XGBoost では "max_depth" と eta（学習率）を調整する。改行の\nあとも続く'


def sample(**overrides) -> GenerationParams:
    return GenerationParams(temperature=0.8, top_k=40, top_p=0.95, max_new_tokens=8, seed=1).with_overrides(**overrides)


def test_converted_folder_is_cached(transformers_generator):
    from assistant.generators.llamacpp import bundled_gguf_path
    from assistant.generators.transformers import converted_dir_for

    folder = converted_dir_for(bundled_gguf_path())
    assert (folder / "config.json").is_file()
    assert any(folder.glob("*.safetensors"))


def test_streams_and_seed_determinism(transformers_generator):
    stream = transformers_generator.stream(PROMPT, sample(seed=5))
    pieces = list(stream)
    assert len(pieces) >= 2
    assert stream.usage.new_tokens <= 8 and stream.usage.prompt_tokens > 0
    assert "".join(pieces) == transformers_generator.generate(PROMPT, sample(seed=5))


def test_greedy_is_deterministic(transformers_generator):
    a = transformers_generator.generate(PROMPT, sample(temperature=0.0, seed=1))
    b = transformers_generator.generate(PROMPT, sample(temperature=0.0, seed=2))
    assert a == b and a


def test_stop_sequence_cuts_the_output(transformers_generator):
    greedy = sample(temperature=0.0, max_new_tokens=12)
    full = transformers_generator.generate(PROMPT, greedy)
    assert len(full) > 5
    stop = full[3:5]
    cut = transformers_generator.generate(PROMPT, greedy.with_overrides(stop=(stop,)))
    assert cut == full[: full.index(stop)]


def test_span_constraint_output_is_a_substring(transformers_generator):
    prompt = f"資料: {SOURCE}\n質問: XGBoost で調整するのは?\n答え:"
    for seed in (1, 2):
        out = transformers_generator.generate(prompt, sample(seed=seed, max_new_tokens=10), SpanConstraint((SOURCE,)))
        assert is_span_of(out, (SOURCE,)), out
    forced = transformers_generator.generate("Once upon a time", sample(temperature=0.0, max_new_tokens=6), SpanConstraint(("日本語だけの資料",)))
    assert is_span_of(forced, ("日本語だけの資料",)), forced
