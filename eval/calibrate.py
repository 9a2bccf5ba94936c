"""Refit the answer confidence (assistant/answer/confidence.py) on dev answers labelled by strict accuracy.

    python -m assistant eval --gold eval/gold/dev.jsonl --report reports/dev          # writes reports/dev/answers.jsonl
    python -m eval.calibrate --answers reports/dev/answers.jsonl --gold eval/gold/dev.jsonl \\
                             [--answers A2 --gold G2 ...] [--features all|NAME,NAME] [--write]

Each answers file is batch output (its records carry `confidence_features`) scored against the gold file given in
the same position. An answer is right when it is strictly accurate; an answer to an unanswerable question is wrong;
abstentions are left out (they carry no confidence). The fit is a logistic regression on standardised features,
folded back into weights on the raw values. It prints the fit's figures (in-sample and cross-validated AUROC and
calibration error, the accuracy at or above the UI threshold, and the threshold that the rule for LIKELY_RIGHT_FROM
would pick) and the `CONFIDENCE = ConfidenceModel(...)` block; `--write` puts that block into
assistant/answer/confidence.py (LIKELY_RIGHT_FROM is edited by hand). Fit on dev splits only; check on test with `eval`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import InputError

from assistant.answer.confidence import CONFIDENCE, LIKELY_RIGHT_FROM, ConfidenceModel

from eval.metrics import confidence_scores

# L2 strength of the logistic regression (sklearn's C: smaller is stronger). Dev has about 200 answers, so the
# weights are kept small; C = 1 gave the best cross-validated AUROC of 0.1, 0.3, 1 and 3 on the dev answers.
REGULARISATION = 1.0
FOLDS = 5
# The UI's "likely right" line is the lowest multiple of THRESHOLD_STEP at which this share of the held-out dev
# answers at or above it were right.
LIKELY_RIGHT_ACCURACY = 0.8
THRESHOLD_STEP = 0.05
MODULE = Path(__file__).resolve().parents[1] / "assistant" / "answer" / "confidence.py"
_BLOCK = re.compile(r"^CONFIDENCE = ConfidenceModel\(\n.*?^\)\n", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Labelled:
    """One answer: its confidence features, whether it was right, and the answers file it came from."""

    features: dict[str, float]
    right: bool
    origin: str


def labelled_answers(pairs: Sequence[tuple[Path, Path]]) -> list[Labelled]:
    """The answers (not abstentions) of each (answers file, gold file) pair with their strict-accuracy labels."""
    from eval.gold import load_gold
    from eval.harness import answer_is_right, evaluate, load_answers

    found: list[Labelled] = []
    for answers_path, gold_path in pairs:
        answers = load_answers(answers_path)
        report = evaluate(load_gold(gold_path), None, answers, warn=lambda message: None)
        for record in report.per_question:
            answer = answers.get(record["id"])
            if answer is None or answer["abstained"]:
                continue
            features = answer.get("confidence_features")
            if not isinstance(features, dict) or not features:
                raise InputError(f"{answers_path}: answer {record['id']} has no `confidence_features`; "
                                 "answer the questions again with this version (`batch` or `eval`)")
            found.append(Labelled(features, answer_is_right(record), str(answers_path)))
    return found


def _matrix(rows: Sequence[Labelled], features: Sequence[str]):
    import numpy as np

    missing = sorted({name for row in rows for name in features if name not in row.features})
    if missing:
        raise InputError(f"these features are not in the answers' confidence_features: {', '.join(missing)}")
    x = np.array([[float(row.features[name]) for name in features] for row in rows])
    y = np.array([int(row.right) for row in rows])
    return x, y


def fit(rows: Sequence[Labelled], features: Sequence[str], c: float = REGULARISATION) -> ConfidenceModel:
    """A logistic regression of `right` on `features`, as weights on the raw feature values."""
    from sklearn.linear_model import LogisticRegression

    x, y = _matrix(rows, features)
    if len(set(y)) < 2:
        raise InputError("the answers are all right or all wrong: nothing to fit")
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    regression = LogisticRegression(C=c, max_iter=1000).fit((x - mean) / scale, y)
    weights = regression.coef_[0] / scale
    intercept = float(regression.intercept_[0] - (weights * mean).sum())
    return ConfidenceModel(round(intercept, 4), tuple((name, round(float(w), 4)) for name, w in zip(features, weights)))


def cross_validated(rows: Sequence[Labelled], features: Sequence[str], c: float = REGULARISATION,
                    folds: int = FOLDS, seed: int = 0) -> list[float]:
    """Out-of-fold probabilities: each answer scored by a model fitted without its fold (stratified folds)."""
    from sklearn.model_selection import StratifiedKFold

    x, y = _matrix(rows, features)
    folds = min(folds, int(y.sum()), int(len(y) - y.sum()))
    if folds < 2:
        raise InputError("too few right or wrong answers to cross-validate (each needs at least 2)")
    probabilities = [0.0] * len(rows)
    for train, held in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        model = fit([rows[i] for i in train], features, c)
        for i in held:
            probabilities[i] = model.probability(rows[i].features)
    return probabilities


def suggested_threshold(probabilities: Sequence[float], right: Sequence[bool], accuracy: float = LIKELY_RIGHT_ACCURACY,
                        step: float = THRESHOLD_STEP) -> float | None:
    """The lowest multiple of `step` at which the answers at or above it are right at least `accuracy` of the time."""
    for i in range(int(round(1 / step)) + 1):
        threshold = round(i * step, 4)
        above = [r for p, r in zip(probabilities, right) if p >= threshold]
        if above and sum(above) / len(above) >= accuracy:
            return threshold
    return None


def model_source(model: ConfidenceModel) -> str:
    """The `CONFIDENCE = ConfidenceModel(...)` block of assistant/answer/confidence.py for `model`."""
    weights = "".join(f'        ("{name}", {weight}),\n' for name, weight in model.weights)
    return f"CONFIDENCE = ConfidenceModel(\n    intercept={model.intercept},\n    weights=(\n{weights}    ),\n)\n"


def write_model(model: ConfidenceModel, module: Path = MODULE) -> None:
    """Replace the CONFIDENCE block of `module` with `model`."""
    text = module.read_text(encoding="utf-8")
    if len(_BLOCK.findall(text)) != 1:
        raise InputError(f"{module} has no single `CONFIDENCE = ConfidenceModel(` block ending in a line `)`")
    module.write_text(_BLOCK.sub(lambda _: model_source(model), text), encoding="utf-8")


def _figures(label: str, probabilities: Sequence[float], right: Sequence[bool]) -> str:
    s = confidence_scores(probabilities, right, LIKELY_RIGHT_FROM)

    def f(v):
        return "–" if v is None else f"{v:.3f}"

    return (f"{label}: AUROC {f(s.auroc)}, calibration error {f(s.ece)}, at or above {LIKELY_RIGHT_FROM}: "
            f"accuracy {f(s.accuracy_above)} over {f(s.share_above)} of the answers")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=Path, action="append", required=True, help="batch output JSONL (repeatable)")
    parser.add_argument("--gold", type=Path, action="append", required=True, help="its gold file (same order)")
    parser.add_argument("--features", default=",".join(CONFIDENCE.features),
                        help="comma-separated feature names, or `all` (default: the current model's)")
    parser.add_argument("--c", type=float, default=REGULARISATION, help="inverse L2 strength (sklearn's C)")
    parser.add_argument("--write", action="store_true", help="write the fitted weights into assistant/answer/confidence.py")
    args = parser.parse_args(argv)
    try:
        if len(args.answers) != len(args.gold):
            raise InputError(f"give one --gold per --answers ({len(args.answers)} answers files, {len(args.gold)} gold files)")
        rows = labelled_answers(list(zip(args.answers, args.gold)))
        if not rows:
            raise InputError("no answers to fit on (all abstained?)")
        features = sorted(rows[0].features) if args.features == "all" else [f.strip() for f in args.features.split(",") if f.strip()]
        model = fit(rows, features, args.c)
        right = [row.right for row in rows]
        print(f"{len(rows)} answers, {sum(right)} right ({sum(right) / len(rows):.1%}); features: {', '.join(features)}")
        print(_figures("in-sample", [model.probability(row.features) for row in rows], right))
        try:
            held_out = cross_validated(rows, features, args.c)
            print(_figures(f"{FOLDS}-fold cross-validated", held_out, right))
            threshold = suggested_threshold(held_out, right)
            print(f"lowest threshold with {LIKELY_RIGHT_ACCURACY:.0%} of the cross-validated answers at or above it right: "
                  f"{'none' if threshold is None else threshold} (LIKELY_RIGHT_FROM is {LIKELY_RIGHT_FROM})")
        except InputError as exc:
            print(f"cross-validated: {exc}")
        print()
        print(model_source(model), end="")
        if args.write:
            write_model(model)
            print(f"written to {MODULE}")
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
