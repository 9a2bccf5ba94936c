"""One config object validates every generation setting."""

import pytest

from assistant.config import DEFAULT_GENERATION, GenerationParams, RetrievalParams, setting_range, validate_question
from corpus.errors import InputError


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"temperature": -0.1}, "temperature=-0.1 is out of range"),
        ({"top_p": 0.0}, r"top_p=0.0 is out of range; allowed: \(0, 1\]"),
        ({"top_p": 1.5}, "top_p"),
        ({"top_k": -1}, "top_k"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"top_k": 2.5}, "whole number"),
        ({"temperature": float("nan")}, "must be a number"),
        ({"temperature": "hot"}, "must be a number"),
    ],
)
def test_out_of_range_settings_are_refused(overrides, message):
    with pytest.raises(InputError, match=message):
        DEFAULT_GENERATION.with_overrides(**overrides)


def test_defaults_are_valid_and_overridable():
    params = DEFAULT_GENERATION.with_overrides(temperature=0.7, top_k=None)
    assert params.temperature == 0.7 and params.top_k == DEFAULT_GENERATION.top_k
    assert setting_range("top_p").contains(1.0) and not setting_range("top_p").contains(0.0)
    assert GenerationParams(top_k=0).top_k == 0


@pytest.mark.parametrize("passages", [0, 21, 2.5, True])
def test_passages_range(passages):
    with pytest.raises(InputError, match="passages"):
        RetrievalParams(passages=passages)


@pytest.mark.parametrize("question, message", [("", "empty"), ("  \n\t", "empty"), ("あ" * 100_000, "100,000 characters")])
def test_bad_questions(question, message):
    with pytest.raises(InputError, match=message):
        validate_question(question)
