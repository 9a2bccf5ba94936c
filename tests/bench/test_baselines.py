"""Issue 17: the ours/native/wheel rows of docs/benchmarks.json, where `bench --quick` writes, the --out-dir alias,
and which llama.cpp build answered (fast tests with fakes; the real model only in the slow prompt-cache test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import assistant.bench as bench
from assistant.answer.pipeline import Pipeline
from assistant.bench import generation
from assistant.bench.generation import Run
from assistant.cli import build_parser, main
from tests.conftest import REPO, EchoGenerator

DOCS_JSON = REPO / "docs" / "benchmarks.json"


def _runs(ttft_s: float, decode_s: float, n: int = 3) -> list[Run]:
    return [Run(ttft_s, ttft_s + decode_s, 64, decode_s) for _ in range(n)]


def test_baseline_figures_give_both_rates_with_one_definition():
    row = generation.baseline_figures(_runs(0.5, 2.1), prompt_tokens=300, build="wheel", runtime="xllamacpp 1")
    assert row["prompt_tokens_per_s"] == pytest.approx(600.0)  # 300 tokens over 0.5 s to the first piece
    assert row["decode_tokens_per_s"] == pytest.approx(63 / 2.1)
    assert row["build"] == "wheel" and row["runs"] == 3 and row["prompt_tokens"] == 300


def test_native_repeats_the_wheel_and_says_so_when_no_native_build_is_installed():
    wheel = generation.baseline_figures(_runs(0.6, 2.0), 300, "wheel", "xllamacpp 1")
    ours = generation.baseline_figures(_runs(0.61, 2.0), 300, "wheel", "xllamacpp 1 through LlamaCppGenerator")
    section = generation.baseline_section(ours, wheel, None, {"threads": 2})
    assert set(section) == {"ours", "native", "wheel", "baseline_settings"}
    assert section["native"]["same_as"] == "wheel" and section["native"]["build"] == "wheel"
    assert section["native"]["prompt_tokens_per_s"] == wheel["prompt_tokens_per_s"]
    native = generation.baseline_figures(_runs(0.4, 2.0), 300, "native", "llama-cpp-python 9")
    section = generation.baseline_section(ours, wheel, native, {"threads": 2})
    assert section["native"]["build"] == "native" and "same_as" not in section["native"]


def _fake_llamacpp_overhead(reps):
    ours = generation.baseline_figures(_runs(0.61, 2.0, reps), 317, "wheel", "fake")
    wheel = generation.baseline_figures(_runs(0.6, 2.0, reps), 317, "wheel", "fake")
    figures = generation.summarise(_runs(0.6, 2.0, reps))
    return {"model": "fake", "threads": 2, "prompt_tokens": 317, "passages": 3, "max_new_tokens": 64, "load_s": 1.0,
            "ours": figures, "raw": figures, "overhead_total_pct": 0.0, "overhead_ttft_pct": 0.0,
            "overhead_tokens_per_s_pct": 0.0,
            "baselines": generation.baseline_section(ours, wheel, None, {"threads": 2, "prompt_tokens": 317})}


def test_a_run_writes_ours_native_and_wheel_and_keeps_the_old_keys(tmp_path, monkeypatch):
    monkeypatch.setattr(generation, "llamacpp_overhead", _fake_llamacpp_overhead)
    monkeypatch.setattr(generation, "pipeline_latency", lambda index_dir, questions: {"skipped": "fake"})
    monkeypatch.setattr(bench, "_built", lambda index_dir: True)
    bench.run_bench(quick=True, out_dir=tmp_path, sections=("generation",))

    saved = json.loads((tmp_path / "benchmarks.json").read_text(encoding="utf-8"))["generation"]
    for name in ("ours", "native", "wheel"):
        assert saved[name]["prompt_tokens_per_s"] > 0 and saved[name]["decode_tokens_per_s"] > 0
        assert saved[name]["build"] in ("wheel", "native")
    assert {"llamacpp", "transformers", "pipeline"} <= set(saved)  # the keys scripts already read stay
    assert "baselines" not in saved["llamacpp"]
    text = (tmp_path / "benchmarks.md").read_text(encoding="utf-8")
    assert "### ours / native / wheel" in text and "| native | wheel |" in text


def test_the_doc_figures_meet_the_design_contract():
    generation_figures = json.loads(DOCS_JSON.read_text(encoding="utf-8"))["generation"]
    for name in ("ours", "native", "wheel"):
        assert {"prompt_tokens_per_s", "decode_tokens_per_s", "build"} <= set(generation_figures[name])


def test_quick_runs_go_to_their_own_folder_and_full_runs_to_docs(isolated_home, tmp_path):
    assert bench.bench_out_dir(True, None) == isolated_home / "bench-quick"
    assert bench.bench_out_dir(False, None) == REPO / "docs"
    assert bench.bench_out_dir(True, tmp_path) == tmp_path == bench.bench_out_dir(False, tmp_path)


@pytest.mark.parametrize("flag", ["--out", "--out-dir"])
def test_out_dir_is_an_alias_of_out(flag, tmp_path):
    assert build_parser().parse_args(["bench", flag, str(tmp_path)]).out == tmp_path
    assert build_parser().parse_args(["bench", "--quick"]).out is None


def test_bench_quick_leaves_docs_alone_and_prints_its_summary(isolated_home, monkeypatch, capsys):
    written: list[Path] = []

    def fake_run_bench(quick, out_dir, sections=None):
        written.append(out_dir)
        return {"machine": {"contended": True, "foreign_cpu_by_section": {"generation": {"mean_cores": 0.8}}},
                "generation": {"ours": {"build": "wheel", "prompt_tokens_per_s": 400.0, "decode_tokens_per_s": 30.0},
                               "native": {"build": "wheel", "same_as": "wheel", "prompt_tokens_per_s": 410.0,
                                          "decode_tokens_per_s": 31.0},
                               "wheel": {"skipped": "no model"}},
                "targets": [{"name": "`ask` cold start to last token, median", "target": "≤ 3 s", "measured": 2.5,
                             "unit": "s", "met": True}]}

    monkeypatch.setattr(bench, "run_bench", fake_run_bench)
    before = DOCS_JSON.stat().st_mtime_ns
    assert main(["bench", "--quick", "--only", "generation"]) == 0
    assert written == [isolated_home / "bench-quick"] and DOCS_JSON.stat().st_mtime_ns == before
    out = capsys.readouterr().out
    assert str(isolated_home / "bench-quick" / "benchmarks.md") in out
    assert "generation.ours (wheel): prompt 400 tokens/s, decode 30.0 tokens/s" in out
    assert "generation.native (wheel, same as wheel)" in out and "generation.wheel: skipped: no model" in out
    assert "0.80 cores" in out and "contended" in out and "met" in out


def test_xllamacpp_build_is_native_only_for_a_local_build(monkeypatch):
    from importlib import metadata

    from assistant.generators import llamacpp

    class Dist:
        def __init__(self, direct):
            self.direct = direct

        def read_text(self, name):
            return self.direct if name == "direct_url.json" else None

    for direct, expected in ((None, "wheel"), ('{"url": "file:///src/xllamacpp", "dir_info": {}}', "native"),
                             ('{"url": "file:///tmp/xllamacpp-1-cp311-abi3-linux_x86_64.whl", "archive_info": {}}', "native"),
                             ('{"url": "https://files.example/xllamacpp.whl", "archive_info": {}}', "wheel")):
        monkeypatch.setattr(metadata, "distribution", lambda name, d=direct: Dist(d))
        assert llamacpp.xllamacpp_build() == expected


def test_answer_params_say_which_build_answered(fake_index):
    class Built(EchoGenerator):
        def run_params(self):
            return {"llama_build": "wheel"}

    answer = Pipeline(fake_index, Built(), abstain_below=0.0).answer("エポックが多すぎると？")
    assert answer.as_record()["params"]["llama_build"] == "wheel"
    assert "llama_build" not in Pipeline(fake_index, EchoGenerator(), abstain_below=0.0).answer("エポックが多すぎると？").params


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_new_process_reuses_the_saved_prompt_and_answers_the_same(tmp_path, monkeypatch):
    from assistant.config import DEFAULT_GENERATION
    from assistant.generators.base import GenerationStream
    from assistant.generators.llamacpp import PROMPT_CACHE_ENV, LlamaCppGenerator, xllamacpp_build

    params = DEFAULT_GENERATION.with_overrides(temperature=0.0, max_new_tokens=12)
    prompt = "資料の中から質問の答えになる部分だけを抜き出してください。\n" * 8 + "質問: 合格ラインは？ 資料: 合格ラインは720点。\n回答:"

    def answer(generator, text):
        stream = GenerationStream.wrap(generator.stream(text, params))
        return "".join(stream), stream.usage

    monkeypatch.setenv(PROMPT_CACHE_ENV, "0")
    plain = LlamaCppGenerator()
    assert plain.run_params() == {"llama_build": xllamacpp_build()}  # "native" after scripts/setup --native
    expected, usage = answer(plain, prompt + "「")
    plain.close()
    assert usage.prompt_tokens > 60

    monkeypatch.setenv("ASSISTANT_MODELS", str(tmp_path / "models"))  # a fresh cache folder; the model is re-linked
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / plain.model_path.name).symlink_to(plain.model_path)
    monkeypatch.setenv(PROMPT_CACHE_ENV, "1")
    first = LlamaCppGenerator()
    answer(first, prompt + "」")  # the first request of a process with no saved prompt saves it
    first.close()
    assert len(list((tmp_path / "models" / "prompt-cache").glob("*.bin"))) == 1
    second = LlamaCppGenerator()  # a new load restores it: only the end of the prompt is read
    text, usage = answer(second, prompt + "「")
    second.close()
    assert text == expected
    assert usage.prompt_tokens - 5 <= (second.last_cached_tokens or 0) < usage.prompt_tokens
