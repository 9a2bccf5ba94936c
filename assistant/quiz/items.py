"""The quiz item (DESIGN "Quiz item bank") and reading and writing a bank file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from corpus.errors import InputError

BLANK = "____"


class ItemType(str, Enum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    ORDERING = "ordering"
    MATCHING = "matching"
    CLOZE = "cloze"

    @classmethod
    def parse(cls, value: "str | ItemType") -> "ItemType":
        try:
            return cls(value)
        except ValueError:
            raise InputError(f"unknown item type {value!r}; valid: {', '.join(t.value for t in cls)}") from None


@dataclass(frozen=True)
class Source:
    chunk_id: str
    source: str
    heading_path: str

    def as_dict(self) -> dict:
        return {"chunk_id": self.chunk_id, "source": self.source, "heading_path": self.heading_path}


@dataclass(frozen=True)
class Item:
    """One exam-style question; `answer` holds option indices as DESIGN defines them per type."""

    id: str
    type: ItemType
    stem: str
    options: tuple[str, ...]
    answer: tuple[int, ...]
    answer_text: tuple[str, ...]
    source: Source
    evidence: str
    prompts: tuple[str, ...] = ()
    domain: str | None = None
    # The words of the notes the stem asks about (not written to the bank): the gates compare distractors with it.
    clue: str = field(default="", compare=False)
    # Options that belong to the same list as the keys (not written): a distractor among them would also be right.
    siblings: tuple[str, ...] = field(default=(), compare=False)

    def as_record(self) -> dict:
        record = {"id": self.id, "type": self.type.value, "stem": self.stem, "options": list(self.options)}
        if self.type is ItemType.MATCHING:
            record["prompts"] = list(self.prompts)
        record.update({
            "answer": list(self.answer),
            "answer_text": list(self.answer_text),
            "source": self.source.as_dict(),
            "evidence": self.evidence,
        })
        if self.domain:
            record["domain"] = self.domain
        return record

    @property
    def heading(self) -> str:
        return self.source.heading_path.split(" > ")[-1] if self.source.heading_path else ""


def item_id(kind: ItemType, chunk_id: str, stem: str, answer_text: tuple[str, ...]) -> str:
    """Stable for the same question on the same chunk, whatever order the options were shuffled into."""
    digest = hashlib.sha1("\x1f".join([kind.value, chunk_id, stem, *sorted(answer_text)]).encode("utf-8")).hexdigest()
    return f"{kind.value[:2]}-{digest[:12]}"


def item_from_record(record: dict, where: str = "bank") -> Item:
    try:
        kind = ItemType.parse(record["type"])
        src = record["source"]
        return Item(
            id=str(record["id"]),
            type=kind,
            stem=str(record["stem"]),
            options=tuple(str(o) for o in record.get("options") or ()),
            answer=tuple(int(a) for a in record["answer"]),
            answer_text=tuple(str(a) for a in record["answer_text"]),
            source=Source(str(src["chunk_id"]), str(src["source"]), str(src["heading_path"])),
            evidence=str(record["evidence"]),
            prompts=tuple(str(p) for p in record.get("prompts") or ()),
            domain=record.get("domain"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{where}: not a quiz item ({exc.__class__.__name__}: {exc})") from None


def bank_line(item: Item) -> str:
    return json.dumps(item.as_record(), ensure_ascii=False, separators=(", ", ": "))


def write_bank(path: Path, items: list[Item]) -> None:
    """One item per line, written to a temp file and renamed, so a reader never sees half a bank."""
    from index.storage import write_text_atomically

    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, "".join(bank_line(item) + "\n" for item in items))


def read_bank(path: Path) -> list[Item]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        raise InputError(f"item bank {path} does not exist; make one with `python -m assistant quiz build --output {path}`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read item bank {path}: {exc}") from None
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"item bank {path} line {number} is not JSON ({exc.msg})") from None
        items.append(item_from_record(record, f"item bank {path} line {number}"))
    if not items:
        raise InputError(f"item bank {path} has no items")
    return items
