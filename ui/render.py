"""HTML and chat text for an answer: its sources with the supporting sentences highlighted, and its status."""

from __future__ import annotations

from html import escape
from typing import Any

PLACEHOLDER = '<div class="sa-panel sa-empty">The passages an answer comes from appear here. / 回答の根拠となるノートがここに表示されます。</div>'


def status_line(answer: Any) -> str:
    """A one-line verdict on the answer: not in the notes, not supported, or supported (with the groundedness)."""
    if answer.abstained:
        return "∅ not in the notes / ノートには記載がありません"
    if answer.grounded is False:
        return f"⚠ not supported by the notes (groundedness {answer.groundedness:.2f})"
    if answer.grounded:
        return f"✓ supported by the notes (groundedness {answer.groundedness:.2f})"
    return ""


def understood_as(answer: Any) -> str | None:
    """The question as the assistant understood it, when the conversation changed it; else None."""
    resolved = getattr(answer, "resolved_question", None)
    return resolved if resolved and resolved != answer.question else None


def chat_text(answer: Any) -> str:
    """The assistant's chat message once the answer is complete: how a follow-up was understood, the text, its status."""
    status = status_line(answer)
    text = f"**{answer.text}**" if answer.abstained else answer.text
    parts = [f"↪ *understood as: {understood}*", text] if (understood := understood_as(answer)) else [text]
    if status:
        parts.append(f"*{status}*")
    return "\n\n".join(parts)


def highlighted(text: str, sentences: list[str]) -> str:
    """`text` HTML-escaped, with every occurrence of each sentence wrapped in <mark>."""
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
    out, cursor = [], 0
    for start, end in merged:
        out.append(escape(text[cursor:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    out.append(escape(text[cursor:]))
    return "".join(out)


def sources_html(answer: Any) -> str:
    """The sources panel for a finished answer: a status banner, then each retrieved chunk best first."""
    if answer.abstained:
        banner = ('<div class="sa-status sa-abstained"><b>∅ Not in the notes</b> — ノートには記載がありません。'
                  " These are the closest passages; none of them answers the question.</div>")
    elif answer.grounded is False:
        banner = f'<div class="sa-status sa-ungrounded">{escape(status_line(answer))}</div>'
    elif answer.grounded:
        banner = f'<div class="sa-status sa-grounded">{escape(status_line(answer))}</div>'
    else:
        banner = ""
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
            f'<div class="sa-meta">score {hit.score:.4f} · {escape(str(chunk.source))}#{escape(chunk.id)}</div>'
            f'<div class="sa-text">{highlighted(chunk.text, support.get(chunk.id, []))}</div></div>'
        )
    if not cards:
        cards.append('<div class="sa-empty">No passages were retrieved.</div>')
    return f'<div class="sa-panel">{banner}{"".join(cards)}{timings_html(getattr(answer, "timings", None))}</div>'


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
.sa-grounded { background: #e8f5e9; color: #1b5e20; }
.sa-ungrounded { background: #fff4e5; color: #8a4b00; border: 1px solid #f0b86e; }
.sa-abstained { background: #eef2ff; color: #283593; border: 1px solid #9fa8da; font-weight: 400; }
.sa-understood { padding: 0.35em 0.7em; margin-bottom: 0.6em; border-radius: 6px; background: #f3f0ff; color: #3b2a8a; }
.sa-error { background: #fdecea; color: #8b1a1a; border: 1px solid #ef9a9a; }
.sa-source { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 0.5em 0.7em; margin-bottom: 0.5em; }
.sa-cited { border-left: 4px solid #f5b400; }
.sa-head { font-weight: 600; }
.sa-rank { color: var(--body-text-color-subdued); }
.sa-meta { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 0.25em; }
.sa-text { white-space: pre-wrap; }
.sa-timings { font-size: 0.8em; color: var(--body-text-color-subdued); text-align: right; }
#examples { flex-wrap: wrap; gap: 6px; align-items: center; }
#examples > * { flex: 0 0 auto !important; min-width: 0 !important; width: auto !important; }
.sa-examples-label p { margin: 0; color: var(--body-text-color-subdued); }
.sa-text mark { background: #ffe066; color: inherit; padding: 0 1px; border-radius: 2px; }
"""
