"""Load and validate a gold Q/A set (JSONL, DESIGN format) into frozen GoldItems."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.chunking import Chunk
from corpus.errors import InputError
from corpus.text import language

from assistant.jsonl import read_json_lines

from eval.evidence import EvidenceMatcher

KINDS = ("factoid", "paraphrase", "english", "unanswerable")


@dataclass(frozen=True)
class GoldItem:
    """One gold question. `answers` holds every acceptable answer; unanswerable items have none."""

    id: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[str, ...]
    answerable: bool = True
    lang: str = "ja"
    kind: str = "factoid"
    topic: str = ""


def _strings(value, field: str, where: str) -> tuple[str, ...]:
    """A string or a list of strings as a tuple without empty entries."""
    if value is None:
        return ()
    if isinstance(value, str):
        values = [value]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        values = value
    else:
        raise InputError(f"{where}: `{field}` must be a string or a list of strings, got {value!r}")
    return tuple(v.strip() for v in values if v.strip())


def parse_gold_item(data, where: str) -> GoldItem:
    """One gold line's object as a GoldItem; `where` ("FILE line N") prefixes every error."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(data).__name__}")
    missing = [name for name in ("id", "question") if name not in data]
    if missing:
        raise InputError(f"{where}: missing {' and '.join(f'`{m}`' for m in missing)}")
    item_id, question = data["id"], data["question"]
    if isinstance(item_id, bool) or not isinstance(item_id, (str, int)) or not str(item_id).strip():
        raise InputError(f"{where}: `id` must be a non-empty string, got {item_id!r}")
    if not isinstance(question, str) or not question.strip():
        raise InputError(f"{where}: `question` must be a non-empty string, got {question!r}")
    answerable = data.get("answerable", True)
    if not isinstance(answerable, bool):
        raise InputError(f"{where}: `answerable` must be true or false, got {answerable!r}")
    answers = _strings(data.get("answer"), "answer", where)
    evidence = _strings(data.get("evidence"), "evidence", where)
    if answerable and not answers:
        raise InputError(f"{where}: item {item_id} is answerable but has no `answer`")
    if not answerable and (answers or evidence):
        raise InputError(f"{where}: item {item_id} has `answerable: false`, so its `answer` and `evidence` must be empty")
    kind = data.get("kind") or ("factoid" if answerable else "unanswerable")
    lang = data.get("lang") or language(question)
    topic = data.get("topic") or ""
    for name, value in (("kind", kind), ("lang", lang), ("topic", topic)):
        if not isinstance(value, str):
            raise InputError(f"{where}: `{name}` must be a string, got {value!r}")
    return GoldItem(str(item_id).strip(), question.strip(), answers, evidence, answerable, lang, kind, topic)


def load_gold(path: Path | str) -> list[GoldItem]:
    """The gold items of a JSONL file, in file order; InputError names the line or ids at fault."""
    path = Path(path)
    items: list[GoldItem] = []
    for line in read_json_lines(path, "gold file"):
        where = f"{path} line {line.number}"
        if line.error:
            raise InputError(f"{where} is {line.error}")
        items.append(parse_gold_item(line.value, where))
    if not items:
        raise InputError(f"gold file {path} has no questions")
    duplicates = sorted(item_id for item_id, count in Counter(i.id for i in items).items() if count > 1)
    if duplicates:
        raise InputError(f"gold file {path} has duplicate ids: {', '.join(duplicates)}")
    return items


def evidence_problems(items: Iterable[GoldItem], chunks: Sequence[Chunk] | EvidenceMatcher) -> list[str]:
    """Ids of answerable items with an evidence span found in no chunk (or with no evidence at all)."""
    matcher = chunks if isinstance(chunks, EvidenceMatcher) else EvidenceMatcher(chunks)
    return [
        item.id
        for item in items
        if item.answerable and (not item.evidence or any(not matcher.chunks_with(span) for span in item.evidence))
    ]


def unscorable_for_retrieval(items: Iterable[GoldItem], matcher: EvidenceMatcher) -> list[str]:
    """Ids of answerable items none of whose spans is in any chunk: retrieval can only miss them."""
    return [item.id for item in items if item.answerable and not matcher.relevant_ids(item.evidence)]
