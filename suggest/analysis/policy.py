"""The escalation policy as data: thresholds, keyword lists per language, intent triggers.

Defaults live in escalation_defaults.yaml (en, nl, el). A tenant's own file is merged over them:
numbers replace the defaults, term lists add to them. Everything is validated when loaded, so
a bad regular expression is reported with where it is, not found at the first ticket.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from suggest.analysis.matching import compile_terms, fold_pattern
from suggest.errors import ConfigError

log = logging.getLogger(__name__)
DEFAULTS_FILE = Path(__file__).with_name("escalation_defaults.yaml")
TermList = Literal[
    "legal_threat",
    "chargeback_threat",
    "churn_threat",
    "public_complaint",
    "regulator_threat",
    "safety_hazard",
    "repeat_contact",
    "human_requested",
    "intensity",
    "technical",
    "several_requests",
]
"""Keyword lists. The first eight are triggers; ``intensity`` supports strong_emotion,
``technical`` counts cues for long_technical, and ``several_requests`` ("three things") marks a
ticket to check for multiple_intents."""


RETIRED_THRESHOLDS = {"multi_intent_min": "multiple_intents now classifies a listed ticket's parts"}
"""Keys older policy files may still hold: ignored with a warning rather than refused."""


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _drop_retired(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in RETIRED_THRESHOLDS.keys() & data.keys():
                log.warning(
                    "escalation policy: thresholds.%s is no longer used (%s)", key, RETIRED_THRESHOLDS[key]
                )
            data = {k: v for k, v in data.items() if k not in RETIRED_THRESHOLDS}
        return data

    anger: float = Field(ge=0, le=1)
    frustration: float = Field(ge=0, le=1)
    intensity_negative: float = Field(ge=0, le=1)
    repeat_threads: int = Field(ge=2)
    long_words: int = Field(ge=1)
    technical_cues: int = Field(ge=1)
    several_requests: int = Field(ge=2)
    low_confidence: float = Field(ge=0, le=1)
    intent_trigger_min: float = Field(ge=0, le=1)


class EscalationPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    thresholds: Thresholds
    vip_tiers: list[str]
    intent_triggers: dict[str, str]
    closing_intents: list[str] = Field(default_factory=list)
    languages: dict[str, dict[TermList, list[str]]]
    _patterns: dict[str, re.Pattern[str] | None] = PrivateAttr(default_factory=dict)

    @field_validator("languages")
    @classmethod
    def _terms_compile(cls, value: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
        for language, lists in value.items():
            for name, terms in lists.items():
                for term in terms:
                    try:
                        re.compile(fold_pattern(term))
                    except re.error as err:
                        raise ValueError(
                            f"languages.{language}.{name}: {term!r} is not a valid pattern ({err})"
                        ) from err
        return value

    def terms(self, name: TermList) -> tuple[str, ...]:
        """One list's terms across all languages."""
        return tuple(term for lists in self.languages.values() for term in lists.get(name, []))

    def model_post_init(self, context: Any, /) -> None:
        # All at once, so two policies with the same content stay equal whichever was used.
        self._patterns.update({name: compile_terms(self.terms(name)) for name in get_args(TermList)})

    def pattern(self, name: TermList) -> re.Pattern[str] | None:
        """One list's terms as one compiled pattern, built when the policy is (None: no terms)."""
        return self._patterns[name]

    @property
    def vip(self) -> frozenset[str]:
        return frozenset(tier.casefold() for tier in self.vip_tiers)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = _merge(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            merged[key] = current + [v for v in value if v not in current]
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path} is not readable YAML ({err}).") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping (thresholds, vip_tiers, intent_triggers, languages).")
    return data


def load_policy(override: Path | None = None) -> EscalationPolicy:
    """The default policy, with ``override`` (a tenant's YAML file) merged over it."""
    data = _read_yaml(DEFAULTS_FILE)
    if override is not None:
        data = _merge(data, _read_yaml(override))
    try:
        return EscalationPolicy.model_validate(data)
    except ValidationError as err:
        where = override or DEFAULTS_FILE
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise ConfigError(f"{where}: the escalation policy is invalid: {problems}") from None


@lru_cache(maxsize=1)
def default_policy() -> EscalationPolicy:
    return load_policy()
