"""The span constraint as a GBNF grammar (llama.cpp) and as a character-level checker for any backend."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from corpus.errors import InputError

# Characters that may stand unescaped inside a GBNF string literal: printable ASCII except `"` and `\`.
_PLAIN = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}


def gbnf_escape(text: str) -> str:
    """`text` escaped for use between the double quotes of a GBNF literal.

    Non-ASCII and control characters are written as \\xHH, \\uHHHH or \\UHHHHHHHH so that the grammar
    is plain ASCII and no code point can be misread by the parser.
    """
    out = []
    for ch in text:
        if ch in _PLAIN:
            out.append(ch)
        elif ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        else:
            cp = ord(ch)
            if cp < 0x80:
                out.append(f"\\x{cp:02X}")
            elif cp <= 0xFFFF:
                out.append(f"\\u{cp:04X}")
            else:
                out.append(f"\\U{cp:08X}")
    return "".join(out)


def gbnf_literal(text: str) -> str:
    return f'"{gbnf_escape(text)}"'


def unique_sources(sources: Iterable[str]) -> tuple[str, ...]:
    """The non-empty sources, in their order, without duplicates or sources contained in another.

    A source that is a substring of another adds no allowed output, so dropping it keeps grammars
    and per-step work small. Raises InputError when nothing non-empty is left.
    """
    distinct = list(dict.fromkeys(s for s in sources if s))
    kept = [s for s in distinct if not any(s != other and s in other for other in distinct)]
    if not kept:
        raise InputError("the span constraint needs at least one non-empty source text")
    return tuple(kept)


def span_grammar(sources: Sequence[str]) -> str:
    """A GBNF grammar whose language is exactly the non-empty substrings of `sources`.

    For a source c0 c1 … c(n-1), rule `s-j ::= cj s-(j+1)?` matches every non-empty prefix of the suffix
    starting at j; `root` chooses the starting position. Rule names use only [a-z0-9-], which is what
    llama.cpp accepts.
    """
    lines: list[str] = []
    starts: list[str] = []
    for i, text in enumerate(unique_sources(sources)):
        n = len(text)
        for j, ch in enumerate(text):
            name = f"s{i}-{j}"
            starts.append(name)
            tail = f" s{i}-{j + 1}?" if j + 1 < n else ""
            lines.append(f"{name} ::= {gbnf_literal(ch)}{tail}")
    return "root ::= " + " | ".join(starts) + "\n" + "\n".join(lines) + "\n"


class SpanChecker:
    """Follows text as it streams and says how much of it is still a substring of some source.

    Used as a client-side guard where the server may ignore the grammar (OpenAI-compatible servers),
    and in tests. State: the set of (source, end position) pairs where the text so far can end.
    """

    def __init__(self, sources: Sequence[str]) -> None:
        self.sources = unique_sources(sources)
        self._ends: set[tuple[int, int]] | None = None  # None: nothing consumed yet, every position open
        self.text = ""

    def _advance(self, ends: set[tuple[int, int]] | None, ch: str) -> set[tuple[int, int]]:
        if ends is None:
            return {(i, j + 1) for i, src in enumerate(self.sources) for j, c in enumerate(src) if c == ch}
        return {(i, e + 1) for i, e in ends if e < len(self.sources[i]) and self.sources[i][e] == ch}

    def feed(self, piece: str) -> str:
        """The longest prefix of `piece` that keeps all text fed so far a substring; the rest is refused.

        After a refusal the checker stays where it was, so feeding more text can only extend the accepted text.
        """
        ends = self._ends
        accepted = 0
        for ch in piece:
            nxt = self._advance(ends, ch)
            if not nxt:
                break
            ends = nxt
            accepted += 1
        self._ends = ends
        self.text += piece[:accepted]
        return piece[:accepted]


def is_span_of(text: str, sources: Iterable[str]) -> bool:
    """True when `text` is a non-empty contiguous substring of one of `sources`."""
    return bool(text) and any(text in s for s in sources)
