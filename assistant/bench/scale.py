"""A real notes folder at scale: Debian's man pages rendered to Markdown, indexed at 1k, 10k and 50k chunks, then asked.

The folder is made from registry packages, not committed: `apt-get download` fetches the Debian packages (no root
needed), `dpkg-deb -x` unpacks them, and pandoc renders each page as eval/corpora/manpages/convert.py does
(`-f man -t gfm --wrap=none --shift-heading-level-by=1`, a `# name(section)` title on top). Pages come in a fixed
order, the Japanese `man1` pages first (the 474 pages of the report in issue 17, about 10k chunks), then the other
Japanese sections, then the English pages; a case of N chunks is the shortest run of that order with at least N
chunks. Everything is cached under the data folder (`<data>/bench-scale/`), so only the first run downloads and renders.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.bench.common import failure_reason, load_average, median, say, skipped

# The packages, in the order their pages are used. manpages-ja is the one of the report; the others only make 50k.
PACKAGES = ("manpages-ja", "manpages-ja-dev", "manpages", "manpages-dev")
# Japanese man1 first: the 10k case is (nearly) the report's folder.
PAGE_ORDER = ("ja/man1", "ja/man8", "ja/man5", "ja/man7", "ja/man2", "ja/man3", "ja/man4", "ja/man6",
              "man1", "man2", "man3", "man4", "man5", "man6", "man7", "man8")
FULL_SIZES = (1_000, 10_000, 50_000)
QUICK_SIZES = (1_000,)
# A rendered page shorter than this is a `.so` redirect or an empty stub.
MIN_PAGE_CHARS = 200
FOLDER_NAME = "bench-scale"
# Questions asked of every case (a cold `ask` each, then warm answers in one process); their topics are all in man1.
QUESTIONS = ("tar で gzip 圧縮するオプションは？", "ls で隠しファイルも表示するオプションは？", "date コマンドで日付の書式を指定するには？")


@dataclass(frozen=True)
class Page:
    """One rendered man page in the cache: its file and its chunk count under the default chunker."""

    path: Path
    chunks: int


def scale_home() -> Path:
    from assistant.paths import data_home

    return data_home() / FOLDER_NAME


def _download(packages: Sequence[str], folder: Path) -> Path:
    """The packages' files unpacked under `folder/x`; `apt-get download` + `dpkg-deb -x`, once."""
    unpacked = folder / "x"
    done = folder / "unpacked.json"
    if done.is_file() and json.loads(done.read_text()) == list(packages):
        return unpacked
    folder.mkdir(parents=True, exist_ok=True)
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed; the scale case is made from Debian packages")
    for name in packages:
        if not list(folder.glob(f"{name}_*.deb")):
            result = subprocess.run(["apt-get", "download", name], cwd=folder, capture_output=True, text=True)
            if result.returncode != 0:
                raise RuntimeError(f"apt-get download {name} failed: {result.stderr.strip().splitlines()[-1:]}")
    shutil.rmtree(unpacked, ignore_errors=True)
    for name in packages:
        deb = sorted(folder.glob(f"{name}_*.deb"))[-1]
        subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    done.write_text(json.dumps(list(packages)))
    return unpacked


def _render(source: Path, target: Path, pandoc: str) -> None:
    """One gzipped man page as Markdown with its title, as eval/corpora/manpages/convert.py renders them."""
    with tempfile.NamedTemporaryFile("wb", suffix=".man") as raw:
        raw.write(gzip.decompress(source.read_bytes()))
        raw.flush()
        result = subprocess.run([pandoc, "-f", "man", "-t", "gfm", "--wrap=none", "--shift-heading-level-by=1", raw.name],
                                capture_output=True, text=True)
    name, section = source.name.removesuffix(".gz").rsplit(".", 1)
    body = result.stdout.strip("\n") if result.returncode == 0 else ""
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(f"# {name}({section})\n\n{body}\n" if len(body) >= MIN_PAGE_CHARS else "", encoding="utf-8")
    os.replace(tmp, target)


def rendered_pages(chunks: int, home: Path | None = None, pandoc: str = "pandoc", workers: int = 2) -> list[Page]:
    """Pages of PACKAGES in PAGE_ORDER, rendered (and cached) until they hold at least `chunks` chunks; stubs left out."""
    from corpus.chunking import ChunkerSettings, chunk_document
    from corpus.loading import Document, read_document

    home = home or scale_home()
    if shutil.which(pandoc) is None:
        raise RuntimeError("pandoc is not installed; the scale case renders man pages with it")
    man = _download(PACKAGES, home / "debs") / "usr" / "share" / "man"
    jobs = []
    for part in PAGE_ORDER:
        for source in sorted(p for p in (man / part).glob("*.gz") if p.is_file() and not p.is_symlink()):
            jobs.append((source, home / "pages" / part.replace("/", "-") / (source.name.removesuffix(".gz") + ".md")))
    counts_file = home / "pages" / "chunks.json"
    counts = json.loads(counts_file.read_text()) if counts_file.is_file() else {}
    settings, pages, total, said = ChunkerSettings(), [], 0, False
    with ThreadPoolExecutor(workers) as pool:
        for start in range(0, len(jobs), 32):
            if total >= chunks:
                break
            batch = jobs[start : start + 32]
            todo = [(s, t) for s, t in batch if not t.exists()]
            if todo and not said:
                say(f"scale: rendering man pages with pandoc (once; cached in {home})")
                said = True
            for _, target in todo:
                target.parent.mkdir(parents=True, exist_ok=True)
            list(pool.map(lambda job: _render(job[0], job[1], pandoc), todo))
            for _, target in batch:
                key = target.relative_to(home / "pages").as_posix()
                if key not in counts:
                    doc = read_document(target.parent, target) if target.stat().st_size else None
                    counts[key] = len(chunk_document(doc, settings)) if isinstance(doc, Document) else 0
                if counts[key] and total < chunks:
                    pages.append(Page(target, counts[key]))
                    total += counts[key]
    counts_file.parent.mkdir(parents=True, exist_ok=True)
    counts_file.write_text(json.dumps(counts, ensure_ascii=False, indent=0))
    if total < chunks:
        raise RuntimeError(f"the packages hold only {total:,} chunks, fewer than {chunks:,}")
    return pages


def case_folder(pages: Sequence[Page], chunks: int, home: Path | None = None) -> tuple[Path, int, int]:
    """(folder, pages, chunks) of the shortest run of `pages` with at least `chunks` chunks, made once (hard links)."""
    total, count = 0, 0
    for page in pages:
        if total >= chunks:
            break
        total += page.chunks
        count += 1
    folder = (home or scale_home()) / "notes" / f"{chunks // 1000}k"
    marker = folder / ".pages.json"
    names = [f"{p.path.parent.name}-{p.path.name}" for p in pages[:count]]
    if not (marker.is_file() and json.loads(marker.read_text()) == names):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for page, name in zip(pages[:count], names):
            try:
                os.link(page.path, folder / name)
            except OSError:
                shutil.copyfile(page.path, folder / name)
        marker.write_text(json.dumps(names))
    return folder, count, total


def _index(folder: Path, index_dir: Path, cwd: Path | None = None) -> dict[str, Any]:
    """`python -m assistant index --rebuild` of `folder` as a fresh process: wall time and peak RSS."""
    from assistant.bench.memory import assistant_command, run_measured

    kwargs = {"cwd": cwd} if cwd else {}
    run = run_measured(assistant_command("index", "--notes", str(folder), "--index-dir", str(index_dir), "--rebuild"),
                       timeout=3600, **kwargs)
    if run.returncode != 0:
        raise RuntimeError(f"index failed: {run.error_line()}")
    return {"wall_s": run.wall_s, "peak_rss_mb": run.peak_rss_mb, "summary": run.stdout.strip().splitlines()[-1:]}


def _cold_ask(index_dir: Path, question: str, cwd: Path | None = None) -> dict[str, Any]:
    """One `ask --json` from process start to exit, with its in-process timings."""
    from assistant.bench.memory import assistant_command, run_measured

    kwargs = {"cwd": cwd} if cwd else {}
    run = run_measured(assistant_command("ask", question, "--index-dir", str(index_dir), "--max-new-tokens", "64", "--json"),
                       timeout=600, **kwargs)
    if run.returncode != 0:
        raise RuntimeError(f"ask failed: {run.error_line()}")
    record = json.loads(run.stdout)
    return {"wall_s": run.wall_s, "peak_rss_mb": run.peak_rss_mb, "retrieval_ms": record["timings"]["retrieval_ms"],
            "generation_ms": record["timings"]["generation_ms"], "answer": record["answer"]}


def warm_answers(index_dir: Path, questions: Sequence[str], rounds: int = 2) -> dict[str, Any]:
    """In one process (as the UI and `batch` serve): open the index and model, answer `questions` once (each first
    answer pays for what is still lazy), then `rounds` more times; seconds per answer."""
    from assistant.answer.pipeline import create_pipeline

    started = time.perf_counter()
    pipeline = create_pipeline(index_dir)
    opened = time.perf_counter() - started
    first, warm, retrieval = [], [], []
    for round_ in range(rounds + 1):
        for question in questions:
            started = time.perf_counter()
            answer = pipeline.answer(question)
            (first if round_ == 0 else warm).append(time.perf_counter() - started)
            if round_:
                retrieval.append(answer.timings.retrieval_ms)
    return {"open_s": opened, "first_answer_s": first[0], "first_answers_s": first, "warm_answer_s": median(warm),
            "warm_answers_s": warm, "warm_retrieval_ms": median(retrieval)}


def _warm(index_dir: Path, cwd: Path | None = None) -> dict[str, Any]:
    """`warm_answers` in a fresh process (its peak RSS is that of a resident assistant over this index)."""
    from assistant.bench.memory import run_measured

    import inspect

    # The function's own source, so that an older checkout (main --old) runs the same measurement.
    code = ("import json, sys, time, statistics\nfrom pathlib import Path\nmedian = statistics.median\n"
            + inspect.getsource(warm_answers).replace("Sequence[str]", "list").replace("dict[str, Any]", "dict")
            + f"\nprint(json.dumps(warm_answers(Path(sys.argv[1]), {list(QUESTIONS)!r})))\n")
    kwargs = {"cwd": cwd} if cwd else {}
    run = run_measured([sys.executable, "-c", code, str(index_dir)], timeout=900, **kwargs)
    if run.returncode != 0:
        raise RuntimeError(f"warm answers failed: {run.error_line()}")
    return {**json.loads(run.stdout.strip().splitlines()[-1]), "peak_rss_mb": run.peak_rss_mb}


def measure_case(folder: Path, index_dir: Path, cwd: Path | None = None) -> dict[str, Any]:
    """Index `folder`, then a cold `ask` (the first on the new index, then a second), then warm answers."""
    out: dict[str, Any] = {"load_before": round(load_average()[0], 2)}
    out["index"] = _index(folder, index_dir, cwd)
    out["first_ask"] = _cold_ask(index_dir, QUESTIONS[0], cwd)
    out["second_ask"] = _cold_ask(index_dir, QUESTIONS[1], cwd)
    out["warm"] = _warm(index_dir, cwd)
    out["load_after"] = round(load_average()[0], 2)
    return out


def run(quick: bool, workdir: Path, home: Path | None = None) -> dict[str, Any]:
    """The scale section: 1k, 10k and 50k chunks; left out of --quick (it downloads, renders and indexes for minutes)."""
    if quick:
        return skipped("--quick leaves it out; `bench --only scale` or `python -m assistant.bench.scale --quick` runs it")
    sizes = FULL_SIZES
    try:
        pages = rendered_pages(max(sizes), home)
    except Exception as exc:  # noqa: BLE001 - no apt-get, no pandoc, no network: the section says why
        return skipped(f"cannot make the scale folder: {failure_reason(exc)}")
    cases: dict[str, Any] = {}
    for size in sizes:
        folder, count, chunks = case_folder(pages, size, home)
        say(f"scale: {size:,} chunks ({count} pages)")
        index_dir = workdir / f"scale-{size}"
        try:
            cases[str(size)] = {"pages": count, "chunks": chunks, **measure_case(folder, index_dir)}
        except Exception as exc:  # noqa: BLE001
            cases[str(size)] = {"pages": count, "chunks": chunks, **skipped(failure_reason(exc))}
        shutil.rmtree(index_dir, ignore_errors=True)
    return {"packages": list(PACKAGES), "questions": list(QUESTIONS), "cases": cases}


def main() -> None:
    """`python -m assistant.bench.scale [--quick] [--old DIR]`: the section alone, as JSON on stdout; with --old, each
    case is measured a second time with the code in DIR (e.g. `git archive` of an older commit), interleaved."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="*")
    parser.add_argument("--old", type=Path, help="a checkout of the code to compare with (run from that folder)")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    pages = rendered_pages(max(sizes))
    results: dict[str, Any] = {}
    for size in sizes:
        folder, count, chunks = case_folder(pages, size)
        for name, cwd in (("new", None), ("old", args.old)) if args.old else (("new", None),):
            say(f"scale: {size:,} chunks ({count} pages), {name} code")
            try:
                results.setdefault(str(size), {"pages": count, "chunks": chunks})[name] = measure_case(
                    folder, workdir / f"{name}-{size}", cwd)
            except Exception as exc:  # noqa: BLE001
                results[str(size)][name] = skipped(failure_reason(exc))
            print(json.dumps(results, ensure_ascii=False), file=sys.stderr, flush=True)
    print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
