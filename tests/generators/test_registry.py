"""Choosing backends by name, registering fakes, and the one-line errors for bad backend input."""

from __future__ import annotations

import pytest

from assistant.config import GenerationParams
from assistant.generators import (
    BACKENDS,
    DEFAULT_BACKEND,
    Generator,
    available_backends,
    make_generator,
    register_backend,
    unregister_backend,
)
from corpus.errors import InputError


class CountingGenerator(Generator):
    """A deterministic fake: counts up to max_new_tokens, one piece per number."""

    name = "counting"

    def __init__(self, model=None, base_url=None):
        self.model, self.base_url = model, base_url

    def stream(self, prompt, params, constraint=None):
        for i in range(params.max_new_tokens):
            yield f"{i} "


@pytest.fixture
def counting_backend():
    register_backend("counting", CountingGenerator)
    yield "counting"
    unregister_backend("counting")


def test_builtin_names():
    assert BACKENDS == ("llamacpp", "transformers", "openai")
    assert DEFAULT_BACKEND == "llamacpp"


def test_unknown_backend_lists_the_choices():
    with pytest.raises(InputError) as err:
        make_generator("gpt5")
    message = str(err.value)
    assert "'gpt5'" in message
    for name in BACKENDS:
        assert name in message


def test_registered_fake_is_made_like_a_real_backend(counting_backend):
    generator = make_generator("Counting", model="m1", base_url="http://x")
    assert isinstance(generator, CountingGenerator)
    assert (generator.model, generator.base_url) == ("m1", "http://x")
    assert generator.generate("q", GenerationParams(max_new_tokens=3)) == "0 1 2 "
    assert "counting" in available_backends()


def test_unregistered_fake_is_gone(counting_backend):
    unregister_backend("counting")
    with pytest.raises(InputError, match="counting"):
        # the error lists the remaining choices, and "counting" is named as the unknown one
        make_generator("counting")
    assert "counting" not in available_backends()


def test_openai_needs_a_url(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(InputError, match="OPENAI_BASE_URL"):
        make_generator("openai", model="m")


@pytest.mark.parametrize("backend", ["llamacpp", "transformers"])
def test_local_backends_refuse_a_server_url(backend):
    with pytest.raises(InputError, match="only applies to the openai backend"):
        make_generator(backend, base_url="http://127.0.0.1:1")


def test_llamacpp_missing_model_file(tmp_path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(InputError, match=f"model file not found: {missing}"):
        make_generator("llamacpp", model=str(missing))


def test_llamacpp_rejects_a_file_that_is_not_gguf(tmp_path):
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model")
    with pytest.raises(InputError, match="cannot load the model file"):
        make_generator("llamacpp", model=str(bogus))


def test_transformers_missing_gguf_file(tmp_path):
    with pytest.raises(InputError, match="model file not found"):
        make_generator("transformers", model=str(tmp_path / "x.gguf"))


def test_transformers_missing_local_folder(tmp_path):
    with pytest.raises(InputError, match="model not found"):
        make_generator("transformers", model=str(tmp_path / "no-such-folder"))


def test_transformers_unknown_hub_id_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InputError, match="not in the Hugging Face cache"):
        make_generator("transformers", model="no-such-org/no-such-model-xyz")


def test_openai_unreachable_server_fails_at_construction(unused_port):
    url = f"http://127.0.0.1:{unused_port}"
    with pytest.raises(InputError, match=f"cannot reach the model server at {url}/v1"):
        make_generator("openai", model="m", base_url=url)


def test_transformers_rejects_a_file_that_is_not_gguf(tmp_path):
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model")
    with pytest.raises(InputError, match="cannot read the GGUF file"):
        make_generator("transformers", model=str(bogus))


@pytest.mark.parametrize("value", ["0", "two"])
def test_llamacpp_bad_thread_count_from_the_environment(monkeypatch, value):
    monkeypatch.setenv("ASSISTANT_LLAMACPP_THREADS", value)
    with pytest.raises(InputError, match="thread count"):
        make_generator("llamacpp")
