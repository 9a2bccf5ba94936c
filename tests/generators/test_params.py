"""GenerationParams mapped to each backend's request: pure functions, no model."""

from __future__ import annotations

import pytest

from assistant.config import GenerationParams
from assistant.generators.base import SpanConstraint
from assistant.generators.grammar import span_grammar
from assistant.generators.llamacpp import SAMPLER_ORDER, llamacpp_request
from assistant.generators.openai_compat import normalise_base_url, openai_request
from assistant.generators.transformers.params import transformers_generate_kwargs
from corpus.errors import InputError

SAMPLING = GenerationParams(temperature=0.7, top_k=20, top_p=0.9, max_new_tokens=33, repetition_penalty=1.2, seed=7, stop=("\n\n", "質問:"))
GREEDY = GenerationParams(temperature=0.0, top_k=0, top_p=1.0, max_new_tokens=5, repetition_penalty=1.0, seed=3)
SPAN = SpanConstraint(("XGBoost の eta",))


def test_llamacpp_request_maps_every_setting():
    body = llamacpp_request("prompt", SAMPLING, n_ctx=1024)
    assert body == {
        "prompt": "prompt",
        "stream": True,
        "max_tokens": 33,
        "temperature": 0.7,
        "top_k": 20,
        "top_p": 0.9,
        "min_p": 0.0,
        "repeat_penalty": 1.2,
        "repeat_last_n": 1024,
        "seed": 7,
        "stop": ["\n\n", "質問:"],
        "samplers": list(SAMPLER_ORDER),
        "cache_prompt": True,
    }


def test_llamacpp_request_greedy_and_filters_off():
    body = llamacpp_request("p", GREEDY)
    assert (body["temperature"], body["top_k"], body["top_p"], body["repeat_penalty"]) == (0.0, 0, 1.0, 1.0)
    assert body["stop"] == []
    assert "grammar" not in body


def test_llamacpp_request_temperature_before_truncation():
    # transformers' order: temperature, then top-k, then top-p.
    order = llamacpp_request("p", SAMPLING)["samplers"]
    assert order.index("temperature") < order.index("top_k") < order.index("top_p")


def test_llamacpp_request_span_constraint_becomes_grammar():
    assert llamacpp_request("p", SAMPLING, SPAN)["grammar"] == span_grammar(SPAN.sources)


def test_transformers_kwargs_sampling():
    assert transformers_generate_kwargs(SAMPLING) == {
        "max_new_tokens": 33,
        "do_sample": True,
        "temperature": 0.7,
        "top_k": 20,
        "top_p": 0.9,
        "min_p": None,
        "repetition_penalty": 1.2,
    }


def test_transformers_kwargs_greedy_neutralises_filters():
    kw = transformers_generate_kwargs(GREEDY)
    assert kw["do_sample"] is False
    assert (kw["temperature"], kw["top_k"], kw["top_p"]) == (None, None, None)
    assert kw["max_new_tokens"] == 5


def test_openai_request_standard_and_extra_fields():
    req = openai_request("prompt", "gemma", SAMPLING)
    extra = req.pop("extra_body")
    assert req == {
        "model": "gemma",
        "prompt": "prompt",
        "max_tokens": 33,
        "temperature": 0.7,
        "top_p": 0.9,
        "seed": 7,
        "stream": True,
        "stream_options": {"include_usage": True},
        "stop": ["\n\n", "質問:"],
    }
    assert extra == {"top_k": 20, "min_p": 0.0, "repeat_penalty": 1.2, "repetition_penalty": 1.2}


def test_openai_request_top_k_off_is_minus_one_and_no_empty_stop():
    req = openai_request("p", "m", GREEDY)
    assert req["extra_body"]["top_k"] == -1
    assert "stop" not in req
    assert "grammar" not in req["extra_body"]


def test_openai_request_span_constraint_sends_grammar():
    assert openai_request("p", "m", GREEDY, SPAN)["extra_body"]["grammar"] == span_grammar(SPAN.sources)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/v1"),
        ("http://localhost:11434/v1", "http://localhost:11434/v1"),
        (" https://host/v1/ ", "https://host/v1"),
    ],
)
def test_normalise_base_url(given, expected):
    assert normalise_base_url(given) == expected


def test_normalise_base_url_needs_a_scheme():
    with pytest.raises(InputError, match="http://"):
        normalise_base_url("127.0.0.1:8080")
