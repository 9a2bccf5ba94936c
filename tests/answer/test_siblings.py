"""Sibling list items: the item a question leaves out of a list whose other items it names."""

from __future__ import annotations

import pytest

from assistant.answer.siblings import asked_siblings, item_text, list_runs, named_stretch

DRIFT = "環境の変化などにより、モデルの精度が低下すること。\n\n  • コンセプトドリフト\n  • データドリフト\n\nの2つに分けられる。"
STEPS = "機械学習は大きく\n\n  1. 前処理\n  2. 学習\n  3. 推論\n\nのプロセスに分けられる。"
RULES = "  • L1正則化:一部の特徴を削除(0に)する。重要でない特徴を削除することで過剰適合対策になる。\n  • L2正則化:すべての特徴の全体的な重み値を小さくする。"


def test_lists_are_runs_of_item_lines():
    assert list_runs(DRIFT) == [["コンセプトドリフト", "データドリフト"]]
    assert list_runs(STEPS) == [["前処理", "学習", "推論"]]
    assert list_runs("- one item only\n\ntext") == []
    assert item_text("  • コンセプトドリフト") == "コンセプトドリフト" and item_text("1. 前処理") == "前処理"


@pytest.mark.parametrize("question, text, asked", [
    ("ドリフトはデータドリフトともう1つ何に分けられますか？", DRIFT, ("コンセプトドリフト",)),
    ("機械学習のプロセスで、前処理と学習の次に来る段階は？", STEPS, ("推論",)),  # next: the item after the last named
    ("前処理以外の段階は？", STEPS, ("学習", "推論")),
    ("Apart from data drift (データドリフト), what kind of drift is there?", DRIFT, ("コンセプトドリフト",)),
    ("データドリフトとは何ですか？", DRIFT, ()),  # asks for no other item
    ("もう1つの段階は？", STEPS, ()),  # names no item
    ("前処理、学習、推論の他には？", STEPS, ()),  # names every item
    ("L1正則化以外の正則化は？", RULES, ()),  # items that are statements, not names
])
def test_the_items_a_question_leaves_out(question, text, asked):
    assert asked_siblings(question, [text]) == asked


def test_of_several_lists_the_one_with_most_items_named_is_asked():
    modes = "データセットの格納先としては\n\n  • S3\n  • EFS\n  • FSx\n\nがある。\n\n  • ファイルモード\n  • 高速ファイルモード\n  • パイプモード\n"
    question = "S3をストレージとする場合、ファイルモードと高速ファイルモードのほかにどの入力モードがありますか？"
    assert asked_siblings(question, [modes]) == ("パイプモード",)
    assert asked_siblings(question, [STEPS, modes]) == ("パイプモード",)
    # the items are named where the question says which it means another than: not the S3 of its opening clause
    assert asked_siblings("S3の他にどの入力モードがありますか？", [modes]) == ("EFS", "FSx")
    assert asked_siblings("Besides file mode and fast file mode, which input mode is there when S3 is the storage?", [modes]) == ()


def test_the_stretch_that_names_the_other_items():
    assert named_stretch("S3をストレージとする場合、ファイルモードと高速ファイルモードのほかにどの入力モードがありますか？") == "ファイルモードと高速ファイルモードの"
    assert named_stretch("Apart from data drift, what kind of drift is there?") == " data drift"
    assert named_stretch("データドリフトとは何ですか？") == ""
