"""Template validation and rendering, table-driven, with sandbox-escape and resource payloads."""

from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError

from kb.templates import MISSING_MARK, render_template, template_problems
from kb.templates.sandbox import MAX_OUTPUT_CHARS, CappedSandbox, render_capped
from suggest.errors import InputError, InvalidContentError

DECLARED = ["customer_first_name", "ticket_number", "agent_name"]

VALID = [
    "Hi {{ customer_first_name }}, your ticket is {{ ticket_number }}.",
    "{{ customer_first_name|title }} — {{ agent_name|upper }}",
    "{% if customer_first_name %}Hi {{ customer_first_name }}{% else %}Hello{% endif %}",
    "{{ customer_first_name ~ ' / ' ~ ticket_number }}",
    "{{ agent_name if agent_name is defined else 'the team' }}",
    "No variables at all.",
]

# (template, a fragment the problem list must contain)
REFUSED = [
    ("{{ ''.__class__ }}", "Getattr"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "Getattr"),
    ("{{ customer_first_name.__class__.__init__.__globals__ }}", "Getattr"),
    ("{{ customer_first_name|attr('__class__') }}", "filter 'attr'"),
    ("{{ '{0.__class__}'.format(customer_first_name) }}", "Call"),
    ("{{ customer_first_name.format_map({}) }}", "Getattr"),
    ("{{ lipsum.__globals__['os'].popen('id').read() }}", "Getattr"),
    ("{{ lipsum }}", "'lipsum'"),
    ("{{ cycler.__init__.__globals__ }}", "Getattr"),
    ("{{ joiner }}", "'joiner'"),
    ("{{ namespace() }}", "Call"),
    ("{% for i in range(10**9) %}x{% endfor %}", "For"),
    ("{{ range(10**9)|list }}", "Call"),
    ("{{ 'a' * 200000000 }}", "Mul"),
    ("{{ 9 ** 9 ** 9 }}", "Pow"),
    ("{{ customer_first_name * 100000 }}", "Mul"),
    ("{{ ticket_number['__class__'] }}", "Getitem"),
    ("{{ config }}", "'config'"),
    ("{{ self }}", "'self'"),
    ("{{ request.environ }}", "Getattr"),
    ("{% set x = customer_first_name %}{{ x }}", "Assign"),
    ("{% include 'x.txt' %}", "Include"),
    ("{% import 'x' as y %}", "Import"),
    ("{% extends 'base' %}", "Extends"),
    ("{% macro m() %}x{% endmacro %}{{ m() }}", "Macro"),
    ("{% raw %}{{ fine }}{% endraw %}{{ unknown_var }}", "'unknown_var'"),
    ("{{ customer_first_name|replace('a', 'aaaa') }}", "filter 'replace'"),
    ("{{ customer_first_name|format(1) }}", "filter 'format'"),
    ("{{ customer_first_name is callable }}", "test 'callable'"),
    ("{{ [customer_first_name] }}", "List"),
    ("{{ {'a': 1} }}", "Dict"),
    ("{{ customer_first_name ", "does not parse"),
    ("{% if %}", "does not parse"),
    ("{{ customer_name }}", "not declared; declare it"),
]


@pytest.mark.parametrize("source", VALID)
def test_valid_templates_have_no_problems(source: str) -> None:
    assert template_problems(source, DECLARED) == []


@pytest.mark.parametrize(("source", "expected"), REFUSED)
def test_unsafe_or_broken_templates_are_refused_at_save_time(source: str, expected: str) -> None:
    problems = template_problems(source, DECLARED)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(("source", "_expected"), REFUSED)
def test_refused_templates_cannot_be_rendered_either(source: str, _expected: str) -> None:
    with pytest.raises(InvalidContentError):
        render_template(source, DECLARED, {"customer_first_name": "Ana"})


def test_declaring_a_variable_outside_the_allowlist_is_a_problem() -> None:
    problems = template_problems("Hi", ["customer_first_name", "password"])
    assert len(problems) == 1 and "'password' is not one replykit can fill" in problems[0]


def test_problems_point_at_the_line() -> None:
    problems = template_problems("line one\nline two {{ x.y }}", [])
    assert any(p.startswith("line 2:") for p in problems)


@pytest.mark.parametrize(
    ("source", "values", "text", "missing"),
    [
        ("Hi {{ customer_first_name }}", {"customer_first_name": "Ana"}, "Hi Ana", ()),
        (
            "Hi {{ customer_first_name }}",
            {},
            "Hi " + MISSING_MARK.format(name="customer_first_name"),
            ("customer_first_name",),
        ),
        (
            "Hi {{ customer_first_name }}",
            {"customer_first_name": "  "},
            "Hi [missing: customer_first_name]",
            ("customer_first_name",),
        ),
        ("#{{ ticket_number }}", {"ticket_number": 48213}, "#48213", ()),
        ("{{ agent_name|upper }}", {"agent_name": "Daan"}, "DAAN", ()),
    ],
)
def test_rendering_fills_values_and_marks_gaps(
    source: str, values: dict[str, object], text: str, missing: tuple[str, ...]
) -> None:
    rendered = render_template(source, DECLARED, values)
    assert rendered.text == text
    assert rendered.missing == missing


@pytest.mark.parametrize(
    "hostile",
    [
        "{{ 7*7 }}",
        "{% for x in y %}",
        "{{ ''.__class__ }}",
        "<script>alert(1)</script>",
        "{{ lipsum.__globals__ }}",
    ],
)
def test_customer_text_is_a_value_never_a_template(hostile: str) -> None:
    rendered = render_template("Re: {{ customer_first_name }}", DECLARED, {"customer_first_name": hostile})
    assert rendered.text == f"Re: {hostile}"


def test_overlong_values_are_refused_with_the_limit() -> None:
    with pytest.raises(InputError, match="limit is 2,000"):
        render_template("{{ agent_name }}", DECLARED, {"agent_name": "x" * 2_001})


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'a' * 200000000 }}",
        "{{ 200000000 * 'a' }}",
        "{{ [1] * 100000000 }}",
        "{{ (9 ** 9) ** (9 ** 9) }}",
        "{{ 2 ** 100000 }}",
        "{{ ((999 ** 64) ** 64) ** 64 }}",
    ],
)
def test_the_sandbox_caps_resource_use_even_without_validation(source: str) -> None:
    with pytest.raises(SecurityError):
        render_capped(CappedSandbox(), source, {})


def test_the_sandbox_caps_output_length() -> None:
    source = "{{ x }}" * (MAX_OUTPUT_CHARS // 1000 + 2)
    with pytest.raises(SecurityError, match="longer than"):
        render_capped(CappedSandbox(), source, {"x": "y" * 1000})


def test_the_sandbox_has_no_globals_and_few_filters() -> None:
    env = CappedSandbox()
    assert env.globals == {}
    assert "attr" not in env.filters and "format" not in env.filters and "replace" not in env.filters
