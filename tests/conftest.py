"""Shared fixtures: every test gets its own data folder, and deterministic fakes are registered like real models."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from index.embedders import Embedder, register_embedder  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NOTES_DIR = REPO / "corpus" / "notes"


class HashEmbedder(Embedder):
    """A deterministic bag-of-characters embedder: texts sharing characters get similar vectors."""

    name = "fake-hash"
    dim = 64

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for char in text:
            vector[int(hashlib.md5(char.encode()).hexdigest(), 16) % self.dim] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def embed_passages(self, texts):
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text):
        return self._vector(text)


register_embedder("fake-hash", HashEmbedder)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """Send the data folder to a fresh temp dir; converted models stay in the shared cache."""
    home = tmp_path_factory.mktemp("assistant-home")
    monkeypatch.setenv("ASSISTANT_HOME", str(home))
    return home


@pytest.fixture
def notes_dir(tmp_path) -> Path:
    """A tiny notes folder with Japanese and English notes."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "ml.md").write_text(
        "# ML\n\n## 正則化\n\nL2正則化はすべての重みを小さくする。L1正則化は一部の特徴を0にする。\n\n"
        "## エポック\n\nエポックが多すぎると過学習につながる。\n",
        encoding="utf-8",
    )
    (folder / "exam.txt").write_text("The passing score is 720 points.\n\n試験時間は90分です。\n", encoding="utf-8")
    return folder


def run_cli(*args: str, env: dict | None = None, timeout: float = 600):
    """Run `python -m assistant ARGS` in a subprocess; returns the CompletedProcess."""
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


from assistant.generators.base import Generator  # noqa: E402


class EchoGenerator(Generator):
    """A deterministic fake LM: answers with the first line of passage [1], piece by piece.

    The seed and temperature change the output the way sampling would: greedy (temperature 0) ignores the seed.
    """

    name = "fake-echo"

    def __init__(self, model=None, base_url=None):
        self.prompts: list[str] = []

    def stream(self, prompt, params, constraint=None):
        self.prompts.append(prompt)
        marker = "[1] "
        start = prompt.rfind(marker)
        line = prompt[start + len(marker) :].split("\n", 1)[0] if start >= 0 else ""
        if params.temperature > 0:
            line = f"{params.seed}:{line}"
        text = line[: params.max_new_tokens * 2]
        for stop in params.stop:
            if stop and stop in text:
                text = text[: text.index(stop)]
        for i in range(0, len(text), 2):
            yield text[i : i + 2]


@pytest.fixture
def fake_index(notes_dir, tmp_path):
    """A Retriever over the tiny notes with the fake embedder."""
    from index.builder import build_index
    from index.retriever import Retriever
    from index.storage import read_index
    from index.embedders import make_embedder

    build_index(notes_dir, tmp_path / "idx", embedder_name="fake-hash", progress=False)
    return Retriever(read_index(tmp_path / "idx"), make_embedder("fake-hash"))
