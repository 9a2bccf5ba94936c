"""Gold sets: every shipped file checked against its notes, answer types, clear errors for bad lines and duplicate ids, evidence checks."""

import functools
import json

import pytest

from corpus.chunking import ChunkerSettings, chunk_document
from corpus.errors import InputError
from corpus.loading import load_notes
from corpus.text import evidence_form
from eval.evidence import EvidenceMatcher
from eval.gold import ANSWER_TYPES, GoldItem, answer_type_of, evidence_problems, inferred_answer_type, load_gold
from tests.conftest import REPO

from tests.eval.fakes import CHUNKS


# Every gold set in the repository, with the notes folder it is about: eval/gold/**/*.jsonl are over the default
# notes, eval/corpora/NAME/gold/*.jsonl over eval/corpora/NAME/notes. A file added later is checked too.
GOLD_FILES = sorted(
    [*(REPO / "eval/gold").glob("**/*.jsonl"), *(REPO / "eval/corpora").glob("*/gold/*.jsonl")],
    key=lambda p: p.relative_to(REPO).as_posix(),
)


def notes_folder_of(gold_file):
    if REPO / "eval/gold" in gold_file.parents:
        return REPO / "corpus/notes"
    return gold_file.parent.parent / "notes"


# Items with a span that is a section heading, found only in the chunk's own heading, not in chunk text (the
# DESIGN rule): they ask for a feature's name, and only its heading holds it. Every other span, in every file,
# meets the DESIGN rule.
HEADING_SPAN_ITEMS = {"eval/gold/dev.jsonl": ["q055", "q065", "q071"], "eval/gold/test.jsonl": ["t052", "t053"]}


@functools.cache
def chunks_of(notes):
    return [chunk for document in load_notes(notes).documents for chunk in chunk_document(document, ChunkerSettings())]


def write_jsonl(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_the_shipped_gold_files_load():
    dev, test = load_gold(REPO / "eval/gold/dev.jsonl"), load_gold(REPO / "eval/gold/test.jsonl")
    assert (len(dev), len(test)) == (78, 70)
    assert not {i.id for i in dev} & {i.id for i in test}
    for items in (dev, test):
        assert sum(1 for i in items if not i.answerable) >= 7
        assert all(i.answers and i.evidence for i in items if i.answerable)


def test_the_gold_files_are_found():
    names = [p.relative_to(REPO).as_posix() for p in GOLD_FILES]
    assert {"eval/gold/dev.jsonl", "eval/gold/test.jsonl"} <= set(names)


@pytest.mark.parametrize("gold_file", GOLD_FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_evidence_span_is_in_a_chunk_and_holds_an_answer(gold_file):
    items = load_gold(gold_file)
    chunks = chunks_of(notes_folder_of(gold_file))
    name = gold_file.relative_to(REPO).as_posix()
    assert evidence_problems(items, EvidenceMatcher(chunks)) == HEADING_SPAN_ITEMS.get(name, [])
    assert evidence_problems(items, EvidenceMatcher(chunks, match_headings=True)) == []
    no_answer_in_evidence = [
        item.id
        for item in items
        if item.answerable
        and not any(evidence_form(answer) in evidence_form(span) for answer in item.answers for span in item.evidence)
    ]
    assert no_answer_in_evidence == []


@pytest.mark.parametrize("name", ["dev", "test"])
def test_the_default_gold_sets_give_every_answerable_item_an_answer_type(name):
    items = load_gold(REPO / f"eval/gold/{name}.jsonl")
    assert [i.id for i in items if i.answerable and i.answer_type is None] == []
    assert [i.id for i in items if not i.answerable and i.answer_type is not None] == []


def test_fields_and_defaults(tmp_path):
    path = write_jsonl(
        tmp_path / "g.jsonl",
        [
            {"id": "a", "question": "問題数は？", "answer": ["65問", "65"], "evidence": ["問題数 65問"]},
            {"id": 7, "question": "What is it?", "answer": "x"},
            "",
            {"id": "u", "question": "何か国語？", "answer": "", "evidence": [], "answerable": False},
        ],
    )
    a, seven, u = load_gold(path)
    assert a == GoldItem("a", "問題数は？", ("65問", "65"), ("問題数 65問",), True, "ja", "factoid", "")
    assert (seven.id, seven.lang, seven.evidence) == ("7", "en", ())
    assert (u.answerable, u.kind, u.answers) == (False, "unanswerable", ())
    assert a.answer_type is None and u.answer_type is None


def test_answer_type_is_read_and_validated(tmp_path):
    rows = [{"id": "a", "question": "問題数は？", "answer": "65問", "evidence": ["問題数 65問"], "answer_type": "number"}]
    (item,) = load_gold(write_jsonl(tmp_path / "g.jsonl", rows))
    assert item.answer_type == "number" and answer_type_of(item) == "number"
    assert ANSWER_TYPES == ("number", "date", "name", "phrase", "list", "yesno")


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("65問", "number"),
        ("100~1000点中720点", "number"),
        ("¥20,000 (税別)", "number"),
        ("7.98USD(¥1,247)", "number"),
        ("26%", "number"),
        ("3年", "number"),  # a duration, not a year
        ("3か月", "number"),
        ("2024年4月", "date"),
        ("3月31日", "date"),
        ("2023-11", "date"),
        ("2025/02/13", "date"),
        ("毎年4月", "date"),
        ("Recall、Precision、Accuracy、F-measure", "list"),
        ("メモリ不足・過学習", "list"),
        ("モデルの分類や階層化、整理", "list"),
        ("環境の変化などにより、モデルの精度が低下すること", "phrase"),  # a clause of 13 chars: one sentence
        ("マテリアライズド・ビュー", "name"),  # ・ inside one katakana name
        ("SMOTE", "name"),
        ("Amazon SageMaker Canvas", "name"),
        ("コンセプトドリフト", "name"),
        ("REFRESHコマンド", "name"),
        ("EC2", "name"),  # a digit inside a Latin name is no number
        ("Ver.1.4", "name"),
        (".jsonl", "name"),
        ("L2正則化", "phrase"),
        ("過学習", "phrase"),  # kanji terms are not recognised as names: annotate them
        ("すべての重みを小さくする", "phrase"),
        ("the size and the complexity of the model", "phrase"),  # more than four Latin words
        ("はい", "yesno"),
        ("No.", "yesno"),
    ],
)
def test_inferred_answer_type(answer, expected):
    assert inferred_answer_type(answer) == expected


def test_answer_type_of_falls_back_to_the_first_answer():
    assert answer_type_of(GoldItem("a", "q", ("2024年4月", "4月"), ())) == "date"
    assert answer_type_of(GoldItem("a", "q", ("過学習",), (), answer_type="name")) == "name"
    assert answer_type_of(GoldItem("u", "q", (), (), answerable=False)) is None


@pytest.mark.parametrize(
    "rows, message",
    [
        ([{"id": "a", "question": "q", "answer": "x"}, {"id": "b", "answer": "x"}], "line 2: missing `question`"),
        ([{"question": "q", "answer": "x"}], "line 1: missing `id`"),
        ([{"answer": "x"}], "line 1: missing `id` and `question`"),
        ([{"id": "a", "question": "q", "answer": "x"}, "", "{not json"], "line 3 is not valid JSON"),
        ([["a"]], "line 1: expected a JSON object"),
        ([{"id": "a", "question": "  ", "answer": "x"}], "`question` must be a non-empty string"),
        ([{"id": "a", "question": "q"}], "item a is answerable but has no `answer`"),
        ([{"id": "a", "question": "q", "answer": "x", "answerable": False}], "`answer` and `evidence` must be empty"),
        ([{"id": "a", "question": "q", "answer": "x", "answerable": "yes"}], "`answerable` must be true or false"),
        ([{"id": "a", "question": "q", "answer": 65}], "`answer` must be a string or a list of strings"),
        ([{"id": "a", "question": "q", "answer": "x", "answer_type": "count"}], "`answer_type` must be one of: number, date,"),
        ([{"id": "a", "question": "q", "answer": "x", "answer_type": 1}], "`answer_type` must be one of"),
        ([{"id": "u", "question": "q", "answer": "", "answerable": False, "answer_type": "name"}], "so it has no `answer_type`"),
    ],
)
def test_bad_lines_name_the_line_and_field(tmp_path, rows, message):
    path = write_jsonl(tmp_path / "g.jsonl", rows)
    with pytest.raises(InputError) as err:
        load_gold(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_duplicate_ids_are_named(tmp_path):
    rows = [{"id": i, "question": "q", "answer": "x"} for i in ("q1", "q2", "q1", "q3", "q2")]
    with pytest.raises(InputError, match="duplicate ids: q1, q2$"):
        load_gold(write_jsonl(tmp_path / "g.jsonl", rows))


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_gold(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="has no questions"):
        load_gold(tmp_path / "empty.jsonl")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("| 問題数 | 65問 |", "問題数65問"),
        ("**重要** `code` # 見出し", "重要code見出し"),
        ("６５問 (うち１５問)", "65問(うち15問)"),
        ("a\tb\nc　d", "abcd"),  # ideographic space too
    ],
)
def test_evidence_form(text, expected):
    assert evidence_form(text) == expected


def test_evidence_matching_follows_the_design_rule():
    matcher = EvidenceMatcher(CHUNKS, match_headings=True)
    assert matcher.chunks_with("問題数 65問") == ["c1"]  # table row: | and spaces ignored
    assert matcher.chunks_with("**L2正則化**はすべての重みを小さくする") == ["c2"]
    assert matcher.chunks_with("Amazon SageMaker Canvas") == ["c4"]  # the chunk's own heading, when asked for
    assert matcher.chunks_with("SageMaker") == ["c4"]
    assert matcher.chunks_with("ML") == []  # an ancestor heading does not count
    assert matcher.chunks_with("") == []
    assert EvidenceMatcher(CHUNKS).chunks_with("Amazon SageMaker Canvas") == []  # the default is the DESIGN rule


def test_evidence_problems_name_items_with_a_span_in_no_chunk():
    items = [
        GoldItem("ok", "q", ("65問",), ("問題数 65問",)),
        GoldItem("bad", "q", ("x",), ("問題数 65問", "ノートにない文")),
        GoldItem("none", "q", ("x",), ()),
        GoldItem("u", "q", (), (), answerable=False),
    ]
    assert evidence_problems(items, CHUNKS) == ["bad", "none"]
