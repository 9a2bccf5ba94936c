"""The span grammar builder (GBNF text and escaping) and the character-level span checker."""

from __future__ import annotations

import re

import pytest

from assistant.generators.grammar import SpanChecker, gbnf_escape, gbnf_literal, is_span_of, span_grammar, unique_sources
from corpus.errors import InputError


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("abc XYZ 09", "abc XYZ 09"),
        ('"', '\\"'),
        ("\\", "\\\\"),
        ("\n", "\\n"),
        ("\r", "\\r"),
        ("\t", "\\t"),
        ("\x00", "\\x00"),
        ("\x7f", "\\x7F"),
        ("é", "\\u00E9"),
        ("日本", "\\u65E5\\u672C"),
        ("\u3000", "\\u3000"),
        ("😀", "\\U0001F600"),
        ("[a-z]|()*+?", "[a-z]|()*+?"),
    ],
)
def test_gbnf_escape(text, escaped):
    assert gbnf_escape(text) == escaped


def test_gbnf_literal_is_ascii_and_quoted():
    literal = gbnf_literal('言"\\\n')
    assert literal == '"\\u8A00\\"\\\\\\n"'
    assert literal.isascii()


def test_unique_sources_drops_empty_duplicates_and_contained():
    assert unique_sources(["abc", "", "abc", "b", "xyz"]) == ("abc", "xyz")


def test_unique_sources_needs_some_text():
    with pytest.raises(InputError, match="non-empty"):
        unique_sources(["", ""])


def _rules(grammar: str) -> dict[str, str]:
    return dict(line.split(" ::= ", 1) for line in grammar.strip().splitlines())


def test_span_grammar_shape():
    grammar = span_grammar(["ab", 'c"'])
    rules = _rules(grammar)
    assert rules["root"] == "s0-0 | s0-1 | s1-0 | s1-1"
    assert rules["s0-0"] == '"a" s0-1?'
    assert rules["s0-1"] == '"b"'
    assert rules["s1-0"] == '"c" s1-1?'
    assert rules["s1-1"] == '"\\""'
    assert all(re.fullmatch(r"[a-z0-9-]+", name) for name in rules)  # llama.cpp's rule-name alphabet
    assert grammar.isascii()


def _language(grammar: str) -> set[str]:
    """Every string the (acyclic) span grammar generates, by expanding its rules."""
    rules = _rules(grammar)

    def expand(name: str) -> set[str]:
        body = rules[name]
        m = re.fullmatch(r'"((?:[^"\\]|\\.)*)"(?: (\S+)\?)?', body)
        char = m.group(1).encode().decode("unicode_escape")
        if m.group(2) is None:
            return {char}
        return {char} | {char + rest for rest in expand(m.group(2))}

    return set().union(*(expand(alt) for alt in rules["root"].split(" | ")))


@pytest.mark.parametrize("sources", [["abc"], ["aba", "b"], ['x"\\\ny', "q"], ["Tab\tend"]])
def test_span_grammar_language_is_exactly_the_substrings(sources):
    substrings = {s[i:j] for s in sources for i in range(len(s)) for j in range(i + 1, len(s) + 1)}
    assert _language(span_grammar(sources)) == substrings


def test_span_checker_accepts_substrings_piece_by_piece():
    checker = SpanChecker(["SageMaker の XGBoost", "eta を調整する"])
    assert checker.feed("Sage") == "Sage"
    assert checker.feed("Maker の") == "Maker の"
    assert checker.feed(" XGBoost!") == " XGBoost"
    assert checker.text == "SageMaker の XGBoost"
    assert checker.feed("more") == ""


def test_span_checker_refuses_the_first_char_outside_the_sources():
    checker = SpanChecker(["abcd"])
    assert checker.feed("bcx") == "bc"
    assert checker.feed("d") == "d"  # the refusal left it after "bc"
    assert checker.text == "bcd"


def test_span_checker_tracks_several_starts():
    checker = SpanChecker(["abab c"])
    assert checker.feed("ab") == "ab"
    assert checker.feed(" c") == " c"


@pytest.mark.parametrize(("text", "expected"), [("bc", True), ("", False), ("abd", False), ("日本", True)])
def test_is_span_of(text, expected):
    assert is_span_of(text, ["abc", "日本語"]) is expected
