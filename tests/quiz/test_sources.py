"""The item sources beyond one term per sentence: amounts, code-like names, a second name in a sentence, which
term–description pairings are right, and distractors chosen so that option lengths stay comparable."""

from __future__ import annotations

import pytest

from corpus.text import comparable, evidence_form

from assistant.quiz.build import Builder, build_bank, example_slot, fitting, head_noun, lengths_fit, value_kind
from assistant.quiz.facts import identifiers, marked_names, prose_weight, quantities
from assistant.quiz.gates import NotesText, first_failure
from assistant.quiz.items import BLANK, ItemType, read_bank

SOURCE_NOTES = """# ノート

## 推論

### 推論オプション

| 推論オプション | 推奨ケース |
|---|---|
| リアルタイム推論 | 低レイテンシが要求されるオンライン推論、最大60秒 |
| サーバーレス推論 | 断続的なトラフィックパターンを伴う処理 |
| バッチ変換 | 永続的なエンドポイントが必要ない場合のオフライン処理、最小100MB以上の入力 |
| 非同期推論 | 大きなペイロードや長時間の処理を要する推論、最大60分 |

### S3 Express One Zone

レイテンシーの影響を受けやすいアプリケーション用に設計されたストレージクラス。
同一AZにファイルを格納できるため、可用性は99.5%に落ちるがデータアクセス速度は10倍になる。

## データベース

### マテリアライズド・ビュー

マテリアライズド・ビューはREFRESHコマンドで更新することができる。

### 権限の管理

他のロールを継承しているロールの削除時はFORCEの指定が必要。

### テンソルの基礎

- スカラー: 大きさのみを表す単一の値
- ベクトル: 複数のスカラーを並べた1次元の配列
- テンソル: スカラーやベクトルを複数まとめた多次元配列

## 運用

### ヘッドルーム

将来的な増加を考慮した使用率の余白。

### ルックバック期間

推奨事項の分析のために遡る過去の期間。

### オプション

オプションとして、CPU使用率のヘッドルームと分析のルックバック期間を指定できる。

### ファイル形式

CSV、Parquetなどの行列の形式にできるデータを構造化データと呼ぶ。
"""


@pytest.fixture(scope="module")
def source_index(tmp_path_factory):
    from index.builder import build_index

    folder = tmp_path_factory.mktemp("source-notes")
    (folder / "notes.md").write_text(SOURCE_NOTES, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("source-index") / "idx"
    build_index(folder, index_dir, embedder_name="fake-hash", progress=False)
    return folder, index_dir


@pytest.fixture(scope="module")
def source_bank(source_index, tmp_path_factory):
    folder, index_dir = source_index
    path = tmp_path_factory.mktemp("source-bank") / "bank.jsonl"
    summary = build_bank(index_dir, path, seed=3)
    return read_bank(path), summary


def _with_key(items, key, kind=None):
    return [i for i in items if key in i.answer_text and (kind is None or i.type is kind)]


def test_amounts_are_blanked_with_their_unit_left_in_the_stem(source_bank):
    items, _ = source_bank
    for key, unit in (("99.5", "%"), ("10", "倍")):
        found = _with_key(items, key, ItemType.CLOZE)
        assert found, key
        assert f"{BLANK}{unit}" in found[0].stem
        assert key in found[0].evidence
    # an amount inside a table's description: the row's term names what it is about
    row = _with_key(items, "100", ItemType.CLOZE)
    assert row and "バッチ変換:" in row[0].stem and f"最小{BLANK}MB" in row[0].stem


def test_one_sentence_gives_an_item_per_amount(source_bank):
    items, _ = source_bank
    sentence = "同一AZにファイルを格納できるため、可用性は99.5%に落ちるがデータアクセス速度は10倍になる。"
    keys = {i.answer_text[0] for i in items if i.evidence == sentence}
    assert {"99.5", "10"} <= keys


def test_code_like_names_are_blanked_as_typed_answers(source_bank):
    items, _ = source_bank
    for key in ("REFRESH", "FORCE"):
        found = _with_key(items, key)
        assert found and found[0].type is ItemType.CLOZE and BLANK in found[0].stem, key


def test_a_second_specific_name_in_a_sentence_gives_its_own_item(source_bank):
    items, _ = source_bank
    sentence = "オプションとして、CPU使用率のヘッドルームと分析のルックバック期間を指定できる。"
    keys = {i.answer_text[0] for i in items if i.evidence == sentence}
    assert {"ヘッドルーム", "ルックバック期間"} <= keys, keys


def test_no_typed_blank_for_one_example_of_an_open_list(source_bank):
    items, _ = source_bank
    sentence = "CSV、Parquetなどの行列の形式にできるデータを構造化データと呼ぶ。"
    assert not [i for i in items if i.evidence == sentence and i.type is ItemType.CLOZE
                and i.answer_text[0] in ("CSV", "Parquet")]
    assert example_slot(sentence, 0, 3) and example_slot(sentence, 4, 11)
    assert not example_slot("マテリアライズド・ビューはREFRESHコマンドで更新する。", 13, 20)


def test_a_definition_whose_head_noun_no_distractor_shares_gives_no_item(source_bank):
    items, _ = source_bank
    assert head_noun("適正サイズの推奨事項を提供するサービス。") == "サービス"
    assert head_noun("更新することができる。") == ""
    # the section's defining sentence 「…ストレージクラス。」: no other description is a クラス
    assert not [i for i in items if i.stem == "「S3 Express One Zone」とは何か。"]
    for item in items:  # a section's definition (heading line + sentence as evidence) among descriptions of its kind
        if item.type is ItemType.SINGLE and item.stem.endswith("とは何か。") and "\n" in item.evidence:
            heads = [head_noun(o) for o in item.options]
            assert heads.count(head_noun(item.answer_text[0])) >= 2, item.options


def test_pairings_of_a_table_and_of_a_term_list(source_bank):
    items, _ = source_bank
    pairings = [i for i in items if i.type is ItemType.MULTIPLE and "組み合わせとして正しいもの" in i.stem]
    assert len(pairings) == 2
    for item in pairings:
        assert len(item.answer) == 2 and len(item.options) == 5
        # every key is a pairing the notes write; every distractor pairs a term with another one's description
        for n, option in enumerate(item.options):
            assert (evidence_form(option) in evidence_form(item.evidence)) == (n in item.answer), option
        assert lengths_fit(list(item.options))


def test_every_item_of_the_new_sources_passes_the_gates_again(source_index, source_bank):
    folder, _ = source_index
    items, summary = source_bank
    notes = NotesText([(folder / "notes.md").read_text(encoding="utf-8")], [])
    assert summary.total == len(items) and len(items) >= 15
    assert {i.type for i in items} >= {ItemType.SINGLE, ItemType.MULTIPLE, ItemType.MATCHING, ItemType.CLOZE}
    for item in items:
        assert first_failure(item, notes, set()) is None, item.stem


def test_quantities_skip_names_dates_years_and_range_bounds():
    assert [s.text for s in quantities("最大60秒、可用性は99.5%、¥20,000 (税別)")] == ["60", "99.5", "20,000"]
    assert quantities("EC2 と MLA-C01、Ver.1.4、2025/02/13、2024年度") == []
    assert [s.text for s in quantities("100~1000点中720点")] == ["720"]
    assert [s.text for s in quantities("at least 512 bytes")] == ["512"]


def test_identifiers_are_whole_names_and_not_references():
    text = "REFRESHコマンド、TensorFlowとmax_depth、--all、AWS、see mount(8) and inform"
    assert [s.text for s in identifiers(text)] == ["REFRESH", "TensorFlow", "max_depth", "--all", "AWS"]
    assert [s.text for s in identifiers("logged user information", frozenset({"at"}))] == []
    assert [s.text for s in identifiers("run at noon", frozenset({"at"}))] == ["at"]
    assert marked_names("use **fsck**(8) or `tune2fs` or **two words**") == {"fsck", "tune2fs"}
    # the longest marked name wins, whatever the set's order: 「inetd.conf(5)」 is a reference, not 「inetd」 + .conf(5)
    for names in (frozenset({"inetd", "inetd.conf"}), frozenset({"inetd.conf", "inetd"})):
        assert identifiers("see inetd.conf(5) for it", names) == []


def test_prose_weight_tells_prose_from_synopsis_lines():
    assert prose_weight("-I[FMT], --iso-8601[=FMT]") < 12
    assert prose_weight("|  -8e  |  32 MiB  |  8  |  370 MiB |") < 12
    assert prose_weight("マテリアライズド・ビューはREFRESHコマンドで更新することができる。") >= 12
    assert prose_weight("POSIX.1 requires PIPE_BUF to be at least 512 bytes.") >= 12


def test_distractors_keep_option_lengths_comparable_and_amounts_their_unit():
    key = "前回の結果を下に次の値を決めていくアルゴリズム"
    long_ = "中間結果と最終結果の両方を使用して、使用率の高いハイパーパラメータ構成にエポックを再割り当てし、パフォーマンスの低いものは自動的に停止する。"
    short = "次の値を決める"
    others = ["訓練回数を指定し、ランダムに選択された組み合わせを検証する。", "値の範囲をすべて検証する。", "前回の結果を使う手法"]
    picked = fitting(key, [long_, others[0], short, others[1], key, others[2]], 3)
    assert picked == others and lengths_fit([key, *picked])
    assert not lengths_fit([key, long_]) and not lengths_fit([key, short])
    assert value_kind("90分") == "分" and value_kind("28%") == "%" and value_kind("¥20,000 (税別)") == "¥"
    assert value_kind("なし") is None and value_kind("65問 (うち15問は採点対象外)") is None


def test_a_value_is_offered_only_among_values_of_its_unit(source_index):
    from index.storage import read_index

    _, index_dir = source_index
    builder = Builder(read_index(index_dir), seed=1)
    chunk = builder.stored.chunks[0]
    rng = builder.rng("t")
    item = builder.choice(chunk, "「試験時間」として正しいものはどれか。", "90分", ["3年", "なし", "120分", "60分", "45分"], "90分", rng)
    assert item is not None and all(comparable(o).endswith("分") for o in item.options)
    assert builder.choice(chunk, "「試験時間」として正しいものはどれか。", "90分", ["3年", "なし", "65問"], "90分", rng) is None


def test_distractors_come_only_from_chunks_near_the_keys(source_index):
    import random

    import numpy as np

    from index.storage import read_index

    from assistant.quiz.glossary import MIN_NEARNESS

    _, index_dir = source_index
    builder = Builder(read_index(index_dir), seed=1)
    glossary = builder.glossary
    key = "パイプモード" if comparable("パイプモード") in glossary.by_form else glossary.terms[0].text
    row = glossary.by_form[comparable(key)].chunk_row
    chunk_id = builder.facts[row].chunk.id
    glossary.similarity = np.ones_like(glossary.similarity)
    glossary.ranked = True
    before = glossary.distractors([key], chunk_id, 20, random.Random(0))
    assert before
    far = glossary.by_form[comparable(before[0])].chunk_row
    glossary.similarity[row, far] = MIN_NEARNESS - 1.0
    after = glossary.distractors([key], chunk_id, 20, random.Random(0))
    assert not [t for t in after if glossary.by_form[comparable(t)].chunk_row == far]
    assert set(after) == {t for t in before if glossary.by_form[comparable(t)].chunk_row != far}
