"""Fitting calibrated linear heads: logistic regression, temperature scaling, calibration error.

scikit-learn does the fitting; only the weights leave this module (serving uses scikit-learn only
to hash character n-grams).
Temperature scaling (Guo et al. 2017) is one scalar fitted on held-out logits: it fixes
over-confidence without changing which label wins.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from suggest.analysis.heads import LinearHead, centred, sigmoid, softmax


def mean_center(x: np.ndarray) -> np.ndarray:
    mean: np.ndarray = np.asarray(x, dtype=np.float32).mean(axis=0)
    return mean


def fit_logistic(
    features: Any, y: np.ndarray, n_labels: int, *, c: float, seed: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression on dense or sparse features: (coef, intercept) with one
    row per label; a label absent from ``y`` gets a bias that keeps it from ever winning."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=2000, random_state=seed)
    model.fit(features, y, sample_weight=weights)
    coef = np.zeros((n_labels, features.shape[1]), dtype=np.float32)
    intercept = np.full(n_labels, -1e4, dtype=np.float32)
    classes = model.classes_.astype(int)
    if len(classes) == 2:  # sklearn keeps one row for two classes; expand it to softmax form
        coef[classes[1]], intercept[classes[1]] = model.coef_[0] / 2, model.intercept_[0] / 2
        coef[classes[0]], intercept[classes[0]] = -model.coef_[0] / 2, -model.intercept_[0] / 2
    else:
        coef[classes], intercept[classes] = model.coef_, model.intercept_
    return coef, intercept


def fit_softmax(
    x: np.ndarray,
    y: np.ndarray,
    labels: tuple[str, ...],
    c: float,
    *,
    seed: int,
    center: np.ndarray,
    weights: np.ndarray | None = None,
) -> LinearHead:
    """Multinomial logistic regression on centred embeddings; ``y`` holds indices into ``labels``."""
    coef, intercept = fit_logistic(centred(x, center), y, len(labels), c=c, seed=seed, weights=weights)
    return LinearHead(labels, coef, intercept, center)


def fit_sigmoids(
    x: np.ndarray,
    y: np.ndarray,
    labels: tuple[str, ...],
    c: float,
    *,
    seed: int,
    center: np.ndarray,
    weights: np.ndarray | None = None,
) -> LinearHead:
    """One class-balanced binary logistic regression per label; ``y`` is a 0/1 matrix (rows, labels)."""
    from sklearn.linear_model import LogisticRegression

    x = centred(x, center)
    weight = np.zeros((len(labels), x.shape[1]), dtype=np.float32)
    bias = np.zeros(len(labels), dtype=np.float32)
    for j in range(len(labels)):
        model = LogisticRegression(C=c, max_iter=2000, random_state=seed, class_weight="balanced")
        model.fit(x, y[:, j], sample_weight=weights)
        weight[j], bias[j] = model.coef_[0], model.intercept_[0]
    return LinearHead(labels, weight, bias, center, multilabel=True)


def fit_temperature(logits: np.ndarray, y: np.ndarray, *, multilabel: bool = False) -> float:
    """The temperature that minimises held-out negative log-likelihood."""
    return calibrated_nll(logits, y, multilabel=multilabel)[0]


def calibrated_nll(logits: np.ndarray, y: np.ndarray, *, multilabel: bool = False) -> tuple[float, float]:
    """(temperature, held-out negative log-likelihood at that temperature). The likelihood is a
    smoother guide than accuracy for choosing between settings: on a held-out split of 2,000
    examples one more right answer moves accuracy by 0.05 points."""

    def nll(log_t: float) -> float:
        z = logits / np.exp(log_t)
        if multilabel:
            p = np.clip(sigmoid(z), 1e-7, 1 - 1e-7)
            return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())
        p = softmax(z)[np.arange(len(y)), y]
        return float(-np.log(np.clip(p, 1e-12, None)).mean())

    found = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return round(float(np.exp(found.x)), 4), float(found.fun)


def with_temperature(head: LinearHead, temperature: float) -> LinearHead:
    return LinearHead(head.labels, head.weight, head.bias, head.center, temperature, head.multilabel)
