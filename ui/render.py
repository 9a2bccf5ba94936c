"""HTML and chat text for an answer: its sources with the supporting sentences highlighted, and its status."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from markdown_it import MarkdownIt

from corpus.text import language

from assistant.answer.confidence import LIKELY_RIGHT_FROM

PLACEHOLDER = '<div class="sa-panel sa-empty">The passages an answer comes from appear here. / 回答の根拠となるノートがここに表示されます。</div>'


def _confidence(answer: Any) -> float | None:
    value = getattr(answer, "confidence", None)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def likely_right(answer: Any) -> bool:
    """Whether the UI calls the answer likely right: its confidence reaches LIKELY_RIGHT_FROM and the notes hold it."""
    confidence = _confidence(answer)
    return not answer.abstained and answer.grounded is not False and confidence is not None and confidence >= LIKELY_RIGHT_FROM


def status_line(answer: Any) -> str:
    """A one-line verdict on the answer, from its confidence (the probability that it is right): likely right,
    unsure, not supported by the notes (a free answer the notes do not hold), or not in the notes (abstained)."""
    if answer.abstained:
        return "∅ not in the notes / ノートには記載がありません"
    confidence = _confidence(answer)
    shown = "" if confidence is None else f"confidence {confidence:.2f}"
    if answer.grounded is False:
        return f"⚠ not supported by the notes (groundedness {answer.groundedness:.2f}{', ' + shown if shown else ''})"
    if likely_right(answer):
        return f"✓ likely right ({shown})"
    return f"? unsure: check the sources ({shown})" if shown else "? unsure: check the sources"


def understood_as(answer: Any) -> str | None:
    """The question as the assistant understood it, when the conversation changed it; else None."""
    resolved = getattr(answer, "resolved_question", None)
    return resolved if resolved and resolved != answer.question else None


# Said under an answer to an English question that was copied from Japanese notes.
COPIED_FROM_NOTES = "ⓘ copied word for word from your notes, so it is in Japanese / ノートの記述をそのまま引用しています"


def copied_note(answer: Any) -> str | None:
    """For an English question whose answer is in Japanese: why (answers are copied from the notes); else None."""
    question = getattr(answer, "question", "") or ""
    if answer.abstained or not question or language(question) != "en" or language(answer.text) != "ja":
        return None
    return COPIED_FROM_NOTES


def chat_text(answer: Any) -> str:
    """The assistant's chat message once the answer is complete: how a follow-up was understood, the text, why it is
    in Japanese when the question was in English, its status."""
    status = status_line(answer)
    text = f"**{answer.text}**" if answer.abstained else answer.text
    parts = [f"↪ *understood as: {understood}*", text] if (understood := understood_as(answer)) else [text]
    if note := copied_note(answer):
        parts.append(f"*{note}*")
    if status:
        parts.append(f"*{status}*")
    return "\n\n".join(parts)


# Stand-ins that survive Markdown rendering as plain characters: a <br> of the notes, and the start and end of a
# highlighted stretch. Private-use characters, removed from the notes first so that a note cannot forge them.
_BREAK, _OPEN, _CLOSE = "\ue000", "\ue001", "\ue002"
_STAND_INS = re.compile("[\ue000-\ue002]")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
# Line-opening Markdown that must stay outside a highlight for the line to keep its meaning (list, heading, quote).
_LINE_MARKUP = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|#{1,6}\s+|>\s*)*")
# Notes are data: raw HTML is shown as text (only <br> becomes a line break), images are not fetched, and
# markdown-it refuses javascript:, vbscript:, file: and data: links.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table").disable("image")


def _spans(text: str, sentences: list[str]) -> list[list[int]]:
    """Where the sentences occur in `text`, as merged [start, end) pairs in order."""
    spans: list[tuple[int, int]] = []
    for sentence in sentences:
        if not sentence:
            continue
        start = text.find(sentence)
        while start >= 0:
            spans.append((start, start + len(sentence)))
            start = text.find(sentence, start + len(sentence))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _marked(stretch: str) -> str:
    """`stretch` with each table cell and line wrapped in the highlight stand-ins, leaving `|`, line breaks and
    line-opening list or heading marks outside, so that the Markdown around them parses as before."""
    out = []
    for piece in re.split(r"(\||\n)", stretch):
        if piece in ("|", "\n"):
            out.append(piece)
            continue
        lead = _LINE_MARKUP.match(piece).end()
        body = piece[lead:].rstrip()
        tail = piece[lead + len(body):]
        out.append(f"{piece[:lead]}{_OPEN}{body}{_CLOSE}{tail}" if body else piece)
    return "".join(out)


def passage_html(text: str, sentences: list[str]) -> str:
    """A passage of the notes rendered from Markdown (tables, lists, emphasis; <br> as a line break; any other
    HTML shown as text), with every occurrence of each sentence highlighted in <mark>."""
    text = _STAND_INS.sub("", text)
    pieces, cursor = [], 0
    for start, end in _spans(text, sentences):
        pieces.append(text[cursor:start])
        pieces.append(_marked(text[start:end]))
        cursor = end
    pieces.append(text[cursor:])
    html = _MARKDOWN.render(_BR.sub(_BREAK, "".join(pieces)))
    if html.count(_OPEN) != html.count(_CLOSE):  # a highlight that fell inside a link target: highlight nothing
        html = _MARKDOWN.render(_BR.sub(_BREAK, text))
    return html.replace(_BREAK, "<br>").replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def sources_html(answer: Any) -> str:
    """The sources panel for a finished answer: a status banner, then each retrieved chunk best first."""
    if answer.abstained:
        banner = ('<div class="sa-status sa-abstained"><b>∅ Not in the notes</b> — ノートには記載がありません。'
                  " These are the closest passages; none of them answers the question.</div>")
    else:
        kind = "sa-ungrounded" if answer.grounded is False else "sa-likely" if likely_right(answer) else "sa-unsure"
        banner = f'<div class="sa-status {kind}">{escape(status_line(answer))}</div>'
    if understood := understood_as(answer):
        banner = (f'<div class="sa-understood">↪ understood as: <b>{escape(understood)}</b> '
                  "(from the conversation; “Start over” forgets it)</div>") + banner
    support: dict[str, list[str]] = {}
    for s in answer.support:
        support.setdefault(s.chunk_id, []).append(s.sentence)
    cards = []
    for hit in answer.hits:
        chunk = hit.chunk
        cited = chunk.id in support
        cards.append(
            f'<div class="sa-source{" sa-cited" if cited else ""}" data-chunk-id="{escape(chunk.id)}">'
            f'<div class="sa-head"><span class="sa-rank">[{hit.rank}]</span> '
            f'<span class="sa-path">{escape(chunk.heading_path)}</span></div>'
            f'<div class="sa-meta">score {hit.score:.4f} · {escape(str(chunk.source))}#{escape(chunk.id)}{_page(chunk)}</div>'
            f'<div class="sa-text">{passage_html(chunk.text, support.get(chunk.id, []))}</div></div>'
        )
    if not cards:
        cards.append('<div class="sa-empty">No passages were retrieved.</div>')
    return f'<div class="sa-panel">{banner}{"".join(cards)}{timings_html(getattr(answer, "timings", None))}</div>'


def _page(chunk: Any) -> str:
    """The place in the file that the heading path alone does not give, e.g. " · p. 3" for a PDF."""
    location = getattr(chunk, "location", "")
    return f'<span class="sa-location"> · {escape(location)}</span>' if location else ""


def timings_html(timings: Any) -> str:
    """A footer with how long the answer took, e.g. retrieval 12 ms · first token 437 ms · 14 tokens · 17.1 tokens/s."""
    if timings is None:
        return ""
    parts = [f"retrieval {timings.retrieval_ms:.0f} ms"]
    if timings.first_token_ms is not None:
        parts.append(f"first token {timings.first_token_ms:.0f} ms")
    parts.append(f'<span class="sa-new-tokens">{timings.new_tokens}</span> tokens')
    if timings.tokens_per_s:
        parts.append(f"{timings.tokens_per_s:.1f} tokens/s")
    return f'<div class="sa-timings">{" · ".join(parts)}</div>'


def error_html(message: str) -> str:
    return f'<div class="sa-panel"><div class="sa-status sa-error">⚠ {escape(message)}</div></div>'


CSS = """
.sa-panel { font-size: 0.92em; line-height: 1.55; }
.sa-empty { color: var(--body-text-color-subdued); padding: 0.5em 0; }
.sa-status { padding: 0.45em 0.7em; border-radius: 6px; margin-bottom: 0.6em; font-weight: 600; }
.sa-likely { background: #e8f5e9; color: #1b5e20; }
.sa-unsure { background: #fff8e1; color: #6d4c00; border: 1px solid #f3d27a; }
.sa-ungrounded { background: #fff4e5; color: #8a4b00; border: 1px solid #f0b86e; }
.sa-abstained { background: #eef2ff; color: #283593; border: 1px solid #9fa8da; font-weight: 400; }
.sa-understood { padding: 0.35em 0.7em; margin-bottom: 0.6em; border-radius: 6px; background: #f3f0ff; color: #3b2a8a; }
.sa-error { background: #fdecea; color: #8b1a1a; border: 1px solid #ef9a9a; }
.sa-source { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 0.5em 0.7em; margin-bottom: 0.5em; }
.sa-cited { border-left: 4px solid #f5b400; }
.sa-head { font-weight: 600; }
.sa-rank { color: var(--body-text-color-subdued); }
.sa-meta { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 0.25em; }
.sa-text p { margin: 0.25em 0; }
.sa-text ul, .sa-text ol { margin: 0.25em 0; padding-left: 1.4em; }
.sa-text table { border-collapse: collapse; margin: 0.3em 0; font-size: 0.95em; }
.sa-text th, .sa-text td { border: 1px solid var(--border-color-primary); padding: 0.15em 0.45em; vertical-align: top; }
.sa-text pre { white-space: pre-wrap; }
.sa-timings { font-size: 0.8em; color: var(--body-text-color-subdued); text-align: right; }
#examples { flex-wrap: wrap; gap: 6px; align-items: center; }
#examples > * { flex: 0 0 auto !important; min-width: 0 !important; width: auto !important; }
.sa-examples-label p { margin: 0; color: var(--body-text-color-subdued); }
.sa-text mark { background: #ffe066; color: inherit; padding: 0 1px; border-radius: 2px; }
"""
