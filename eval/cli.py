"""The `eval` subcommand: score a gold set's retrieval and answers, write the report, run sweeps."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from corpus.errors import InputError

from assistant.config import GenerationParams
from assistant.flags import add_generation_flags, pipeline_from_args, settings_from_args

ANSWERS_NAME = "answers.jsonl"


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def add_eval_command(subparsers) -> argparse.ArgumentParser:
    """Register `eval` on the CLI's subparsers, with the same generation flags as `ask` and `batch`."""
    parser = subparsers.add_parser(
        "eval",
        help="score retrieval and answers against a gold Q/A set; write report.json, report.md and plots",
        description="Score a gold set. Without --answers, runs batch on the gold questions first. "
        "--retriever is used both for the retrieval scores (top 10) and for the answers batch produces.",
    )
    parser.add_argument("--gold", type=Path, required=True, help="gold Q/A set, JSONL (see eval/gold/README.md)")
    parser.add_argument("--answers", type=Path, help="batch output JSONL to score (default: run batch first)")
    parser.add_argument("--retrieval-only", action="store_true", help="score retrieval only; report.json has answers: null")
    parser.add_argument("--report", type=Path, help="report folder (default: <data folder>/reports/<gold name>-<retriever>)")
    parser.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="run the grid over generation settings (repeatable), e.g. --sweep temperature=0,0.7 --sweep top_p=0.8,1.0",
    )
    add_generation_flags(parser)  # also --retriever, --passages, --backend, --model, --base-url, --index-dir
    parser.set_defaults(run=run_eval_command)
    return parser


def run_batch_answers(args: argparse.Namespace, pipeline, output: Path) -> Path:
    """Answer the gold questions with `pipeline` into `output` (batch output JSONL), replacing an old file."""
    from assistant.batch import run_batch

    if output.exists():
        _say(f"replacing the answers in {output}")
        output.unlink()
    output.parent.mkdir(parents=True, exist_ok=True)
    _say(f"answering {args.gold} into {output}")
    run_batch(args.gold, output, pipeline, resume=False)
    return output


def _check_args(args: argparse.Namespace) -> None:
    if args.retrieval_only and args.answers:
        raise InputError("--retrieval-only scores no answers; drop --answers or --retrieval-only")
    if args.sweep and (args.retrieval_only or args.answers):
        raise InputError("--sweep generates answers at each setting; it cannot be combined with --answers or --retrieval-only")
    if args.answers and not args.answers.is_file():
        raise InputError(f"answers file {args.answers} does not exist")


def _default_report_dir(args: argparse.Namespace, retriever_name: str) -> Path:
    from assistant.paths import data_home

    return data_home() / "reports" / f"{args.gold.stem}-{retriever_name}"


def run_eval_command(args: argparse.Namespace) -> int:
    """Run `eval`: load the gold set, open the retriever, score, write the report, print the summary."""
    from assistant.retrieval import open_retriever
    from eval.gold import load_gold
    from eval.harness import evaluate, load_answers, warn_on_stderr
    from eval.report import summary_table, write_report
    from eval.sweep import parse_sweeps, point_label, run_sweep, write_sweep

    _check_args(args)
    axes = parse_sweeps(args.sweep)
    settings = settings_from_args(args)  # bad flags fail before any slow work
    generation, retrieval = settings.generation, settings.retrieval
    mode = retrieval.retriever
    items = load_gold(args.gold)
    report_dir = args.report or _default_report_dir(args, mode.value)
    retriever = open_retriever(args.index_dir)
    config = {"gold": str(args.gold), "index_dir": str(args.index_dir or "default")}

    def score(answers_path: Path | None):
        answers = load_answers(answers_path, warn_on_stderr) if answers_path else None
        extra = {"answers_file": str(answers_path) if answers_path else None}
        if answers_path is not None:
            extra["passages"] = retrieval.passages
        return evaluate(items, retriever, answers, retrieval_only=answers_path is None, mode=mode, config={**config, **extra})

    if axes:
        pipeline = pipeline_from_args(args)

        def run_point(params: GenerationParams, point: dict):
            folder = report_dir / "sweep" / point_label(point)
            report = score(run_batch_answers(args, pipeline.with_generation(params), folder / ANSWERS_NAME))
            write_report(report, folder)
            return report

        result = run_sweep(axes, generation, run_point, say=_say)
        paths = write_sweep(result, report_dir)
        print(paths["sweep.md"].read_text(encoding="utf-8"), end="")
        print(f"sweep: {paths['sweep.md']}")
        return 0

    if args.retrieval_only:
        report = score(None)
    else:
        answers_path = args.answers or run_batch_answers(args, pipeline_from_args(args), report_dir / ANSWERS_NAME)
        report = score(answers_path)
    paths = write_report(report, report_dir)
    print(summary_table(report))
    print(f"report: {paths['report.md']}")
    return 0
