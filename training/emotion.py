"""Train the default sentiment and emotion heads and write their model card.

``replykit train-emotion --data-dir ../shared/datasets`` reproduces the shipped weights:
GoEmotions (en), XED (en, nl) and the project's own support-style examples (en, nl, el), with
fixed seeds. Held out and never trained on: GoEmotions test, GoEmotions dev (used only for the
temperature), 20 % of XED Dutch and 20 % of the support examples.

Every corpus is centred on its own mean per language before fitting (GoEmotions on the English
GoEmotions mean, XED Dutch on the XED Dutch mean, support examples on their language's mean), so
neither a corpus's style nor its language can stand in for an emotion. At prediction time a
ticket is centred on its language's support mean, which the model keeps.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from suggest.analysis.emotion import SENTIMENTS, EmotionModel
from suggest.analysis.heads import embedder_meta, save_folder
from suggest.analysis.types import EMOTIONS
from suggest.errors import InputError
from suggest.protocols import Embedder
from training import emotion_data as data
from training.intent import Progress, embed_all
from training.linear import fit_sigmoids, fit_softmax, fit_temperature, mean_center, with_temperature

SUPPORT_FILE = Path(__file__).parent / "data" / "support_emotions.jsonl"
CARD_TEMPLATE = Path(__file__).parent / "data" / "emotion_model_card.md"


class EmotionTrainOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    c: float = Field(default=1.0, gt=0)
    seed: int = 0
    support_weight: float = Field(
        default=10.0, gt=0, description="Weight of a support example vs a public one."
    )
    holdout: float = Field(
        default=0.2, gt=0, lt=0.5, description="Share of XED Dutch and support examples held out."
    )


@dataclass
class Corpus:
    train: list[data.EmotionExample]
    calibration: list[data.EmotionExample]
    evaluations: dict[str, list[data.EmotionExample]]


def _split(rows: list[data.EmotionExample], share: float, seed: int) -> tuple[list[Any], list[Any]]:
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    cut = int(len(shuffled) * share)
    return shuffled[cut:], shuffled[:cut]


def collect(data_dir: Path, options: EmotionTrainOptions, support_file: Path = SUPPORT_FILE) -> Corpus:
    nl_train, nl_held = _split(list(data.xed(data_dir, "nl")), options.holdout, options.seed)
    support_train, support_held = _split(
        list(data.support_examples(support_file)), options.holdout, options.seed
    )
    train = [*data.goemotions(data_dir, "train"), *data.xed(data_dir, "en"), *nl_train, *support_train]
    evaluations = {"goemotions_test": list(data.goemotions(data_dir, "test")), "xed_nl_heldout": nl_held}
    for language in ("en", "nl", "el"):
        evaluations[f"support_{language}_heldout"] = [e for e in support_held if e.language == language]
    return Corpus(train, list(data.goemotions(data_dir, "dev")), evaluations)


def _sentiment_rows(rows: Sequence[data.EmotionExample]) -> tuple[np.ndarray, np.ndarray]:
    keep = np.array([r.sentiment is not None for r in rows], dtype=bool)
    y = np.array([SENTIMENTS.index(r.sentiment) for r in rows if r.sentiment is not None], dtype=int)
    return keep, y


def _emotion_rows(rows: Sequence[data.EmotionExample]) -> tuple[np.ndarray, np.ndarray]:
    keep = np.array([r.emotions is not None for r in rows], dtype=bool)
    y = np.array([[name in (r.emotions or ()) for name in EMOTIONS] for r in rows if r.emotions is not None])
    return keep, y.astype(np.float32).reshape(-1, len(EMOTIONS))


def _group(row: data.EmotionExample) -> str:
    """The corpus and language an example is centred with, e.g. ``xed/nl`` or ``support/el``."""
    return f"{row.source.split('/')[0]}/{row.language}"


def score_heads(
    model: EmotionModel, vectors: np.ndarray, rows: Sequence[data.EmotionExample]
) -> dict[str, Any]:
    """Scored the way tickets are: centred on the support mean of the row's language."""
    from sklearn.metrics import f1_score

    x = model.shifted(vectors, [r.language for r in rows])
    out: dict[str, Any] = {"examples": len(rows)}
    keep, y = _sentiment_rows(rows)
    if keep.any():
        pred = model.sentiment.probabilities(x[keep]).argmax(axis=1)
        out["sentiment_macro_f1"] = round(float(f1_score(y, pred, average="macro", labels=[0, 1, 2])), 4)
        out["sentiment_accuracy"] = round(float((pred == y).mean()), 4)
    keep, ym = _emotion_rows(rows)
    if keep.any():
        pred_m = model.emotions.probabilities(x[keep]) >= 0.5
        present = ym.sum(axis=0) > 0
        per = f1_score(ym, pred_m, average=None, zero_division=0)
        out["emotion_macro_f1"] = round(float(np.mean(per[present])), 4)
        out["emotion_f1"] = {
            name: round(float(f), 4) for name, f, p in zip(EMOTIONS, per, present, strict=True) if p
        }
    return out


def train_emotion(
    corpus: Corpus, embedder: Embedder, options: EmotionTrainOptions, progress: Progress | None = None
) -> tuple[EmotionModel, dict[str, Any]]:
    if not any(r.source == "support" for r in corpus.train):  # checked before minutes of embedding
        raise InputError(
            "the training set has no support examples; they give each language's mean embedding, "
            "which tickets are centred on. Keep training/data/support_emotions.jsonl in the corpus."
        )
    started = time.perf_counter()
    everything = [
        *corpus.train,
        *corpus.calibration,
        *(r for rows in corpus.evaluations.values() for r in rows),
    ]
    texts = sorted({r.text for r in everything})
    vectors = embed_all(embedder, texts, progress)
    row_of = {t: i for i, t in enumerate(texts)}

    def embed(rows: Sequence[data.EmotionExample]) -> np.ndarray:
        return vectors[[row_of[r.text] for r in rows]]

    embedded_at = time.perf_counter()
    groups: dict[str, list[int]] = {}
    for r in corpus.train:
        groups.setdefault(_group(r), []).append(row_of[r.text])
    means = {name: vectors[rows].mean(axis=0) for name, rows in groups.items()}
    language_means = {
        name.split("/")[1]: mean.astype(np.float32)
        for name, mean in means.items()
        if name.startswith("support/")
    }

    def centred(rows: Sequence[data.EmotionExample]) -> np.ndarray:
        return np.asarray(embed(rows) - np.stack([means[_group(r)] for r in rows]))

    x = centred(corpus.train)
    weights = np.array([options.support_weight if r.source == "support" else 1.0 for r in corpus.train])
    center = mean_center(x)
    keep, y = _sentiment_rows(corpus.train)
    sentiment = fit_softmax(
        x[keep], y, SENTIMENTS, options.c, seed=options.seed, center=center, weights=weights[keep]
    )
    keep_m, ym = _emotion_rows(corpus.train)
    emotions = fit_sigmoids(
        x[keep_m], ym, EMOTIONS, options.c, seed=options.seed, center=center, weights=weights[keep_m]
    )

    x_cal = centred(corpus.calibration)
    keep, y = _sentiment_rows(corpus.calibration)
    sentiment = with_temperature(sentiment, fit_temperature(sentiment.logits(x_cal[keep]), y))
    keep_m, ym = _emotion_rows(corpus.calibration)
    t_emotions = fit_temperature(emotions.logits(x_cal[keep_m]), ym, multilabel=True)
    emotions = with_temperature(emotions, t_emotions)
    version = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    model = EmotionModel(sentiment, emotions, version, language_means)
    report = {
        "train_examples": dict(sorted(Counter(r.source for r in corpus.train).items())),
        "temperatures": {"sentiment": sentiment.temperature, "emotions": emotions.temperature},
        "evaluations": {
            name: score_heads(model, embed(rows), rows) for name, rows in corpus.evaluations.items()
        },
        "seconds": {
            "embed": round(embedded_at - started, 1),
            "fit": round(time.perf_counter() - embedded_at, 1),
        },
    }
    return model, report


def save_emotion(
    folder: Path,
    model: EmotionModel,
    report: dict[str, Any],
    embedder: Embedder,
    options: EmotionTrainOptions,
) -> dict[str, Any]:
    meta = {
        **model.meta(),
        "embedder": embedder_meta(embedder),
        "training": {"options": options.model_dump(mode="json"), "report": report},
    }
    return save_folder(folder, model.tensors(), meta, {"MODEL_CARD.md": model_card(report, options)})


def model_card(report: dict[str, Any], options: EmotionTrainOptions) -> str:
    """The card shipped beside the weights: data, licences, attribution, figures, how to rebuild."""
    rows = "\n".join(
        f"| {name} | {scores['examples']} | {scores.get('sentiment_macro_f1', '–')} | "
        f"{scores.get('emotion_macro_f1', '–')} |"
        for name, scores in report["evaluations"].items()
    )
    counts = ", ".join(f"{source}: {n:,}" for source, n in report["train_examples"].items())
    return CARD_TEMPLATE.read_text(encoding="utf-8").format(
        rows=rows,
        counts=counts,
        options=options.model_dump_json(),
        embed_s=report["seconds"]["embed"],
        fit_s=report["seconds"]["fit"],
    )


def support_only_model(embedder: Embedder, seed: int = 0) -> EmotionModel:
    """Heads from the support examples alone, for an embedder the shipped heads do not fit."""
    rows = list(data.support_examples(SUPPORT_FILE))
    model, _ = train_emotion(Corpus(rows, rows, {}), embedder, EmotionTrainOptions(seed=seed))
    return model
