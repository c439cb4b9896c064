"""Rendering: values are data, gaps are visible, and the result lists what was missing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Template, TemplateError

from kb.templates.sandbox import CappedSandbox, render_capped
from kb.templates.validate import template_problems, used_variables
from suggest.errors import InputError, InvalidContentError

MISSING_MARK = "[missing: {name}]"
"""What stands in for a value nobody could fill: loud enough that no agent sends it unnoticed."""
MAX_VALUE_CHARS = 2_000

_ENV = CappedSandbox()


@dataclass(frozen=True)
class Rendered:
    text: str
    missing: tuple[str, ...]
    """Variables the template uses that had no value; the text carries MISSING_MARK for each."""


@lru_cache(maxsize=1_024)
def _compiled(source: str, declared: tuple[str, ...]) -> tuple[Template, frozenset[str]]:
    """Validate and compile once per template text; suggestions render the same few templates often."""
    problems = template_problems(source, declared)
    if problems:
        raise InvalidContentError("template", [("body", p) for p in problems])
    return _ENV.from_string(source), frozenset(used_variables(source))


def render_template(source: str, declared: Iterable[str], values: Mapping[str, object]) -> Rendered:
    """Render a saved template with ``values``. Unknown keys in ``values`` are ignored."""
    declared = tuple(dict.fromkeys(declared))
    template, used = _compiled(source, declared)
    filled: dict[str, str] = {}
    missing: list[str] = []
    for name in (n for n in declared if n in used):
        value = values.get(name)
        text = "" if value is None else str(value).strip()
        if not text:
            missing.append(name)
            text = MISSING_MARK.format(name=name)
        elif len(text) > MAX_VALUE_CHARS:
            raise InputError(
                f"value for '{name}' has {len(text):,} characters, the limit is {MAX_VALUE_CHARS:,}; "
                "pass a shorter value"
            )
        filled[name] = text
    try:
        rendered = render_capped(_ENV, template, filled)
    except (TemplateError, ArithmeticError) as err:  # SecurityError and UndefinedError are TemplateErrors
        raise InvalidContentError("template", [("body", f"cannot render: {err}")]) from err
    return Rendered(text=rendered, missing=tuple(missing))
