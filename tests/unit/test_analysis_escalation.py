"""``decide``: every trigger in en, nl and el, priorities, and messages that must not escalate.

Model outputs are built by hand, so each test controls exactly what the policy sees.
"""

from __future__ import annotations

import dataclasses

import pytest

from suggest.analysis.escalation import Signals, decide
from suggest.analysis.policy import EscalationPolicy, load_policy
from suggest.analysis.types import Escalation, IntentResult, SentimentResult
from tests.analysis_helpers import NEGATIVE, NEUTRAL, POSITIVE, intent, sentiment

POLICY = load_policy()
CONFIDENT = intent("order_status", 0.95)


def run(
    text: str,
    *,
    intent_result: IntentResult | None = CONFIDENT,
    mood: SentimentResult | None = NEUTRAL,
    customer_tier: str | None = None,
    thread_count: int = 1,
    emotions: dict[str, float] | None = None,
    failure: str | None = None,
    requests: tuple[tuple[str, str], ...] = (),
    policy: EscalationPolicy = POLICY,
) -> Escalation:
    """decide() on a calm, confidently classified ticket unless told otherwise."""
    signals = Signals(
        text=text,
        customer_tier=customer_tier,
        thread_count=thread_count,
        intent=intent_result,
        sentiment=mood,
        emotions=emotions or {},
        failure=failure,
        requests=requests,
    )
    return decide(signals, policy)


def reasons(escalation: Escalation) -> dict[str, str]:
    return {r.code: r.evidence for r in escalation.reasons}


# --- keyword triggers ---------------------------------------------------------------------------

KEYWORD_CASES = [
    # legal_threat
    ("legal_threat", "en", "I will talk to my lawyer about this"),
    ("legal_threat", "en", "We are taking legal action next week"),
    ("legal_threat", "nl", "Ik schakel mijn advocaat in"),
    ("legal_threat", "nl", "Dan zie ik u bij de rechtbank"),
    ("legal_threat", "el", "θα παω στον δικηγορο"),
    ("legal_threat", "el", "Θα πάω στον δικηγόρο"),
    ("legal_threat", "el", "ΘΑ ΚΑΝΩ ΜΗΝΥΣΗ"),
    # chargeback_threat
    ("chargeback_threat", "en", "I will file a chargeback"),
    ("chargeback_threat", "en", "I will dispute the payment"),
    ("chargeback_threat", "nl", "Ik laat de betaling terugboeken"),
    ("chargeback_threat", "el", "θα κανω αντιλογισμο"),
    # churn_threat
    ("churn_threat", "en", "I'm switching to a competitor"),
    ("churn_threat", "en", "I will take my business elsewhere"),
    ("churn_threat", "nl", "Ik stap over naar een andere leverancier"),
    ("churn_threat", "el", "θα παω σε αλλη εταιρεια"),
    # public_complaint
    ("public_complaint", "en", "I will post this on Facebook"),
    ("public_complaint", "en", "Expect a bad review from me"),
    ("public_complaint", "nl", "Ik zet dit op sociale media"),
    ("public_complaint", "el", "θα το ανεβασω στο facebook"),
    # regulator_threat
    ("regulator_threat", "en", "I'll report this to the ombudsman"),
    ("regulator_threat", "nl", "Ik ga naar de Geschillencommissie"),
    ("regulator_threat", "nl", "Ik meld dit bij de ACM"),
    ("regulator_threat", "el", "θα απευθυνθω στον Συνήγορο του Καταναλωτή"),
    # safety_hazard
    ("safety_hazard", "en", "There is smoke coming from the inverter"),
    ("safety_hazard", "en", "The cable smells of burning plastic"),
    ("safety_hazard", "en", "I got an electric shock from the charger"),
    ("safety_hazard", "nl", "Er komt rook uit de omvormer"),
    ("safety_hazard", "nl", "Ik ben geëlektrocuteerd door de laadpaal"),
    ("safety_hazard", "nl", "Ik ben geelektrocuteerd door de laadpaal"),
    ("safety_hazard", "el", "βγαινει καπνος απο τον inverter"),
    ("safety_hazard", "el", "Ηλεκτροπληξία από τον φορτιστή"),
    ("safety_hazard", "el", "ηλεκτροπληξια απο τον φορτιστη"),
    # repeat_contact
    ("repeat_contact", "en", "This is the third time I'm writing"),
    ("repeat_contact", "en", "Still no reply from anyone"),
    ("repeat_contact", "nl", "Dit is de derde keer dat ik mail"),
    ("repeat_contact", "el", "τριτη φορα που γραφω"),
    # human_requested
    ("human_requested", "en", "I want to speak to a human"),
    ("human_requested", "en", "Please let me talk to a real person"),
    ("human_requested", "nl", "Ik wil een echte medewerker spreken"),
    ("human_requested", "el", "θελω να μιλησω με ανθρωπο"),
]


@pytest.mark.parametrize(
    ("code", "text"),
    [(code, text) for code, _, text in KEYWORD_CASES],
    ids=[f"{code}-{language}-{i}" for i, (code, language, _) in enumerate(KEYWORD_CASES)],
)
def test_keyword_trigger_fires_with_the_customers_words(code: str, text: str) -> None:
    escalation = run(text)
    assert escalation.escalate
    assert reasons(escalation) == {code: text}
    assert escalation.priority == ("urgent" if code == "safety_hazard" else "high")


def test_evidence_keeps_the_accents_the_customer_typed() -> None:
    escalation = run("Καλησπέρα, θα κάνω μήνυση στην εταιρεία σας")
    assert reasons(escalation)["legal_threat"] == "Καλησπέρα, θα κάνω μήνυση στην εταιρεία σας"


def test_evidence_of_a_long_ticket_is_a_snippet_around_the_match() -> None:
    text = "Hello. " * 20 + "My lawyer will contact you. " + "Kind regards. " * 20
    evidence = reasons(run(text))["legal_threat"]
    assert "My lawyer will contact you." in evidence
    assert evidence.startswith("…") and evidence.endswith("…")
    assert len(evidence) < 100


def test_every_language_is_checked_on_every_ticket() -> None:
    escalation = run("Hello, I bought an inverter. Ik schakel mijn advocaat in.")
    assert set(reasons(escalation)) == {"legal_threat"}


# --- metadata triggers --------------------------------------------------------------------------


def test_repeat_contact_via_thread_count() -> None:
    escalation = run("Where is my parcel?", thread_count=3)
    assert reasons(escalation) == {"repeat_contact": "message 3 from the customer in this thread"}
    assert escalation.priority == "high"
    assert not run("Where is my parcel?", thread_count=2).escalate


def test_repeat_contact_via_text_and_thread_count_is_one_reason() -> None:
    escalation = run("This is the third time I'm writing", thread_count=4)
    assert [r.code for r in escalation.reasons] == ["repeat_contact"]
    assert escalation.reasons[0].evidence == (
        "This is the third time I'm writing | message 4 from the customer in this thread"
    )


@pytest.mark.parametrize("tier", ["vip", "VIP", "Vip"])
def test_vip_customer(tier: str) -> None:
    escalation = run("Where is my parcel?", customer_tier=tier)
    assert reasons(escalation) == {"vip_customer": f"customer tier '{tier}'"}
    assert escalation.priority == "high"


@pytest.mark.parametrize("tier", [None, "gold", "", "vip-ish"])
def test_other_tiers_are_not_vip(tier: str | None) -> None:
    assert not run("Where is my parcel?", customer_tier=tier).escalate


# --- strong emotion -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("emotions", "evidence"),
    [
        ({"anger": 0.60}, "anger 0.60 (threshold 0.60)"),
        ({"anger": 0.91, "frustration": 0.1}, "anger 0.91 (threshold 0.60)"),
        ({"frustration": 0.80}, "frustration 0.80 (threshold 0.80)"),
    ],
)
def test_strong_emotion_via_emotion_scores(emotions: dict[str, float], evidence: str) -> None:
    escalation = run("Where is my parcel?", emotions=emotions)
    assert reasons(escalation) == {"strong_emotion": evidence}
    assert escalation.priority == "high"


def test_emotion_scores_below_the_thresholds_do_not_escalate() -> None:
    emotions = {"anger": 0.59, "frustration": 0.79, "fear": 0.99, "sadness": 0.99}
    assert not run("Where is my parcel?", emotions=emotions).escalate


@pytest.mark.parametrize(
    "text", ["This is unacceptable", "Dit is echt belachelijk", "ειναι απαραδεκτο", "Είναι απαράδεκτο"]
)
def test_strong_emotion_via_intensity_words_with_negative_sentiment(text: str) -> None:
    escalation = run(text, mood=sentiment("negative", 0.8))
    assert reasons(escalation) == {"strong_emotion": text}
    assert escalation.priority == "high"


@pytest.mark.parametrize("mood", [NEUTRAL, POSITIVE, sentiment("negative", 0.39)])
def test_intensity_words_need_clearly_negative_sentiment(mood: SentimentResult) -> None:
    assert not run("This is unacceptable", mood=mood).escalate


def test_intensity_words_count_when_sentiment_is_unknown() -> None:
    escalation = run("This is unacceptable", mood=None)
    assert reasons(escalation) == {"strong_emotion": "This is unacceptable"}


@pytest.mark.parametrize(
    ("text", "evidence"),
    [("WHERE IS MY ORDER NOW", "shouting: WHERE ORDER NOW"), ("Where is my order!!!", "shouting: !!!")],
)
def test_shouting_with_negative_sentiment_is_strong_emotion(text: str, evidence: str) -> None:
    assert reasons(run(text, mood=NEGATIVE)) == {"strong_emotion": evidence}
    assert not run(text, mood=NEUTRAL).escalate


# --- complexity triggers (priority normal) ------------------------------------------------------


def test_two_distinct_requests_are_multiple_intents() -> None:
    parts = (("refund", "I want a refund for the cleaning"), ("password", "my password does not work"))
    escalation = run("…", requests=parts)
    assert reasons(escalation) == {
        "multiple_intents": "several requests: 'refund': I want a refund for the cleaning; "
        "'password': my password does not work"
    }
    assert escalation.priority == "normal"


def test_one_intent_in_several_parts_is_not_multiple() -> None:
    parts = (("refund", "I want a refund"), ("refund", "please pay me back the 89 euros"))
    assert not run("…", requests=parts).escalate


def test_the_number_of_requests_is_a_policy_threshold() -> None:
    three = load_policy().model_copy(deep=True)
    three.thresholds.several_requests = 3
    parts = (("refund", "a refund"), ("password", "my password"))
    assert not run("…", requests=parts, policy=three).escalate
    assert run("…", requests=(*parts, ("delivery", "my parcel")), policy=three).escalate


def test_evidence_quotes_are_clipped_at_a_word() -> None:
    long = "my invoice from May includes a panel cleaning for 89 euros that I am sure I never booked"
    evidence = reasons(run("…", requests=(("refund", long), ("password", "reset my password"))))
    quoted = evidence["multiple_intents"].split("'refund': ")[1].split(";")[0]
    assert quoted.endswith("…") and len(quoted) <= 60 and long.startswith(quoted[:-1])


TECHNICAL = "The inverter shows error E05 at 230 V and the breaker trips after a firmware reset. "


def test_long_technical_description() -> None:
    text = TECHNICAL * 12
    escalation = run(text)
    words = len(text.split())
    assert words >= 150
    assert set(reasons(escalation)) == {"long_technical"}
    assert reasons(escalation)["long_technical"].startswith(f"{words} words with ")
    assert escalation.priority == "normal"


def test_long_text_without_technical_cues_is_not_long_technical() -> None:
    assert not run("I really like the colour of the panels on my roof. " * 20).escalate


def test_short_technical_text_is_not_long_technical() -> None:
    assert not run(TECHNICAL).escalate


@pytest.mark.parametrize(
    "result",
    [
        intent(None, 0.3, top=[("refund", 0.3)], reason="out of scope: nothing fits well"),
        intent("refund", 0.34, reason="out of scope: nothing fits well"),
    ],
)
def test_low_confidence(result: IntentResult) -> None:
    escalation = run("What colour are the panels?", intent_result=result)
    assert reasons(escalation) == {"low_confidence": "out of scope: nothing fits well"}
    assert escalation.priority == "normal"


def test_confidence_at_the_threshold_is_not_low() -> None:
    assert not run("What colour are the panels?", intent_result=intent("refund", 0.35)).escalate


def test_a_confident_out_of_scope_ticket_is_not_low_confidence() -> None:
    """Unlike every intent but not torn between them: the ordinary queue, not escalation."""
    unlike = intent(None, 0.8, top=[("refund", 0.8)], reason="out of scope: unlike the examples")
    assert not run("Do you sponsor the local football club?", intent_result=unlike).escalate


def test_text_without_letters_is_not_low_confidence() -> None:
    no_words = intent(None, 0.0, top=[], reason="out of scope: the text has no words to classify")
    assert not run("😀😀 👍", intent_result=no_words).escalate


def test_no_intent_at_all_skips_the_intent_checks() -> None:
    assert not run("What colour are the panels?", intent_result=None).escalate


# --- intent triggers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "code", "priority"),
    [
        ("complaint", "formal_complaint", "high"),
        ("safety_concern", "safety_hazard", "urgent"),
        ("contact_human", "human_requested", "high"),
    ],
)
def test_intent_triggers(label: str, code: str, priority: str) -> None:
    escalation = run("Hello there", intent_result=intent(label, 0.8))
    assert reasons(escalation) == {code: f"intent '{label}' at 80%"}
    assert escalation.priority == priority


def test_intent_trigger_at_the_minimum_fires_and_below_it_does_not() -> None:
    assert "formal_complaint" in reasons(run("Hello there", intent_result=intent("complaint", 0.5)))
    below = run("Hello there", intent_result=intent("complaint", 0.45))
    assert not below.escalate


def test_intent_trigger_and_keyword_of_the_same_code_merge() -> None:
    escalation = run("There is smoke coming from the inverter", intent_result=intent("safety_concern", 0.9))
    assert [r.code for r in escalation.reasons] == ["safety_hazard"]
    assert escalation.reasons[0].evidence == (
        "There is smoke coming from the inverter | intent 'safety_concern' at 90%"
    )


# --- failed analysis ----------------------------------------------------------------------------

FAILURE = "the analysis models failed (RuntimeError); a person should read this ticket"


def test_analysis_unavailable_always_escalates() -> None:
    escalation = run("Where is my parcel?", intent_result=None, mood=None, failure=FAILURE)
    assert reasons(escalation) == {"analysis_unavailable": FAILURE}
    assert escalation.priority == "high"


def test_keyword_triggers_still_fire_when_the_analysis_failed() -> None:
    escalation = run(
        "There is smoke coming from the inverter", intent_result=None, mood=None, failure=FAILURE
    )
    assert reasons(escalation) == {
        "analysis_unavailable": FAILURE,
        "safety_hazard": "There is smoke coming from the inverter",
    }
    assert escalation.priority == "urgent"


# --- priorities ---------------------------------------------------------------------------------


def test_no_reasons_means_no_escalation_at_normal_priority() -> None:
    escalation = run("Where is my parcel?")
    assert escalation == Escalation(escalate=False, priority="normal", reasons=[])


def test_complexity_plus_a_threat_is_high() -> None:
    escalation = run("I will talk to my lawyer", intent_result=intent(None, 0.2, reason="out of scope"))
    assert set(reasons(escalation)) == {"legal_threat", "low_confidence"}
    assert escalation.priority == "high"


def test_safety_wins_over_everything() -> None:
    escalation = run(
        "My lawyer says the smoke from your inverter is a disgrace",
        mood=NEGATIVE,
        customer_tier="vip",
        thread_count=5,
        intent_result=intent(None, 0.2, reason="out of scope"),
    )
    assert {"safety_hazard", "legal_threat", "vip_customer", "repeat_contact", "strong_emotion"} <= set(
        reasons(escalation)
    )
    assert escalation.priority == "urgent"


def test_decide_is_pure() -> None:
    signals = Signals(
        text="This is the third time, I will sue",
        thread_count=4,
        intent=CONFIDENT,
        sentiment=NEGATIVE,
        emotions={"anger": 0.9},
    )
    first, second = decide(signals, POLICY), decide(signals, POLICY)
    assert first == second
    assert signals.emotions == {"anger": 0.9}
    with pytest.raises(dataclasses.FrozenInstanceError):
        signals.text = "changed"  # type: ignore[misc]


# --- hard negatives -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Does the smoke detector need a new battery?",
        "Where can I buy a smoke alarm for the meter cupboard?",
        "Moet ik de rookmelder vervangen?",
        "Χρειάζεται ανιχνευτής καπνού δίπλα στην μπαταρία;",
        "χρειαζεται ανιχνευτη καπνου στην αποθηκη;",
        "Πόσο κοστίζει η τοποθέτηση ανιχνευτών καπνού;",
        "Werkt de laadpaal ook met een auto van een ander merk?",
        "Ταιριάζει ο φορτιστής με αυτοκίνητο άλλης μάρκας;",
        "Is this legally required?",
        "Is het wettelijk verplicht?",
        "I'd like to cancel my order",
        "Ik wil graag mijn bestelling annuleren",
        "Θα ήθελα να ακυρώσω την παραγγελία μου",
        "Is there a fire alarm test mode on the inverter?",
        "Could you tell me if the firmware is up to date?",
    ],
)
def test_calm_questions_do_not_escalate(text: str) -> None:
    escalation = run(text)
    assert not escalation.escalate, escalation.reasons


@pytest.mark.parametrize(
    "text", ["I'll leave a 5-star review on Trustpilot", "Geweldig! Ik geef jullie 5 sterren op Trustpilot"]
)
def test_a_happy_review_is_not_a_public_complaint(text: str) -> None:
    assert not run(text, mood=POSITIVE).escalate


def test_the_same_review_words_with_negative_sentiment_are_a_public_complaint() -> None:
    escalation = run("I'll leave a 1-star review on Trustpilot", mood=NEGATIVE)
    assert reasons(escalation) == {"public_complaint": "I'll leave a 1-star review on Trustpilot"}


def test_only_clearly_positive_sentiment_silences_public_complaint() -> None:
    lukewarm = run("I'll leave a review on Trustpilot", mood=sentiment("positive", 0.55))
    assert set(reasons(lukewarm)) == {"public_complaint"}


def test_positive_sentiment_does_not_silence_other_threats() -> None:
    escalation = run("Lovely people, but my lawyer will be in touch", mood=POSITIVE)
    assert set(reasons(escalation)) == {"legal_threat"}


@pytest.mark.parametrize(
    "text",
    [
        "Ik heet Jan de Vries en ik heb een vraag over mijn omvormer",
        "When I press the reset button nothing happens",
        "I paid with my credit card but the order still says unpaid",
        "Het lampje aan de rechterkant knippert groen",
        "Πλήρωσα μέσω της τράπεζας αλλά η παραγγελία δεν εμφανίζεται",
    ],
    ids=["nl-heet", "en-press", "en-credit-card", "nl-rechterkant", "el-bank"],
)
def test_everyday_sentences_do_not_look_like_threats(text: str) -> None:
    escalation = run(text)
    assert not escalation.escalate, escalation.reasons
