"""Batch question answering: read JSONL or plain-text questions, append each answer to a JSONL file as it is done."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from corpus.errors import InputError

from assistant.pipeline import Pipeline


@dataclass(frozen=True)
class BatchQuestion:
    id: str
    question: str


@dataclass(frozen=True)
class BatchInput:
    """The usable questions of an input file, and the lines that had to be skipped."""

    questions: tuple[BatchQuestion, ...]
    problems: tuple[str, ...]


def _is_jsonl(path: Path, lines: list[str]) -> bool:
    first = next((line for line in lines if line.strip()), "")
    return path.suffix.lower() in (".jsonl", ".json") or first.lstrip().startswith("{")


def read_questions(path: Path) -> BatchInput:
    """Questions from JSONL (objects with `id` and `question`) or plain text (one question per line, id = line number)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"input file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"input file {path} is not UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"cannot read input file {path}: {exc.strerror}") from None
    lines = text.splitlines()
    questions: list[BatchQuestion] = []
    problems: list[str] = []
    seen: set[str] = set()
    jsonl = _is_jsonl(Path(path), lines)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if jsonl:
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"line {number}: not valid JSON ({exc.msg})")
                continue
            if not isinstance(item, dict) or not str(item.get("id", "")).strip() or not isinstance(item.get("question"), str) or not item["question"].strip():
                problems.append(f"line {number}: needs a non-empty \"id\" and \"question\"")
                continue
            qid, question = str(item["id"]).strip(), item["question"]
        else:
            qid, question = f"line-{number}", line
        if qid in seen:
            problems.append(f"line {number}: duplicate id {qid!r}")
            continue
        seen.add(qid)
        questions.append(BatchQuestion(qid, question))
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
    for line in data.decode("utf-8", errors="replace").splitlines():
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
    if output_path.exists() and output_path.stat().st_size > 0 and not resume:
        raise InputError(f"output file {output_path} already has answers; pass --resume to continue it, or choose a new file")
    done = answered_ids(output_path) if resume else set()
    todo = [q for q in batch.questions if q.id not in done]
    output_path.parent.mkdir(parents=True, exist_ok=True)
    answered = 0
    with open(output_path, "a", encoding="utf-8") as out:
        for item in tqdm(todo, desc="answering", unit="q", disable=not progress, initial=0):
            try:
                answer = pipeline.answer(item.question)
            except InputError as exc:
                print(f"skipped {item.id}: {exc}", file=sys.stderr)
                continue
            out.write(json.dumps(answer.as_record(item.id), ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
            answered += 1
    return answered
