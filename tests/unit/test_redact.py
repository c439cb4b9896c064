"""PII redaction of imported tickets: each type found and not over-found, names, tenant rules, the report."""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import ValidationError

from suggest.errors import InputError
from training.redact import PLACEHOLDERS, RedactionReport, RedactionRules, Redactor

REDACTOR = Redactor()


def redact(text: str, **kwargs: object) -> str:
    return REDACTOR.redact(text, **kwargs).text  # type: ignore[arg-type]


def kinds(text: str, **kwargs: object) -> Counter[str]:
    return REDACTOR.redact(text, **kwargs).counts  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail me at maria.p+support@example.co.uk please", "Mail me at [EMAIL] please"),
        ("Stuur naar j.de-vries@bedrijf.nl.", "Stuur naar [EMAIL]."),
        ("email: γιαννης@παράδειγμα.gr", "email: [EMAIL]"),
        ("IBAN NL91 ABNA 0417 1643 00, thanks", "IBAN [IBAN], thanks"),
        ("iban nl91abna0417164300", "iban [IBAN]"),
        ("Konto DE89 3704 0044 0532 0130 00 bitte", "Konto [IBAN] bitte"),
        ("ΙΒΑΝ GR16 0110 1250 0000 0001 2300 695.", "ΙΒΑΝ [IBAN]."),
        ("card 4111 1111 1111 1111 expires", "card [CARD] expires"),
        ("Amex 3782-822463-10005 ok", "Amex [CARD] ok"),
        ("kaart 4111111111111111", "kaart [CARD]"),
        ("server 192.168.10.20 is down", "server [IP] is down"),
        ("host 2001:db8::8a2e:370:7334, fe80::1ff:fe23:4567:890a.", "host [IP], [IP]."),
        ("mapped ::ffff:192.0.2.1 here", "mapped [IP] here"),
        ("Bel me op 06-12345678 of 020 123 4567", "Bel me op [PHONE] of [PHONE]"),
        ("call +44 20 7946 0958 or 0044 20 7946 0958", "call [PHONE] or [PHONE]"),
        ("Ruf mich an: 030 12345678", "Ruf mich an: [PHONE]"),
        ("τηλ. 6912345678 ή +30 210 123 4567", "τηλ. [PHONE] ή [PHONE]"),
        ("GSM 0470 12 34 56, fixe 01 23 45 67 89", "GSM [PHONE], fixe [PHONE]"),
        ("móvil 612 345 678", "móvil [PHONE]"),
        ("US office +1 415 555 2671", "US office [PHONE]"),
        ("06 12345678 2026-11-23", "[PHONE] 2026-11-23"),
        ("Postcode 1015 CJ Amsterdam", "Postcode [POSTCODE] Amsterdam"),
        ("Keizersgracht 123, 1015CJ Amsterdam", "Keizersgracht 123, [POSTCODE] Amsterdam"),
        ("London SW1A 1AA, UK", "London [POSTCODE], UK"),
        ("PLZ 10115", "PLZ [POSTCODE]"),
        ("Hauptstraße 5, 10115 Berlin", "Hauptstraße 5, [POSTCODE] Berlin"),
        ("Hauptstr. 5\n10115 Berlin", "Hauptstr. 5\n[POSTCODE] Berlin"),
        ("Ερμού 25, 105 63 Αθήνα", "Ερμού 25, [POSTCODE] Αθήνα"),
        ("Τ.Κ. 546 22", "Τ.Κ. [POSTCODE]"),
        ("12 rue de la Paix, 75002 Paris", "12 rue de la Paix, [POSTCODE] Paris"),
        ("código postal: 28013", "código postal: [POSTCODE]"),
        ("Rue Neuve 10, B-1000 Bruxelles", "Rue Neuve 10, B-[POSTCODE] Bruxelles"),
        ("my zip code is 90210", "my zip code is [POSTCODE]"),
    ],
)
def test_each_type_is_replaced_by_its_placeholder(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Order HP-2026-1187 arrived",
        "Delivered on 2026-11-23 at 14:30",
        "Geleverd op 23/11/2026 en 23.11.2026",
        "Open 09.00-17.00, Sa 10:00-14:00",
        "Total € 1.234.567,00 and 912.345.678,00 EUR",
        "Rechnung 4021 5588 vom Mai",
        "order #0612345678 is late",
        "ticket 12345678 and case 87654321",
        "meter readings 95028 2947 and 69246 77165",
        "card 4111 1111 1111 1112 is not Luhn-valid",
        "number 1234567812345678 fails Luhn",
        "reference NL91ABNA0417164300XYZ is glued to letters",
        "firmware v2.4.1.7, version 2.4.1.7 and Firmware: 10.0.0.12",
        "update to 1.2.3 and build 4.5.6",
        "the address 256.1.1.1 is not valid and 12:30:45 is a time",
        "error E05, error 4021 and code 10115 without a cue",
        "in 2026 en 2027 we sold 1500 KM of cable and 4000 MW",
        "we bought a PS5 4GB and 2 items, 1500 Euro later",
        "in 2019, 2020 was a better year",
        "std::vector and a::b in code",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_an_iban_with_a_wrong_check_digit_is_not_an_iban() -> None:
    assert "[IBAN]" not in redact("IBAN DE88 3704 0044 0532 0130 00 has a wrong check digit")
    assert redact("IBAN DE89 3704 0044 0532 0130 00") == "IBAN [IBAN]"


def test_an_ip_right_after_a_version_word_is_kept_but_not_after_other_words() -> None:
    assert redact("firmware 10.0.0.12 on router 10.0.0.1") == "firmware 10.0.0.12 on router [IP]"


def test_a_card_followed_by_a_year_loses_only_the_card() -> None:
    assert redact("4111 1111 1111 1111 2026") == "[CARD] 2026"


def test_a_phone_next_to_a_time_or_an_amount_is_still_a_phone() -> None:
    assert redact("030 12345678 14:30") == "[PHONE] 14:30"
    assert redact("06-12345678 € 1.234,56") == "[PHONE] € 1.234,56"


def test_numbers_in_other_layouts_are_not_cards_even_when_luhn_passes() -> None:
    assert redact("ref 12345678 6912345678") == "ref 12345678 [PHONE]"  # 18 digits, Luhn-valid, not a card


def test_counts_are_per_type_and_match_the_replacements() -> None:
    result = REDACTOR.redact("a@b.com, c@d.org, 06-12345678, NL91ABNA0417164300 and 10.0.0.1")
    assert result.counts == Counter({"email": 2, "phone": 1, "iban": 1, "ip": 1})
    assert sum(result.text.count(PLACEHOLDERS[k]) for k in result.counts) == sum(result.counts.values())


def test_a_full_example_in_english_leaves_the_rest_of_the_message_intact() -> None:
    text = (
        "Hi, I'm Maria Papadopoulou (maria.p@example.gr). Call me on +30 210 123 4567 about order "
        "HP-2026-1187 from 2026-11-23. Refund to NL91 ABNA 0417 1643 00 please. Thanks, Maria"
    )
    assert redact(text, names=["Maria Papadopoulou"]) == (
        "Hi, I'm [NAME] ([EMAIL]). Call me on [PHONE] about order HP-2026-1187 from 2026-11-23. "
        "Refund to [IBAN] please. Thanks, [FIRST_NAME]"
    )


# --- names -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("Dear Maria Papadopoulou,", ["Maria Papadopoulou"], "Dear [NAME],"),
        ("Hi maria, ms PAPADOPOULOU", ["Maria Papadopoulou"], "Hi [FIRST_NAME], ms [NAME]"),
        (
            "Mária's order and Marias Bestellung",
            ["Maria"],
            "[FIRST_NAME]'s order and [FIRST_NAME]s Bestellung",
        ),
        ("Papadopoulou, Maria wrote", ["Maria Papadopoulou"], "[NAME] wrote"),
        (
            "Beste meneer Van der Berg, beste Jan,",
            ["Jan van der Berg"],
            "Beste meneer [NAME], beste [FIRST_NAME],",
        ),
        ("groeten aan Berg", ["Jan van der Berg"], "groeten aan [NAME]"),
        ("Hi Anne Marie, Mrs Dubois-Martin", ["Anne-Marie Dubois-Martin"], "Hi [FIRST_NAME], Mrs [NAME]"),
        ("Mrs Dubois and Martin", ["Anne-Marie Dubois-Martin"], "Mrs [NAME] and [NAME]"),
        ("Hi Anne,", ["Anne-Marie Dubois-Martin"], "Hi [FIRST_NAME],"),
        ("Dear Dr Smith", ["Dr. John Smith"], "Dear Dr [NAME]"),
        ("Ευχαριστώ Μαρία!", ["Μαρία Παπαδοπούλου"], "Ευχαριστώ [FIRST_NAME]!"),
        ("το αίτημα της Μαρίας", ["Μαρία Παπαδοπούλου"], "το αίτημα της [FIRST_NAME]"),
        ("η κα Παπαδοπούλου", ["Μαρία Παπαδοπούλου"], "η κα [NAME]"),
        ("Γεια σου Γιώργο, του Γιώργου", ["Γιώργος Παπαδόπουλος"], "Γεια σου [FIRST_NAME], του [FIRST_NAME]"),
        ("ο κ. Παπαδόπουλου και Giorgos", ["Γιώργος Παπαδόπουλος"], "ο κ. [NAME] και [FIRST_NAME]"),
        ("ΜΑΡΙΑ ΠΑΠΑΔΟΠΟΥΛΟΥ", ["Μαρία Παπαδοπούλου"], "[NAME]"),
        ("Zoë and Zoe", ["Zoë Smith"], "[FIRST_NAME] and [FIRST_NAME]"),
    ],
)
def test_customer_names_are_found_case_and_accent_insensitively(
    text: str, names: list[str], expected: str
) -> None:
    assert redact(text, names=names) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi Will, I will call you.", "Hi [FIRST_NAME], I will call you."),
        ("Will you call me? WILL YOU?", "Will you call me? WILL YOU?"),
        ("Will, can you call?", "[FIRST_NAME], can you call?"),
        ("Thanks,\nWill", "Thanks,\n[FIRST_NAME]"),
        ("Will May called", "[NAME] called"),
        ("May I ask something? It is may.", "May I ask something? It is may."),
    ],
)
def test_names_that_are_common_words_are_only_redacted_where_they_read_as_names(
    text: str, expected: str
) -> None:
    assert redact(text, names=["Will May"]) == expected


def test_inflected_forms_of_an_ambiguous_greek_name_follow_the_same_rule() -> None:
    text = "Αγαπητή Ελπίδα, οι ελπίδες μας και η ελπίδα"
    assert redact(text, names=["Ελπίδα Νικολάου"]) == "Αγαπητή [FIRST_NAME], οι ελπίδες μας και η ελπίδα"


def test_names_match_whole_words_only_and_never_shorter_than_two_letters() -> None:
    text = "Jo Annemarie Johnson, jo, Jo, J"
    assert redact(text, names=["J Ann"]) == text  # "J" too short, "Ann" only inside other words
    assert redact("Al said: Albert", names=["Al"]) == "[FIRST_NAME] said: Albert"


def test_an_email_address_in_a_name_field_is_ignored() -> None:
    assert redact("thanks, example com", names=["maria@example.com"]) == "thanks, example com"


def test_agent_names_get_their_own_placeholder_and_the_customer_wins_a_tie() -> None:
    text = "Dear Maria,\nKind regards,\nNikos Georgiou (Nikos)"
    assert redact(text, names=["Maria K"], agent_names=["Nikos Georgiou"]) == (
        "Dear [FIRST_NAME],\nKind regards,\n[AGENT_NAME] ([AGENT_NAME])"
    )
    assert (
        redact("Maria and Maria", names=["Maria K"], agent_names=["Maria L"])
        == "[FIRST_NAME] and [FIRST_NAME]"
    )


def test_an_email_containing_a_name_is_one_email() -> None:
    result = REDACTOR.redact("maria.papadopoulou@example.gr", names=["Maria Papadopoulou"])
    assert (result.text, result.counts) == ("[EMAIL]", Counter({"email": 1}))


# --- tenant rules -------------------------------------------------------------------------------------


def test_custom_rules_get_their_own_placeholder_and_count() -> None:
    redactor = Redactor(RedactionRules(custom={"customer_id": r"\bCUST-[0-9]{6}\b"}))
    result = redactor.redact("Customer CUST-123456 and CUST-654321 wrote from a@b.nl")
    assert result.text == "Customer [CUSTOMER_ID] and [CUSTOMER_ID] wrote from [EMAIL]"
    assert result.counts == Counter({"customer_id": 2, "email": 1})


def test_a_custom_rule_runs_before_phones_so_a_tenant_can_claim_its_own_numbers() -> None:
    text = "contract 0612345678, mobile 0612345679"
    assert redact(text) == "contract [PHONE], mobile [PHONE]"
    redactor = Redactor(RedactionRules(custom={"contract": r"(?<=contract )0[0-9]{9}"}))
    assert redactor.redact(text).text == "contract [CONTRACT], mobile [PHONE]"


@pytest.mark.parametrize(
    ("custom", "message"),
    [
        ({"order": "HP-[0-9"}, "custom rule 'order': the regex does not compile"),
        ({"Order Number": "x"}, "custom rule 'Order Number': expected a lower-case slug"),
        ({"email": "x"}, "custom rule 'email': the name is a built-in type"),
        ({"anything": "[0-9]*"}, "custom rule 'anything': the regex '[0-9]*' matches the empty text"),
    ],
)
def test_bad_custom_rules_are_rejected_naming_the_rule(custom: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("*", r"\*").replace("[", r"\[")):
        RedactionRules(custom=custom)


def test_rules_reject_unknown_fields_countries_and_regions_and_are_frozen() -> None:
    with pytest.raises(ValidationError, match="extra"):
        RedactionRules(emails=False)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match=r"postal_countries: no postal-code format for \['XX'\]"):
        RedactionRules(postal_countries=("NL", "XX"))
    with pytest.raises(ValidationError, match="phone_regions: unknown regions"):
        RedactionRules(phone_regions=("nl",))
    with pytest.raises(ValidationError, match="frozen"):
        RedactionRules().postal_countries = ()


def test_postal_countries_decide_which_bare_codes_are_matched() -> None:
    text = "Rue Neuve 10, 1000 Bruxelles and postcode 1015 CJ"
    assert Redactor(RedactionRules(postal_countries=("NL",))).redact(text).text == (
        "Rue Neuve 10, 1000 Bruxelles and postcode [POSTCODE]"
    )
    assert Redactor(RedactionRules(postal_countries=())).redact(text).text == text


def test_phone_regions_decide_which_national_numbers_are_matched() -> None:
    text = "call (415) 555-2671 or +44 20 7946 0958"
    assert redact(text) == "call (415) 555-2671 or [PHONE]"
    assert Redactor(RedactionRules(phone_regions=("US",))).redact(text).text == "call [PHONE] or [PHONE]"


def test_tenant_ambiguous_names_are_added_to_the_built_in_list() -> None:
    redactor = Redactor(RedactionRules(ambiguous_names=("Sunday",)))
    assert (
        redactor.redact("see you sunday, Sunday", names=["Sunday Jones"]).text
        == "see you sunday, [FIRST_NAME]"
    )
    assert redact("see you sunday", names=["Sunday Jones"]) == "see you [FIRST_NAME]"


# --- idempotence and placeholders ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "passes"),
    [
        (
            "Maria Papadopoulou, maria@example.gr, +30 210 123 4567, NL91ABNA0417164300, 10.0.0.1, 1015 CJ",
            "[NAME], [EMAIL], [PHONE], [IBAN], [IP], [POSTCODE]",
            1,
        ),
        (
            "[EMAIL] [PHONE] [NAME]s [FIRST_NAME]'s [IP]:8080 [CARD]-[IBAN]",
            "[EMAIL] [PHONE] [NAME]s [FIRST_NAME]'s [IP]:8080 [CARD]-[IBAN]",
            0,
        ),
        ("06-[PHONE]12345678 and [NAME] Papadopoulou", "06-[PHONE]12345678 and [NAME] [NAME]", 1),
        (
            "Will, will you call [FIRST_NAME]? 4111 1111 1111 1111 2026",
            "[FIRST_NAME], will you call [FIRST_NAME]? [CARD] 2026",
            1,
        ),
    ],
)
def test_one_pass_finds_everything_and_placeholders_stay(text: str, expected: str, passes: int) -> None:
    """``redact`` repeats passes until one finds nothing, so its output is stable by construction;
    what can go wrong is a finder that leaves values to later passes, which ``passes`` shows."""
    result = REDACTOR.redact(text, names=["Maria Papadopoulou", "Will"], agent_names=["Nikos"])
    assert (result.text, result.passes) == (expected, passes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("code DE12 NL91ABNA0417164300 thanks", "code DE12 [IBAN] thanks"),
        ("ref NL12 3456 NL91 ABNA 0417 1643 00", "ref NL12 3456 [IBAN]"),
        ("NL91ABNA0417164300 NL91ABNA0417164300 NL91ABNA0417164300.", "[IBAN] [IBAN] [IBAN]."),
        ("+31 20 123 4567+31 20 123 4567+44 20 7946 0958", "[PHONE][PHONE][PHONE]"),
        ("PLZ 10115+44 20 7946 0958", "PLZ [POSTCODE][PHONE]"),
    ],
)
def test_values_in_a_row_are_found_in_one_pass(text: str, expected: str) -> None:
    """An IBAN-like word before an IBAN once hid it for good; IBANs and phone numbers in a row took a
    pass each."""
    result = REDACTOR.redact(text)
    assert (result.text, result.passes) == (expected, 1)


def test_existing_placeholders_are_never_changed_even_when_a_name_is_a_placeholder_word() -> None:
    text = "[NAME] and [EMAIL] and Name"
    assert redact(text, names=["Name Email"]) == "[NAME] and [EMAIL] and [FIRST_NAME]"


def test_placeholders_are_square_brackets_not_jinja() -> None:
    rules = RedactionRules(custom={"order_number": r"HP-[0-9]{4}-[0-9]{4}"})
    everything = [*PLACEHOLDERS.values(), Redactor(rules).redact("HP-2026-1187").text]
    for placeholder in everything:
        assert placeholder.startswith("[") and placeholder.endswith("]") and placeholder[1:-1].isupper()
        assert "{" not in placeholder and "%" not in placeholder


def test_bad_arguments_raise_input_error() -> None:
    with pytest.raises(InputError, match="expected the message text as a str, found bytes"):
        REDACTOR.redact(b"text")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="names expected a sequence of names, found one str"):
        REDACTOR.redact("text", names="Maria")
    with pytest.raises(InputError, match="agent_names expected names as str"):
        REDACTOR.redact("text", agent_names=[None])  # type: ignore[list-item]


# --- report -------------------------------------------------------------------------------------------


def test_the_report_adds_counts_over_texts_and_lists_every_built_in_type() -> None:
    report = RedactionReport()
    rules = RedactionRules(custom={"order_number": r"HP-[0-9]{4}-[0-9]{4}"})
    redactor = Redactor(rules)
    for text in ["a@b.nl and c@d.nl", "HP-2026-1187", "nothing here"]:
        report.add(redactor.redact(text).counts)
    report.add(Counter({"phone": 0, "ip": -1}))
    assert report.as_dict() == {
        "agent_name": 0,
        "card": 0,
        "email": 2,
        "first_name": 0,
        "iban": 0,
        "ip": 0,
        "name": 0,
        "order_number": 1,
        "phone": 0,
        "postcode": 0,
    }
    assert list(report.as_dict()) == sorted(report.as_dict())
    assert (report.total, report.texts, report.texts_redacted) == (3, 4, 2)
