"""Readers for the public emotion sets, mapped onto replykit's sentiment and five emotions.

The sets are read where they lie (``--data-dir``, e.g. ../shared/datasets) at training time and
never copied. Mappings:

- GoEmotions ``group`` labels give sentiment (``ambiguous`` rows are left out of sentiment);
  the 28 ``original`` labels give emotions: anger <- anger; frustration <- annoyance, disgust,
  disapproval, disappointment; fear <- fear, nervousness; sadness <- sadness, grief, remorse;
  joy <- joy, gratitude, admiration, amusement, love, optimism, relief, excitement, pride.
- XED (Plutchik-8): anger, disgust -> frustration, fear, joy, sadness; anticipation, surprise
  and trust set no emotion. Sentiment: negative for anger/disgust/fear/sadness only, positive for
  joy/trust only, neutral for XED's neutral lines; mixed lines set no sentiment.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from suggest.analysis.emotion import SENTIMENTS
from suggest.analysis.types import EMOTIONS
from suggest.errors import InputError

GOEMOTIONS_TO_OURS = {
    "anger": "anger",
    "annoyance": "frustration",
    "disgust": "frustration",
    "disapproval": "frustration",
    "disappointment": "frustration",
    "fear": "fear",
    "nervousness": "fear",
    "sadness": "sadness",
    "grief": "sadness",
    "remorse": "sadness",
    **{
        name: "joy"
        for name in (
            "joy",
            "gratitude",
            "admiration",
            "amusement",
            "love",
            "optimism",
            "relief",
            "excitement",
            "pride",
        )
    },
}
XED_TO_OURS = {1: "anger", 3: "frustration", 4: "fear", 5: "joy", 6: "sadness"}
XED_NEGATIVE, XED_POSITIVE = {1, 3, 4, 6}, {5, 8}


@dataclass(frozen=True)
class EmotionExample:
    text: str
    source: str
    language: str
    sentiment: str | None
    """None: this example says nothing about sentiment."""
    emotions: frozenset[str] | None
    """None: this example says nothing about emotions."""


def _require(path: Path) -> Path:
    if not path.is_file():
        raise InputError(
            f"{path} is missing; expected the public emotion sets under --data-dir (see MODEL_CARD.md)."
        )
    return path


def _labels_file(path: Path) -> list[str]:
    return _require(path).read_text(encoding="utf-8").split()


def goemotions(data_dir: Path, split: str) -> Iterator[EmotionExample]:
    root = data_dir / "goemotions" / "data"
    original = _labels_file(root / "original" / "labels.txt")
    group = _labels_file(root / "group" / "labels.txt")
    with (
        _require(root / "original" / f"{split}.tsv").open(encoding="utf-8") as fo,
        _require(root / "group" / f"{split}.tsv").open(encoding="utf-8") as fg,
    ):
        for line_o, line_g in zip(fo, fg, strict=True):
            text, ids_o, _ = line_o.rstrip("\n").split("\t")
            ids_g = line_g.rstrip("\n").split("\t")[1]
            groups = {group[int(i)] for i in ids_g.split(",")}
            sentiment = groups.pop() if len(groups) == 1 and "ambiguous" not in groups else None
            names = {original[int(i)] for i in ids_o.split(",")}
            emotions = frozenset(GOEMOTIONS_TO_OURS[n] for n in names if n in GOEMOTIONS_TO_OURS)
            yield EmotionExample(text, f"goemotions/{split}", "en", sentiment, emotions)


def _xed_example(text: str, ids: set[int], source: str, language: str) -> EmotionExample:
    if ids == {0}:
        return EmotionExample(text, source, language, "neutral", frozenset())
    sentiment = "negative" if ids <= XED_NEGATIVE else "positive" if ids <= XED_POSITIVE else None
    return EmotionExample(
        text, source, language, sentiment, frozenset(XED_TO_OURS[i] for i in ids if i in XED_TO_OURS)
    )


def xed(data_dir: Path, language: str) -> Iterator[EmotionExample]:
    """XED English (human-annotated, plus its neutral lines) or a projected language (nl)."""
    root = data_dir / "xed"
    if language == "en":
        files = [
            (root / "AnnotatedData" / "en-annotated.tsv", False),
            (root / "AnnotatedData" / "neu_en.txt", True),
        ]
    else:
        files = [(root / "Projections" / f"{language}-projections.tsv", False)]
    for path, neutral_first in files:
        with _require(path).open(encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\r\n").split("\t")
                if len(parts) != 2:
                    continue
                text, ids = (
                    (parts[1], {0}) if neutral_first else (parts[0], {int(i) for i in parts[1].split(",")})
                )
                if text.strip():
                    yield _xed_example(text.strip(), ids, f"xed/{language}", language)


def support_examples(path: Path) -> Iterator[EmotionExample]:
    """The project's own support-style examples (training/data/support_emotions.jsonl)."""
    with _require(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            row = json.loads(line)
            sentiment, emotions = row["sentiment"], frozenset(row["emotions"])
            if sentiment not in SENTIMENTS or not emotions <= set(EMOTIONS):
                raise InputError(
                    f"{path.name}:{n}: unknown sentiment {sentiment!r} or emotions {sorted(emotions)}."
                )
            yield EmotionExample(row["text"], "support", row["language"], sentiment, emotions)
