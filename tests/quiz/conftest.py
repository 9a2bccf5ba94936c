"""A small notes folder holding every shape of fact the quiz builder reads, indexed with the fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

QUIZ_NOTES = """# 学習ノート

## 機械学習基礎

機械学習は大きく

1. 前処理
2. 学習
3. 推論

のプロセスに分けられる。

### 正則化

- L1正則化: 一部の特徴を削除する。
- L2正則化: すべての特徴の重みを小さくする。
- ドロップアウト: ニューロンを確率的に無効にする。

### バッチサイズ

その際の1グループのデータの量をバッチサイズと呼ぶ。
バッチサイズが小さすぎると学習に時間がかかる。

### 調整戦略

| 手法 | 概要 |
|---|---|
| グリッド検索 | カテゴリごとに値の範囲を指定し、すべての組み合わせを検証する。 |
| ランダム検索 | 訓練回数を指定し、ランダムに選択された組み合わせを検証する。 |
| ベイズ最適化 | 前回の結果を下に次の値を決めていくアルゴリズム。 |
| Hyperband | 中間結果を使い、性能の低い構成を自動的に停止する。 |

## ストレージ

データセットの格納先としては

- S3
- EFS
- FSx

がある。

### パイプモード

パイプモードではファイルをダウンロードせずに、データを直接ストリーミング処理する。

### Feature Store

特徴量の作成、保存、共有を行うことができる機能。

## パイプライン

SageMakerによるデータ準備、トレーニング、デプロイ、監視の一連の機械学習パイプラインを構築できる。

### 出題範囲

| 分野 | 出題割合 |
|---|---|
| 第 1 分野: データ準備 | 28% |
| 第 2 分野: モデル開発 | 26% |
| 第 3 分野: デプロイ | 22% |
| 第 4 分野: モニタリング | 24% |

## サービス

### Canvas

ノーコードで機械学習による推論を行える機能。

### Experiments

機械学習の実験を作成、管理、分析、比較できる機能。

### Clarify

データ分布の変化(データドリフト)を分析および識別できる。

### Debugger

モデルの問題を検出、修正するための機能。

### マテリアライズド・ビュー

マテリアライズド・ビューを利用するとクエリ結果を事前に保存することで繰り返されるクエリを高速化できる。

### 統合機能

SageMaker AIにはMLflow統合機能がある。
SageMaker AIにはTensorBoard統合機能がある。

### Compute Optimizer

EC2、ECS、Lambda、RDSなどの利用状況を分析し、適正サイズの推奨事項を提供するサービス。
"""


@pytest.fixture(scope="session")
def quiz_notes(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("quiz-notes")
    (folder / "notes.md").write_text(QUIZ_NOTES, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def quiz_index(quiz_notes, tmp_path_factory) -> Path:
    from index.builder import build_index

    index_dir = tmp_path_factory.mktemp("quiz-index") / "idx"
    build_index(quiz_notes, index_dir, embedder_name="fake-hash", progress=False)
    return index_dir


@pytest.fixture(scope="session")
def quiz_bank(quiz_index, tmp_path_factory):
    from assistant.quiz.build import build_bank
    from assistant.quiz.items import read_bank

    path = tmp_path_factory.mktemp("quiz-bank") / "bank.jsonl"
    summary = build_bank(quiz_index, path, seed=7)
    return path, read_bank(path), summary
