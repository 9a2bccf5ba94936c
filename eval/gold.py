"""Load and validate a gold Q/A set (JSONL, DESIGN format) into frozen GoldItems."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.chunking import Chunk
from corpus.errors import InputError
from corpus.text import KATAKANA, language, nfkc

from assistant.jsonl import read_json_lines

from eval.evidence import EvidenceMatcher

KINDS = ("factoid", "paraphrase", "english", "unanswerable")
# What a gold answer is (the optional `answer_type` field): a quantity, a date, the name of a thing (a product,
# feature, method, format or fixed term), a descriptive phrase, a list of several items, or a yes/no.
ANSWER_TYPES = ("number", "date", "name", "phrase", "list", "yesno")


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
    answer_type: str | None = None


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
    answer_type = data.get("answer_type")
    if answer_type is not None:
        if answer_type not in ANSWER_TYPES:
            raise InputError(f"{where}: `answer_type` must be one of: {', '.join(ANSWER_TYPES)}; got {answer_type!r}")
        if not answerable:
            raise InputError(f"{where}: item {item_id} has `answerable: false`, so it has no `answer_type`")
    return GoldItem(str(item_id).strip(), question.strip(), answers, evidence, answerable, lang, kind, topic, answer_type)


# --- answer types when the gold item does not give one -------------------------------------------------

_YES_NO = {"はい", "いいえ", "yes", "no"}
# 、 always separates items; ・ does too, except between katakana, where it joins one name (マテリアライズド・ビュー).
_LIST_SEPARATOR = re.compile(f"、|(?<![{KATAKANA}])・|・(?![{KATAKANA}])")
# Longer parts are clauses of one sentence (環境の変化などにより、モデルの精度が低下すること), not list items.
_LIST_ITEM_MAX_CHARS = 12
_DATE = re.compile(r"\d{4}年|(?<!\d)\d{1,2}月|\d{4}[-/]\d{1,2}")
# A digit that starts a number, not one inside a Latin identifier (L2, EC2, ml.m5.large, Ver.1.4).
_NUMBER = re.compile(r"(?<![A-Za-z0-9._-])\d")
_NAME = re.compile(f"[A-Za-z0-9 .\\-_/()+&'{KATAKANA}・]+")
_NAME_MAX_WORDS = 4


def inferred_answer_type(answer: str) -> str:
    """A guess at an answer's type from its text alone, first rule that fits:

    - yesno: はい, いいえ, yes, no;
    - list: 、 or a ・ outside katakana joins two or more items of at most 12 characters (Recall、Precision、
      Accuracy; メモリ不足・過学習);
    - date: a year, a month or a year-month (2024年, 4月, 3月31日, 2023-11, 2025/02/13);
    - number: any other digit that starts a number (not one inside a Latin name such as L2 or EC2);
    - name: only Latin letters, digits, katakana and . - _ / ( ) + & ' in at most four words (SMOTE, Amazon
      SageMaker Canvas, コンセプトドリフト, REFRESHコマンド);
    - phrase: anything else. Kanji terms such as 過学習 come out as phrase: annotate them.
    """
    text = nfkc(answer).strip()
    if text.lower().rstrip("。.") in _YES_NO:
        return "yesno"
    parts = [part.strip() for part in _LIST_SEPARATOR.split(text) if part.strip()]
    if len(parts) >= 2 and all(len(part) <= _LIST_ITEM_MAX_CHARS for part in parts):
        return "list"
    if _DATE.search(text):
        return "date"
    if _NUMBER.search(text):
        return "number"
    if _NAME.fullmatch(text) and len(text.split()) <= _NAME_MAX_WORDS:
        return "name"
    return "phrase"


def answer_type_of(item: GoldItem) -> str | None:
    """The item's `answer_type`, or one inferred from its first gold answer; None for an unanswerable item."""
    if not item.answerable or not item.answers:
        return None
    return item.answer_type or inferred_answer_type(item.answers[0])


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
