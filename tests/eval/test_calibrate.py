"""Refitting the answer confidence: labels from strict accuracy, the fit, cross-validation and writing the weights."""

from __future__ import annotations

import json
import random

import pytest

from assistant.answer.confidence import ConfidenceModel
from eval.calibrate import Labelled, cross_validated, fit, labelled_answers, main, model_source, write_model
from eval.metrics import auroc

GOLD = [
    {"id": "g1", "question": "問題数は？", "answer": "65問", "evidence": []},
    {"id": "g2", "question": "試験時間は？", "answer": "90分", "evidence": []},
    {"id": "g3", "question": "合格ラインは？", "answer": "720点", "evidence": []},
    {"id": "u1", "question": "受験料は？", "answer": "", "evidence": [], "answerable": False},
]


def answer(qid, text, margin, abstained=False):
    return {"id": qid, "answer": text, "abstained": abstained, "confidence": None,
            "confidence_features": {} if abstained else {"margin": margin, "score": 1.0}}


def write_files(tmp_path, answers):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in GOLD), encoding="utf-8")
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers), encoding="utf-8")
    return path, gold


def test_labels_come_from_strict_accuracy_and_unanswerable_answers_are_wrong(tmp_path):
    path, gold = write_files(tmp_path, [answer("g1", "65問", 0.2), answer("g2", "試験時間は長い", 0.01),
                                        answer("g3", "", 0.0, abstained=True), answer("u1", "2万円", 0.05)])
    rows = labelled_answers([(path, gold)])
    assert [(r.features["margin"], r.right) for r in rows] == [(0.2, True), (0.01, False), (0.05, False)]


def test_answers_without_features_are_refused(tmp_path):
    path, gold = write_files(tmp_path, [{"id": "g1", "answer": "65問", "abstained": False}])
    assert main(["--answers", str(path), "--gold", str(gold)]) == 2


def toy_rows(n=120, seed=0):
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        margin, noise = rng.uniform(0, 0.3), rng.uniform(0, 1)
        right = rng.random() < 1 / (1 + pow(2.718, -(20 * margin - 3)))
        rows.append(Labelled({"margin": margin, "noise": noise}, right, "toy"))
    return rows


def test_fit_finds_the_informative_feature_on_raw_values():
    rows = toy_rows()
    model = fit(rows, ["margin", "noise"])
    weights = dict(model.weights)
    assert weights["margin"] > 5 and abs(weights["noise"]) < abs(weights["margin"]) / 5
    probabilities = [model.probability(r.features) for r in rows]
    assert auroc(probabilities, [r.right for r in rows]) > 0.75
    held_out = cross_validated(rows, ["margin"])
    assert len(held_out) == len(rows) and auroc(held_out, [r.right for r in rows]) > 0.7


def test_model_source_round_trips_through_the_module(tmp_path):
    model = ConfidenceModel(-1.25, (("margin", 9.5), ("score", 0.75)))
    module = tmp_path / "confidence.py"
    module.write_text('"""x"""\n\nA = 1\nCONFIDENCE = ConfidenceModel(\n    intercept=0.0,\n    weights=(("score", 1.0),),\n)\nB = 2\n',
                      encoding="utf-8")
    write_model(model, module)
    text = module.read_text(encoding="utf-8")
    assert model_source(model) in text and text.startswith('"""x"""\n\nA = 1\n') and text.endswith(")\nB = 2\n")
    namespace = {"ConfidenceModel": ConfidenceModel}
    exec(model_source(model), namespace)
    assert namespace["CONFIDENCE"] == model


def test_main_prints_the_figures_and_the_block(tmp_path, capsys):
    answers = [answer("g1", "65問", 0.2), answer("g2", "90分", 0.15), answer("g3", "720点", 0.1),
               answer("u1", "2万円", 0.01)]
    answers += [answer(f"x{i}", "?", 0.0) for i in range(3)]  # not in the gold set: ignored
    path, gold = write_files(tmp_path, answers)
    assert main(["--answers", str(path), "--gold", str(gold), "--features", "margin"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("4 answers, 3 right (75.0%); features: margin")
    assert "in-sample: AUROC 1.000" in out and "CONFIDENCE = ConfidenceModel(" in out


def test_main_refuses_unpaired_files(tmp_path):
    path, gold = write_files(tmp_path, [answer("g1", "65問", 0.2)])
    assert main(["--answers", str(path), "--answers", str(path), "--gold", str(gold)]) == 2
    with pytest.raises(SystemExit):
        main(["--gold", str(gold)])


@pytest.mark.parametrize("probabilities, right, expected", [
    ([0.9, 0.7, 0.6, 0.3], [True, True, False, False], 0.65),  # from 0.65 up: 2 of 2 right
    ([0.9, 0.8, 0.1], [True, True, True], 0.0),
    ([0.9, 0.8], [False, False], None),
])
def test_suggested_threshold_is_the_lowest_step_with_enough_right_answers_above(probabilities, right, expected):
    from eval.calibrate import suggested_threshold

    assert suggested_threshold(probabilities, right) == expected
