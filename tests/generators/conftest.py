"""Fixtures for the generator tests: real bundled-model backends, loaded once per session, and a local llama.cpp HTTP server."""

from __future__ import annotations

import socket
import time

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: loads a real model (seconds to a minute)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unused_port() -> int:
    """A 127.0.0.1 port nothing listens on (nothing was bound to it a moment ago)."""
    return free_port()


@pytest.fixture(scope="session")
def llama_generator():
    """The default backend on the bundled Gemma-3-270M."""
    from assistant.generators.llamacpp import LlamaCppGenerator

    generator = LlamaCppGenerator()
    yield generator
    generator.close()


@pytest.fixture(scope="session")
def transformers_generator():
    """The bundled Gemma through transformers; the first run on a machine converts the GGUF (~50 s), later runs reuse it."""
    from assistant.generators.transformers import TransformersGenerator

    generator = TransformersGenerator("bundled")
    yield generator
    generator.close()


@pytest.fixture(scope="session")
def llama_server_url():
    """A real llama.cpp HTTP server (xllamacpp's embedded one) on a free 127.0.0.1 port, serving the bundled GGUF."""
    import httpx
    import xllamacpp

    from assistant.generators.llamacpp import bundled_gguf_path

    params = xllamacpp.CommonParams()
    params.model.path = str(bundled_gguf_path())
    params.n_ctx = 2048
    params.n_parallel = 1
    params.cpuparams.n_threads = 2
    params.cpuparams_batch.n_threads = 2
    params.n_threads_http = 2
    params.hostnames = ["127.0.0.1"]
    params.port = free_port()
    params.verbosity = -1
    server = xllamacpp.Server(params)
    url = server.listening_address
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"the llama.cpp server at {url} did not become healthy")
        time.sleep(0.2)
    yield url
    del server
