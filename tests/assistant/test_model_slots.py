"""The number of model slots (answers written at once in the UI): one setting, validated in one place."""

from __future__ import annotations

import pytest

from assistant import cli
from assistant.config import DEFAULT_MODEL_SLOTS, MODEL_SLOTS_ENV, MODEL_SLOTS_RANGE, model_slots
from corpus.errors import InputError


@pytest.mark.parametrize("value, environ, expected", [
    (None, {}, DEFAULT_MODEL_SLOTS),
    (None, {MODEL_SLOTS_ENV: ""}, DEFAULT_MODEL_SLOTS),
    (None, {MODEL_SLOTS_ENV: " 3 "}, 3),
    (2, {MODEL_SLOTS_ENV: "3"}, 2),  # the flag wins over the environment
    ("8", {}, 8),
    (4.0, {}, 4),  # JSON clients send floats
    (1, {}, 1),
    (int(MODEL_SLOTS_RANGE.high), {}, int(MODEL_SLOTS_RANGE.high)),
])
def test_valid_slots(value, environ, expected):
    assert model_slots(value, environ) == expected


@pytest.mark.parametrize("value, environ, message", [
    (0, {}, r"slots must be a whole number in \[1, 16\], got 0"),
    (-1, {}, "got -1"),
    (int(MODEL_SLOTS_RANGE.high) + 1, {}, "got 17"),
    (2.5, {}, "got 2.5"),
    ("four", {}, "got 'four'"),
    (True, {}, "got True"),
    ([4], {}, r"got \[4\]"),
    (None, {MODEL_SLOTS_ENV: "0"}, rf"\${MODEL_SLOTS_ENV} must be a whole number in \[1, 16\], got '0'"),
    (None, {MODEL_SLOTS_ENV: "many"}, rf"\${MODEL_SLOTS_ENV} must be a whole number"),
])
def test_invalid_slots_are_refused_with_the_range(value, environ, message):
    with pytest.raises(InputError, match=message):
        model_slots(value, environ)


def test_default_is_within_the_range():
    assert MODEL_SLOTS_RANGE.contains(DEFAULT_MODEL_SLOTS)


@pytest.mark.parametrize("argv, environ", [(["--slots", "0"], {}), (["--slots", "x"], {}), ([], {MODEL_SLOTS_ENV: "99"})])
def test_ui_refuses_bad_slots_before_loading_anything(argv, environ, monkeypatch, capsys):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("assistant.cli.pipeline_from_args", lambda args: pytest.fail("the model must not load"))
    assert cli.main(["ui", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "must be a whole number in [1, 16]" in err[0] and "slots" in err[0].lower()


def test_ui_passes_the_slots_to_the_pipeline(monkeypatch):
    seen = {}

    def fake_pipeline(args):
        seen["slots"] = args.slots
        raise InputError("stop here")

    monkeypatch.setattr("assistant.cli.pipeline_from_args", fake_pipeline)
    monkeypatch.setenv(MODEL_SLOTS_ENV, "3")
    assert cli.main(["ui", "--slots", "2"]) == 2
    assert seen == {"slots": 2}
    assert cli.main(["ui"]) == 2
    assert seen == {"slots": 3}


class _Generator:
    def __init__(self, slots):
        if slots is not None:
            self.slots = slots


class _Pipeline:
    def __init__(self, slots):
        self.generator = _Generator(slots)


@pytest.mark.parametrize("slots, expected", [(4, 4), (1, 1), (None, 1), (0, 1), (True, 1), ("4", 1)])
def test_the_ui_lets_through_as_many_answers_as_the_generator_has_slots(slots, expected):
    from ui.app import serving_slots

    assert serving_slots(_Pipeline(slots)) == expected
