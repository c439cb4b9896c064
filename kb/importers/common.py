"""Shared by every import source: rows become validated records, bad rows become located problems."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from kb.records import ArticleIn, CannedIn

Record = ArticleIn | CannedIn
RESPONSE_FIELDS = ("title", "category", "intents", "needs_from_customer", "variables", "auto_send", "state")
VARIANT_FIELDS = ("language", "title", "body")


@dataclass(frozen=True)
class RowProblem:
    """A row that was not imported: where it is (``file:line``) and why."""

    location: str
    message: str


@dataclass(frozen=True)
class Parsed:
    location: str
    record: Record


Row = tuple[str, dict[str, Any]]
"""(location, fields) as a source reads them."""
Source = Iterator[Row | RowProblem]
"""What a reader yields: rows, or problems for rows it could not even read."""


def describe(err: ValidationError) -> str:
    parts = []
    for problem in err.errors():
        where = ".".join(str(p) for p in problem["loc"]) or "record"
        parts.append(f"{where}: {problem['msg']}")
    return "; ".join(parts)


def _validate(location: str, model: type[Record], fields: dict[str, Any]) -> Parsed | RowProblem:
    try:
        return Parsed(location, model.model_validate(fields))
    except ValidationError as err:
        return RowProblem(location, describe(err))


def records(rows: Iterable[Row | RowProblem], default_language: str = "en") -> Iterator[Parsed | RowProblem]:
    """Articles stream through one by one. Canned rows given one language per row (a flat
    ``language``/``body``, as in CSV or one Markdown file per variant) are merged by external id
    and yielded at the end; their shared fields must agree."""
    flat_canned: dict[str, tuple[str, dict[str, Any]]] = {}
    for row in rows:
        if isinstance(row, RowProblem):
            yield row
            continue
        location, fields = row
        kind = fields.pop("type", "article") or "article"
        if kind == "article":
            yield _validate(location, ArticleIn, fields)
        elif kind != "canned":
            yield RowProblem(location, f"type must be 'article' or 'canned', got {kind!r}")
        elif "variants" in fields:
            yield _validate(location, CannedIn, fields)
        else:
            problem = _merge_variant(flat_canned, location, fields)
            if problem:
                yield problem
    for location, fields in flat_canned.values():
        # the response's own title is its variant's in the tenant's language, whatever the file order
        preferred = [v for v in fields["variants"] if v.get("language") == default_language]
        if preferred and preferred[0].get("title"):
            fields["title"] = preferred[0]["title"]
        yield _validate(location, CannedIn, fields)


def _merge_variant(
    groups: dict[str, tuple[str, dict[str, Any]]], location: str, fields: dict[str, Any]
) -> RowProblem | None:
    external_id = str(fields.get("external_id") or "").strip()
    if not external_id:
        return RowProblem(location, "external_id: a canned response needs an external_id")
    variant = {k: fields.pop(k) for k in VARIANT_FIELDS if k in fields}
    if external_id not in groups:
        shared = {"external_id": external_id, **fields, "title": variant.get("title"), "variants": []}
        groups[external_id] = (location, shared)
    first_location, shared = groups[external_id]
    for name in RESPONSE_FIELDS:
        if name != "title" and name in fields and fields[name] != shared.get(name):
            return RowProblem(
                location,
                f"{name}: {fields[name]!r} differs from {shared.get(name)!r} in {first_location}; "
                "all language variants of one canned response must agree on it",
            )
    shared["variants"].append(variant)
    return None
