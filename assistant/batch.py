"""Batch question answering: read JSONL or plain-text questions, append each answer to a JSONL file as it is done."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from corpus.errors import InputError

from assistant.answer.followup import Turn, parse_history
from assistant.answer.pipeline import Pipeline
from assistant.jsonl import JsonLine, json_lines, read_text, text_lines


@dataclass(frozen=True)
class BatchQuestion:
    id: str
    question: str
    history: tuple[Turn, ...] = ()  # earlier turns of the conversation, oldest first


@dataclass(frozen=True)
class BatchInput:
    """The usable questions of an input file, and the lines that had to be skipped."""

    questions: tuple[BatchQuestion, ...]
    problems: tuple[str, ...]


def _is_jsonl(path: Path, lines: list[str]) -> bool:
    first = next((line for line in lines if line.strip()), "")
    return path.suffix.lower() in (".jsonl", ".json") or first.lstrip().startswith("{")


def _is_unicode_text(text: str) -> bool:
    """False for strings holding lone surrogates (JSON allows "\\ud800"); they cannot be written back as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_questions(path: Path) -> BatchInput:
    """Questions from JSONL (objects with `id` and `question`) or plain text (one question per line, id = line number)."""
    text = read_text(path, "input file")
    lines = text_lines(text)
    questions: list[BatchQuestion] = []
    problems: list[str] = []
    seen: set[str] = set()
    jsonl = _is_jsonl(Path(path), lines)
    entries = json_lines(text) if jsonl else (JsonLine(n, line) for n, line in enumerate(lines, start=1) if line.strip())
    for entry in entries:
        number, history = entry.number, ()
        if entry.error:
            problems.append(f"line {number}: {entry.error}")
            continue
        if jsonl:
            item = entry.value
            if not isinstance(item, dict) or not str(item.get("id", "")).strip() or not isinstance(item.get("question"), str) or not item["question"].strip():
                problems.append(f"line {number}: needs a non-empty \"id\" and \"question\"")
                continue
            qid, question = str(item["id"]).strip(), item["question"]
            try:
                history = parse_history(item.get("history"), "\"history\"")
            except InputError as exc:
                problems.append(f"line {number}: {exc}")
                continue
        else:
            qid, question = f"line-{number}", entry.value
        if not (_is_unicode_text(qid) and _is_unicode_text(question)):
            problems.append(f"line {number}: contains a lone surrogate escape (such as \\ud800), which is not a character")
            continue
        if qid in seen:
            problems.append(f"line {number}: duplicate id {qid!r}")
            continue
        seen.add(qid)
        questions.append(BatchQuestion(qid, question, history))
    return BatchInput(tuple(questions), tuple(problems))


def answered_ids(output: Path) -> set[str]:
    """Ids already in `output`; a torn last line (a crash mid-write) is cut off so appends stay valid JSONL."""
    if not output.exists():
        return set()
    data = output.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with open(output, "r+b") as handle:
            handle.truncate(cut)
        data = data[:cut]
    ids = set()
    for line in data.decode("utf-8", errors="replace").split("\n"):
        try:
            ids.add(str(json.loads(line)["id"]))
        except (ValueError, KeyError, TypeError):
            continue
    return ids


def run_batch(input_path: Path, output_path: Path, pipeline: Pipeline, resume: bool = False, progress: bool = True) -> int:
    """Answer every question not yet in the output; returns how many were answered now."""
    batch = read_questions(input_path)
    for problem in batch.problems:
        print(f"skipped {input_path} {problem}", file=sys.stderr)
    if not batch.questions:
        raise InputError(f"input file {input_path} has no usable questions")
    output_path = Path(output_path)
    if output_path.is_dir():
        raise InputError(f"output path {output_path} is a folder; give a file name")
    if output_path.exists() and output_path.resolve() == Path(input_path).resolve():
        raise InputError(f"the output file {output_path} is the input file; choose another output file")
    if output_path.exists() and output_path.stat().st_size > 0 and not resume:
        raise InputError(f"output file {output_path} already has answers; pass --resume to continue it, or choose a new file")
    answered = 0

    def cannot_write(exc: OSError) -> InputError:
        return InputError(
            f"cannot write the output file {output_path}: {exc.strerror or exc}; the {answered} answers written in this run "
            "are kept, and `--resume` continues after them"
        )

    try:
        done = answered_ids(output_path) if resume else set()
        output_path.parent.mkdir(parents=True, exist_ok=True)
        out = open(output_path, "a", encoding="utf-8")
    except OSError as exc:
        raise cannot_write(exc) from None
    todo = [q for q in batch.questions if q.id not in done]
    with out:
        for item in tqdm(todo, desc="answering", unit="q", disable=not progress, initial=0):
            try:
                answer = pipeline.answer(item.question, history=item.history)
            except InputError as exc:
                tqdm.write(f"skipped {item.id}: {exc}", file=sys.stderr)  # on its own line, not glued to the bar
                continue
            try:
                out.write(json.dumps(answer.as_record(item.id), ensure_ascii=False) + "\n")
                out.flush()
                os.fsync(out.fileno())
            except OSError as exc:  # a full disk, say: a torn last line is cut off by the next --resume
                with contextlib.suppress(OSError):
                    out.close()
                raise cannot_write(exc) from None
            answered += 1
    return answered
