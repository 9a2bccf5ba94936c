"""The transformers span constraint on a tiny fake vocabulary: token bytes, allowed tokens, the logits mask, stop strings."""

from __future__ import annotations

import pytest

from assistant.generators.transformers.constraint import SpanLogitsProcessor, SpanState
from assistant.generators.transformers.streamer import StopFilter
from assistant.generators.transformers.tokens import TokenTable, token_bytes_from_pieces

# id: piece (SentencePiece style, like Gemma's): "▁" is a space, <0xNN> a byte-fallback token.
PIECES = ["<pad>", "<eos>", "a", "b", "ab", "\u2581c", "<0xE6>", "<0x97>", "<0xA5>", "日", "x", "\u2581"]
PAD, EOS, A, B, AB, SP_C, E6, X97, XA5, NICHI, X, SP = range(len(PIECES))


@pytest.fixture
def table() -> TokenTable:
    return TokenTable(token_bytes_from_pieces(PIECES, special_ids=[PAD, EOS], byte_level=False), eos_ids=[EOS])


def test_sentencepiece_pieces_to_bytes():
    got = token_bytes_from_pieces(PIECES, special_ids=[PAD, EOS], byte_level=False)
    assert got[PAD] is None and got[EOS] is None
    assert got[SP_C] == b" c"
    assert got[E6] == b"\xe6"
    assert got[NICHI] == "日".encode()


def test_byte_level_pieces_to_bytes():
    # GPT-2's alphabet: "Ġ" is a space, "æĹ¥" spells the three bytes of 日.
    got = token_bytes_from_pieces(["<|endoftext|>", "Ġthe", "æĹ¥", "<custom>"], special_ids=[0], byte_level=True)
    assert got == [None, b" the", "日".encode(), b"<custom>"]


def test_table_indexes_tokens_by_bytes(table):
    assert table.by_bytes[b"ab"] == [AB]
    assert table.max_len == 3
    assert table.eos_ids == (EOS,)


def test_first_step_allows_tokens_starting_at_character_boundaries(table):
    state = SpanState(table, ["ab c", "日"])
    # a continuation byte (0x97, 0xA5) may not start the output, and empty output may not end.
    assert state.allowed_ids() == {A, AB, B, SP_C, SP, NICHI, E6}


def test_after_a_token_only_continuations_and_eos(table):
    state = SpanState(table, ["ab c", "日"])
    state.advance(AB)
    assert state.allowed_ids() == {SP_C, SP, EOS}
    state.advance(SP)
    assert state.allowed_ids() == {EOS}  # "c" alone is not a token here


def test_ambiguous_start_keeps_every_position(table):
    state = SpanState(table, ["abab"])
    state.advance(A)
    assert state.ends == {(0, 1), (0, 3)}
    assert state.allowed_ids() == {B, EOS}  # "a"+"ab" is not in "abab"
    state.advance(B)
    assert state.ends == {(0, 2), (0, 4)}
    assert state.allowed_ids() == {A, AB, EOS}
    state.advance(AB)
    assert state.ends == {(0, 4)}


def test_byte_fallback_must_finish_its_character_before_eos(table):
    state = SpanState(table, ["日"])
    state.advance(E6)
    assert state.allowed_ids() == {X97}
    state.advance(X97)
    assert state.allowed_ids() == {XA5}
    state.advance(XA5)
    assert state.allowed_ids() == {EOS}


def test_logits_processor_masks_disallowed_tokens(table):
    torch = pytest.importorskip("torch")
    processor = SpanLogitsProcessor(table, ["ab c"])
    prompt = torch.tensor([[X, X, X]])
    scores = torch.zeros((1, len(PIECES) + 4))  # models often pad the vocabulary
    out = processor(prompt, scores)
    allowed = {i for i in range(out.shape[1]) if out[0, i] > float("-inf")}
    assert allowed == {A, AB, B, SP_C, SP}
    out = processor(torch.tensor([[X, X, X, AB]]), torch.zeros((1, len(PIECES))))
    allowed = {i for i in range(out.shape[1]) if out[0, i] > float("-inf")}
    assert allowed == {SP_C, SP, EOS}


def test_logits_processor_keeps_scores_of_allowed_tokens(table):
    torch = pytest.importorskip("torch")
    scores = torch.arange(len(PIECES), dtype=torch.float32).unsqueeze(0)
    out = SpanLogitsProcessor(table, ["b"])(torch.tensor([[X]]), scores.clone())
    assert out[0, B] == scores[0, B]
    assert torch.isinf(out[0, A])


@pytest.mark.parametrize(
    ("stops", "pieces", "expected", "stopped"),
    [
        ((), ["a", "b"], "ab", False),
        (("\n\n",), ["答え", "\n", "\n次"], "答え", True),
        (("END",), ["abc E", "N", "Dxyz"], "abc ", True),
        (("END",), ["abc E", "N", "x"], "abc ENx", False),  # held back, then released
        (("質問:", "\n"), ["了解", "質", "問: 次"], "了解", True),
        (("ab", "b"), ["xab"], "x", True),  # the earliest stop wins
    ],
)
def test_stop_filter(stops, pieces, expected, stopped):
    f = StopFilter(stops)
    out = "".join(f.feed(p) for p in pieces) + f.flush()
    assert out == expected
    assert f.stopped is stopped
