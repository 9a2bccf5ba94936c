"""The `quiz` subcommands (build, check, export, practice, exam, due), registered on the CLI like `eval`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.flags import add_index_dir

EXIT_OK = 0


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _nonnegative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def cmd_build(args: argparse.Namespace) -> int:
    from assistant.quiz.build import build_bank

    summary = build_bank(args.index_dir, args.output, seed=args.seed)
    for line in summary.lines():
        print(line)
    if args.summary_json:
        print(json.dumps(summary.as_dict(), ensure_ascii=False))
    return EXIT_OK


def add_quiz_command(subparsers) -> argparse.ArgumentParser:
    """Register `quiz` and its subcommands on the CLI's subparsers."""
    from assistant.quiz.build import DEFAULT_SEED

    quiz = subparsers.add_parser("quiz", help="exam practice made from the notes: build, practice, export to Anki")
    commands = quiz.add_subparsers(dest="quiz_command", required=True, parser_class=type(quiz))

    build = commands.add_parser("build", help="make an item bank (JSONL) from an index")
    add_index_dir(build)
    build.add_argument("--seed", type=_nonnegative_int, default=DEFAULT_SEED, help="the same seed gives the same file (default: %(default)s)")
    build.add_argument("--output", type=Path, required=True, help="the item bank to write (JSONL)")
    build.add_argument("--summary-json", action="store_true", help="also print the build summary as one JSON line")
    build.set_defaults(run=cmd_build)
    return quiz
