"""Which language a ticket is written in, with an honest fallback for text too short to tell.

langdetect samples n-grams at random; a private detector factory with a fixed seed makes the
same text always get the same answer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from langdetect import DetectorFactory
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import LangDetectException

UNDETERMINED = "und"
MIN_LETTERS = 12
"""Below this many letters ("ok", "thanks!") no detector is reliable."""
MIN_PROBABILITY = 0.80
"""A top guess below this is treated as ambiguous."""

Source = Literal["detected", "fallback", "undetermined"]


@dataclass(frozen=True)
class LanguageGuess:
    code: str
    """ISO 639-1 code (``zh`` rather than langdetect's ``zh-cn``), or ``und``."""
    probability: float
    """The detector's confidence; 0.0 when the code is a fallback or ``und``."""
    source: Source
    """Whether the code was detected, taken from the caller's fallback, or unknown."""


_lock = threading.Lock()
_factory: DetectorFactory | None = None


def _get_factory() -> DetectorFactory:
    global _factory
    if _factory is None:
        factory = DetectorFactory()
        factory.load_profile(PROFILES_DIRECTORY)
        factory.seed = 0
        _factory = factory
    return _factory


def _normalise(code: str) -> str:
    return code.split("-", maxsplit=1)[0].lower()


def supported_languages() -> list[str]:
    """The languages the detector can name (ISO 639-1)."""
    with _lock:
        return sorted({_normalise(c) for c in _get_factory().get_lang_list()})


def _fallback(fallback: str | None) -> LanguageGuess:
    if fallback:
        return LanguageGuess(_normalise(fallback), 0.0, "fallback")
    return LanguageGuess(UNDETERMINED, 0.0, "undetermined")


def detect_language(text: str, fallback: str | None = None) -> LanguageGuess:
    """Detect the language of ``text``; short or ambiguous text gets ``fallback`` or ``und``.

    ``fallback`` is what the caller already knows: the customer's language, else the tenant's.
    """
    letters = sum(ch.isalpha() for ch in text)
    if letters < MIN_LETTERS:
        return _fallback(fallback)
    with _lock:
        try:
            detector = _get_factory().create()
            detector.append(text)
            candidates = detector.get_probabilities()
        except LangDetectException:
            return _fallback(fallback)
    if not candidates:
        return _fallback(fallback)
    best = candidates[0]
    if best.prob < MIN_PROBABILITY:
        return _fallback(fallback)
    return LanguageGuess(_normalise(best.lang), round(best.prob, 4), "detected")
