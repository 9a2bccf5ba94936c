"""Noun phrases in Japanese candidates (assistant.answer.phrases) and the span choices built on them."""

from __future__ import annotations

import pytest

from assistant.answer.phrases import is_noun_phrase, slot_filler
from assistant.answer.question import Question
from assistant.answer.spans import answer_candidates, asks_for_a_noun


@pytest.mark.parametrize("text, expected", [
    ("モデルの分類や階層化", True),
    ("整理", True),
    ("ファイル内", True),
    ("実際", False),  # a noun used as an adverb
    ("今回", False),
    ("1 と明記する必要があり", False),
    ("過学習の原因となる", False),
    ("大きい", False),
    ("", False),
])
def test_a_noun_phrase_has_no_predicate_and_ends_on_a_noun(text, expected):
    assert is_noun_phrase(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("1 と明記する必要があり", "1"),
    ("REFRESHコマンドで更新することができる", "REFRESHコマンド"),
    ("ＲＥＦＲＥＳＨコマンドを実行する", "ＲＥＦＲＥＳＨコマンド"),  # offsets into the text as written
    # no noun phrase hands itself to the predicate: unchanged
    ("毎月 1 日と 15 日および毎週金曜日の 午前 4:30 にコマンドが実行される", "毎月 1 日と 15 日および毎週金曜日の 午前 4:30 にコマンドが実行される"),
    ("エポックが多すぎると過学習につながる", "エポックが多すぎると過学習につながる"),
    ("モデルの分類や階層化", "モデルの分類や階層化"),
])
def test_the_slot_filler_is_the_noun_phrase_a_predicate_takes(text, expected):
    assert slot_filler(text) == expected


def test_a_question_for_a_thing_gets_the_noun_not_its_clause():
    question = Question.analyse("fstab でルートファイルシステムの fs_passno には何を指定しますか？")
    assert asks_for_a_noun(question)
    sentence = "ルートファイルシステムは *fs_passno* を 1 と明記する必要があり、 その他のパーティションは、 *fs_passno* を 2 にすべきである。"
    assert answer_candidates(question, sentence)[0] == "1"  # a one-digit value is no aside


def test_a_question_for_a_clause_keeps_the_clause():
    question = Question.analyse("L2正則化とは何ですか？")
    assert not asks_for_a_noun(question)
    found = answer_candidates(question, "L2正則化は重みの二乗和をペナルティとして損失に加える手法で、過学習を防ぐ。")
    assert found[0] == "重みの二乗和をペナルティとして損失に加える手法で、過学習を防ぐ"


@pytest.mark.parametrize("question, sentence, expected", [
    ("AIFを保持している状態でMLAに合格すると、AIFはどうなりますか？",
     "上位資格の位置付けのため、AIFを保持している状態でこの試験に合格するとAIFも合わせて期限が更新されます。", "合わせて期限が更新されます"),
    ("What happens to the dispositions of ignored signals when a process calls execve(2)?",
     "During an **execve**(2), the dispositions of handled signals are reset to the default; "
     "the dispositions of ignored signals are left unchanged.", "left unchanged"),
    # without the comma that closes the condition
    ("What happens if a process reads from an empty pipe?",
     "If a process attempts to read from an empty pipe, then read(2) will block until data is available.",
     "then read(2) will block until data is available"),
    # the subject's last mention leaves nothing: the one before it does
    ("What happens by default when a process receives a real-time signal that it has no handler for?",
     "The default action for an unhandled real-time signal is to terminate the receiving process.",
     "to terminate the receiving process"),
])
def test_a_question_for_what_happens_gets_what_becomes_of_its_subject(question, sentence, expected):
    assert Question.analyse(question).wants_outcome
    assert answer_candidates(Question.analyse(question), sentence)[0] == expected


@pytest.mark.parametrize("question, sentence, expected", [
    ("Model Registryのモデルコレクションは何に利用できますか？", "- モデルコレクション: モデルの分類や階層化、整理に利用できる。", "モデルの分類や階層化、整理"),
    ("試験の出題形式は何ですか？", "出題形式は選択問題、並び替え、組み合わせです。", "選択問題、並び替え、組み合わせ"),
])
def test_nouns_listed_with_a_comma_stay_one_candidate(question, sentence, expected):
    assert answer_candidates(Question.analyse(question), sentence)[0] == expected


def test_clauses_and_adverbs_before_a_comma_are_no_list():
    question = Question.analyse("同じカテゴリで両方がそろったのはどの資格ですか？")
    found = answer_candidates(question, "今回、同一カテゴリのSPECIALTYとASSOCIATEが初めてできました。")
    assert not any(c.startswith("今回、") for c in found)
    found = answer_candidates(Question.analyse("学習率を大きくしすぎると何が起きますか？"), "学習率が変化するため、大きくしすぎると発散する。")
    assert not any("ため、" in c for c in found)


def test_a_named_thing_is_no_slot_filler():
    assert slot_filler("次のトークンとして考慮する最も可能性の高い候補の割合") == "次のトークンとして考慮する最も可能性の高い候補の割合"


def test_a_one_digit_stretch_stays_an_aside_for_an_amount():
    question = Question.analyse("cron デーモンはエントリをどのくらいの頻度で調べますか？")
    assert not asks_for_a_noun(question)
    assert answer_candidates(question, "cron(8) は毎分に一度エントリを調べる。")[0] != "8"


def test_the_last_listed_noun_is_kept_when_a_predicate_takes_it():
    found = answer_candidates(Question.analyse("What is SageMaker Feature Store used for?"), "特徴量の作成、保存、共有を行うことができる機能。")
    assert found[0] == "特徴量の作成、保存、共有"


def test_a_conjunction_opening_a_stretch_goes_whole():
    found = answer_candidates(Question.analyse("fstab の各行で、フィールドの区切りに使える文字は何ですか？"),
                              "各行のフィールドは TAB 文字もしくは空白 (spaces) で区切られる。")
    assert "空白" in found and not any(c.startswith("しくは") for c in found)


@pytest.mark.parametrize("question, topic", [
    ("可用性は？", "可用性"),
    ("S3 Express One Zoneの可用性は？", "可用性"),
    ("非同期推論だと？", "非同期推論"),
    ("エポックとは？", ""),  # a definition, not a value
    ("何が違うの？", ""),
    ("可用性はどのくらいですか？", ""),  # asks more than the bare topic
    ("KILL シグナルが送られた場合の終了ステータスは？", "終了ステータス"),
    ("グラフを作ったりデータについて尋ねたりできる機能は？", ""),  # a frame word: which feature, not its value
])
def test_a_bare_question_names_its_topic(question, topic):
    assert Question.analyse(question).bare_topic == topic


def test_a_bare_question_gets_the_value_the_sentence_gives_its_topic():
    sentence = "コンピューティングリソースと同一AZにファイルを格納できるため、可用性は99.5%に落ちるがデータアクセス速度は10倍になる。"
    assert answer_candidates(Question.analyse("可用性は？"), sentence)[0] == "99.5%"
    assert answer_candidates(Question.analyse("データの置き場所は？"), sentence)[0] != "99.5%"
