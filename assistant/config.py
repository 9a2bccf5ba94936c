"""Generation and retrieval settings: each default and range is defined once here, for the CLI and the UI."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields, replace
from collections.abc import Mapping
from typing import Any

from corpus.errors import InputError
from index.retriever import RetrieverMode

MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class Range:
    """Allowed values of one numeric setting; `low_open` excludes the lower bound."""

    low: float
    high: float
    low_open: bool = False
    step: float = 1.0

    def contains(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def describe(self) -> str:
        left = "(" if self.low_open else "["
        return f"{left}{self.low:g}, {self.high:g}]"


def _setting(default: Any, low: float, high: float, *, step: float = 1.0, low_open: bool = False, help: str = ""):
    return field(default=default, metadata={"range": Range(low, high, low_open, step), "help": help})


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings shared by every backend. temperature 0 means greedy decoding."""

    temperature: float = _setting(0.0, 0.0, 2.0, step=0.05, help="0 is greedy; higher is more varied")
    top_k: int = _setting(40, 0, 200, help="sampling top-k; 0 turns it off")
    top_p: float = _setting(0.95, 0.0, 1.0, step=0.01, low_open=True, help="nucleus sampling mass, in (0, 1]")
    max_new_tokens: int = _setting(64, 1, 1024, help="the answer's length limit in tokens")
    repetition_penalty: float = _setting(1.1, 1.0, 2.0, step=0.05, help="1 turns it off")
    seed: int = _setting(0, 0, 2**31 - 1, help="the same seed and settings give the same answer")
    stop: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for f in fields(self):
            spec = f.metadata.get("range")
            if spec is None:
                continue
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
                raise InputError(f"{f.name} must be a number, got {value!r}")
            if f.type == "int" and not float(value).is_integer():
                raise InputError(f"{f.name} must be a whole number, got {value!r}")
            if not spec.contains(value):
                raise InputError(f"{f.name}={value!r} is out of range; allowed: {spec.describe()}")
        for name in ("top_k", "max_new_tokens", "seed"):
            object.__setattr__(self, name, int(getattr(self, name)))
        object.__setattr__(self, "temperature", float(self.temperature))
        object.__setattr__(self, "top_p", float(self.top_p))
        object.__setattr__(self, "repetition_penalty", float(self.repetition_penalty))
        object.__setattr__(self, "stop", tuple(self.stop))

    def with_overrides(self, **overrides: Any) -> "GenerationParams":
        """A copy with the given non-None settings replaced (and validated)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def as_dict(self) -> dict[str, Any]:
        return {f.name: (list(getattr(self, f.name)) if f.name == "stop" else getattr(self, f.name)) for f in fields(self)}


def setting_range(name: str) -> Range:
    """The allowed range of a GenerationParams setting, for CLI help and UI sliders."""
    return next(f.metadata["range"] for f in fields(GenerationParams) if f.name == name)


def setting_help(name: str) -> str:
    return next(f.metadata.get("help", "") for f in fields(GenerationParams) if f.name == name)


DEFAULT_GENERATION = GenerationParams()

PASSAGES_RANGE = Range(1, 20)
DEFAULT_PASSAGES = 3
DEFAULT_RETRIEVER = RetrieverMode.HYBRID
# `search` shows this many chunks; answers read `passages` of them.
DEFAULT_SEARCH_K = 5


@dataclass(frozen=True)
class RetrievalParams:
    """How many passages to retrieve and with which retriever."""

    passages: int = DEFAULT_PASSAGES
    retriever: RetrieverMode = DEFAULT_RETRIEVER

    def __post_init__(self) -> None:
        if isinstance(self.passages, bool) or not isinstance(self.passages, int) or not PASSAGES_RANGE.contains(self.passages):
            raise InputError(f"passages={self.passages!r} is out of range; allowed: whole numbers in {PASSAGES_RANGE.describe()}")
        object.__setattr__(self, "retriever", RetrieverMode.parse(self.retriever))

    def with_overrides(self, **overrides: Any) -> "RetrievalParams":
        """A copy with the given non-None settings replaced (and validated)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


# How many questions the UI answers at once: llama.cpp's parallel slots with continuous batching (one loaded model,
# each slot with the context a one-slot model has). The default is one: on the 2-core machine, with other processes
# using about one core, 4 slots gave no more answers per second than one for the bundled model's grounded answers
# (prompt reading dominates) and a worse p95 for 4 and 8 users, because the long answers are slowed by everyone's
# prompt reading; and a batch mixing several users can flip a greedy near-tie (77 of 78 dev answers identical) (README,
# Speed). $ASSISTANT_MODEL_SLOTS or `ui --slots N` sets it.
MODEL_SLOTS_ENV = "ASSISTANT_MODEL_SLOTS"
MODEL_SLOTS_RANGE = Range(1, 16)
DEFAULT_MODEL_SLOTS = 1


def model_slots(value: Any = None, environ: Mapping[str, str] | None = None) -> int:
    """The number of model slots: `value`, else $ASSISTANT_MODEL_SLOTS, else DEFAULT_MODEL_SLOTS; InputError if invalid."""
    source = "slots"
    if value is None:
        raw = (os.environ if environ is None else environ).get(MODEL_SLOTS_ENV, "").strip()
        if not raw:
            return DEFAULT_MODEL_SLOTS
        value, source = raw, f"${MODEL_SLOTS_ENV}"
    count = None
    if isinstance(value, float) and value.is_integer():
        count = int(value)
    elif isinstance(value, (int, str)) and not isinstance(value, bool):
        try:
            count = int(value)
        except ValueError:
            pass
    if count is None or not MODEL_SLOTS_RANGE.contains(count):
        raise InputError(f"{source} must be a whole number in {MODEL_SLOTS_RANGE.describe()}, got {value!r}")
    return count


@dataclass(frozen=True)
class Settings:
    """Everything a request can set: sampling and retrieval, and whether answers are copied from the notes."""

    generation: GenerationParams = DEFAULT_GENERATION
    retrieval: RetrievalParams = RetrievalParams()
    grounding: bool = True


DEFAULT_SETTINGS = Settings()
GENERATION_SETTINGS = tuple(f.name for f in fields(GenerationParams) if "range" in f.metadata)
RETRIEVAL_SETTINGS = tuple(f.name for f in fields(RetrievalParams))


def resolve_settings(values: Mapping[str, Any], base: Settings = DEFAULT_SETTINGS) -> Settings:
    """`base` with every setting that `values` gives (flags, UI controls, API arguments); None keeps the base value.

    The one place where unset flags fall back to defaults: the CLI, the UI and eval all resolve through it.
    Unknown keys are ignored; InputError names a value out of range.
    """
    pick = lambda names: {n: values.get(n) for n in names}  # noqa: E731
    grounding = values.get("grounding")
    return Settings(
        base.generation.with_overrides(**pick(GENERATION_SETTINGS)),
        base.retrieval.with_overrides(**pick(RETRIEVAL_SETTINGS)),
        base.grounding if grounding is None else bool(grounding),
    )


def validate_question(question: str) -> str:
    """The question stripped, or InputError if it is empty or too long."""
    text = question.replace("\x00", "").strip() if isinstance(question, str) else ""
    if not text:
        raise InputError("the question is empty; type a question about your notes")
    if len(text) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is {len(text):,} characters long; the limit is {MAX_QUESTION_CHARS:,}")
    return text
