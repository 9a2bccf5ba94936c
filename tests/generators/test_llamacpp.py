"""The default backend on the real bundled Gemma-3-270M: streaming, seeds, limits, stop strings, the span grammar."""

from __future__ import annotations

import pytest

from assistant.config import GenerationParams
from assistant.generators.base import SpanConstraint
from assistant.generators.grammar import is_span_of
from corpus.errors import InputError

pytestmark = pytest.mark.slow

PROMPT = "AWS の SageMaker は"
SOURCE = 'XGBoost では "max_depth" と eta（学習率）を調整する。\\ C:\\path\n改行のあとも続く 😀 テキスト'
SPAN_PROMPT = f"資料: {SOURCE}\n質問: XGBoost で調整するハイパーパラメータは?\n答え:"


def sample(**overrides) -> GenerationParams:
    return GenerationParams(temperature=0.8, top_k=40, top_p=0.95, max_new_tokens=16, seed=1).with_overrides(**overrides)


def test_streams_several_pieces(llama_generator):
    stream = llama_generator.stream(PROMPT, sample())
    assert stream.usage is None  # known once the stream has ended
    pieces = list(stream)
    assert len(pieces) >= 2
    assert all(isinstance(p, str) and p for p in pieces)
    assert stream.usage.new_tokens <= 16 and stream.usage.prompt_tokens > 0
    assert stream.usage.finish_reason in ("stop", "length")


def test_same_seed_same_text_at_temperature(llama_generator):
    first = llama_generator.generate(PROMPT, sample(seed=11))
    again = llama_generator.generate(PROMPT, sample(seed=11))
    assert first == again and first


def test_different_seeds_usually_differ(llama_generator):
    texts = {llama_generator.generate(PROMPT, sample(seed=s)) for s in (1, 2, 3)}
    assert len(texts) >= 2


def test_greedy_is_deterministic_and_ignores_the_seed(llama_generator):
    a = llama_generator.generate(PROMPT, sample(temperature=0.0, seed=1))
    b = llama_generator.generate(PROMPT, sample(temperature=0.0, seed=99))
    assert a == b and a


def test_max_new_tokens(llama_generator):
    stream = llama_generator.stream(PROMPT, sample(max_new_tokens=3))
    assert "".join(stream)
    assert stream.usage.new_tokens <= 3


def test_stop_sequence_cuts_the_output(llama_generator):
    greedy = sample(temperature=0.0, max_new_tokens=24)
    full = llama_generator.generate(PROMPT, greedy)
    assert len(full) > 6
    stop = full[4:6]  # a string that does occur: the output must end just before its first occurrence
    stream = llama_generator.stream(PROMPT, greedy.with_overrides(stop=(stop,)))
    assert "".join(stream) == full[: full.index(stop)]
    assert stream.usage.new_tokens < 24


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_span_constraint_output_is_a_substring(llama_generator, seed):
    out = llama_generator.generate(SPAN_PROMPT, sample(seed=seed, max_new_tokens=24), SpanConstraint((SOURCE, "別の資料")))
    assert is_span_of(out, (SOURCE, "別の資料")), out


def test_span_constraint_greedy_from_an_unrelated_prompt(llama_generator):
    # the model would never write this on its own: the grammar has to force it
    out = llama_generator.generate("Once upon a time", sample(temperature=0.0), SpanConstraint(("日本語だけの資料",)))
    assert is_span_of(out, ("日本語だけの資料",)), out


def test_abandoned_stream_leaves_the_model_usable(llama_generator):
    stream = llama_generator.stream(PROMPT, sample(max_new_tokens=64))
    next(stream)
    stream.close()
    assert llama_generator.generate(PROMPT, sample(max_new_tokens=4))


def test_prompt_longer_than_the_context_is_input_error(llama_generator):
    with pytest.raises(InputError, match="llama.cpp rejected the request"):
        llama_generator.generate("データ " * 3000, sample(max_new_tokens=2))


def test_close_frees_the_model():
    from assistant.generators.llamacpp import LlamaCppGenerator

    generator = LlamaCppGenerator(n_threads=1)
    assert generator.generate(PROMPT, sample(max_new_tokens=2))
    generator.close()
    with pytest.raises(RuntimeError, match="closed"):
        generator.generate(PROMPT, sample())
