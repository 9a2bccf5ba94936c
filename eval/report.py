"""Write an evaluation Report as report.json, report.md and PNG plots, and format its terminal summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from eval.harness import UNANSWERABLE, Report
from eval.metrics import CALIBRATION_BINS, RETRIEVAL_CUTOFFS, RETRIEVAL_DEPTH, RETRIEVAL_KEYS

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
F1_PLOT = "f1_per_question.png"
RECALL_PLOT = "recall_at_k.png"
WORST_SHOWN = 10
HITS_SHOWN = 5
ANSWER_KEYS = ("f1", "exact_match", "accuracy", "bleu", "chrf")
CONFIDENCE_KEYS = ("auroc", "ece", "threshold", "accuracy_above", "share_above")


def fmt(value: float | None, scale: str = "unit") -> str:
    """A score for a table: 0–100 scores with one decimal, 0–1 scores with three, None as a dash."""
    if value is None:
        return "–"
    return f"{value:.1f}" if scale == "percent" else f"{value:.3f}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def summary_rows(report: Report) -> list[tuple[str, str]]:
    """(label, value) pairs: the figures the terminal summary and sweep tables show."""
    rows: list[tuple[str, str]] = []
    if report.retrieval:
        r = report.retrieval.as_dict()
        rows.append(("retrieval n", str(r["n"])))
        rows += [(key, fmt(r[key])) for key in RETRIEVAL_KEYS]
    if report.answers:
        a = report.answers.as_dict()
        rows.append(("answers n", str(a["n"])))
        rows += [(key, fmt(a[key], "percent")) for key in ANSWER_KEYS]
        rows += [(f"abstention {key}", fmt(value)) for key, value in a["abstention"].items()]
        if a.get("confidence"):
            rows += [(f"confidence {key}", fmt(a["confidence"][key])) for key in CONFIDENCE_KEYS]
    return rows


TYPE_HEADER = ("type", "n", "accuracy", "exact match", "F1", "abstained")


def type_rows(report: Report) -> list[list[str]]:
    """The breakdown by question type as table rows (types without questions left out); empty without answers.

    `abstained` is the share of the group's questions abstained on: false abstentions for an answer type or
    English, right ones for unanswerable.
    """
    if not report.answers:
        return []
    rows = []
    for name, scores in report.answers.by_type.items():
        if not scores.n:
            continue
        figures = (scores.accuracy, scores.exact_match, scores.f1)
        rows.append([name, str(scores.n), *(fmt(v, "percent") for v in figures), fmt(scores.abstention_rate)])
    return rows


def summary_table(report: Report) -> str:
    """A short two-column table for the terminal."""
    rows = summary_rows(report)
    width = max(len(label) for label, _ in rows) if rows else 0
    config = report.config
    head = f"{Path(str(config.get('gold', 'gold set'))).name}: {config.get('n_gold', '?')} questions"
    if "retriever" in config:
        head += f", retriever {config['retriever']}" + (f" ({config['embedder']})" if "embedder" in config else "")
    lines = [head, *(f"  {label:<{width}}  {value:>7}" for label, value in rows)]
    by_type = type_rows(report)
    if by_type:
        widths = [max(len(row[i]) for row in [list(TYPE_HEADER), *by_type]) for i in range(len(TYPE_HEADER))]
        lines.append("  by question type:")
        for row in [list(TYPE_HEADER), *by_type]:
            cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
            lines.append("    " + "  ".join(cells))
    return "\n".join(lines)


def _by_kind(report: Report) -> list[list[object]]:
    rows = []
    questions = [q for q in report.per_question if q["answerable"]]
    for kind in sorted({q["kind"] for q in questions}):
        group = [q for q in questions if q["kind"] == kind]
        ranks = [q["first_relevant_rank"] for q in group]
        row: list[object] = [kind, len(group)]
        if report.retrieval:
            for k in (1, 5):
                row.append(fmt(sum(1 for r in ranks if r is not None and r <= k) / len(group)))
            row.append(fmt(sum(q["rr"] or 0.0 for q in group) / len(group)))
        if report.answers:
            f1s = [q["f1"] for q in group if q["f1"] is not None]
            row.append(fmt(sum(f1s) / len(f1s), "percent") if f1s else "–")
        rows.append(row)
    return rows


def worst_questions(report: Report, count: int = WORST_SHOWN) -> list[dict]:
    """The answerable questions that did worst: by F1 when answers were scored, else by reciprocal rank."""
    questions = [q for q in report.per_question if q["answerable"]]
    if report.answers:
        scored = [q for q in questions if q["f1"] is not None]
        return sorted(scored, key=lambda q: (q["f1"], q["bleu"] or 0.0, -(q["first_relevant_rank"] or 99)))[:count]
    return sorted(questions, key=lambda q: (q["rr"] or 0.0, q["ndcg@10"] or 0.0))[:count]


def markdown_report(report: Report, plots: Sequence[str] = ()) -> str:
    """report.md: configuration, score tables, a breakdown by question kind and the worst questions."""
    config = report.config
    lines = ["# Evaluation report", ""]
    shown = ("gold", "answers_file", "retriever", "embedder", "chunk_count", "k", "n_gold", "n_answerable", "created_at")
    lines += _table(["setting", "value"], [(key, config[key]) for key in shown if key in config])
    if config.get("generation") not in (None, "mixed"):
        lines += ["", "Generation: `" + json.dumps(config["generation"], ensure_ascii=False) + "`"]
    if report.retrieval:
        r = report.retrieval.as_dict()
        lines += ["", "## Retrieval (0–1)", ""]
        lines += _table(["n", *RETRIEVAL_KEYS], [[r["n"], *(fmt(r[key]) for key in RETRIEVAL_KEYS)]])
        if config.get("retrieval_unscorable"):
            lines += ["", f"No chunk holds any evidence span of: {', '.join(config['retrieval_unscorable'])} (counted as misses)."]
    if report.answers:
        a = report.answers.as_dict()
        lines += ["", "## Answers (0–100)", ""]
        lines += _table(
            ["n", "F1", "exact match", "accuracy", "BLEU", "chrF"],
            [[a["n"], *(fmt(a[key], "percent") for key in ANSWER_KEYS)]],
        )
        lines += ["", "Abstention (positive class: abstained; 0–1):", ""]
        lines += _table(["precision", "recall", "false-abstention rate"], [[fmt(v) for v in a["abstention"].values()]])
        lines += ["", f"BLEU: `{config.get('bleu_signature', '')}`; chrF: `{config.get('chrf_signature', '')}`."]
        lines += ["Unanswerable questions count only in abstention; an abstention on an answerable question scores as an empty answer."]
        lines += [
            "Accuracy is strict: the answer (NFKC, lower case, no whitespace or final 。) holds a whole gold answer and is "
            "at most 2 × its length + 6 characters.",
        ]
        if a.get("confidence"):
            c = a["confidence"]
            lines += ["", "## Confidence (0–1)", ""]
            lines += _table(["answers", "AUROC", "calibration error", "threshold", "accuracy at or above", "share at or above"],
                            [[c["n"], *(fmt(c[key]) for key in CONFIDENCE_KEYS)]])
            lines += [
                "",
                "Over the answers that were not abstentions: right = strictly accurate (an answer to an unanswerable "
                "question is wrong). AUROC: how well `confidence` ranks right answers above wrong ones; calibration "
                f"error: the expected calibration error over {CALIBRATION_BINS} equal-width bins; the threshold is where the UI says "
                "\"likely right\".",
            ]
        lines += ["", "## By question type", ""]
        lines += _table(TYPE_HEADER, type_rows(report))
        lines += [
            "",
            f"A question counts under its gold `answer_type` (inferred from the answer when absent) and, when asked in "
            f"English, under english too. `abstained` is the share abstained: wrongly for answerable types, rightly "
            f"for {UNANSWERABLE}; answer scores are 0–100.",
        ]
    header = ["kind", "n"] + (["recall@1", "recall@5", "mrr@10"] if report.retrieval else []) + (["F1"] if report.answers else [])
    lines += ["", "## By question kind (answerable only)", ""]
    lines += _table(header, _by_kind(report))
    if plots:
        lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in plots]
    worst = worst_questions(report)
    basis = "F1" if report.answers else "reciprocal rank"
    lines += ["", f"## The {len(worst)} worst questions by {basis}", ""]
    for q in worst:
        scores = (
            f"F1 {fmt(q['f1'], 'percent')}, accuracy {fmt(q.get('accuracy'), 'percent')}, BLEU {fmt(q['bleu'], 'percent')}, "
            if report.answers
            else ""
        )
        rank = q["first_relevant_rank"] if q["first_relevant_rank"] is not None else f"not in top {RETRIEVAL_DEPTH}"
        lines += [f"### {q['id']} ({q['kind']}, {q['lang']}, {q['topic']}): {scores}first relevant rank {rank}", ""]
        lines += [f"- question: {q['question']}", f"- gold: {' / '.join(q['gold_answers'])}"]
        if q["answer"] is not None:
            lines.append(f"- answer{' (abstained)' if q['abstained'] else ''}: {' '.join(q['answer'].split()) or '(empty)'}")
        for hit in q["retrieved"][:HITS_SHOWN]:
            mark = "✓" if hit["relevant"] else " "
            lines.append(f"  - {mark} {hit['rank']}. {hit['heading_path']}: {hit['excerpt']}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def plot_f1_per_question(report: Report, path: Path) -> None:
    """Bars of each answerable question's F1, labelled by id (ASCII, so no CJK font is needed)."""
    questions = [q for q in report.per_question if q["answerable"] and q["f1"] is not None]
    fig = _figure(max(6.0, 0.16 * len(questions) + 1.5), 3.6)
    ax = fig.add_subplot()
    ax.bar(range(len(questions)), [q["f1"] for q in questions], color="tab:blue")
    ax.set_xticks(range(len(questions)), [q["id"] for q in questions], rotation=90, fontsize=6)
    ax.set_ylim(0, 100)
    ax.set_ylabel("char F1 (0-100)")
    mean = report.answers.f1 if report.answers else None
    if mean is not None:
        ax.axhline(mean, color="tab:red", linestyle="--", linewidth=1, label=f"mean {mean:.1f}")
        ax.legend(loc="upper right", fontsize=8)
    ax.set_title("F1 per question")
    fig.savefig(path, dpi=120)


def plot_recall_curve(report: Report, path: Path) -> None:
    """recall@k for k = 1..10."""
    curve = report.recall_curve()
    ks = list(range(1, len(curve) + 1))
    fig = _figure(5.0, 3.6)
    ax = fig.add_subplot()
    ax.plot(ks, curve, marker="o")
    for k in RETRIEVAL_CUTOFFS:
        if k <= len(curve):
            ax.annotate(f"{curve[k - 1]:.2f}", (k, curve[k - 1]), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set_xticks(ks)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("k")
    ax.set_ylabel("recall@k")
    ax.set_title(f"recall@k ({report.config.get('retriever', '')}, n={report.retrieval.n if report.retrieval else 0})")
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=120)


def write_report(report: Report, directory: Path | str) -> dict[str, Path]:
    """Write report.json, the plots and report.md into `directory`; returns the written paths by name."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = {REPORT_JSON: directory / REPORT_JSON}
    written[REPORT_JSON].write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    plots = []
    if report.answers and report.answers.n:
        plot_f1_per_question(report, directory / F1_PLOT)
        plots.append(F1_PLOT)
    if report.retrieval:
        plot_recall_curve(report, directory / RECALL_PLOT)
        plots.append(RECALL_PLOT)
    written.update({name: directory / name for name in plots})
    written[REPORT_MD] = directory / REPORT_MD
    written[REPORT_MD].write_text(markdown_report(report, plots), encoding="utf-8")
    return written
