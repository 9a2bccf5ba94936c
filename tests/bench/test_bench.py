"""The benchmark: its core measurements on tiny sizes with fakes, the report it writes, and (slow) `bench --quick` itself."""

import json
import sys

import numpy as np
import pytest

import assistant.bench as bench
from assistant.bench import indexing, report, retrieval
from assistant.bench.memory import run_measured
from tests.conftest import REPO, run_cli


def unit_rows(n, dim, seed=0):
    rng = np.random.default_rng(seed)
    rows = rng.standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_synthetic_vectors_are_unit_and_near_their_sources():
    base = unit_rows(8, 32)
    vectors = retrieval.synthetic_vectors(base, 1000, seed=1)
    assert vectors.shape == (1000, 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (vectors @ base.T).max(axis=1).min() > 0.3  # mixes of the real vectors, not noise
    assert np.array_equal(vectors, retrieval.synthetic_vectors(base, 1000, seed=1))


def test_numpy_baseline_matches_exact_ranking():
    vectors = unit_rows(500, 16)
    query = vectors[7]
    top = retrieval.numpy_search(vectors, query, 10)
    assert top[0] == 7 and list(top) == list(np.argsort(-(vectors @ query))[:10])


def test_bench_size_reports_all_three_methods_and_recall():
    result = retrieval.bench_size(unit_rows(20, 32), unit_rows(5, 32, seed=2), n=2000, query_count=20)
    for method in ("numpy", "flat", "hnsw"):
        assert result[method]["p50_ms"] > 0 and result[method]["p95_ms"] >= result[method]["p50_ms"]
    assert 0.9 <= result["hnsw"]["recall@10"] <= 1.0
    assert [s["ef_search"] for s in result["hnsw"]["sweep"]] == list(retrieval.EF_SEARCH_SWEEP)
    assert result["hnsw"]["M"] == 32


def test_recommendation_extrapolates_the_flat_latency():
    sweep = [{"ef_search": ef, "recall@10": 0.9 if ef < 64 else 0.99, "recall@50": 0.9 if ef < 128 else 0.97}
             for ef in retrieval.EF_SEARCH_SWEEP]
    sizes = [{"size": 10_000, "flat": {"p50_ms": 1.0}, "hnsw": {"sweep": sweep}}]
    rec = retrieval.recommend_index(sizes)
    assert rec["hnsw_from_size"] == int(retrieval.FLAT_BUDGET_MS / 1.0 * 10_000)
    assert rec["ef_search"] == 128


def test_incremental_reindex_with_a_fake_embedder(tmp_path):
    result = indexing.incremental_reindex(tmp_path / "work", files=12, embedder="fake-hash")
    assert result["files"] == 12 and result["chunks"] >= 12
    assert result["incremental_embedded"] >= 1 and result["speedup"] > 0
    assert not (tmp_path / "work").exists()


def test_run_measured_sees_the_child_memory():
    run = run_measured([sys.executable, "-c", "x = bytearray(200 * 2**20); import time; time.sleep(0.5)"], timeout=60)
    assert run.returncode == 0 and run.peak_rss_mb > 150 and run.wall_s >= 0.5


def test_run_bench_writes_json_markdown_and_plots(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "real_vectors", lambda index_dir, questions: (unit_rows(30, 48), unit_rows(6, 48, seed=3)))
    monkeypatch.setattr(retrieval, "QUICK_SIZES", (400, 1500))
    monkeypatch.setattr(indexing, "QUICK_EMBEDDERS", ("fake-hash",))
    monkeypatch.setattr(indexing, "INCREMENTAL_EMBEDDER", "fake-hash")
    monkeypatch.setattr(indexing, "QUICK_FILES", 8)
    results = bench.run_bench(quick=True, out_dir=tmp_path, sections=("retrieval", "indexing"))

    saved = json.loads((tmp_path / "benchmarks.json").read_text(encoding="utf-8"))
    assert saved == json.loads(json.dumps(results))
    assert {"machine", "targets", "retrieval", "indexing", "quick", "seconds"} <= set(saved)
    assert {"cpu", "cores", "ram_gb", "os", "python", "packages", "date", "contended"} <= set(saved["machine"])
    assert [s["size"] for s in saved["retrieval"]["sizes"]] == [400, 1500]
    assert saved["indexing"]["embedders"][0]["skipped"].startswith("TypeError")  # the fake has no library baseline
    assert saved["indexing"]["incremental"]["files"] == 8
    names = {t["name"] for t in saved["targets"]}
    assert "`ask` cold start to last token, median" in names

    text = (tmp_path / "benchmarks.md").read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks") and "## Machine" in text and "## Targets" in text
    assert "| chunks | numpy p50 ms | numpy p95 | flat p50 ms |" in text
    header = next(line for line in text.splitlines() if line.startswith("| chunks | numpy"))
    separator = text.splitlines()[text.splitlines().index(header) + 1]
    assert separator.count("---") == header.count("|") - 1
    assert (tmp_path / "bench_retrieval_latency.png").stat().st_size > 1000
    assert "![bench_retrieval_latency.png](bench_retrieval_latency.png)" in text


def test_markdown_marks_missed_and_unmeasured_targets():
    results = {"machine": {"date": "d", "load_average_at_start": [3.0, 2.0, 1.0], "contended": True, "cpu": "c", "cores": 2,
                           "ram_gb": 1.0, "os": "o", "python": "3", "packages": {}},
               "startup": {"ask": {"wall_s": 9.0, "peak_rss_mb": 900.0, "runs": 1, "new_tokens": 5, "abstained": False},
                           "index": {"skipped": "x"}, "ui": {"skipped": "not wired"}}}
    results["targets"] = report.targets(results)
    by_name = {t["name"]: t for t in results["targets"]}
    assert by_name["`ask` cold start to last token, median"]["met"] is False
    assert by_name["peak RSS of `ask`"]["met"] is True
    assert by_name["UI launch to ready"]["met"] is None
    text = report.markdown(results)
    assert "contended" in text and "**missed**" in text and "skipped: not wired" in text


def test_cli_rejects_an_unknown_section(tmp_path):
    done = run_cli("bench", "--only", "nope", "--out-dir", str(tmp_path))
    assert done.returncode == 2 and "unknown benchmark section" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_bench_quick_runs_end_to_end(tmp_path):
    done = run_cli("bench", "--quick", "--out-dir", str(tmp_path), timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    saved = json.loads((tmp_path / "benchmarks.json").read_text(encoding="utf-8"))
    assert {"startup", "generation", "retrieval", "indexing", "targets"} <= set(saved)
    assert saved["generation"]["llamacpp"]["ours"]["new_tokens"] > 0
    assert [s["size"] for s in saved["retrieval"]["sizes"]] == list(retrieval.QUICK_SIZES)
    assert "## Targets" in (tmp_path / "benchmarks.md").read_text(encoding="utf-8")
    assert str(REPO) not in str(tmp_path)


def test_first_piece_is_read_from_either_chat_format():
    from assistant.bench.startup import _last_assistant_text

    user = {"role": "user", "content": "q"}
    assert _last_assistant_text([user, {"role": "assistant", "content": [{"text": "", "type": "text"}]}]) == ""
    assert _last_assistant_text([user, {"role": "assistant", "content": [{"text": "72", "type": "text"}]}]) == "72"
    assert _last_assistant_text([user, {"role": "assistant", "content": "72"}]) == "72"
    assert _last_assistant_text([user]) == "" and _last_assistant_text(None) == ""


def test_ui_chat_reports_the_first_request_apart_and_the_median_of_the_rest():
    from assistant.bench.startup import chat_summary

    summary = chat_summary([(2.5, 3.0), (0.4, 0.9), (None, 1.0), (0.6, 1.2), (0.5, 0.8)])
    assert summary["first_token_s"] == 0.5 and summary["answer_s"] == 0.95  # the slow first request is left out
    assert summary["first_request"] == {"first_token_s": 2.5, "answer_s": 3.0}
    assert summary["requests"] == 5 and summary["first_token_s_all"] == [2.5, 0.4, None, 0.6, 0.5]
    assert chat_summary([(0.7, 1.0)])["first_token_s"] == 0.7  # one request is its own median

    results = {"machine": {"date": "d", "load_average_at_start": [0.1, 0.1, 0.1], "contended": False, "cpu": "c", "cores": 2,
                           "ram_gb": 1.0, "os": "o", "python": "3", "packages": {}},
               "startup": {"index": {"skipped": "x"}, "ask": {"skipped": "x"},
                           "ui": {"ready_s": 6.0, "peak_rss_mb": 700.0, "chat": {**summary, "client": "gradio_client"}}}}
    results["targets"] = report.targets(results)
    target = next(t for t in results["targets"] if t["name"].startswith("UI: first answer piece"))
    assert target["met"] is True and "median" in target["name"]
    assert "median of 4 chat requests after the first; the first after launch: piece 2.50 s" in report.markdown(results)


def test_browser_figures_reach_targets_and_report(monkeypatch, tmp_path):
    from assistant.bench import browser

    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    assert "no Chromium" in browser.first_tokens_in_browser("http://127.0.0.1:1/", ("q",))["skipped"]

    figures = {"first_token_s": 0.42, "first_request_s": 0.51, "first_token_s_all": [0.51, 0.42], "client": "headless Chromium"}
    results = {"machine": {"date": "d", "load_average_at_start": [0.1, 0.1, 0.1], "contended": False, "cpu": "c", "cores": 2,
                           "ram_gb": 1.0, "os": "o", "python": "3", "packages": {}},
               "startup": {"index": {"skipped": "x"}, "ask": {"skipped": "x"},
                           "ui": {"ready_s": 6.0, "peak_rss_mb": 700.0, "chat": {"skipped": "y"}, "browser": figures}}}
    results["targets"] = report.targets(results)
    target = next(t for t in results["targets"] if "browser" in t["name"])
    assert target["met"] is True and target["measured"] == 0.42
    assert "in the browser: first answer text 0.42 s after Enter" in report.markdown(results)
