"""The evaluation report of an intent model: JSON for machines, Markdown and two plots for people.

The same input always gives the same bytes (no timestamps but what the caller's ``context``
carries, no matplotlib version in the PNGs), so two reports can be compared with ``diff`` and a
rerun does not look like a change. Plots use matplotlib's Agg canvas directly, without pyplot:
no global figure state, safe off the main thread, and nothing imported until a report is written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from training.evaluation import IntentEvaluation

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
CONFUSION_PNG = "confusion.png"
CALIBRATION_PNG = "calibration.png"
MOST_CONFUSED = 10


def write_intent_report(
    folder: Path, evaluation: IntentEvaluation, *, title: str, context: Mapping[str, Any]
) -> list[str]:
    """Write the four report files into ``folder`` (created if needed); returns their names.

    ``context`` says what was evaluated (model version, data file and hash, date); values that
    JSON cannot hold are written as their ``str()``."""
    folder.mkdir(parents=True, exist_ok=True)
    document = {"title": title, "context": dict(context), "evaluation": evaluation.as_dict()}
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
    (folder / REPORT_JSON).write_text(text, encoding="utf-8")
    (folder / REPORT_MD).write_text(
        report_markdown(evaluation, title=title, context=context), encoding="utf-8"
    )
    _save(_confusion_figure(evaluation), folder / CONFUSION_PNG)
    _save(_calibration_figure(evaluation), folder / CALIBRATION_PNG)
    return [REPORT_JSON, REPORT_MD, CONFUSION_PNG, CALIBRATION_PNG]


def _cell(value: Any) -> str:
    """A Markdown table cell: pipes escaped, newlines flattened."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("|", "\\|").replace("\n", " ")


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def most_confused(evaluation: IntentEvaluation, top: int = MOST_CONFUSED) -> list[tuple[str, str, int]]:
    """``(gold, predicted, count)`` of the largest off-diagonal cells; ties by gold, then predicted."""
    labels = evaluation.labels
    pairs = [
        (labels[i], labels[j], count)
        for i, row in enumerate(evaluation.confusion)
        for j, count in enumerate(row)
        if i != j and count
    ]
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))[:top]


def report_markdown(evaluation: IntentEvaluation, *, title: str, context: Mapping[str, Any]) -> str:
    """A readable summary: headline figures, weakest intents first, the most confused pairs."""
    e = evaluation
    lines = [f"# {title}", ""]
    if context:
        lines += [
            "| context | |",
            "|---|---|",
            *(f"| {_cell(k)} | {_cell(v)} |" for k, v in context.items()),
            "",
        ]
    lines += [
        "## Headline",
        "",
        f"- Examples: {e.examples}",
        f"- Accuracy (top intent, in-scope examples): {_share(e.accuracy)}",
        f"- Accuracy with abstention (all examples): {_share(e.accuracy_with_abstention)}",
        f"- Macro-F1 (gold classes, abstention = out_of_scope): {e.macro_f1:.4f}",
        f"- Coverage (in-scope examples given a label): {_share(e.coverage)}",
        f"- Out-of-scope recall: {_share(e.out_of_scope_recall)}",
        f"- Expected calibration error: {e.ece:.4f}",
        "",
        "## Per intent, weakest first",
        "",
        "| intent | F1 | precision | recall | support |",
        "|---|---:|---:|---:|---:|",
    ]
    weakest_first = sorted(e.per_intent.items(), key=lambda item: (item[1]["f1"], item[0]))
    lines += [
        f"| {_cell(label)} | {m['f1']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} | {m['support']} |"
        for label, m in weakest_first
    ]
    lines += ["", "## Most confused pairs", ""]
    pairs = most_confused(e)
    if pairs:
        lines += ["| gold | predicted | count |", "|---|---|---:|"]
        lines += [f"| {_cell(gold)} | {_cell(pred)} | {count} |" for gold, pred, count in pairs]
    else:
        lines.append("No example was given another class than its gold one.")
    lines += [
        "",
        "## Plots",
        "",
        f"- [Confusion matrix, row-normalised]({CONFUSION_PNG})",
        f"- [Reliability diagram]({CALIBRATION_PNG})",
        "",
    ]
    return "\n".join(lines)


def _save(figure: Figure, path: Path) -> None:
    # No "Software" entry: its matplotlib version would change the bytes between installs.
    figure.savefig(path, format="png", bbox_inches="tight", metadata={"Software": None})


def _new_figure(width: float, height: float, dpi: int) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    return figure


def _confusion_figure(evaluation: IntentEvaluation) -> Figure:
    """Rows sum to 1 (a row is how one gold class was answered); sized and lettered for up to ~80
    classes, with the shares written in the cells while they still fit."""
    from matplotlib.colors import PowerNorm

    counts = np.asarray(evaluation.confusion, dtype=float).reshape(len(evaluation.labels), -1)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    n = len(evaluation.labels)
    side = min(max(5.0, 0.17 * n + 3.0), 18.0)
    font = 8.0 if n <= 20 else max(5.5, 8.0 - (n - 20) / 25)
    figure = _new_figure(side + 1.0, side, dpi=120)
    axes = figure.add_subplot()
    # A square-root colour scale, so that a 5 % confusion is still visible beside a full diagonal.
    colours = PowerNorm(gamma=0.5, vmin=0.0, vmax=1.0)
    image = axes.imshow(shares, cmap="Blues", norm=colours, interpolation="nearest")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.02).ax.tick_params(labelsize=8)
    ticks = np.arange(n)
    axes.set_xticks(ticks, labels=list(evaluation.labels), rotation=90, fontsize=font)
    axes.set_yticks(ticks, labels=list(evaluation.labels), fontsize=font)
    axes.set_xlabel("predicted (final label)", fontsize=9)
    axes.set_ylabel("gold", fontsize=9)
    axes.set_title(f"Confusion, row-normalised ({evaluation.examples} examples)", fontsize=10)
    if n <= 15:
        for (i, j), share in np.ndenumerate(shares):
            if counts[i, j]:
                colour = "white" if share > 0.4 else "black"
                axes.text(j, i, f"{share:.2f}", ha="center", va="center", fontsize=font, color=colour)
    return figure


def _calibration_figure(evaluation: IntentEvaluation) -> Figure:
    """Accuracy per confidence bin against the diagonal of perfect calibration, each bar with its
    example count, so a big gap on three examples is not mistaken for a big problem."""
    figure = _new_figure(6.0, 6.0, dpi=100)
    axes = figure.add_subplot()
    axes.plot([0.0, 1.0], [0.0, 1.0], linestyle="--", color="grey", label="perfect calibration")
    for i, b in enumerate(evaluation.reliability):
        lo, hi = float(b["lo"]), float(b["hi"])
        axes.bar(
            lo,
            float(b["accuracy"]),
            width=hi - lo,
            align="edge",
            color="tab:blue",
            edgecolor="black",
            linewidth=0.5,
            label="accuracy in bin" if i == 0 else None,
        )
        axes.text(
            (lo + hi) / 2, float(b["accuracy"]) + 0.01, str(b["count"]), ha="center", va="bottom", fontsize=7
        )
    confidence = [float(b["confidence"]) for b in evaluation.reliability]
    accuracy = [float(b["accuracy"]) for b in evaluation.reliability]
    axes.scatter(confidence, accuracy, color="tab:red", s=12, zorder=3, label="mean confidence")
    axes.set_xlim(0.0, 1.0)
    axes.set_ylim(0.0, 1.08)
    axes.set_xlabel("calibrated probability of the top intent")
    axes.set_ylabel("accuracy")
    axes.set_title(f"Reliability (ECE {evaluation.ece:.4f}; numbers: examples per bin)", fontsize=10)
    axes.legend(loc="upper left", fontsize=8)
    return figure
