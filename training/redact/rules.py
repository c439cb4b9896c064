"""What a tenant can configure about redaction, and the placeholders every type is replaced with.

Placeholders are upper-case words in square brackets: they survive Jinja rendering untouched (a
later step maps some of them to template variables on purpose) and cannot be mistaken for the
customer's own words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

import phonenumbers
from pydantic import BaseModel, ConfigDict, field_validator

from training.redact.postcodes import SUPPORTED_COUNTRIES

PLACEHOLDERS: Mapping[str, str] = MappingProxyType(
    {
        "email": "[EMAIL]",
        "phone": "[PHONE]",
        "iban": "[IBAN]",
        "card": "[CARD]",
        "ip": "[IP]",
        "postcode": "[POSTCODE]",
        "name": "[NAME]",
        "first_name": "[FIRST_NAME]",
        "agent_name": "[AGENT_NAME]",
    }
)
"""Built-in type -> placeholder. Custom rules add ``[<RULE NAME UPPER CASE>]``."""

DEFAULT_COUNTRIES = ("NL", "BE", "DE", "GB", "GR", "FR", "ES")
_RULE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def placeholder(kind: str) -> str:
    """The placeholder of a built-in type or a custom rule."""
    return PLACEHOLDERS.get(kind, f"[{kind.upper()}]")


class RedactionRules(BaseModel):
    """A tenant's redaction settings (e.g. loaded from its YAML); the defaults suit NL/BE/DE/GB/GR/FR/ES."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    custom: dict[str, str] = {}
    """Rule name (lower-case slug) -> regular expression; matches become ``[<NAME UPPER CASE>]``."""
    postal_countries: tuple[str, ...] = DEFAULT_COUNTRIES
    """ISO codes whose postal-code formats are matched (see ``postcodes.SUPPORTED_COUNTRIES``)."""
    phone_regions: tuple[str, ...] = DEFAULT_COUNTRIES
    """Regions whose national phone formats are recognised; ``+``/``00`` numbers are found for any."""
    ambiguous_names: tuple[str, ...] = ()
    """Extra names that are also ordinary words in this tenant's languages (added to the built-in list)."""

    @field_validator("custom")
    @classmethod
    def _check_custom(cls, custom: dict[str, str]) -> dict[str, str]:
        for name, pattern in custom.items():
            if not _RULE_NAME.fullmatch(name):
                raise ValueError(
                    f"custom rule {name!r}: expected a lower-case slug (a letter, then letters, digits or _,"
                    " at most 40 characters); rename the rule, e.g. 'order_number'"
                )
            if name in PLACEHOLDERS:
                raise ValueError(
                    f"custom rule {name!r}: the name is a built-in type;"
                    f" choose another name, e.g. '{name}_custom'"
                )
            try:
                compiled = re.compile(pattern)
            except re.error as error:
                raise ValueError(
                    f"custom rule {name!r}: the regex does not compile ({error}); fix the pattern"
                    " (escape literal brackets and dots with a backslash)"
                ) from error
            if compiled.fullmatch(""):
                raise ValueError(
                    f"custom rule {name!r}: the regex {pattern!r} matches the empty text;"
                    " make it require at least one character (use + instead of *)"
                )
        return custom

    @field_validator("postal_countries")
    @classmethod
    def _check_postal(cls, countries: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [code for code in countries if code not in SUPPORTED_COUNTRIES]
        if unknown:
            raise ValueError(
                f"postal_countries: no postal-code format for {unknown}; use upper-case ISO codes from"
                f" {sorted(SUPPORTED_COUNTRIES)}, or add a custom rule for the others"
            )
        return countries

    @field_validator("phone_regions")
    @classmethod
    def _check_regions(cls, regions: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [code for code in regions if code not in phonenumbers.SUPPORTED_REGIONS]
        if unknown:
            raise ValueError(
                f"phone_regions: unknown regions {unknown};"
                " use upper-case ISO 3166 codes such as 'NL' or 'GR'"
            )
        return regions
