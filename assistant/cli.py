"""The command line: a thin layer over the corpus, index, assistant and eval packages."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from corpus.errors import InputError

from assistant.flags import add_generation_flags, add_index_dir, pipeline_from_args, settings_from_args

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"error: {message} (see `{self.prog} --help`)\n")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def cmd_index(args: argparse.Namespace) -> int:
    from corpus.chunking import ChunkerSettings
    from corpus.loading import load_notes
    from index.builder import build_index

    from assistant.paths import default_index_dir

    notes = load_notes(args.notes)
    for skipped in notes.skipped:
        print(f"skipped {skipped.source}: {skipped.reason}", file=sys.stderr)
    summary = build_index(
        args.notes,
        args.index_dir or default_index_dir(),
        embedder_name=args.embedder,
        settings=ChunkerSettings(max_chars=args.max_chars),
        rebuild=args.rebuild,
        notes=notes,
    )
    print(summary.line())
    return EXIT_OK


def _print_hits(hits, as_json: bool) -> None:
    if as_json:
        print(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    for hit in hits:
        text = " ".join(hit.chunk.text.split())
        page = f", {hit.chunk.location}" if hit.chunk.location else ""
        print(f"{hit.rank}. [{hit.score:.4f}] {hit.chunk.heading_path}  ({hit.chunk.source}#{hit.chunk.id}{page})")
        print(f"   {text[:200]}{'…' if len(text) > 200 else ''}")


def cmd_search(args: argparse.Namespace) -> int:
    from assistant.config import validate_question
    from assistant.retrieval import open_retriever

    question = validate_question(args.question)
    retriever = open_retriever(args.index_dir)
    _print_hits(retriever.search(question, args.k, args.retriever), args.json)
    return EXIT_OK


def _read_history(path: Path):
    """The turns of a --history file: a JSON list of {"question": "…", "answer": "…"}, oldest first."""
    from assistant.answer.followup import parse_history
    from assistant.jsonl import read_text

    try:
        value = json.loads(read_text(path, "history file"))
    except json.JSONDecodeError as exc:
        raise InputError(f"history file {path} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return parse_history(value, f"history file {path}")


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.config import validate_question

    validate_question(args.question)
    settings_from_args(args)  # bad flags fail before the model loads
    history = _read_history(args.history) if args.history else ()
    pipeline = pipeline_from_args(args)
    stream = pipeline.stream(args.question, history=history)
    if args.json:
        for _ in stream:
            pass
        print(json.dumps(stream.answer.as_record(), ensure_ascii=False, indent=2))
        return EXIT_OK
    for piece in stream:
        print(piece, end="", flush=True)
    print()
    answer = stream.answer
    if answer.resolved_question and answer.resolved_question != answer.question:
        print(f"understood as: {answer.resolved_question}", file=sys.stderr)
    print("\nsources:", file=sys.stderr)
    for hit in answer.hits:
        print(f"  [{hit.rank}] {hit.chunk.heading_path} ({hit.chunk.source}#{hit.chunk.id}, score {hit.score:.4f})", file=sys.stderr)
    return EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    from assistant.batch import read_questions, run_batch

    if not read_questions(args.input).questions:
        raise InputError(f"input file {args.input} has no usable questions")
    settings_from_args(args)
    answered = run_batch(args.input, args.output, pipeline_from_args(args), resume=args.resume)
    print(f"answered {answered} questions -> {args.output}")
    return EXIT_OK


def cmd_ui(args: argparse.Namespace) -> int:
    from assistant.config import model_slots
    from ui.app import auth_from_env, run_ui

    settings_from_args(args)  # bad flags fail before the model loads
    args.slots = model_slots(args.slots)
    auth = auth_from_env() if args.auth else None
    return run_ui(pipeline_from_args(args), host=args.host, port=args.port, auth=auth)


def cmd_bench(args: argparse.Namespace) -> int:
    from assistant.bench import run_bench

    from assistant.bench import bench_out_dir, summary_lines

    out_dir = bench_out_dir(args.quick, args.out)
    results = run_bench(quick=args.quick, out_dir=out_dir, sections=args.only.split(",") if args.only else None)
    print("\n".join(summary_lines(results, out_dir)))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from corpus.chunking import ChunkerSettings
    from index.embedders import DEFAULT_EMBEDDER, embedder_names
    from index.retriever import RetrieverMode

    from assistant.config import DEFAULT_RETRIEVER, DEFAULT_SEARCH_K
    from assistant.paths import DEFAULT_NOTES_DIR, REPO_ROOT

    parser = _Parser(prog="python -m assistant", description="A local, offline study assistant over your notes.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    index = commands.add_parser("index", help="chunk and embed a notes folder into an index")
    index.add_argument("--notes", type=Path, default=DEFAULT_NOTES_DIR, help="folder of .md/.txt notes (default: the bundled notes)")
    add_index_dir(index)
    index.add_argument("--embedder", default=DEFAULT_EMBEDDER, help=f"one of: {', '.join(embedder_names())} (default: %(default)s)")
    index.add_argument("--max-chars", type=_positive_int, default=ChunkerSettings().max_chars, help="chunk size limit in characters (default: %(default)s)")
    index.add_argument("--rebuild", action="store_true", help="start from scratch instead of re-embedding only what changed")
    index.set_defaults(run=cmd_index)

    search = commands.add_parser("search", help="show the chunks that best match a question")
    search.add_argument("question")
    search.add_argument("--k", type=_positive_int, default=DEFAULT_SEARCH_K, help="number of chunks (default: %(default)s)")
    search.add_argument("--retriever", choices=[m.value for m in RetrieverMode], default=DEFAULT_RETRIEVER.value)
    search.add_argument("--json", action="store_true", help="print a JSON array of hits")
    add_index_dir(search)
    search.set_defaults(run=cmd_search)

    ask = commands.add_parser("ask", help="answer one question from the notes, streaming the answer")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object shaped like a batch output line")
    ask.add_argument("--history", type=Path, default=None,
                     help='earlier turns of the conversation, a JSON list of {"question": …, "answer": …} (oldest first)')
    add_generation_flags(ask)
    ask.set_defaults(run=cmd_ask)

    batch = commands.add_parser("batch", help="answer a file of questions (JSONL or one per line) into JSONL")
    batch.add_argument("--input", type=Path, required=True)
    batch.add_argument("--output", type=Path, required=True)
    batch.add_argument("--resume", action="store_true", help="skip the ids already in the output file")
    add_generation_flags(batch)
    batch.set_defaults(run=cmd_batch)

    from ui import AUTH_ENV, DEFAULT_HOST, DEFAULT_PORT

    ui = commands.add_parser("ui", help="chat with your notes in the browser (Gradio)")
    ui.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default: %(default)s, this machine only)")
    ui.add_argument("--port", type=_positive_int, default=DEFAULT_PORT, help="default: %(default)s")
    ui.add_argument("--auth", action="store_true", help=f"require a login; USER:PASSWORD comes from ${AUTH_ENV}")
    from assistant.config import DEFAULT_MODEL_SLOTS, MODEL_SLOTS_ENV, MODEL_SLOTS_RANGE

    ui.add_argument("--slots", default=None, metavar="N",
                    help=f"questions answered at once, {MODEL_SLOTS_RANGE.describe()} (llama.cpp's parallel slots; "
                         f"default: ${MODEL_SLOTS_ENV} or {DEFAULT_MODEL_SLOTS})")
    add_generation_flags(ui)
    ui.set_defaults(run=cmd_ui)

    from eval.cli import add_eval_command
    add_eval_command(commands)

    from assistant.quiz.commands import add_quiz_command
    add_quiz_command(commands)

    from assistant.bench import SECTIONS as BENCH_SECTIONS

    bench = commands.add_parser("bench", help="measure speed, memory and scale against baselines; writes docs/benchmarks.md (--quick: its own folder)")
    bench.add_argument("--quick", action="store_true", help="small sizes only (about a minute)")
    bench.add_argument("--out", "--out-dir", dest="out", type=Path, default=None,
                       help=f"where the report goes (default: {REPO_ROOT / 'docs'} for a full run; with --quick, "
                            "bench-quick/ in the data folder, so a quick run never overwrites docs/)")
    bench.add_argument("--only", default=None, help=f"comma-separated sections: {','.join(BENCH_SECTIONS)} (default: all)")
    bench.set_defaults(run=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; bad input exits 2 with one line on stderr, never a traceback."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for arg in sys.argv[1:] if argv is None else argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:  # bytes the locale could not decode arrive as lone surrogates
            print(f"error: the argument {arg!r} is not valid UTF-8 text; check the terminal's encoding", file=sys.stderr)
            return EXIT_USAGE
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
