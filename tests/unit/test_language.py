from __future__ import annotations

import pytest

from suggest.language import detect_language, supported_languages

SAMPLES = {
    "en": "Where is my package? It has not been delivered yet and I need it soon.",
    "nl": "Waar is mijn pakket? Het is nog niet bezorgd en ik heb het snel nodig.",
    "el": "Πού είναι το δέμα μου; Δεν έχει παραδοθεί ακόμα και το χρειάζομαι.",
    "de": "Wo ist mein Paket? Es wurde noch nicht geliefert und ich brauche es bald.",
    "fr": "Où est mon colis ? Il n'a pas encore été livré et j'en ai besoin vite.",
    "es": "¿Dónde está mi paquete? Todavía no ha sido entregado y lo necesito pronto.",
}


@pytest.mark.parametrize(("code", "text"), SAMPLES.items())
def test_detects_the_six_core_languages(code: str, text: str) -> None:
    guess = detect_language(text, fallback="xx")
    assert (guess.code, guess.source) == (code, "detected")
    assert guess.probability >= 0.8


def test_results_are_stable_between_calls() -> None:
    text = "merci pour votre aide, à bientôt"
    assert len({detect_language(text) for _ in range(10)}) == 1


@pytest.mark.parametrize("short", ["ok", "thanks!", "Danke", "👍", "12345 678"])
def test_short_text_uses_the_callers_language(short: str) -> None:
    assert detect_language(short, fallback="nl").code == "nl"
    assert detect_language(short, fallback="nl").source == "fallback"
    assert detect_language(short).code == "und"
    assert detect_language(short).source == "undetermined"


def test_an_ambiguous_guess_is_not_trusted() -> None:
    text = "merci beaucoup"  # long enough to try, too short for a confident answer
    assert detect_language(text, fallback="nl") == detect_language("ok", fallback="nl")
    assert detect_language(text).code == "und"


def test_fallback_codes_are_normalised() -> None:
    assert detect_language("ok", fallback="PT-BR").code == "pt"


def test_covers_at_least_the_core_languages() -> None:
    assert {"en", "nl", "el", "de", "fr", "es"} <= set(supported_languages())
