"""The question record: analysed once, read by every stage."""

import pytest

from assistant.answer.question import Question, asks_yes_or_no


@pytest.mark.parametrize("text, lang, counter, wants_number", [
    ("MLA-C01の試験時間は何分ですか？", "ja", "分", True),
    ("MLA-C01は何か国語で受験できますか？", "ja", "か国", True),
    ("How many questions are on the exam?", "en", "question", True),  # corpus.units: 問, question, questions
    ("合格発表はいつですか？", "ja", None, True),
    ("エポックとは何ですか？", "ja", None, False),
    ("What score do you need to pass?", "en", "score", True),
    ("attempts の上限は？", "ja", None, True),  # a limit is an amount
    ("上限を超えるとどうなりますか？", "ja", None, False),
])
def test_what_is_asked(text, lang, counter, wants_number):
    question = Question.analyse(text)
    assert (question.language, question.counter, question.wants_number) == (lang, counter, wants_number)


def test_names_topic_attribute_and_numbers():
    question = Question.analyse("SageMakerの早期停止で最大メモリサイズはいくつですか？ 2024年版")
    assert question.names == ("SageMaker", "2024")
    assert question.topic[0] == ("SageMaker",)
    assert ("早期", "停止") in question.topic
    assert question.attribute == ("最大", "メモリ", "サイズ")
    assert question.stated_numbers == frozenset({"2024"})
    assert "sagemaker" in question.word_forms


def test_the_capitalised_first_word_of_any_english_sentence_is_no_name():
    question = Question.analyse("date(1) points to a tool for finding out which value to put in TZ. Which tool is it?")
    assert "Which" not in question.names and "TZ" in question.names


def test_content_words_leave_out_question_words():
    question = Question.analyse("パイプモードの利点は何ですか？")
    assert "何" not in question.content_words and "利点" in question.content_words


def test_the_record_is_frozen():
    question = Question.analyse("エポックとは？")
    with pytest.raises(AttributeError):
        question.text = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "question, predicate, owner",
    [
        ("検出された問題を自動修正するには何を実行しますか？", "実行", ""),
        ("DNS の代わりに何を使いますか？", "使", ""),  # a verb: its kanji stem, so that 使用 in the notes matches
        ("この学習方式は何と呼ばれますか？", "呼", ""),
        ("Top-Pは候補の何を指定しますか？", "指定", "候補"),
        # no 何 + particle: the verb of the clause that modifies the asked noun
        ("FMT に指定できる精度は何ですか？", "指定", ""),
        ("ランダム以外に使える手法は？", "使", ""),
        ("よく使われる評価指標は？", "", ""),  # a passive: no predicate of the answer's own
        ("試験時間は何分ですか？", "", ""),
        ("What does the %s format print?", "", ""),
    ],
)
def test_asked_predicate_and_owner(question, predicate, owner):
    analysed = Question.analyse(question)
    assert (analysed.predicate, analysed.owner) == (predicate, owner)


@pytest.mark.parametrize("question, expected", [
    ("tar の --delete は圧縮したアーカイブにも使えますか？", True),
    ("名前で範囲を指定できる？", True),  # a chat's yes/no: a predicate and a question mark
    ("行頭にスペースを入れてもよい？", True),
    ("筆者はそれ使ったの？", True),
    ("可用性は？", False),  # a bare topic
    ("非同期推論だと？", False),
    ("何を指定できる？", False),  # a question word
    ("JSON Linesってどんなフォーマット？", False),
    ("Can tar join compressed archives?", False),  # English yes/no questions are told by asked_type
])
def test_a_japanese_yes_or_no_question_is_told_by_its_end(question, expected):
    assert asks_yes_or_no(question) is expected
