"""The harness on a tiny corpus with a deterministic fake retriever; the report files and their schema."""

import json
import math
from dataclasses import replace

import pytest

from corpus.errors import InputError
from eval.gold import GoldItem
from eval.harness import evaluate, load_answers, match_answers
from eval.report import markdown_report, summary_table, worst_questions, write_report
from tests.eval.fakes import ANSWERS, CHUNKS, GOLD, FakeRetriever

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(answers=ANSWERS, retrieval_only=False, warnings=None, gold=GOLD):
    sink = warnings if warnings is not None else []
    return evaluate(list(gold), FakeRetriever(), answers, retrieval_only, mode="hybrid", chunks=CHUNKS, warn=sink.append)


def test_retrieval_scores_on_the_fake_rankings():
    report = run(answers=None, retrieval_only=True)
    r = report.to_dict()["retrieval"]
    # first relevant ranks: g1 1, g2 2, g3 none, g4 3 (u1 is unanswerable and not scored)
    assert r["n"] == 4
    assert r["recall@1"] == pytest.approx(1 / 4)
    assert r["recall@3"] == r["recall@5"] == r["recall@10"] == pytest.approx(3 / 4)
    assert r["mrr@10"] == pytest.approx((1 + 1 / 2 + 0 + 1 / 3) / 4)
    assert r["ndcg@10"] == pytest.approx((1 + 1 / math.log2(3) + 0 + 1 / math.log2(4)) / 4)
    assert report.answers is None and report.to_dict()["answers"] is None
    assert report.recall_curve() == pytest.approx([0.25, 0.5, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75])
    by_id = {q["id"]: q for q in report.per_question}
    assert [by_id[i]["first_relevant_rank"] for i in ("g1", "g2", "g3", "g4", "u1")] == [1, 2, None, 3, None]
    assert by_id["g2"]["retrieved"][1]["relevant"] and not by_id["g2"]["retrieved"][0]["relevant"]


def test_the_retriever_runs_once_per_question_with_k_10():
    retriever = FakeRetriever()
    evaluate(list(GOLD), retriever, None, True, mode="bm25", chunks=CHUNKS, warn=lambda m: None)
    assert [(k, mode) for _, k, mode in retriever.calls] == [(10, "bm25")] * len(GOLD)


def test_answer_scores_hand_computed():
    report = run()
    a = report.to_dict()["answers"]
    # g1 "65問です" vs "65問": P=3/5, R=1 -> 75; g2 and g4 exact; g3 abstained -> scored as "" -> 0
    assert a["n"] == 4
    assert a["f1"] == pytest.approx((75 + 100 + 0 + 100) / 4)
    assert a["exact_match"] == pytest.approx(50.0)
    assert a["accuracy"] == pytest.approx(75.0)  # g1 "65問です" holds "65問" and is short enough; g3 abstained
    assert 0 < a["bleu"] < 100 and 0 < a["chrf"] < 100
    # abstained: g3 (answerable) and u1 (unanswerable)
    assert a["abstention"] == {"precision": 0.5, "recall": 1.0, "false_abstention_rate": 0.25}
    by_id = {q["id"]: q for q in report.per_question}
    assert by_id["g3"]["f1"] == 0.0 and by_id["g3"]["abstained"] is True
    assert by_id["u1"]["f1"] is None and by_id["u1"]["bleu"] is None  # unanswerable: abstention only
    assert [by_id[i]["accuracy"] for i in ("g1", "g2", "g3", "g4", "u1")] == [100.0, 100.0, 0.0, 100.0, None]
    assert by_id["g1"]["cited"] == ["c1"]
    assert "ja-mecab" in report.config["bleu_signature"]


def test_unanswerable_items_do_not_change_answer_scores():
    only_answerable = [g for g in GOLD if g.answerable]
    with_u = run().to_dict()["answers"]
    without_u = run(answers={k: v for k, v in ANSWERS.items() if k != "u1"}, gold=only_answerable).to_dict()["answers"]
    for key in ("n", "f1", "exact_match", "accuracy", "bleu", "chrf"):
        assert with_u[key] == without_u[key]
    for name in ("number", "name", "phrase", "english"):
        assert with_u["by_type"][name] == without_u["by_type"][name]
    assert (with_u["by_type"]["unanswerable"]["n"], without_u["by_type"]["unanswerable"]["n"]) == (1, 0)


def test_answers_by_question_type_on_the_fakes():
    by_type = run().to_dict()["answers"]["by_type"]
    assert list(by_type) == ["number", "date", "name", "phrase", "list", "yesno", "english", "unanswerable"]
    # No fake gold item has an answer_type, so each is inferred: g1 65問 number, g2 and g3 phrase (kanji and
    # kana), g4 Amazon SageMaker Canvas name; g4 is also the one English question.
    assert {name: group["n"] for name, group in by_type.items()} == {
        "number": 1, "date": 0, "name": 1, "phrase": 2, "list": 0, "yesno": 0, "english": 1, "unanswerable": 1,
    }
    assert by_type["number"] == {"n": 1, "accuracy": 100.0, "exact_match": 0.0, "f1": 75.0, "abstention_rate": 0.0}
    assert by_type["phrase"] == {"n": 2, "accuracy": 50.0, "exact_match": 50.0, "f1": 50.0, "abstention_rate": 0.5}
    assert by_type["english"] == {"n": 1, "accuracy": 100.0, "exact_match": 100.0, "f1": 100.0, "abstention_rate": 0.0}
    assert by_type["unanswerable"] == {"n": 1, "accuracy": None, "exact_match": None, "f1": None, "abstention_rate": 1.0}
    assert by_type["date"] == {"n": 0, "accuracy": None, "exact_match": None, "f1": None, "abstention_rate": None}
    # The answer-type groups partition the scored answerable questions.
    assert sum(by_type[name]["n"] for name in ("number", "date", "name", "phrase", "list", "yesno")) == 4


def test_a_gold_answer_type_beats_the_inferred_one():
    gold = [replace(g, answer_type="name") if g.id == "g3" else g for g in GOLD]
    report = run(gold=gold)
    by_type = report.to_dict()["answers"]["by_type"]
    assert (by_type["name"]["n"], by_type["phrase"]["n"]) == (2, 1)
    assert by_type["name"]["accuracy"] == pytest.approx(50.0)  # g4 right, g3 abstained
    assert {q["id"]: q["answer_type"] for q in report.per_question} == {
        "g1": "number", "g2": "phrase", "g3": "name", "g4": "name", "u1": None,
    }


def test_only_answered_questions_count_by_type():
    answers = {i: ANSWERS[i] for i in ("g1", "g4")}
    by_type = run(answers=answers).to_dict()["answers"]["by_type"]
    assert {name: group["n"] for name, group in by_type.items() if group["n"]} == {"number": 1, "name": 1, "english": 1}


def test_report_json_has_exactly_the_design_keys():
    data = json.loads(json.dumps(run().to_dict()))
    assert list(data) == ["answers", "retrieval", "config", "per_question"]
    assert list(data["answers"]) == ["n", "f1", "exact_match", "accuracy", "bleu", "chrf", "abstention", "by_type", "confidence"]
    assert data["answers"]["confidence"] is None  # the fake answers carry no confidence
    assert list(data["answers"]["abstention"]) == ["precision", "recall", "false_abstention_rate"]
    assert list(data["retrieval"]) == ["n", "recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10"]
    assert [q["id"] for q in data["per_question"]] == [g.id for g in GOLD]
    assert data["config"]["retriever"] == "hybrid"


def test_write_report_writes_json_markdown_and_plots(tmp_path):
    report = run()
    paths = write_report(report, tmp_path / "out")
    assert set(paths) == {"report.json", "report.md", "f1_per_question.png", "recall_at_k.png"}
    assert json.loads(paths["report.json"].read_text(encoding="utf-8")) == json.loads(json.dumps(report.to_dict()))
    for name in ("f1_per_question.png", "recall_at_k.png"):
        assert paths[name].read_bytes()[:8] == PNG_MAGIC
    md = paths["report.md"].read_text(encoding="utf-8")
    assert "## Retrieval" in md and "## Answers" in md and "worst questions by F1" in md
    assert "| n | F1 | exact match | accuracy | BLEU | chrF |" in md and "| 4 | 68.8 | 50.0 | 75.0 |" in md
    assert "## By question type" in md
    assert "| number | 1 | 100.0 | 0.0 | 75.0 | 0.000 |" in md
    assert "| unanswerable | 1 | – | – | – | 1.000 |" in md
    assert "| date |" not in md  # types without questions are left out of the table
    assert "### g3 " in md and "ノートには書かれていません" in md  # worst question with its answer
    assert "SageMaker > Amazon SageMaker Canvas" in md  # retrieved chunks' heading paths


def with_confidence(**confidence):
    """The fake answers with the given confidences, plus u1 answered (wrongly: it is unanswerable) unless given."""
    answers = {i: {**a, "confidence": confidence.get(i)} for i, a in ANSWERS.items()}
    if "u1" in confidence:
        answers["u1"] = {**answers["u1"], "answer": "65問", "abstained": False}
    return answers


def test_confidence_is_scored_against_strict_accuracy_over_the_answers_given():
    # right: g1, g2, g4; wrong: u1 (an answer to an unanswerable question); g3 abstained (its confidence is ignored)
    from assistant.answer.confidence import LIKELY_RIGHT_FROM as line

    assert 0.5 <= line < 0.9, "the figures below assume the UI threshold lies in [0.5, 0.9)"
    answers = with_confidence(g1=0.9, g2=line, g3=0.99, g4=0.4, u1=0.2)
    report = run(answers=answers)
    c = report.to_dict()["answers"]["confidence"]
    assert c["n"] == 4 and c["auroc"] == 1.0 and c["threshold"] == line
    assert c["share_above"] == pytest.approx(0.5) and c["accuracy_above"] == 1.0  # g1 and g2 (at the line) are above
    # bins: 0.9 (right), the line (right), 0.4 (right), 0.2 (wrong): |0.9-1| + |line-1| + |0.4-1| + |0.2-0|, each 1/4
    ece = (0.1 + (1 - line) + 0.6 + 0.2) / 4
    assert c["ece"] == pytest.approx(ece)
    by_id = {q["id"]: q for q in report.per_question}
    assert [by_id[i]["confidence"] for i in ("g1", "g3", "u1")] == [0.9, None, 0.2]
    md = markdown_report(report)
    assert "## Confidence (0–1)" in md and f"| 4 | 1.000 | {ece:.3f} | {line:.3f} | 1.000 | 0.500 |" in md
    assert "confidence auroc" in summary_table(report)


def test_a_confidence_that_ranks_wrong_answers_higher_scores_low():
    c = run(answers=with_confidence(g1=0.1, g2=0.2, g4=0.3, u1=0.9)).to_dict()["answers"]["confidence"]
    assert c["auroc"] == 0.0 and c["accuracy_above"] == 0.0 and c["share_above"] == 0.25


@pytest.mark.parametrize("value", [None, "0.9", True, 1.5, -0.1])
def test_a_missing_or_malformed_confidence_is_left_out(value):
    answers = with_confidence(g1=0.9, g2=0.8)
    answers["g4"] = {**answers["g4"], "confidence": value}
    c = run(answers=answers).to_dict()["answers"]["confidence"]
    assert c["n"] == 2 and c["auroc"] is None  # only right answers left: no ranking to score


def test_retrieval_only_report_has_no_f1_plot(tmp_path):
    paths = write_report(run(answers=None, retrieval_only=True), tmp_path)
    assert set(paths) == {"report.json", "report.md", "recall_at_k.png"}
    assert json.loads(paths["report.json"].read_text(encoding="utf-8"))["answers"] is None
    assert "worst questions by reciprocal rank" in paths["report.md"].read_text(encoding="utf-8")


def test_worst_questions_order_and_summary():
    report = run()
    assert [q["id"] for q in worst_questions(report, 2)] == ["g3", "g1"]
    table = summary_table(report)
    assert "recall@1" in table and "f1" in table and "68.8" in table
    assert [line.split() for line in table.splitlines() if line.strip().startswith("accuracy")] == [["accuracy", "75.0"]]
    assert "by question type:" in table
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()[table.splitlines().index("  by question type:") + 2 :]}
    assert rows == {
        "number": ["1", "100.0", "0.0", "75.0", "0.000"],
        "name": ["1", "100.0", "100.0", "100.0", "0.000"],
        "phrase": ["2", "50.0", "50.0", "50.0", "0.500"],
        "english": ["1", "100.0", "100.0", "100.0", "0.000"],
        "unanswerable": ["1", "–", "–", "–", "1.000"],
    }
    assert markdown_report(report).startswith("# Evaluation report")


def test_evidence_problems_are_warned_by_id():
    gold = [*GOLD, GoldItem("g5", "問題数は？", ("x",), ("ノートにない文",))]
    warnings = []
    report = run(answers=None, retrieval_only=True, warnings=warnings, gold=gold)
    assert any("evidence spans not found" in w and "g5" in w for w in warnings)
    assert report.retrieval.n == 5  # counted as a miss
    assert report.config["retrieval_unscorable"] == ["g5"]


def test_answers_with_no_matching_ids_are_refused():
    with pytest.raises(InputError, match="nothing to score"):
        run(answers={"x1": {"id": "x1", "answer": "a", "abstained": False}})


def test_stray_and_missing_answer_ids_are_warned():
    warnings = []
    answers = {"g1": ANSWERS["g1"], "zz": {"id": "zz", "answer": "a", "abstained": False}}
    report = run(answers=answers, warnings=warnings)
    assert any("not in the gold set" in w and "zz" in w for w in warnings)
    assert any("no answer" in w and "g2, g3, g4, u1" in w for w in warnings)
    assert report.answers.n == 1 and report.answers.f1 == pytest.approx(75.0)


def test_answers_are_required_unless_retrieval_only():
    with pytest.raises(InputError, match="no answers to score"):
        run(answers=None)


def test_load_answers_reads_batch_output(tmp_path):
    path = tmp_path / "a.jsonl"
    lines = [json.dumps(ANSWERS[i], ensure_ascii=False) for i in ANSWERS]
    lines.append(json.dumps({"id": "g1", "answer": "65問", "abstained": False}))
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    warnings = []
    answers = load_answers(path, warnings.append)
    assert set(answers) == set(ANSWERS) and answers["g1"]["answer"] == "65問"  # the last line wins
    assert warnings and "g1" in warnings[0]


@pytest.mark.parametrize(
    "line, message",
    [
        ("{bad", "line 2 is not valid JSON"),
        ('{"answer": "x"}', "line 2: missing `id`"),
        ('{"id": "g2"}', "line 2: missing `answer`"),
        ('{"id": "g2", "answer": "x", "abstained": "no"}', "`abstained` must be true or false"),
        ('{"id": "g2", "answer": 3}', "`answer` must be a string"),
    ],
)
def test_load_answers_names_the_bad_line(tmp_path, line, message):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(ANSWERS["g1"]) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_answers(path)


def test_match_answers_accepts_raw_records_without_sources():
    matched = match_answers(list(GOLD), {"g1": {"id": "g1", "answer": "x"}}, lambda m: None)
    assert matched["g1"]["abstained"] is False and matched["g1"]["sources"] == []
