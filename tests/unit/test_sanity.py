"""The model checks themselves, on made-up numbers and the hashing fake."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from suggest.embed.fake import HashingEmbedder
from suggest.models.sanity import (
    AGREEMENT_TEXTS,
    CROSS_LINGUAL_CASES,
    agreement,
    cross_lingual_problem,
    cross_lingual_report,
)


def test_a_failing_language_is_named() -> None:
    report = {"nl": {"translation": 0.93, "unrelated": 0.79}, "el": {"translation": 0.70, "unrelated": 0.80}}
    problem = cross_lingual_problem(report)
    assert problem is not None and "el: translation 0.7 <= unrelated 0.8" in problem and "nl:" not in problem
    assert cross_lingual_problem({"nl": report["nl"]}) is None


def test_report_covers_dutch_and_greek() -> None:
    report = cross_lingual_report(lambda texts: HashingEmbedder().embed(texts))
    assert set(report) == {case[0] for case in CROSS_LINGUAL_CASES} == {"nl", "el"}
    assert all(-1.0 <= r["translation"] <= 1.0 for r in report.values())


def test_agreement_is_the_worst_pair() -> None:
    fake = HashingEmbedder()

    def perturbed(texts: Sequence[str]) -> np.ndarray:
        vectors = fake.embed(texts)
        vectors[3] = fake.embed(["something else entirely"])[0]  # one text goes wrong
        return vectors

    assert agreement(fake.embed, fake.embed) > 0.9999
    worst = agreement(fake.embed, perturbed)
    assert worst == float(fake.embed([AGREEMENT_TEXTS[3]])[0] @ fake.embed(["something else entirely"])[0])
    assert worst < 0.9
