"""Export an item bank as an Anki deck (.apkg): stable GUIDs from item ids, escaped fields, cloze items as cloze notes."""

from __future__ import annotations

import html
import re
from pathlib import Path

import genanki

from assistant.quiz.grading import answer_display, option_label
from assistant.quiz.items import BLANK, Item, ItemType

# Fixed ids: a re-exported deck and its note types are recognised by Anki as the same ones.
DECK_ID = 1_726_014_001
BASIC_MODEL_ID = 1_726_014_002
CLOZE_MODEL_ID = 1_726_014_003
DECK_NAME = "Study notes::Exam practice"

_CSS = ".card { font-family: sans-serif; font-size: 18px; text-align: left; } .source { color: #666; font-size: 14px; }"
BASIC_MODEL = genanki.Model(
    BASIC_MODEL_ID,
    "Study assistant item",
    fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Source"}],
    templates=[{
        "name": "Card 1",
        "qfmt": "{{Question}}",
        "afmt": '{{FrontSide}}<hr id="answer">{{Answer}}<div class="source">{{Source}}</div>',
    }],
    css=_CSS,
)
CLOZE_MODEL = genanki.Model(
    CLOZE_MODEL_ID,
    "Study assistant cloze",
    fields=[{"name": "Text"}, {"name": "Source"}],
    templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": '{{cloze:Text}}<div class="source">{{Source}}</div>'}],
    css=_CSS,
    model_type=genanki.Model.CLOZE,
)


def _lines(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _tag(text: str) -> str:
    """Anki tags cannot hold spaces; heading levels become a hierarchy."""
    return re.sub(r"\s+", "_", text.replace(" > ", "::")).strip("_") or "notes"


def _source(item: Item) -> str:
    return f"{_lines(item.source.heading_path)} ({html.escape(item.source.source)})<br>{_lines(item.evidence)}"


def _question(item: Item) -> str:
    parts = [_lines(item.stem)]
    if item.type is ItemType.MATCHING:
        parts.append("<ol>" + "".join(f"<li>{html.escape(p)}</li>" for p in item.prompts) + "</ol>")
    parts.append("<br>".join(f"{option_label(i)}. {html.escape(o)}" for i, o in enumerate(item.options)))
    return "<br>".join(p for p in parts if p)


def note_for(item: Item) -> genanki.Note:
    tags = [f"type::{item.type.value}", f"heading::{_tag(item.source.heading_path)}"]
    if item.domain:
        tags.append(f"domain::{item.domain}")
    guid = genanki.guid_for(item.id)
    if item.type is ItemType.CLOZE:
        stem = item.stem.split("\n")
        body = "<br>".join(_lines(line) for line in stem)
        body = body.replace(html.escape(BLANK), "{{c1::" + html.escape(item.answer_text[0]) + "}}", 1)
        return genanki.Note(model=CLOZE_MODEL, fields=[body, _source(item)], tags=tags, guid=guid)
    return genanki.Note(model=BASIC_MODEL, fields=[_question(item), html.escape(answer_display(item)), _source(item)],
                        tags=tags, guid=guid)


def export_anki(items: list[Item], output: Path, deck_name: str = DECK_NAME) -> int:
    """Write the deck; returns the number of notes."""
    deck = genanki.Deck(DECK_ID, deck_name)
    for item in items:
        deck.add_note(note_for(item))
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(deck).write_to_file(str(output))
    return len(items)
