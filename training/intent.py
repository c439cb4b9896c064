"""Train an intent model from labelled examples: embed, fit, calibrate, tune out-of-scope.

The head is one logistic regression over the embedding and character and word n-grams, plus the
votes of the nearest training examples. Out-of-fold predictions on the training file (k-fold on
small sets, one stratified split on large ones) do four jobs: they pick C and the neighbours'
weight, fit the temperature, and tune the two out-of-scope thresholds. The final head is then
refitted on all examples with those settings. Examples labelled out
of scope become the head's own out-of-scope class: with them the demo's out-of-scope recall went
from 33 % to 90 % at the same in-scope accuracy (BENCHMARKS.md).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from eval.metrics import expected_calibration_error
from suggest.analysis.heads import LinearHead, centred, embedder_meta, save_folder, softmax
from suggest.analysis.intent import ENCODER_DIR, OUT_OF_SCOPE, IntentModel, NgramBlock
from suggest.analysis.lexical import LexicalFeatures
from suggest.analysis.neighbours import Neighbours
from suggest.errors import InputError
from suggest.protocols import Embedder
from training.data import Example
from training.intent_tuning import HeldOut, choose_settings, tune_thresholds
from training.linear import (
    fit_logistic,
    mean_center,
    with_temperature,
)

Progress = Callable[[int, int], None]
EMBED_CHUNK = 256


class IntentTrainOptions(BaseModel):
    """Everything that shapes an intent model; recorded in its manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    c_grid: tuple[Annotated[float, Field(gt=0.0, le=1e6)], ...] = Field(
        default=(10.0, 100.0), min_length=1, max_length=8, description="Inverse regularisation strengths."
    )
    holdout: float = Field(default=0.2, gt=0.0, lt=0.5, description="Share of examples held out.")
    seed: int = 0
    wrong_cost: float = Field(
        default=2.0, ge=1.0, description="How much worse a wrong label is than no label (threshold tuning)."
    )
    min_examples: int = Field(default=2, ge=2, description="Fewest examples an intent may have.")
    ngrams: tuple[Literal["chars", "words"], ...] = Field(
        default=("chars", "words"), description="N-gram feature blocks beside the embedding."
    )
    neighbour_weights: tuple[Annotated[float, Field(ge=0.0, le=5.0)], ...] = Field(
        default=(0.0, 0.2, 0.35, 0.5),
        min_length=1,
        max_length=10,
        description="Weights of the nearest examples' votes to choose from on held-out data (0: off).",
    )
    neighbours_k: int = Field(default=10, ge=1, le=100)
    neighbours_temperature: float = Field(default=0.05, gt=0.0, le=1.0)
    max_neighbours: int = Field(
        default=20_000,
        ge=0,
        le=200_000,
        description="Training vectors kept for the votes, spread evenly over intents.",
    )
    folds: int = Field(default=5, ge=2, le=20, description="k for out-of-fold predictions on small sets.")
    kfold_below: int = Field(
        default=3000, ge=0, description="Sets up to this size use k-fold, larger one split."
    )


@dataclass
class TrainedIntent:
    model: IntentModel
    report: dict[str, Any]


def embed_all(embedder: Embedder, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
    """Embed in chunks so a progress bar can move; the embedder batches within each chunk."""
    parts = []
    for start in range(0, len(texts), EMBED_CHUNK):
        parts.append(embedder.embed(texts[start : start + EMBED_CHUNK], "query"))
        if progress:
            progress(min(start + EMBED_CHUNK, len(texts)), len(texts))
    return np.concatenate(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)


def _check_counts(counts: Counter[str], minimum: int) -> None:
    if len(counts) < 2:
        raise InputError(f"training needs at least 2 intents with examples; found {len(counts)}.")
    few = sorted(label for label, n in counts.items() if n < minimum)
    if few:
        raise InputError(
            f"{len(few)} intent(s) have fewer than {minimum} examples: {', '.join(few[:10])}. "
            "Add examples or remove those labels."
        )


def check_examples(examples: Sequence[Example], minimum: int) -> tuple[Counter[str], int]:
    """Refuse a training set the intent model cannot be fitted on (before any slow step runs);
    returns the examples per intent and the number labelled out of scope."""
    counts = Counter(e.label for e in examples if e.label not in (None, OUT_OF_SCOPE))
    _check_counts(counts, minimum)
    outside = sum(e.label in (None, OUT_OF_SCOPE) for e in examples)
    if 0 < outside < minimum:
        raise InputError(
            f"{outside} example(s) are labelled out of scope; the out-of-scope class needs at least "
            f"{minimum}. Add more, or drop them."
        )
    return counts, outside


def _folds(y: np.ndarray, n_labels: int, options: IntentTrainOptions) -> list[tuple[np.ndarray, np.ndarray]]:
    """Held-out predictions for every example on small sets (stratified k-fold), one held-out
    split on large ones, where a single split is already big and k fits would cost minutes."""
    from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

    smallest = int(np.bincount(y, minlength=n_labels).min())
    if len(y) <= options.kfold_below:
        k = min(options.folds, smallest)
        splitter: StratifiedKFold | StratifiedShuffleSplit = StratifiedKFold(
            n_splits=k, shuffle=True, random_state=options.seed
        )
    else:
        test_size = max(options.holdout, n_labels / len(y))
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=test_size, random_state=options.seed)
    return list(splitter.split(np.zeros(len(y)), y))


def fit_intent(
    x: np.ndarray,
    texts: Sequence[str],
    y: np.ndarray,
    labels: tuple[str, ...],
    *,
    c: float,
    options: IntentTrainOptions,
) -> IntentModel:
    """One logistic regression over [centred embedding | n-gram TF-IDF blocks]; the weights are
    split back into the embedding head and one block per n-gram kind. The neighbour votes are
    stored with weight 0 and thresholds are left open: both are tuned on held-out data."""
    import scipy.sparse as sp

    center = mean_center(x)
    embedded = centred(x, center)
    blocks = [LexicalFeatures.fit(texts, kind) for kind in options.ngrams]
    features = (
        sp.hstack([sp.csr_matrix(embedded), *(b.transform(texts) for b in blocks)]).tocsr()
        if blocks
        else embedded
    )
    coef, intercept = fit_logistic(features, y, len(labels), c=c, seed=options.seed)
    dim = x.shape[1]
    head = LinearHead(labels, coef[:, :dim].copy(), intercept, center)
    ngrams, start = [], dim
    for block in blocks:
        end = start + len(block.columns)
        ngrams.append(NgramBlock(block, coef[:, start:end].copy()))
        start = end
    centroids = _centroids(x, y, len(labels), center)
    return IntentModel(
        head, centroids, 0.0, -1.0, "unversioned", tuple(ngrams), _neighbours(embedded, y, labels, options)
    )


def _neighbours(
    embedded: np.ndarray, y: np.ndarray, labels: tuple[str, ...], options: IntentTrainOptions
) -> Neighbours | None:
    """At most ``max_neighbours`` training vectors, the same share per intent (a seeded sample)."""
    if options.max_neighbours == 0 or options.neighbour_weights == (0.0,):
        return None
    per_label = max(1, options.max_neighbours // len(labels))
    rng = np.random.default_rng(options.seed)
    keep = np.concatenate(
        [
            rows if len(rows) <= per_label else np.sort(rng.choice(rows, per_label, replace=False))
            for rows in (np.flatnonzero(y == i) for i in range(len(labels)))
        ]
    )
    return Neighbours(
        # rounded as they are stored (float16), so the trained model equals the loaded one
        embedded[keep].astype(np.float16).astype(np.float32),
        y[keep].astype(np.int64),
        len(labels),
        options.neighbours_k,
        options.neighbours_temperature,
    )


def _held_out(
    x: np.ndarray,
    texts: list[str],
    y: np.ndarray,
    labels: tuple[str, ...],
    *,
    c: float,
    folds: list[tuple[np.ndarray, np.ndarray]],
    options: IntentTrainOptions,
) -> HeldOut:
    parts = []
    for train, held in folds:
        model = fit_intent(x[train], [texts[i] for i in train], y[train], labels, c=c, options=options)
        held_texts = [texts[i] for i in held]
        features = centred(x[held], model.head.center)
        votes = (
            model.neighbours.log_votes(features)
            if model.neighbours is not None
            else np.zeros((len(held), len(labels)), dtype=np.float32)
        )
        parts.append((held, model.linear_logits(x[held], held_texts), votes, model.similarities(x[held])))
    return HeldOut(*(np.concatenate([p[i] for p in parts]) for i in range(4)))


def _centroids(x: np.ndarray, y: np.ndarray, n_labels: int, center: np.ndarray) -> np.ndarray:
    feats = centred(x, center)
    sums = np.zeros((n_labels, x.shape[1]), dtype=np.float32)
    np.add.at(sums, y, feats)
    unit: np.ndarray = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return unit


def train_intent(
    examples: Sequence[Example],
    embedder: Embedder,
    options: IntentTrainOptions | None = None,
    progress: Progress | None = None,
    *,
    vectors: np.ndarray | None = None,
) -> TrainedIntent:
    """Fit, calibrate and tune an intent model; the report holds the held-out figures.
    ``vectors``: the examples' embeddings when the caller has them already."""
    options = options or IntentTrainOptions()
    started = time.perf_counter()
    counts, outside = check_examples(examples, options.min_examples)
    labels = tuple(sorted(counts)) + ((OUT_OF_SCOPE,) if outside else ())
    index = {label: i for i, label in enumerate(labels)}
    y = np.array([index[e.label or OUT_OF_SCOPE] for e in examples])
    texts = [e.text for e in examples]
    if vectors is not None and len(vectors) != len(texts):
        raise InputError(f"expected one vector per example; found {len(vectors)} for {len(texts)}.")
    x = embed_all(embedder, texts, progress) if vectors is None else vectors
    embedded_at = time.perf_counter()

    folds = _folds(y, len(labels), options)
    held_out = {
        c: _held_out(x, texts, y, labels, c=c, folds=folds, options=options) for c in sorted(options.c_grid)
    }
    best_c, best_w, temperature, grid = choose_settings(held_out, y, options.neighbour_weights)
    best = held_out[best_c]
    y_held = y[best.index]
    logits = best.logits(best_w)
    probs = softmax(logits / temperature)
    pred = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    sim = best.sims[np.arange(len(pred)), pred]
    out_class = index.get(OUT_OF_SCOPE, -1)
    in_scope, labelled, correct = y_held != out_class, pred != out_class, pred == y_held
    t_conf, t_sim, stats = tune_thresholds(
        conf, sim, correct, in_scope, labelled, wrong_cost=options.wrong_cost
    )

    fitted = fit_intent(x, texts, y, labels, c=best_c, options=options)
    model = replace(
        fitted,
        head=with_temperature(fitted.head, temperature),
        neighbours=fitted.neighbours.with_weight(best_w) if fitted.neighbours is not None else None,
        min_confidence=t_conf,
        min_similarity=t_sim,
        version=datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
    )
    report = {
        "examples": len(examples) - outside,
        "out_of_scope_examples": outside,
        "intents": len(counts),
        "per_intent": dict(sorted(counts.items())),
        "c": best_c,
        "neighbour_weight": best_w,
        "grid": grid,
        "temperature": temperature,
        "holdout": {
            "examples": len(y_held),
            "method": f"{len(folds)}-fold out-of-fold" if len(folds) > 1 else "one stratified split",
            "accuracy": round(float(correct[in_scope].mean()), 4),
            "ece_before": expected_calibration_error(softmax(logits), y_held),
            "ece_after": expected_calibration_error(probs, y_held),
            **stats,
        },
        "min_confidence": t_conf,
        "min_similarity": t_sim,
        "seconds": {
            "embed": round(embedded_at - started, 2),
            "fit": round(time.perf_counter() - embedded_at, 2),
        },
    }
    return TrainedIntent(model, report)


def save_intent(
    folder: Path,
    trained: TrainedIntent,
    embedder: Embedder,
    options: IntentTrainOptions,
    source: dict[str, Any],
    *,
    encoder: Path | None = None,
) -> dict[str, Any]:
    """Write the model folder; its manifest is enough to reproduce the run (data hash, seed, options).
    An accurate-mode model's ``encoder`` folder is copied in, so its checksums are in the manifest,
    and the head is recorded as trained on that encoder's vectors, not ``embedder``'s."""
    if (encoder is None) != (trained.model.encoder is None):
        raise ValueError(
            "an intent model with its own encoder is saved with that encoder's folder, and only then"
        )
    meta = {
        **trained.model.meta(),
        "embedder": embedder_meta(trained.model.embedder(embedder)),
        "training": {"source": source, "options": options.model_dump(mode="json"), "report": trained.report},
    }
    folders = {ENCODER_DIR: encoder} if encoder is not None else None
    return save_folder(folder, trained.model.tensors(), meta, folders=folders)
