"""Checks that a model really is multilingual before we serve it, and that backends agree."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Embed = Callable[[Sequence[str]], np.ndarray]

# (language, sentence, its English translation, an unrelated English sentence)
CROSS_LINGUAL_CASES = (
    (
        "nl",
        "Waar is mijn pakket? Het is nog niet bezorgd.",
        "Where is my package? It has not been delivered yet.",
        "I would like to change the password of my account.",
    ),
    (
        "el",
        "Πού είναι το δέμα μου; Δεν έχει παραδοθεί ακόμα.",
        "Where is my package? It has not been delivered yet.",
        "I would like to change the password of my account.",
    ),
)

AGREEMENT_TEXTS = (
    "Where is my package? It has not been delivered yet.",
    "I want to cancel my subscription and get a refund for this month.",
    "The app crashes every time I open the settings page on my phone.",
    "Thanks, that solved it!",
    "Waar is mijn pakket? Het is nog niet bezorgd.",
    "Ik wil mijn abonnement opzeggen, want de app werkt al twee weken niet.",
    "Mijn factuur klopt niet: ik ben twee keer betaald voor oktober.",
    "Bedankt voor de snelle hulp!",
    "Πού είναι το δέμα μου; Δεν έχει παραδοθεί ακόμα.",
    "Η παραγγελία μου έφτασε σπασμένη και θέλω επιστροφή χρημάτων.",
    "Δεν μπορώ να συνδεθώ στον λογαριασμό μου από χθες.",
    "Ευχαριστώ πολύ για τη βοήθεια!",
)
"""The fixed en/nl/el set on which a faster backend must match fp32."""

MIN_AGREEMENT = 0.99


def cross_lingual_report(embed: Embed) -> dict[str, dict[str, float]]:
    """Cosine of each sentence with its translation and with an unrelated sentence."""
    report: dict[str, dict[str, float]] = {}
    for lang, sentence, translation, unrelated in CROSS_LINGUAL_CASES:
        v = embed([sentence, translation, unrelated])
        report[lang] = {
            "translation": round(float(v[0] @ v[1]), 4),
            "unrelated": round(float(v[0] @ v[2]), 4),
        }
    return report


def cross_lingual_problem(report: dict[str, dict[str, float]]) -> str | None:
    """What is wrong when a translation pair does not beat its unrelated pair, else None."""
    failures = [
        f"{lang}: translation {r['translation']} <= unrelated {r['unrelated']}"
        for lang, r in report.items()
        if r["translation"] <= r["unrelated"]
    ]
    if not failures:
        return None
    return (
        "the model does not place translations closer than unrelated text ("
        + "; ".join(failures)
        + "). Use a multilingual model; for the built-in one, run `replykit models prepare --force`."
    )


def agreement(reference: Embed, candidate: Embed, texts: Sequence[str] = AGREEMENT_TEXTS) -> float:
    """The lowest cosine between the two backends' vectors for the same text."""
    a, b = reference(list(texts)), candidate(list(texts))
    return float(np.min(np.sum(a * b, axis=1)))
