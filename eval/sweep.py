"""Parameter sweeps: a grid over GenerationParams settings, one Report per point, a table and a plot."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from corpus.errors import InputError

from assistant.config import GenerationParams
from eval.harness import Report
from eval.report import fmt

SWEEP_JSON = "sweep.json"
SWEEP_MD = "sweep.md"
SWEEP_PLOT = "sweep.png"


def sweepable_settings() -> dict[str, str]:
    """Setting name → its type name, for every GenerationParams field with a numeric range."""
    return {f.name: str(f.type) for f in fields(GenerationParams) if "range" in f.metadata}


@dataclass(frozen=True)
class SweepAxis:
    name: str
    values: tuple[float | int, ...]


def _parse_value(name: str, text: str, kind: str, spec: str) -> float | int:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"--sweep {spec}: {text!r} is not a number") from None
    if kind == "int":
        if not value.is_integer():
            raise InputError(f"--sweep {spec}: {name} takes whole numbers, got {text!r}")
        return int(value)
    return value


def parse_sweeps(specs: Sequence[str]) -> list[SweepAxis]:
    """`["temperature=0,0.3", "top_p=0.8,1.0"]` as axes; InputError names the valid settings and ranges."""
    settings = sweepable_settings()
    axes: list[SweepAxis] = []
    for spec in specs:
        name, sep, values_text = spec.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in settings:
            raise InputError(
                f"--sweep {spec!r}: write NAME=V1,V2,… with NAME one of: {', '.join(settings)}"
            )
        if any(axis.name == name for axis in axes):
            raise InputError(f"--sweep names {name} twice; give all its values in one --sweep {name}=V1,V2,…")
        texts = [t.strip() for t in values_text.split(",") if t.strip()]
        if not texts:
            raise InputError(f"--sweep {spec!r}: give at least one value after '='")
        values = tuple(dict.fromkeys(_parse_value(name, t, settings[name], spec) for t in texts))
        for value in values:
            try:
                GenerationParams().with_overrides(**{name: value})
            except InputError as exc:
                raise InputError(f"--sweep {spec}: {exc}") from None
        axes.append(SweepAxis(name, values))
    return axes


def sweep_grid(axes: Sequence[SweepAxis]) -> list[dict[str, float | int]]:
    """Every combination of the axes' values, the first axis varying slowest."""
    return [dict(zip((a.name for a in axes), combo)) for combo in itertools.product(*(a.values for a in axes))]


def point_label(point: dict[str, float | int]) -> str:
    """A folder-safe name for a grid point, e.g. `temperature=0.3_top_p=0.8`."""
    return "_".join(f"{name}={value:g}" for name, value in point.items())


@dataclass(frozen=True)
class SweepResult:
    axes: tuple[SweepAxis, ...]
    points: tuple[tuple[dict, Report], ...]

    def to_dict(self) -> dict:
        return {
            "axes": {axis.name: list(axis.values) for axis in self.axes},
            "points": [
                {"params": point, "answers": report.to_dict()["answers"], "retrieval": report.to_dict()["retrieval"]}
                for point, report in self.points
            ],
        }


def run_sweep(
    axes: Sequence[SweepAxis],
    base: GenerationParams,
    run_point: Callable[[GenerationParams, dict], Report],
    say: Callable[[str], None] = lambda message: None,
) -> SweepResult:
    """Call `run_point(params, point)` for every grid point, with `base` overridden by the point's values."""
    grid = sweep_grid(axes)
    results = []
    for number, point in enumerate(grid, start=1):
        say(f"sweep point {number}/{len(grid)}: {point_label(point)}")
        results.append((point, run_point(base.with_overrides(**point), point)))
    return SweepResult(tuple(axes), tuple(results))


def _score(report: Report, key: str) -> float | None:
    return getattr(report.answers, key) if report.answers else None


def sweep_markdown(result: SweepResult) -> str:
    names = [axis.name for axis in result.axes]
    header = [*names, "F1", "EM", "BLEU", "chrF", "false abstention"]
    best = max(
        (report for _, report in result.points if _score(report, "f1") is not None),
        key=lambda r: _score(r, "f1"),
        default=None,
    )
    lines = ["# Sweep", "", "| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for point, report in result.points:
        far = report.answers.abstention.false_abstention_rate if report.answers else None
        cells = [f"{point[n]:g}" for n in names] + [fmt(_score(report, k), "percent") for k in ("f1", "exact_match", "bleu", "chrf")]
        cells.append(fmt(far))
        if report is best:
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Best F1 in bold. F1, EM, BLEU and chrF on 0–100; false-abstention rate on 0–1.", f"![sweep]({SWEEP_PLOT})"]
    return "\n".join(lines) + "\n"


def plot_sweep(result: SweepResult, path: Path) -> None:
    """One panel per swept setting: F1 and BLEU at each value, averaged over the other settings."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2 * len(result.axes), 3.4), layout="constrained")
    for i, axis in enumerate(result.axes, start=1):
        ax = fig.add_subplot(1, len(result.axes), i)
        for key, label in (("f1", "F1"), ("bleu", "BLEU")):
            means = []
            for value in axis.values:
                scores = [_score(r, key) for p, r in result.points if p[axis.name] == value]
                scores = [s for s in scores if s is not None]
                means.append(sum(scores) / len(scores) if scores else float("nan"))
            ax.plot(list(axis.values), means, marker="o", label=label)
        ax.set_xlabel(axis.name)
        ax.set_ylabel("score (0-100)")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("F1 and BLEU per setting (mean over the other settings)")
    fig.savefig(path, dpi=120)


def write_sweep(result: SweepResult, directory: Path | str) -> dict[str, Path]:
    """sweep.json, sweep.md and sweep.png in `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / name for name in (SWEEP_JSON, SWEEP_MD, SWEEP_PLOT)}
    paths[SWEEP_JSON].write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    paths[SWEEP_MD].write_text(sweep_markdown(result), encoding="utf-8")
    plot_sweep(result, paths[SWEEP_PLOT])
    return paths
