"""Property-based tests: the chunker, the batch reader and the metrics hold their invariants on arbitrary text."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assistant.batch import answered_ids, read_questions
from corpus.chunking import _FENCE, _HEADING, MAX_HEADING_CHARS, ChunkerSettings, chunk_document
from corpus.errors import InputError
from corpus.loading import Document
from eval.metrics import (
    Bleu,
    CharF1,
    Chrf,
    ExactMatch,
    abstention_scores,
    binary_ndcg,
    first_relevant_rank,
    hit_rate_curve,
    retrieval_scores,
)

# Other helpers load the machine; generous deadlines keep the properties about behaviour, not speed.
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Every code point class at once: controls, NUL, emoji, right-to-left text and marks, line and paragraph separators.
NASTY = "\x00\x01\x07\x0b\x0c\x1b\x1c\x1f\x7f\x85\u00a0\u2028\u2029\u200b\u200f\u202e\u3000\ufeff"
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=400) | st.text(
    st.sampled_from(list("#  長あ|\n")), min_size=280, max_size=700) | st.text(
    st.sampled_from(list(NASTY + "あ。！？!?. 」）|#`~-:\n\t 🤖📚ما هوשלום")), max_size=400
)


def squash(text: str) -> str:
    """The text without any whitespace (str.split's notion, which is also what the chunker strips)."""
    return "".join(text.split())


def is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(char in it for char in needle)


def body_text(text: str) -> str:
    """The document minus its heading lines (outside code fences): what must reappear in the chunks."""
    kept, in_fence = [], False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and len(line) <= MAX_HEADING_CHARS and _HEADING.match(line):
            continue
        kept.append(line)
    return "\n".join(kept)


def check_chunks(text: str, max_chars: int, source: str = "notes/n.md"):
    document = Document(source=source, text=text, sha256="x")
    chunks = chunk_document(document, ChunkerSettings(max_chars=max_chars))
    assert all(len(c.text) <= max_chars for c in chunks), [len(c.text) for c in chunks]
    assert all(c.text.strip() for c in chunks)
    assert len({c.id for c in chunks}) == len(chunks)
    assert all(re.fullmatch(r"[0-9a-f]{16}", c.id) for c in chunks)
    assert all(c.source == source for c in chunks)
    # Stable: the same document always gives the same ids, and they do not depend on the chunker's other inputs.
    assert [c.id for c in chunk_document(document, ChunkerSettings(max_chars=max_chars))] == [c.id for c in chunks]
    return chunks


# --- the chunker -----------------------------------------------------------------------------------------


@PROPERTY
@given(ANY_TEXT, st.integers(1, 300))
def test_chunks_of_arbitrary_text_lose_nothing_and_respect_the_limit(text, max_chars):
    chunks = check_chunks(text, max_chars)
    expected = squash(body_text(text))
    actual = squash("".join(c.text for c in chunks))
    # Nothing lost and the order kept; only repeated table headers may be added.
    assert is_subsequence(expected, actual)
    if "|" not in text:
        assert actual == expected


PLAIN = st.text(st.sampled_from(list("あいう試験合格正則化モデル学習abcXYZ0123 、。！？!?.」）\u3000\t🤖ماשל")), min_size=1, max_size=160)
CELL = st.text(st.sampled_from(list("あいう値項目abc0123 。.")), min_size=1, max_size=60)
NAME = st.text(st.sampled_from(list("あいう見出しABCabc 12")), min_size=1, max_size=20).filter(lambda s: s.strip())


@st.composite
def structured_notes(draw):
    """Markdown notes made of headings, paragraphs, tables (with unique headers) and code fences.

    Returns (text, table headers): each header may legitimately repeat, once per chunk of its table.
    """
    lines: list[str] = []
    headers: list[str] = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["heading", "paragraph", "paragraph", "table", "code"]))
        if kind == "heading":
            lines += [f"{'#' * draw(st.integers(1, 4))} {draw(NAME)}", ""]
        elif kind == "paragraph":
            lines += [p for p in draw(st.lists(PLAIN, min_size=1, max_size=4)) if p.strip()] + [""]
        elif kind == "table":
            n = len(headers)
            width = draw(st.integers(1, 3))
            cells = draw(st.lists(CELL, min_size=width, max_size=width))
            header = [f"| {' | '.join(f'⟦T{n}⟧{c}' for c in cells)} |", "|" + "---|" * width]
            rows = [f"| {' | '.join(draw(st.lists(CELL, min_size=width, max_size=width)))} |"
                    for _ in range(draw(st.integers(0, 12)))]
            headers.append(squash("\n".join(header)))
            lines += header + rows + [""]
        else:
            lines += ["```", *draw(st.lists(st.sampled_from(["# not a heading", "x = 1", "| not | a table |", "コード"]), max_size=4)), "```", ""]
    return "\n".join(lines), headers


@PROPERTY
@given(structured_notes(), st.integers(1, 300))
def test_chunks_of_markdown_notes_hold_all_text_once(case, max_chars):
    text, headers = case
    chunks = check_chunks(text, max_chars)
    actual = squash("".join(c.text for c in chunks))
    for header in headers:
        first = actual.find(header)
        if first >= 0:
            cut = first + len(header)
            actual = actual[:cut] + actual[cut:].replace(header, "")
    assert actual == squash(body_text(text))


@FEW
@given(structured_notes(), st.integers(20, 300))
def test_chunk_ids_depend_only_on_their_own_file(case, max_chars):
    text, _ = case
    alone = chunk_document(Document("a.md", text, "x"), ChunkerSettings(max_chars))
    again = chunk_document(Document("a.md", text + "\n\n## 追加\n\n新しい段落。\n", "y"), ChunkerSettings(max_chars))
    # Appending a section keeps every earlier id (incremental indexing reuses their vectors).
    assert [c.id for c in again[: len(alone)]] == [c.id for c in alone]
    other = chunk_document(Document("b.md", text, "x"), ChunkerSettings(max_chars))
    assert not {c.id for c in alone} & {c.id for c in other}


# --- the batch reader ------------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    """Lines as a reader in universal-newline mode sees them."""
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


@PROPERTY
@given(ANY_TEXT, st.sampled_from(["q.jsonl", "q.txt", "q.json", "questions"]))
def test_read_questions_accounts_for_every_line(tmp_path_factory, text, name):
    path = tmp_path_factory.mktemp("batch") / name
    path.write_text(text, encoding="utf-8")
    batch = read_questions(path)
    ids = [q.id for q in batch.questions]
    assert len(ids) == len(set(ids))
    assert all(q.id.strip() and q.question.strip() for q in batch.questions)
    for q in batch.questions:  # what is read can be written back to the output file
        q.id.encode("utf-8"), q.question.encode("utf-8")
    # Each non-blank line is either a question or a reported problem: nothing is dropped silently.
    assert len(batch.questions) + len(batch.problems) == sum(1 for line in _lines(text) if line.strip())


@PROPERTY
@given(st.binary(max_size=300), st.sampled_from(["q.jsonl", "q.txt"]))
def test_read_questions_on_arbitrary_bytes_raises_only_input_error(tmp_path_factory, data, name):
    path = tmp_path_factory.mktemp("batch") / name
    path.write_bytes(data)
    try:
        batch = read_questions(path)
    except InputError as exc:
        assert "UTF-8" in str(exc)
        return
    assert len({q.id for q in batch.questions}) == len(batch.questions)


ID = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30).filter(lambda s: s.strip())
QUESTION = st.text(st.characters(codec="utf-8"), min_size=1, max_size=200).filter(lambda s: s.strip())


@PROPERTY
@given(st.lists(st.tuples(ID, QUESTION), min_size=1, max_size=15, unique_by=lambda r: r[0].strip()))
def test_jsonl_questions_round_trip_exactly(tmp_path_factory, records):
    path = tmp_path_factory.mktemp("batch") / "q.jsonl"
    path.write_text("".join(json.dumps({"id": i, "question": q}, ensure_ascii=False) + "\n" for i, q in records),
                    encoding="utf-8")
    batch = read_questions(path)
    assert batch.problems == ()
    assert [(q.id, q.question) for q in batch.questions] == [(i.strip(), q) for i, q in records]


@FEW
@given(st.lists(QUESTION.filter(lambda q: not q.lstrip().startswith("{")), min_size=1, max_size=15))
def test_plain_text_questions_keep_their_line_numbers(tmp_path_factory, questions):
    assume(all("\n" not in q and "\r" not in q for q in questions))
    path = tmp_path_factory.mktemp("batch") / "q.txt"
    path.write_text("\n".join(questions) + "\n", encoding="utf-8")
    batch = read_questions(path)
    assert [(q.id, q.question) for q in batch.questions] == [(f"line-{n}", q) for n, q in enumerate(questions, 1)]


@FEW
@given(st.sampled_from(["\ud800", "\udfff", "a\udc80b"]), st.booleans())
def test_lone_surrogates_in_jsonl_are_reported_not_answered(tmp_path_factory, bad, in_id):
    path = tmp_path_factory.mktemp("batch") / "q.jsonl"
    record = {"id": bad if in_id else "x", "question": "質問" if in_id else bad}
    path.write_text(json.dumps(record) + "\n" + json.dumps({"id": "ok", "question": "合格ラインは？"}) + "\n", encoding="utf-8")
    batch = read_questions(path)
    assert [q.id for q in batch.questions] == ["ok"]
    assert len(batch.problems) == 1 and batch.problems[0].startswith("line 1:")


@PROPERTY
@given(st.lists(ID, min_size=1, max_size=15, unique=True), st.booleans())
def test_answered_ids_reads_back_every_written_id(tmp_path_factory, ids, torn):
    path = tmp_path_factory.mktemp("out") / "out.jsonl"
    lines = [json.dumps({"id": i, "answer": f"{i}\u2028\x85答え"}, ensure_ascii=False) + "\n" for i in ids]
    data = "".join(lines) + ('{"id": "torn", "ans' if torn else "")
    path.write_text(data, encoding="utf-8")
    assert answered_ids(path) == set(ids)
    assert path.read_text(encoding="utf-8") == "".join(lines)  # a torn last line is cut off, nothing else


# --- the metrics -----------------------------------------------------------------------------------------

METRIC_TEXT = st.text(st.characters(codec="utf-8"), max_size=60) | st.text(st.sampled_from(list(NASTY + "合格ライン720点 abc。")), max_size=60)


@PROPERTY
@given(METRIC_TEXT, st.lists(METRIC_TEXT, max_size=3))
def test_char_f1_and_exact_match_stay_within_0_and_100(hypothesis_text, references):
    for metric in (CharF1(), ExactMatch()):
        score = metric.sentence_score(hypothesis_text, references)
        assert 0.0 <= score <= 100.0 and not math.isnan(score)
    assert ExactMatch().sentence_score(hypothesis_text, references) in (0.0, 100.0)
    if references:
        assert CharF1().sentence_score(references[0], references) == pytest.approx(100.0)


@FEW
@given(st.lists(st.tuples(METRIC_TEXT, st.lists(METRIC_TEXT, min_size=1, max_size=3)), max_size=5))
def test_bleu_and_chrf_stay_within_0_and_100_on_any_text(pairs):
    hyps = [h for h, _ in pairs]
    refs = [r for _, r in pairs]
    for metric in (Bleu(), Chrf(), CharF1(), ExactMatch()):
        for h, r in pairs:
            assert -1e-9 <= metric.sentence_score(h, r) <= 100.0 + 1e-9
        score = metric.corpus_score(hyps, refs)
        assert -1e-9 <= score <= 100.0 + 1e-9 and not math.isnan(score)


@PROPERTY
@given(st.lists(st.booleans(), max_size=30), st.data())
def test_abstention_scores_stay_within_0_and_1(abstained, data):
    answerable = data.draw(st.lists(st.booleans(), min_size=len(abstained), max_size=len(abstained)))
    scores = abstention_scores(abstained, answerable)
    for value in scores.as_dict().values():
        assert value is None or 0.0 <= value <= 1.0


DOC_ID = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)


@FEW
@given(st.dictionaries(DOC_ID, st.tuples(st.lists(DOC_ID, max_size=15), st.sets(DOC_ID, max_size=4)), min_size=1, max_size=6))
def test_retrieval_scores_stay_within_0_and_1_for_any_ids(case):
    scores = retrieval_scores({q: r for q, (r, _) in case.items()}, {q: rel for q, (_, rel) in case.items()})
    assert scores.n == len(case)
    for values in [scores.means, *scores.per_query.values()]:
        assert all(0.0 <= v <= 1.0 for v in values.values())
        assert values["recall@1"] <= values["recall@3"] <= values["recall@5"] <= values["recall@10"]


@PROPERTY
@given(st.lists(DOC_ID, max_size=20), st.sets(DOC_ID, max_size=5), st.integers(1, 10))
def test_rank_helpers_stay_in_range(ranking, relevant, depth):
    assert 0.0 <= binary_ndcg(ranking, relevant, depth) <= 1.0 + 1e-12
    rank = first_relevant_rank(ranking, relevant)
    assert rank is None or (1 <= rank <= len(ranking) and ranking[rank - 1] in relevant)
    curve = hit_rate_curve([rank], depth)
    assert all(0.0 <= v <= 1.0 for v in curve) and curve == sorted(curve)
