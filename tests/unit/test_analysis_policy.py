"""The escalation policy as data: defaults, a tenant's YAML merged over them, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from suggest.analysis.escalation import Signals, decide
from suggest.analysis.policy import default_policy, load_policy
from suggest.errors import ConfigError
from tests.analysis_helpers import NEUTRAL, intent


def write(tmp_path: Path, text: str, name: str = "escalation.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_load_with_three_languages_and_the_documented_thresholds() -> None:
    policy = load_policy()
    assert set(policy.languages) == {"en", "nl", "el"}
    assert policy.thresholds.anger == 0.60
    assert policy.thresholds.frustration == 0.80
    assert policy.thresholds.repeat_threads == 3
    assert policy.thresholds.low_confidence == 0.35
    assert policy.vip == frozenset({"vip"})
    assert policy.intent_triggers == {
        "safety_concern": "safety_hazard",
        "contact_human": "human_requested",
        "complaint": "formal_complaint",
    }


def test_default_policy_is_cached_and_equal_to_a_fresh_load() -> None:
    assert default_policy() is default_policy()
    assert default_policy() == load_policy()


def test_a_retired_threshold_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    policy = load_policy(write(tmp_path, "thresholds:\n  multi_intent_min: 0.2\n  anger: 0.5\n"))
    assert policy.thresholds.anger == 0.5
    assert "thresholds.multi_intent_min is no longer used" in caplog.text


def test_using_a_pattern_does_not_change_what_the_policy_equals() -> None:
    used = load_policy()
    assert used.pattern("intensity") is not None and used.pattern("several_requests") is not None
    assert used == load_policy()


def test_terms_gathers_one_list_across_languages() -> None:
    terms = load_policy().terms("legal_threat")
    assert "lawyer" in terms and "rechtbank" in terms and "δικηγορ" in terms


def test_numbers_replace_and_lists_extend(tmp_path: Path) -> None:
    override = write(
        tmp_path,
        "thresholds:\n  anger: 0.5\n"
        "vip_tiers: [gold]\n"
        "intent_triggers:\n  refund: chargeback_threat\n"
        "languages:\n  en:\n    legal_threat: [barrister]\n  de:\n    legal_threat: [anwalt]\n",
    )
    policy = load_policy(override)
    assert policy.thresholds.anger == 0.5
    assert policy.thresholds.frustration == 0.80  # untouched numbers keep their default
    assert policy.vip_tiers == ["vip", "gold"]
    assert policy.intent_triggers["refund"] == "chargeback_threat"
    assert policy.intent_triggers["complaint"] == "formal_complaint"
    en_legal = policy.languages["en"]["legal_threat"]
    assert en_legal[-1] == "barrister" and "lawyer" in en_legal
    assert policy.languages["de"] == {"legal_threat": ["anwalt"]}
    assert policy.languages["nl"] == load_policy().languages["nl"]


def test_a_term_already_in_the_defaults_is_not_duplicated(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, "languages:\n  en:\n    legal_threat: [lawyer, barrister]\n"))
    assert policy.languages["en"]["legal_threat"].count("lawyer") == 1


def test_a_tenant_policy_changes_decisions(tmp_path: Path) -> None:
    policy = load_policy(
        write(tmp_path, "vip_tiers: [Gold]\nlanguages:\n  de:\n    legal_threat: ['anwalt']\n")
    )
    gold = decide(Signals(text="Hallo", customer_tier="gold", intent=intent("x"), sentiment=NEUTRAL), policy)
    assert [r.code for r in gold.reasons] == ["vip_customer"]
    german = decide(Signals(text="Mein Anwalt meldet sich", intent=intent("x"), sentiment=NEUTRAL), policy)
    assert [(r.code, r.evidence) for r in german.reasons] == [("legal_threat", "Mein Anwalt meldet sich")]
    default = decide(
        Signals(text="Mein Anwalt meldet sich", intent=intent("x"), sentiment=NEUTRAL), load_policy()
    )
    assert not default.escalate


def test_an_empty_override_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_policy(write(tmp_path, "")) == load_policy()


def test_a_bad_pattern_is_reported_with_its_place(tmp_path: Path) -> None:
    override = write(tmp_path, "languages:\n  nl:\n    legal_threat: ['advoca(at']\n")
    with pytest.raises(ConfigError) as err:
        load_policy(override)
    message = str(err.value)
    assert str(override) in message
    assert "languages.nl.legal_threat" in message
    assert "'advoca(at' is not a valid pattern" in message


@pytest.mark.parametrize(
    ("yaml_text", "where"),
    [
        ("thresholds:\n  angr: 0.5\n", "thresholds.angr"),
        ("languages:\n  en:\n    legal_threats: [x]\n", "languages.en.legal_threats"),
        ("foo: 1\n", "foo"),
    ],
)
def test_unknown_keys_are_refused_with_their_place(tmp_path: Path, yaml_text: str, where: str) -> None:
    override = write(tmp_path, yaml_text)
    with pytest.raises(ConfigError) as err:
        load_policy(override)
    assert str(override) in str(err.value)
    assert where in str(err.value)


def test_out_of_range_thresholds_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"thresholds\.anger: Input should be less than or equal to 1"):
        load_policy(write(tmp_path, "thresholds:\n  anger: 1.5\n"))
    with pytest.raises(ConfigError, match=r"thresholds\.repeat_threads"):
        load_policy(write(tmp_path, "thresholds:\n  repeat_threads: 1\n"))


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_policy(write(tmp_path, "- 1\n- 2\n"))


def test_broken_yaml_and_missing_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not readable YAML"):
        load_policy(write(tmp_path, "a: [\n"))
    with pytest.raises(ConfigError, match=r"missing\.yaml is not readable YAML"):
        load_policy(tmp_path / "missing.yaml")
