"""Choosing an intent model's settings from held-out predictions: C and the neighbours' weight by
log-loss after temperature scaling, then the two out-of-scope thresholds by cost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from suggest.errors import InputError
from training.linear import calibrated_nll


@dataclass
class HeldOut:
    """Predictions for examples no fitted head saw: linear logits, neighbour log votes and
    centroid similarities."""

    index: np.ndarray
    linear: np.ndarray
    votes: np.ndarray
    sims: np.ndarray

    def logits(self, weight: float) -> np.ndarray:
        return self.linear + weight * self.votes if weight else self.linear


def choose_settings(
    held_out: dict[float, HeldOut], y: np.ndarray, weights: Sequence[float]
) -> tuple[float, float, float, dict[str, dict[str, float]]]:
    """C and neighbour weight with the lowest held-out log-loss after temperature scaling, and
    that temperature; ties go to the smaller C and weight, the simpler model."""
    grid: dict[tuple[float, float], tuple[float, float, float]] = {}
    for c, h in held_out.items():
        for w in weights:
            logits = h.logits(w)
            temperature, nll = calibrated_nll(logits, y[h.index])
            accuracy = float((logits.argmax(axis=1) == y[h.index]).mean())
            grid[(c, w)] = (nll, temperature, accuracy)
    best_c, best_w = min(grid, key=lambda cw: (round(grid[cw][0], 4), cw[0], cw[1]))
    table = {
        f"C={c:g} votes={w:g}": {"log_loss": round(nll, 4), "accuracy": round(acc, 4)}
        for (c, w), (nll, _, acc) in grid.items()
    }
    return best_c, best_w, grid[(best_c, best_w)][1], table


def tune_thresholds(
    conf: np.ndarray,
    sim: np.ndarray,
    correct: np.ndarray,
    in_scope: np.ndarray,
    labelled: np.ndarray,
    *,
    wrong_cost: float,
) -> tuple[float, float, dict[str, float]]:
    """Thresholds with the lowest cost: abstaining on an in-scope ticket costs 1, a wrong label
    or a label on an out-of-scope ticket costs ``wrong_cost``. Ties go to the lower threshold.
    ``labelled``: the head picked an intent, not its out-of-scope class."""
    sims_ok = sim[in_scope & correct]
    if not len(sims_ok):
        raise InputError(
            "no held-out example was classified correctly, so no out-of-scope threshold can be "
            "tuned; check that the labels match the texts, and add examples."
        )
    # No "off" setting: a ticket less like an intent's examples than 99.5 % of that intent's own
    # held-out examples is something new, which the out-of-scope examples may not have covered.
    sim_grid = sorted({float(np.quantile(sims_ok, q)) for q in (0.005, 0.01, 0.02, 0.05)})
    best: tuple[float, float, float] | None = None
    for t_sim in sim_grid:
        for t_conf in np.round(np.arange(0.0, 0.951, 0.025), 3):
            accept = labelled & (conf >= t_conf) & (sim >= t_sim)
            cost = (in_scope & ~accept).sum() + wrong_cost * (accept & ~(in_scope & correct)).sum()
            if best is None or cost < best[0]:
                best = (float(cost), float(t_conf), t_sim)
    assert best is not None
    _, t_conf, t_sim = best
    accept = labelled & (conf >= t_conf) & (sim >= t_sim)
    stats = {
        "coverage": round(float(accept[in_scope].mean()), 4),
        "selective_accuracy": round(
            float(correct[in_scope & accept].mean()) if accept[in_scope].any() else 0.0, 4
        ),
        "accuracy_with_abstention": round(float((accept & correct)[in_scope].mean()), 4),
    }
    if (~in_scope).any():
        stats["out_of_scope_recall"] = round(float((~accept[~in_scope]).mean()), 4)
    return t_conf, round(t_sim, 4), stats
