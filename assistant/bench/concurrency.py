"""Several users at once: answer time and answers per second for 1-8 concurrent chat users of a real `ui` process.

Two `python -m assistant ui` processes over the same index run side by side: one with the default number of model
slots (assistant.config.model_slots) and one with a single slot, the baseline. For each number of users, the two are
loaded in turn (interleaved, the order alternating), each user a gradio_client session sending the page's /chat
request again as soon as its answer is complete. Recorded per run: p50/p95 answer time, first-piece time, answers
per second, errors, the server's RSS at the start and end, the load meanwhile, and whether every question got the
same answer text everywhere (greedy answers must not depend on the slots or on who else is asking).

`python -m assistant.bench.concurrency [--seconds S] [--users 1,2,4,8] [--slots N] [--out DIR]` runs this section
alone and writes it into DIR/benchmarks.json and benchmarks.md (default docs/), keeping the other sections.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.bench.report import CONCURRENCY_TITLE as SECTION_TITLE
from assistant.bench.common import ForeignLoad, failure_reason, load_average, median, percentile, say, skipped
from assistant.bench.memory import _env, _stop, assistant_command, tree_rss
from assistant.paths import REPO_ROOT

USERS = (1, 2, 4, 8)
SECONDS = 60.0
QUICK_SECONDS = 10.0
QUICK_USERS = (1, 4, 8)
# Issue 17: 8 users for 60 s with no errors, p95 at most 5 s, memory flat.
TARGET_USERS = 8
TARGET_P95_S = 5.0
# "Flat": the server's RSS at the end of the whole run within this share of its RSS after warm-up.
RSS_FLAT_SHARE = 0.10
REQUEST_TIMEOUT_S = 60.0
POLL_S = 0.02
# Before the measured runs, each server is loaded this long with the most users (its RSS is taken after that).
WARM_UP_S = 15.0
QUICK_WARM_UP_S = 5.0
# The slots measured against one slot: assistant.config's default when that is above one, else this.
BENCH_SLOTS = 4
QUESTION_COUNT = 16
READY_LINE = "study assistant UI on "


# The questions are spread evenly over these gold sets. The first 16 of dev.jsonl were mostly amounts (11 of them are
# answered without running the model, against a third of the dev set's answers), which flattered the answer time.
QUESTION_SETS = ("dev.jsonl", "dev_en.jsonl")


def questions(count: int = QUESTION_COUNT) -> tuple[str, ...]:
    """`count` distinct answerable questions spread evenly over the dev gold sets (Japanese and English), in a fixed
    order."""
    from assistant.paths import REPO_ROOT

    pool: list[str] = []
    for name in QUESTION_SETS:
        for line in (REPO_ROOT / "eval" / "gold" / name).read_text(encoding="utf-8").splitlines():
            item = json.loads(line) if line.strip() else {}
            if item.get("answerable", True) and item.get("question") and item["question"] not in pool:
                pool.append(item["question"])
    if len(pool) <= count:
        return tuple(pool)
    return tuple(pool[i * len(pool) // count] for i in range(count))


@contextmanager
def ui_server(index_dir: Path, slots: int, timeout: float = 300):
    """`python -m assistant ui --slots N` on a free port; yields (url, pid) once it has warmed up and serves."""
    from assistant.bench.startup import free_port

    log = tempfile.TemporaryFile("w+")
    command = assistant_command("ui", "--index-dir", str(index_dir), "--port", str(free_port()), "--slots", str(slots))
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True, cwd=REPO_ROOT,
                            env=_env({"PYTHONUNBUFFERED": "1", "ASSISTANT_AUTH": ""}), start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        url = None
        while url is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                tail = [line for line in log.read().splitlines() if line.strip()][-3:]
                raise RuntimeError(f"the UI with {slots} slot(s) did not start: {' | '.join(tail)}")
            time.sleep(0.2)
            log.seek(0)
            line = next((l for l in log.read().splitlines() if READY_LINE in l), None)
            if line:
                url = line.split(READY_LINE, 1)[1].split()[0].rstrip(";")
        yield url, proc.pid
    finally:
        _stop(proc)
        log.close()


def _chat_args(question: str) -> tuple:
    from assistant.config import DEFAULT_GENERATION as g
    from assistant.config import RetrievalParams

    r = RetrievalParams()
    return (question, [], g.temperature, g.top_k, g.top_p, g.max_new_tokens, r.passages, g.seed, r.retriever.value)


def _assistant_text(update: Any) -> str:
    from assistant.bench.startup import _last_assistant_text

    return _last_assistant_text(update[0] if isinstance(update, (list, tuple)) else update)


class User(threading.Thread):
    """One learner with its own gradio_client session: asks, waits for the whole answer, asks the next question."""

    def __init__(self, url: str, number: int, asked: tuple[str, ...], start: threading.Event, stop_at: list[float]):
        super().__init__(daemon=True, name=f"bench-user-{number}")
        self.url, self.number, self.asked, self.start_event, self.stop_at = url, number, asked, start, stop_at
        self.records: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.client = None

    def connect(self) -> None:
        from gradio_client import Client

        self.client = Client(self.url, verbose=False)

    def run(self) -> None:
        self.start_event.wait()
        n = self.number
        while time.perf_counter() < self.stop_at[0]:
            question = self.asked[n % len(self.asked)]
            n += 1
            started = time.perf_counter()
            first = None
            text = ""
            try:
                job = self.client.submit(*_chat_args(question), api_name="/chat")
                # Polled, not iterated: a request that never ends must become an error, not a stuck user.
                while not job.done():
                    if first is None and any(_assistant_text(update) for update in job.outputs()):
                        first = time.perf_counter() - started
                    if time.perf_counter() - started > REQUEST_TIMEOUT_S:
                        job.cancel()
                        raise TimeoutError(f"no complete answer after {REQUEST_TIMEOUT_S:.0f} s")
                    time.sleep(POLL_S)
                text = _assistant_text(job.result()) or text
                if first is None:
                    first = time.perf_counter() - started
            except Exception as exc:  # noqa: BLE001 - an error is a figure of this bench, not its end
                self.errors.append(failure_reason(exc))
                continue
            ended = time.perf_counter()
            if not text or text.startswith("⚠"):
                self.errors.append(f"{question}: {text[:120] or 'empty answer'}")
                continue
            self.records.append({"question": question, "text": text, "started": started, "ended": ended,
                                 "answer_s": ended - started, "first_piece_s": first})


def load_level(url: str, pid: int, users: int, seconds: float, asked: tuple[str, ...]) -> dict[str, Any]:
    """`users` concurrent users for `seconds` against the UI at `url`; answers that end after the window still count
    for latency, answers per second count those that ended inside it."""
    start = threading.Event()
    stop_at = [float("inf")]
    crowd = [User(url, i, asked, start, stop_at) for i in range(users)]
    for user in crowd:
        user.connect()
    rss_start = tree_rss(pid)
    with ForeignLoad() as others:
        load_before = load_average()[0]
        began = time.perf_counter()
        stop_at[0] = began + seconds
        for user in crowd:
            user.start()
        start.set()
        for user in crowd:
            user.join(timeout=seconds + REQUEST_TIMEOUT_S + 30)
        wall = time.perf_counter() - began
    records = [r for u in crowd for r in u.records]
    errors = [e for u in crowd for e in u.errors]
    times = [r["answer_s"] for r in records]
    pieces = [r["first_piece_s"] for r in records if r["first_piece_s"] is not None]
    inside = sum(1 for r in records if r["ended"] <= began + seconds)
    return {
        "users": users,
        "seconds": seconds,
        "answers": len(records),
        "answers_per_s": inside / seconds,
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:3],
        "p50_s": median(times),
        "p95_s": percentile(times, 95),
        "max_s": max(times) if times else None,
        "first_piece_p50_s": median(pieces),
        "overlap": _overlap(records),
        "wall_s": wall,
        "rss_mb_start": rss_start / 2**20,
        "rss_mb_end": tree_rss(pid) / 2**20,
        "load_average": [round(load_before, 2), round(load_average()[0], 2)],
        "foreign_cores": others.summary(),
        "_texts": [(r["question"], r["text"]) for r in records],
    }


def _overlap(records: list[dict[str, Any]]) -> float | None:
    """The mean number of answers in progress while one was being written (1 = strictly one at a time)."""
    if not records:
        return None
    spans = [(r["started"], r["ended"]) for r in records]
    total = sum(e - s for s, e in spans)
    if total <= 0:
        return None
    covered = sum(max(0.0, min(e, e2) - max(s, s2)) for s, e in spans for s2, e2 in spans)
    return covered / total


def run(quick: bool, index_dir: Path, seconds: float | None = None, users: tuple[int, ...] | None = None,
        slots: int | None = None) -> dict[str, Any]:
    """The concurrency section: the default slots against one slot, interleaved, for each number of users."""
    from assistant.config import DEFAULT_MODEL_SLOTS, model_slots

    slots = model_slots(slots if slots is not None else (DEFAULT_MODEL_SLOTS if DEFAULT_MODEL_SLOTS > 1 else BENCH_SLOTS))
    seconds = seconds or (QUICK_SECONDS if quick else SECONDS)
    users = tuple(users or (QUICK_USERS if quick else USERS))
    asked = questions()
    configs = {f"slots_{slots}": slots, "slots_1": 1} if slots != 1 else {"slots_1": 1}
    try:
        with ui_server(index_dir, slots) as (url_a, pid_a), ui_server(index_dir, 1) as (url_b, pid_b):
            servers = {f"slots_{slots}": (url_a, pid_a), "slots_1": (url_b, pid_b)}
            for name, (url, pid) in servers.items():
                say(f"concurrency: warming up {configs[name]} slot(s) with {max(users)} user(s)")
                load_level(url, pid, max(users), QUICK_WARM_UP_S if quick else WARM_UP_S, asked)
            rss_ready = {name: tree_rss(pid) / 2**20 for name, (_, pid) in servers.items()}
            levels: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
            for i, count in enumerate(users):
                order = list(configs) if i % 2 == 0 else list(reversed(configs))
                for name in order:
                    url, pid = servers[name]
                    say(f"concurrency: {count} user(s) on {configs[name]} slot(s) for {seconds:.0f} s")
                    levels[name].append(load_level(url, pid, count, seconds, asked))
            rss_end = {name: tree_rss(pid) / 2**20 for name, (_, pid) in servers.items()}
    except Exception as exc:  # noqa: BLE001
        return skipped(failure_reason(exc))
    texts: dict[str, set[str]] = {}
    for runs in levels.values():
        for level in runs:
            for question, text in level.pop("_texts"):
                texts.setdefault(question, set()).add(text)
    differing = sorted(q for q, seen in texts.items() if len(seen) > 1)
    result: dict[str, Any] = {
        "slots": slots,
        "baseline_slots": 1,
        "default_slots": DEFAULT_MODEL_SLOTS,
        "client": "gradio_client, one session per user, the page's /chat request (streamed), asked again on completion",
        "questions": len(asked),
        "warm_up_s": QUICK_WARM_UP_S if quick else WARM_UP_S,
        "configs": {name: {"slots": configs[name], "rss_mb_ready": rss_ready[name], "rss_mb_end": rss_end[name],
                           "levels": levels[name]} for name in configs},
        "same_answers": {"questions_answered": len(texts), "questions_with_differing_text": len(differing),
                         "examples": differing[:3]},
    }
    result["target"] = _target(result)
    return result


def _target(result: dict[str, Any]) -> dict[str, Any]:
    """Issue 17's target, judged on the UI as it ships: with the default number of slots."""
    slots = result.get("default_slots", result["slots"])
    config = result["configs"].get(f"slots_{slots}") or {}
    level = next((lv for lv in config.get("levels", []) if lv["users"] == TARGET_USERS), None)
    if level is None:
        return {"met": None}
    ready, end = config["rss_mb_ready"], config["rss_mb_end"]
    flat = end <= ready * (1 + RSS_FLAT_SHARE)
    return {"users": TARGET_USERS, "slots": slots, "seconds": level["seconds"], "errors": level["errors"], "p95_s": level["p95_s"],
            "rss_flat": flat, "met": level["errors"] == 0 and level["p95_s"] <= TARGET_P95_S and flat
            and level["seconds"] >= SECONDS}


def write_section(results: dict[str, Any], out_dir: Path) -> None:
    """Put this section into out_dir's benchmarks.json and benchmarks.md, leaving every other section as it is."""
    from assistant.bench.common import rounded

    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "benchmarks.json", out_dir / "benchmarks.md"  # as assistant.bench writes them
    data = json.loads(json_path.read_text(encoding="utf-8")) if json_path.is_file() else {}
    data["concurrency"] = rounded(results)
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    old = md_path.read_text(encoding="utf-8") if md_path.is_file() else "# Benchmarks\n"
    md_path.write_text(splice_section(old, "\n".join(markdown(data["concurrency"]))), encoding="utf-8")


def markdown(section: dict[str, Any] | None) -> list[str]:
    """The report's concurrency section (assistant.bench.report renders it)."""
    from assistant.bench.report import concurrency_lines

    return concurrency_lines(section)


def splice_section(report: str, section: str) -> str:
    """`report` with its concurrency section replaced by `section` (or inserted before the plots, or appended)."""
    body = section.rstrip("\n") + "\n"
    start = report.find("\n" + SECTION_TITLE + "\n")
    if start >= 0:
        end = report.find("\n## ", start + 1)
        return report[: start + 1] + body + (report[end:] if end >= 0 else "")
    plots = report.find("\n## Plots\n")
    if plots >= 0:
        return report[: plots + 1] + body + report[plots:]
    return report.rstrip("\n") + "\n\n" + body


def _users(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected numbers of users such as 1,2,4,8, got {text!r}")
    return values


def main(argv: list[str] | None = None) -> int:
    from corpus.errors import InputError
    from index.builder import build_index
    from index.storage import index_exists

    from assistant.paths import DEFAULT_NOTES_DIR

    parser = argparse.ArgumentParser(prog="python -m assistant.bench.concurrency", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per number of users and setting (default: %(default)s)")
    parser.add_argument("--users", type=_users, default=USERS, help="comma-separated (default: 1,2,4,8)")
    parser.add_argument("--slots", default=None, help="the slots measured against one (default: the UI's default)")
    parser.add_argument("--index-dir", type=Path, default=None, help="an index to serve (default: the bundled notes, built in a temporary folder)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs", help="where benchmarks.json/md are (default: docs/)")
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        parser.error("--seconds must be positive")
    try:
        from assistant.config import model_slots

        slots = None if args.slots is None else model_slots(args.slots)
        with tempfile.TemporaryDirectory(prefix="assistant-bench-concurrency-") as work:
            index_dir = args.index_dir
            if index_dir is None:
                index_dir = Path(work) / "index"
                say("concurrency: indexing the bundled notes")
                build_index(DEFAULT_NOTES_DIR, index_dir, progress=False)
            if not index_exists(index_dir):
                raise InputError(f"no index in {index_dir}")
            result = run(False, index_dir, args.seconds, args.users, slots)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_section(result, args.out)
    print("\n".join(markdown(result)))
    return 0


if __name__ == "__main__":
    import signal

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the UI servers it started on the way out
    sys.exit(main())
