"""What the process environment says about the machine's setup."""

from __future__ import annotations

import os

_TRUE = {"1", "true", "yes", "on"}


def hub_offline() -> bool:
    """True when $HF_HUB_OFFLINE or $TRANSFORMERS_OFFLINE (1/true/yes/on) says to stay off the Hugging Face Hub."""
    return any(os.environ.get(v, "").strip().lower() in _TRUE for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
