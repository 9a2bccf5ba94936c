"""Sweeps: parsing `--sweep NAME=V1,V2`, the grid, and the table, JSON and plot they write."""

import json

import pytest

from assistant.config import DEFAULT_GENERATION
from corpus.errors import InputError
from eval.harness import evaluate
from eval.sweep import SweepAxis, parse_sweeps, point_label, run_sweep, sweep_grid, sweepable_settings, write_sweep
from tests.eval.fakes import ANSWERS, CHUNKS, GOLD, FakeRetriever


def test_parse_sweeps():
    axes = parse_sweeps(["temperature=0,0.3,0.7", "top-p = 0.8, 1.0", "top_k=0,40,40"])
    assert axes == [
        SweepAxis("temperature", (0.0, 0.3, 0.7)),
        SweepAxis("top_p", (0.8, 1.0)),
        SweepAxis("top_k", (0, 40)),  # whole numbers, repeats dropped
    ]
    assert isinstance(axes[2].values[0], int)
    assert parse_sweeps([]) == []


def test_sweepable_settings_are_the_numeric_generation_params():
    assert set(sweepable_settings()) == {"temperature", "top_k", "top_p", "max_new_tokens", "repetition_penalty", "seed"}


@pytest.mark.parametrize(
    "spec, message",
    [
        ("warmth=0,1", "NAME one of: temperature, top_k, top_p"),
        ("temperature", "write NAME=V1,V2"),
        ("temperature=", "at least one value"),
        ("temperature=0,hot", "'hot' is not a number"),
        ("temperature=0,3", "temperature=3.0 is out of range; allowed: [0, 2]"),
        ("top_p=0,1", "top_p=0.0 is out of range; allowed: (0, 1]"),
        ("top_k=10.5", "top_k takes whole numbers"),
    ],
)
def test_bad_sweeps_name_the_problem(spec, message):
    with pytest.raises(InputError) as err:
        parse_sweeps([spec])
    assert message in str(err.value)


def test_a_setting_named_twice_is_refused():
    with pytest.raises(InputError, match="names temperature twice"):
        parse_sweeps(["temperature=0", "temperature=0.5"])


def test_grid_and_labels():
    grid = sweep_grid(parse_sweeps(["temperature=0,0.7", "top_p=0.8,1"]))
    assert grid == [
        {"temperature": 0.0, "top_p": 0.8},
        {"temperature": 0.0, "top_p": 1.0},
        {"temperature": 0.7, "top_p": 0.8},
        {"temperature": 0.7, "top_p": 1.0},
    ]
    assert point_label(grid[2]) == "temperature=0.7_top_p=0.8"


def test_run_and_write_a_sweep(tmp_path):
    seen = []

    def run_point(params, point):
        seen.append((params.temperature, params.top_p, params.top_k))
        # A fake assistant whose answers get worse as the temperature rises.
        answers = {i: dict(a) for i, a in ANSWERS.items()}
        if params.temperature > 0:
            answers["g2"]["answer"] = "重み"
        return evaluate(list(GOLD), FakeRetriever(), answers, mode="hybrid", chunks=CHUNKS, warn=lambda m: None)

    base = DEFAULT_GENERATION.with_overrides(top_k=5)
    result = run_sweep(parse_sweeps(["temperature=0,0.7", "top_p=0.8,1"]), base, run_point)
    assert seen == [(0.0, 0.8, 5), (0.0, 1.0, 5), (0.7, 0.8, 5), (0.7, 1.0, 5)]
    paths = write_sweep(result, tmp_path)
    data = json.loads(paths["sweep.json"].read_text(encoding="utf-8"))
    assert data["axes"] == {"temperature": [0.0, 0.7], "top_p": [0.8, 1.0]}
    assert [p["params"] for p in data["points"]][1] == {"temperature": 0.0, "top_p": 1.0}
    assert data["points"][0]["answers"]["f1"] > data["points"][2]["answers"]["f1"]
    table = paths["sweep.md"].read_text(encoding="utf-8")
    assert "| temperature | top_p | F1 | EM | BLEU | chrF | false abstention |" in table
    assert table.count("**") >= 2  # the best row is bold
    assert paths["sweep.png"].read_bytes()[:4] == b"\x89PNG"
