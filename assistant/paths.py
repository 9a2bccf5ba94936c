"""Where built indexes and converted models live, outside the source tree."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_NOTES_DIR = REPO_ROOT / "corpus" / "notes"


def data_home() -> Path:
    """The data folder: $ASSISTANT_HOME, or `.assistant/` in the repository root."""
    return Path(os.environ.get("ASSISTANT_HOME") or REPO_ROOT / ".assistant")


def default_index_dir() -> Path:
    return data_home() / "index"


def models_dir() -> Path:
    """Cache for assembled and converted models: $ASSISTANT_MODELS, or ~/.cache/study-assistant/models.

    Kept apart from data_home() so that tests with a throwaway data folder still reuse converted models.
    """
    return Path(os.environ.get("ASSISTANT_MODELS") or Path.home() / ".cache" / "study-assistant" / "models")
