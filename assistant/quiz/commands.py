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


def _bank_items(args: argparse.Namespace):
    """Items of --bank, or built in memory from --index-dir (the default index when neither is given)."""
    from assistant.quiz.build import build_items, load_index
    from assistant.quiz.items import read_bank

    if getattr(args, "bank", None):
        return read_bank(args.bank)
    return build_items(load_index(args.index_dir, say=_say), seed=args.seed)


def cmd_export(args: argparse.Namespace) -> int:
    from assistant.quiz.anki import export_anki
    from assistant.quiz.items import read_bank

    count = export_anki(read_bank(args.bank), args.anki)
    print(f"exported {count} notes -> {args.anki}")
    return EXIT_OK


def cmd_practice(args: argparse.Namespace) -> int:
    from assistant.quiz.practice import practice_session
    from assistant.quiz.store import StudyStore, due_summary, next_items

    items = _bank_items(args)
    with StudyStore(args.store) as store:
        due, new = due_summary(store, items)
        print(f"due today: {due}, new: {new} (of {len(items)} items). Answer with letters; end with ! to rate it Easy; q quits.")
        queue = next_items(store, items, args.limit)
        if not queue:
            print("nothing due; come back later")
            return EXIT_OK
        right, asked = practice_session(queue, store)
        due, _ = due_summary(store, items)
        print(f"{right}/{asked} right; due today now: {due}")
    return EXIT_OK


def cmd_exam(args: argparse.Namespace) -> int:
    from assistant.quiz.exam import pick_exam
    from assistant.quiz.practice import exam_session

    items = pick_exam(_bank_items(args), args.items, seed=args.seed)
    result = exam_session(items, limit_seconds=args.minutes * 60 if args.minutes else None)
    for line in result.lines():
        print(line)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from assistant.quiz.items import read_bank
    from assistant.quiz.roundtrip import round_trip

    from assistant.flags import pipeline_from_args

    report = round_trip(read_bank(args.bank), pipeline_from_args(args), limit=args.limit)
    for line in report.lines():
        print(line)
    if args.output:
        args.output.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
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

    export = commands.add_parser("export", help="write an item bank as an Anki deck (.apkg)")
    export.add_argument("--bank", type=Path, required=True, help="item bank (JSONL) from `quiz build`")
    export.add_argument("--anki", type=Path, required=True, help="the .apkg file to write")
    export.set_defaults(run=cmd_export)

    def add_source(parser: argparse.ArgumentParser) -> None:
        add_index_dir(parser)
        parser.add_argument("--bank", type=Path, help="item bank (default: built from the index)")
        parser.add_argument("--seed", type=_nonnegative_int, default=DEFAULT_SEED, help="default: %(default)s")

    practice = commands.add_parser("practice", help="practise in the terminal: due items first, scheduled with FSRS")
    add_source(practice)
    practice.add_argument("--limit", type=_positive_int, default=20, help="items this session (default: %(default)s)")
    practice.add_argument("--store", type=Path, help="review database (default: <data folder>/study.sqlite3)")
    practice.set_defaults(run=cmd_practice)

    exam = commands.add_parser("exam", help="a timed mock exam in the exam's domain mix, scored per domain")
    add_source(exam)
    exam.add_argument("--items", type=_positive_int, default=20, help="number of items (default: %(default)s)")
    exam.add_argument("--minutes", type=_positive_int, help="time limit (default: the exam's pace, 90 min per 65 items)")
    exam.set_defaults(run=cmd_exam)

    from assistant.flags import add_generation_flags

    check = commands.add_parser("check", help="round trip: ask the assistant each single and cloze stem; how often is the key in its answer")
    check.add_argument("--bank", type=Path, required=True)
    check.add_argument("--limit", type=_positive_int, help="check only the first N single/cloze items")
    check.add_argument("--output", type=Path, help="write the per-item results as JSON")
    add_generation_flags(check)
    check.set_defaults(run=cmd_check)
    return quiz
