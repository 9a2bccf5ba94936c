"""Item bank building: every type from a small fixture, the DESIGN schema, determinism, and the gates."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from corpus.text import comparable

from corpus.text import evidence_form
from assistant.quiz.build import build_bank
from assistant.quiz.gates import NotesText, first_failure
from assistant.quiz.items import BLANK, ItemType, read_bank


def test_every_type_is_built_from_the_fixture(quiz_bank):
    _, items, summary = quiz_bank
    counts = {t: sum(1 for i in items if i.type is t) for t in ItemType}
    assert all(n >= 1 for n in counts.values()), counts
    assert summary.total == len(items)


def test_records_follow_the_bank_schema(quiz_bank, quiz_notes):
    path, items, _ = quiz_bank
    notes = evidence_form((quiz_notes / "notes.md").read_text(encoding="utf-8"))
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert set(record) <= {"id", "type", "stem", "options", "prompts", "answer", "answer_text", "source", "evidence", "domain"}
        assert set(record["source"]) == {"chunk_id", "source", "heading_path"}
        kind = record["type"]
        if kind == "cloze":
            assert record["stem"].count(BLANK) == 1
        else:
            assert record["answer_text"] == [record["options"][i] for i in record["answer"]]
        if kind == "matching":
            assert len(record["prompts"]) == len(record["answer"])
            assert all(evidence_form(p) in evidence_form(record["evidence"]) for p in record["prompts"])
        if kind == "multiple":
            assert record["answer"] == sorted(record["answer"]) and len(record["answer"]) >= 2 and len(record["options"]) >= 5
        if kind == "single":
            assert len(record["options"]) == 4 and len(record["answer"]) == 1
        if kind == "ordering":
            assert 3 <= len(record["options"]) <= 5 and sorted(record["answer"]) == list(range(len(record["options"])))
        assert all(evidence_form(t) in evidence_form(record["evidence"]) for t in record["answer_text"])
        assert evidence_form(record["evidence"]) in notes


def test_the_same_seed_gives_a_byte_identical_file(quiz_index, tmp_path):
    build_bank(quiz_index, tmp_path / "a.jsonl", seed=11)
    build_bank(quiz_index, tmp_path / "b.jsonl", seed=11)
    build_bank(quiz_index, tmp_path / "c.jsonl", seed=12)
    a = (tmp_path / "a.jsonl").read_bytes()
    assert a == (tmp_path / "b.jsonl").read_bytes()
    assert a != (tmp_path / "c.jsonl").read_bytes()
    ids = [json.loads(line)["id"] for line in a.decode().splitlines()]
    assert len(ids) == len(set(ids))


def test_no_built_item_fails_a_gate_when_checked_again(quiz_bank, quiz_notes):
    _, items, _ = quiz_bank
    notes = NotesText([(quiz_notes / "notes.md").read_text(encoding="utf-8")], [])
    seen: set[str] = set()
    assert [first_failure(i, notes, seen) for i in items] == [None] * len(items)


@pytest.fixture
def gate_notes(quiz_notes):
    from corpus.chunking import units

    text = (quiz_notes / "notes.md").read_text(encoding="utf-8")
    return NotesText([text], units(text))


def _single(items):
    return next(i for i in items if i.type is ItemType.SINGLE and "次の説明" in i.stem and "手法" in i.stem)


@pytest.mark.parametrize("change, gate", [
    (lambda i: replace(i, evidence="まったく関係のない文。"), "key_in_evidence"),
    (lambda i: replace(i, evidence=i.evidence + " 捏造"), "evidence_in_notes"),
    (lambda i: replace(i, stem=i.stem + i.answer_text[0]), "key_in_stem"),
    (lambda i: replace(i, options=(i.answer_text[0],) * 2 + tuple(o for o in i.options if o != i.answer_text[0])[:2],
                       answer=(0,)), "repeated_option"),
    (lambda i: replace(i, options=tuple("上記のすべて" if n not in i.answer else o for n, o in enumerate(i.options[:1])) + i.options[1:])
     if 0 not in i.answer else replace(i, options=(i.options[0], "上記のすべて", *i.options[2:])), "all_of_the_above"),
    (lambda i: replace(i, options=tuple(o if n in i.answer else o * 12 for n, o in enumerate(i.options))), "option_lengths"),
    (lambda i: replace(i, options=(i.options[0], i.options[1], i.options[2])), "shape"),
])
def test_gates_reject_bad_items(quiz_bank, gate_notes, change, gate):
    _, items, _ = quiz_bank
    bad = change(_single(items))
    assert first_failure(bad, gate_notes, set()) == gate


def test_duplicate_stems_are_rejected(quiz_bank, gate_notes):
    _, items, _ = quiz_bank
    item = _single(items)
    seen: set[str] = set()
    assert first_failure(item, gate_notes, seen) is None
    assert first_failure(item, gate_notes, seen) == "duplicate_stem"


def test_a_distractor_the_notes_state_as_right_is_rejected(quiz_bank, gate_notes):
    _, items, _ = quiz_bank
    multiple = next(i for i in items if i.type is ItemType.MULTIPLE)
    # S3, EFS and FSx are all storage targets: offering the unchosen sibling as a distractor would make it right too.
    keys = ["S3", "EFS"]
    options = (*keys, "FSx", "EC2", "RDS")
    bad = replace(multiple, stem="【ストレージ】データセットの格納先としては（　）がある。\n（　）に挙げられているものを2つ選べ。",
                  options=options, answer=(0, 1), answer_text=tuple(keys), siblings=(options[2],),
                  evidence="- S3\n- EFS\n- FSx")
    assert first_failure(replace(bad, siblings=()), gate_notes, set()) is None
    assert first_failure(bad, gate_notes, set()) == "distractor_stated_right"


def test_an_ambiguous_blank_is_rejected(quiz_bank, gate_notes):
    _, items, _ = quiz_bank
    cloze = next(i for i in items if i.type is ItemType.CLOZE)
    good = replace(cloze, stem="空欄に入る語句を答えよ。\n特徴量の作成、保存、____を行うことができる機能。", answer_text=("共有",),
                   evidence="特徴量の作成、保存、共有を行うことができる機能。")
    assert first_failure(good, gate_notes, set()) is None
    # The notes fill 「SageMaker AIには____統合機能がある。」 with MLflow and with TensorBoard.
    ambiguous = replace(cloze, stem="空欄に入る語句を答えよ。\nSageMaker AIには____統合機能がある。", answer_text=("MLflow",),
                        evidence="SageMaker AIにはMLflow統合機能がある。")
    assert first_failure(ambiguous, gate_notes, set()) == "blank_ambiguous"


def test_read_bank_names_a_bad_line(tmp_path):
    from corpus.errors import InputError

    path = tmp_path / "bank.jsonl"
    path.write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        read_bank(path)


# --- the gates and filters added for the read-through's flaws: each rejects a bad item and keeps a good one ----------

def test_the_authors_study_log_and_plans_are_not_facts():
    from assistant.quiz.build import is_statement
    from assistant.quiz.facts import is_log_section

    assert is_log_section("勉強に使ったもの > 2. AWS公式練習問題")
    assert is_log_section("受験後") and is_log_section("勉強(試験準備)の流れ > 1. 試験ガイドを読む")
    assert not is_log_section("勉強になったことメモ > Amazon SageMaker > Amazon SageMaker Canvas")  # the notes
    assert not is_log_section("試験の概要 > 出題範囲") and not is_log_section("第 1 分野: データ準備")
    assert not is_statement("ただ、Recall、Precision、Accuracy、F-measureあたりは違いを覚え直しておく。")
    assert not is_statement("過去の学習時の記録を読み返した。") and not is_statement("来年も受験したい。")
    assert is_statement("エポックが多すぎると過学習につながる。")


def test_log_sections_give_no_items_and_no_distractors(tmp_path):
    from index.builder import build_index
    from assistant.quiz.build import build_items
    from index.storage import read_index

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "n.md").write_text(
        "# 記録\n\n## 勉強に使ったもの\n\n| 教材 | 内容 |\n|---|---|\n| 問題集A | 有料の問題集で165問ある。 |\n"
        "| 練習問題B | 無料で提供されている20問の練習問題。 |\n| 動画C | 英語の動画で日本語字幕がある教材。 |\n\n"
        "## 勉強になったことメモ\n\n| 手法 | 概要 |\n|---|---|\n| グリッド検索 | すべての組み合わせを検証する。 |\n"
        "| ランダム検索 | ランダムに選択された組み合わせを検証する。 |\n| ベイズ最適化 | 前回の結果を下に次の値を決めていく。 |\n",
        encoding="utf-8")
    build_index(notes, tmp_path / "idx", embedder_name="fake-hash", progress=False)
    items = build_items(read_index(tmp_path / "idx"))
    shown = " ".join(i.stem + " ".join(i.options) + " ".join(i.prompts) for i in items)
    assert items and "問題集A" not in shown and "練習問題B" not in shown


def test_distractors_come_from_the_keys_heading_family(quiz_index):
    from index.storage import read_index
    from assistant.quiz.build import Builder
    import random

    builder = Builder(read_index(quiz_index), 0)
    glossary = builder.glossary
    chunk = next(f.chunk for f in builder.facts if f.chunk.heading_path.endswith("Experiments"))
    chosen = glossary.distractors(["Experiments"], chunk.id, 5, random.Random(0))
    family = " > ".join(chunk.heading_path.split(" > ")[:-1])
    sections = {t.text: t.section for t in glossary.terms}
    assert chosen and all(sections[c].startswith(family) for c in chosen)  # サービス's sections only
    assert "S3" not in chosen and "グリッド検索" not in chosen


def test_near_variants():
    from assistant.quiz.glossary import near_variant

    assert near_variant("TensorBoard", "TensorBoad") and near_variant("サーバーレス", "サーバレス")
    assert not near_variant("Top-K", "Top-P") and not near_variant("L1正則化", "L2正則化")
    assert not near_variant("テキスト生成タスクの精度評価", "テキスト要約タスクの精度評価")


def _cloze(items):
    return next(i for i in items if i.type is ItemType.CLOZE)


def test_a_distractor_that_spells_the_key_is_rejected(quiz_bank, gate_notes):
    _, items, _ = quiz_bank
    single = next(i for i in items if i.type is ItemType.SINGLE and i.answer_text[0] == "Hyperband")
    assert first_failure(single, gate_notes, set()) is None
    first_distractor = min(j for j in range(4) if j not in single.answer)
    options = tuple("Hyperbands" if n == first_distractor else o for n, o in enumerate(single.options))
    assert first_failure(replace(single, options=options), gate_notes, set()) == "near_variant_option"


def test_a_stem_that_spells_the_key_is_rejected(quiz_bank, gate_notes):
    _, items, _ = quiz_bank
    cloze = _cloze(items)
    good = replace(cloze, stem="空欄に入る語句を答えよ。\nSageMaker AIには____統合機能がある。", answer_text=("TensorBoard",),
                   evidence="SageMaker AIにはTensorBoard統合機能がある。")
    variant = replace(good, stem="空欄に入る語句を答えよ。\nSageMaker AIには「TensorBoad」という____統合機能がある。")
    glossed = replace(good, stem="空欄に入る語句を答えよ。\nPruningとも呼ばれる____は推論を速くする手法である。",
                      answer_text=("Pruning(枝刈り)",), evidence="Pruning(枝刈り)は推論を速くする手法である。")
    assert first_failure(good, NotesText([good.evidence], []), set()) is None
    assert first_failure(variant, NotesText([good.evidence], []), set()) == "key_variant_in_stem"
    assert first_failure(glossed, NotesText([glossed.evidence], []), set()) == "key_variant_in_stem"


def test_a_fragment_stem_is_rejected(quiz_bank, gate_notes):
    _, items, _ = quiz_bank
    cloze = _cloze(items)
    good = replace(cloze, stem="空欄に入る語句を答えよ。\n____ではファイルをダウンロードせずに、データを直接ストリーミング処理する。",
                   answer_text=("パイプモード",), evidence="パイプモードではファイルをダウンロードせずに、データを直接ストリーミング処理する。")
    assert first_failure(good, gate_notes, set()) is None
    notes = NotesText(["また、S3をストレージとする場合", "S3にはデータを置く"], [])
    fragment = replace(cloze, stem="空欄に入る語句を答えよ。\nまた、____をストレージとする場合", answer_text=("S3",),
                       evidence="また、S3をストレージとする場合")
    short = replace(cloze, stem="空欄に入る語句を答えよ。\n____にはデータを置く", answer_text=("S3",), evidence="S3にはデータを置く")
    assert first_failure(fragment, notes, set()) == "fragment_stem"
    assert first_failure(short, notes, set()) == "fragment_stem"


def test_shown_text_has_no_inline_markdown_and_its_evidence_is_found(tmp_path):
    from index.builder import build_index
    from assistant.quiz.build import build_items, notes_text
    from index.storage import read_index

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "pipe.md").write_text(
        "# pipe(7)\n\n## Options\n\n| Option | Meaning |\n|---|---|\n| **\\-a** | list *all* entries, hidden ones too |\n"
        "| **\\-l** | use a long listing format for each entry |\n| **\\-r** | reverse the order while sorting entries |\n"
        "| **\\-t** | sort by time, the newest entries first |\n", encoding="utf-8")
    build_index(notes, tmp_path / "idx", embedder_name="fake-hash", progress=False)
    stored = read_index(tmp_path / "idx")
    items = build_items(stored)
    assert items
    text = notes_text(stored)
    for item in items:
        shown = item.stem + "".join(item.options) + "".join(item.prompts) + "".join(item.answer_text)
        assert "**" not in shown and "\\" not in shown
        assert text.contains(item.evidence)
        assert all(evidence_form(t) in evidence_form(item.evidence) for t in item.answer_text)


def test_term_stems_are_questions_the_round_trip_asks_as_they_are(quiz_bank):
    from assistant.quiz.roundtrip import question_for

    _, items, _ = quiz_bank
    what = [i for i in items if i.stem.endswith("とは何か。")]
    assert what, "term -> description items ask 「X」とは何か。"
    assert all(question_for(i).endswith("とは何か？") and not i.stem.startswith("【") for i in what)


def test_section_titles_are_never_terms_and_wide_families_give_distractors_of_the_keys_kind(quiz_index):
    from index.storage import read_index
    from assistant.quiz.build import Builder
    import random

    builder = Builder(read_index(quiz_index), 0)
    glossary = builder.glossary
    texts = {t.text for t in glossary.terms}
    # 機械学習基礎, ストレージ and サービス have subsections: section titles, not concepts. Leaf headings stay terms.
    assert not {"機械学習基礎", "ストレージ", "サービス"} & texts and {"正則化", "パイプモード", "Canvas"} <= texts
    # ストレージ's family is the whole notes (wide: it holds section titles), so S3's distractors must be list items
    # written in Latin letters like S3, and there are none outside its own list: no distractor at all, not 調整戦略.
    chunk = next(f.chunk for f in builder.facts if f.chunk.heading_path.endswith("ストレージ"))
    assert glossary.is_wide("")
    assert glossary.distractors(["S3"], chunk.id, 3, random.Random(0), group=glossary.by_form["s3"].group) == []
    # 正則化 lies under 機械学習基礎, whose sections are all leaves: a narrow family, distractors as before.
    chunk = next(f.chunk for f in builder.facts if f.chunk.heading_path.endswith("正則化"))
    assert not glossary.is_wide("学習ノート > 機械学習基礎")
    assert glossary.distractors(["L2正則化"], chunk.id, 2, random.Random(0))
    # a leaf heading's distractors in a wide family are its sibling leaf headings
    chunk = next(f.chunk for f in builder.facts if f.chunk.heading_path.endswith("Compute Optimizer"))
    chosen = glossary.distractors(["Compute Optimizer"], chunk.id, 3, random.Random(0),
                                  group=glossary.by_form[comparable("Compute Optimizer")].group)
    key_group = glossary.by_form[comparable("Compute Optimizer")].group
    assert key_group.startswith("heading:") and key_group.endswith("サービス")
    assert chosen and all(glossary.by_form[comparable(c)].group == key_group for c in chosen)


def test_a_word_of_the_stem_that_only_the_key_repeats_is_rejected(quiz_bank, gate_notes):
    _, items, _ = quiz_bank
    single = next(i for i in items if i.type is ItemType.SINGLE and i.answer_text[0] == "Hyperband")
    assert first_failure(single, gate_notes, set()) is None
    # The row of ランダム検索 says 「ランダムに選択された」: only the key repeats the stem's word ランダム.
    random_search = "| ランダム検索 | 訓練回数を指定し、ランダムに選択された組み合わせを検証する。 |"
    given = replace(single, stem="【調整戦略】次の説明に当てはまる手法はどれか。\n「訓練回数を指定し、ランダムに選択された組み合わせを検証する。」",
                    answer=(single.options.index("ランダム検索"),), answer_text=("ランダム検索",), evidence=random_search)
    assert first_failure(given, gate_notes, set()) == "stem_word_only_in_keys"
    # a stem word that distractors repeat too (グリッド検索, ランダム検索 for 検索) singles nothing out
    lure = replace(single, stem="【検索の手法と比べて】" + single.stem)
    assert first_failure(lure, gate_notes, set()) is None


def test_a_stem_that_leans_on_the_sentence_before_is_rejected(quiz_bank, gate_notes):
    from assistant.quiz.gates import leans_on_previous

    _, items, _ = quiz_bank
    cloze = _cloze(items)
    good = replace(cloze, stem="空欄に入る語句を答えよ。\n特徴量の作成、保存、____を行うことができる機能。", answer_text=("共有",),
                   evidence="特徴量の作成、保存、共有を行うことができる機能。")
    assert first_failure(good, gate_notes, set()) is None
    leaning = replace(good, stem="【Feature Store】空欄に入る語句を答えよ。\nまた、特徴量の作成、保存、____を行うことができる。")
    assert first_failure(leaning, gate_notes, set()) == "leaning_stem"
    assert all(leans_on_previous(s) for s in ("また、X。", "さらにX。", "そのためX。", "しかしX。", "ただし、X。", "これによりX。",
                                               "それ以外はX。", "一方、X。", "このアプローチはX。", "その際のX。"))
    assert not any(leans_on_previous(s) for s in ("データの準備をする。", "一方向の通信を行う。", "その他の手法もある。",
                                                   "マテリアライズド・ビューを利用する。"))
    # and the builder makes no item from such a sentence
    assert not any(leans_on_previous(line.split("】")[-1]) for i in items for line in i.stem.split("\n"))
