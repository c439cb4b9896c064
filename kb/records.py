"""What an article or a canned response must look like to be saved, from any source.

Importers and the API both build these models, so a rule holds everywhere. Field-level rules are
pydantic's; template rules (kb.templates) run in ``canned_problems`` so every problem is listed.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kb.templates import template_problems
from kb.vocabulary import SLUG, Category

MAX_BODY_CHARS = 200_000
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def primary_subtag(value: str) -> str:
    """'en-GB', 'nl_NL' and 'EN' become 'en', 'nl', 'en': matching and detection use the primary subtag."""
    return value.strip().lower().replace("_", "-").split("-", 1)[0]


def _language(value: str) -> str:
    code = primary_subtag(value)
    if not _LANGUAGE.match(code):
        raise ValueError(f"expected a language code such as 'en', 'nl' or 'el', got {value!r}")
    return code


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError(f"expected a lowercase slug like 'order_status' (a-z, 0-9, _), got {value!r}")
    return value


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("contains control characters; remove them")
    return value


def _url(value: str | None) -> str | None:
    if value is not None and not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.IGNORECASE):
        raise ValueError(f"expected an http(s) URL, got {value[:80]!r}")
    return value


Identifier = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_no_control)
]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), AfterValidator(_no_control)
]
Language = Annotated[str, AfterValidator(_language)]
Slug = Annotated[str, AfterValidator(_slug)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=64)]
Url = Annotated[str | None, AfterValidator(_url)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    def content_hash(self) -> str:
        """Stable over field order and time; re-importing identical content yields the same hash."""
        data = self.model_dump(mode="json")
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class ArticleIn(_Strict):
    external_id: Identifier
    canonical_id: Identifier | None = Field(None, description="Shared by translations; default: external_id.")
    language: Language
    title: Title
    body: Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY_CHARS)]
    body_format: Literal["markdown", "html"] = "markdown"
    url: Url = None
    tags: Annotated[list[Tag], Field(max_length=50)] = []
    updated_at: datetime | None = None

    @model_validator(mode="after")
    def _defaults(self) -> ArticleIn:
        if self.canonical_id is None:
            self.canonical_id = self.external_id
        if self.updated_at is not None and self.updated_at.tzinfo is not None:
            # stored as naive UTC, so the content hash survives a database round trip
            self.updated_at = self.updated_at.astimezone(UTC).replace(tzinfo=None)
        if not self.body.strip():
            raise ValueError("body is only whitespace; give the article some text")
        self.tags = sorted(set(self.tags))
        return self


class CannedVariantIn(_Strict):
    language: Language
    title: Title
    body: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]

    def variant_hash(self) -> str:
        return self.content_hash()


class CannedIn(_Strict):
    external_id: Identifier
    title: Title
    category: Category
    intents: Annotated[list[Slug], Field(max_length=50)] = []
    needs_from_customer: Annotated[list[Slug], Field(max_length=20)] = []
    variables: Annotated[list[str], Field(max_length=30)] = []
    auto_send: bool = False
    state: Literal["active", "archived"] = "active"
    variants: Annotated[list[CannedVariantIn], Field(min_length=1, max_length=50)]

    @model_validator(mode="after")
    def _unique_languages(self) -> CannedIn:
        languages = [v.language for v in self.variants]
        repeated = sorted({code for code in languages if languages.count(code) > 1})
        if repeated:
            raise ValueError(f"each language may have one variant; repeated: {', '.join(repeated)}")
        self.variants = sorted(self.variants, key=lambda v: v.language)
        self.intents = sorted(set(self.intents))
        self.needs_from_customer = list(dict.fromkeys(self.needs_from_customer))
        self.variables = sorted(set(self.variables))
        return self


def canned_problems(canned: CannedIn) -> list[tuple[str, str]]:
    """Template problems of every variant, as (field, message); empty when it may be saved."""
    problems: list[tuple[str, str]] = []
    for n, variant in enumerate(canned.variants):
        for message in template_problems(variant.body, canned.variables):
            field = f"variants[{n}].body ({variant.language})"
            if (field, message) not in problems:
                problems.append((field, message))
    return problems
