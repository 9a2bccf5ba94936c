"""The four MLA-C01 exam domains, their weights, and a keyword guess at an item's domain."""

from __future__ import annotations

from corpus.text import comparable

DATA, MODEL, DEPLOY, MONITOR = "data_preparation", "model_development", "deployment_orchestration", "monitoring_security"
# Share of the exam per domain (MLA-C01 exam guide).
DOMAIN_WEIGHTS = {DATA: 0.28, MODEL: 0.26, DEPLOY: 0.22, MONITOR: 0.24}
DOMAIN_LABELS = {
    DATA: "データ準備 (Data preparation)",
    MODEL: "モデル開発 (Model development)",
    DEPLOY: "デプロイとオーケストレーション (Deployment and orchestration)",
    MONITOR: "モニタリング・保守・セキュリティ (Monitoring, maintenance and security)",
}
_KEYWORDS = {
    DATA: ("データ準備", "特徴量", "feature store", "data wrangler", "サンプリング", "不均衡", "parquet", "json", "構造化",
           "格納先", "efs", "fsx", "入力モード", "ストレージ", "データ変換", "redshift", "マテリアライズド", "s3 express",
           "データセット", "前処理", "csv", "quicksight"),
    MODEL: ("ハイパーパラメータ", "エポック", "バッチサイズ", "max_depth", "正則化", "評価指標", "モデル圧縮", "蒸留",
            "量子化", "枝刈り", "ファインチューニング", "カスタマイズ", "experiments", "debugger", "canvas", "推論パラメータ",
            "過学習", "mlflow", "tensorboad", "tensorboard", "調整戦略", "スカラー", "テンソル", "ベクトル", "評価メトリクス",
            "トレーニング", "学習", "bedrock", "フェデレーテッド", "ウォームプール"),
    DEPLOY: ("推論オプション", "デプロイ", "エンドポイント", "サーバーレス", "サーバレス", "pipelines", "model registry",
             "ci/cd", "inference recommender", "コンテナ", "スクリプトモード", "バッチ変換", "非同期推論", "オーケストレーション",
             "provisioned concurrency", "リアルタイム推論"),
    MONITOR: ("ドリフト", "clarify", "モニタリング", "監視", "セキュリティ", "ネットワーク分離", "権限", "grant", "マスキング",
              "compute optimizer", "コスト", "バイアス", "ロール", "暗号", "iam", "認証"),
}


def guess_domain(heading_path: str, text: str) -> str | None:
    """The domain whose keywords the heading path (counted twice) and the item's text name most; None when none."""
    heading, body = comparable(heading_path), comparable(text)
    scores = {}
    for domain, words in _KEYWORDS.items():
        forms = [comparable(w) for w in words]
        scores[domain] = 2 * sum(f in heading for f in forms) + sum(f in body for f in forms)
    best = max(scores, key=lambda d: (scores[d], -list(_KEYWORDS).index(d)))
    return best if scores[best] else None
