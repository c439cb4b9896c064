"""The Jinja2 environment every template renders in: immutable sandbox, strict undefined, hard caps.

The stock sandbox blocks attribute escapes but lets ``{{ 'a' * 200000000 }}`` allocate 200 MB, so
repetition, powers and the output length are capped here as well. Save-time validation refuses
those constructs already; the caps are the second wall.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_REPEAT_CHARS = 10_000
"""Largest sequence a ``*`` may produce."""
MAX_EXPONENT = 64
MAX_POWER_BITS = 4_096
"""Largest integer a ``**`` may produce; chained powers would otherwise grow without bound."""
MAX_OUTPUT_CHARS = 20_000
"""A reply longer than this is a template bug, not a reply."""

ALLOWED_FILTERS = ("upper", "lower", "title", "capitalize", "trim", "default", "d")
"""Only filters whose output is at most a little longer than their input."""


class CappedSandbox(ImmutableSandboxedEnvironment):
    """No globals, a handful of filters, and capped ``*`` and ``**``."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
        self.globals.clear()  # no range, lipsum, dict, cycler, joiner, namespace
        self.filters = {name: self.filters[name] for name in ALLOWED_FILTERS}

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                repeats = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if repeats and len(seq) * max(times, 0) > MAX_REPEAT_CHARS:
                    raise SecurityError(f"repetition would produce more than {MAX_REPEAT_CHARS} items")
        if operator == "**" and isinstance(right, int | float):
            if abs(right) > MAX_EXPONENT:
                raise SecurityError(f"exponent {right} is above the limit of {MAX_EXPONENT}")
            if isinstance(left, int) and left.bit_length() * abs(right) > MAX_POWER_BITS:
                raise SecurityError(f"the power would have more than {MAX_POWER_BITS} bits")
        return super().call_binop(context, operator, left, right)


def render_capped(env: CappedSandbox, source: str | Template, values: dict[str, str]) -> str:
    """Render ``source`` (text, or a template compiled by ``env``) and stop as soon as the output
    passes MAX_OUTPUT_CHARS."""
    chunks: list[str] = []
    size = 0
    template = source if isinstance(source, Template) else env.from_string(source)
    stream: Iterator[str] = template.generate(values)
    for chunk in stream:
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise SecurityError(f"rendered text is longer than {MAX_OUTPUT_CHARS:,} characters")
        chunks.append(chunk)
    return "".join(chunks)


def parse(env: CappedSandbox, source: str) -> nodes.Template:
    return env.parse(source)
