"""Save-time validation: a template may only print allowlisted variables, with a few simple constructs.

Checking the parsed tree against an allowlist of node types refuses every known sandbox-escape
family (attribute and item access, calls, ``|attr``, ``.format``, loops, macros, imports, ``set``)
without having to enumerate the escapes themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from jinja2 import TemplateSyntaxError, nodes

from kb.templates.sandbox import ALLOWED_FILTERS, CappedSandbox
from kb.vocabulary import VARIABLES

ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.Filter,
    nodes.Test,
)
ALLOWED_TESTS = ("defined", "undefined", "none")
MAX_TEMPLATE_CHARS = 10_000

_ENV = CappedSandbox()


def _node_problems(tree: nodes.Template) -> Iterable[str]:
    for node in tree.find_all(nodes.Node):
        line = getattr(node, "lineno", "?")
        if not isinstance(node, ALLOWED_NODES):
            yield f"line {line}: {type(node).__name__} is not allowed; templates may only print variables"
        elif isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
            yield f"line {line}: filter '{node.name}' is not allowed; use one of {', '.join(ALLOWED_FILTERS)}"
        elif isinstance(node, nodes.Test) and node.name not in ALLOWED_TESTS:
            yield f"line {line}: test '{node.name}' is not allowed; use one of {', '.join(ALLOWED_TESTS)}"
        elif isinstance(node, nodes.Name) and node.ctx != "load":
            yield f"line {line}: assigning to '{node.name}' is not allowed"


def used_variables(source: str) -> set[str]:
    """Names a template reads. It must parse; call ``template_problems`` first for a clear message."""
    return {node.name for node in _ENV.parse(source).find_all(nodes.Name)}


def template_problems(source: str, declared: Iterable[str]) -> list[str]:
    """Everything wrong with ``source``; empty when it may be saved.

    ``declared`` are the variables the response says it uses; each must be allowlisted, and the
    template may read no other name.
    """
    declared = set(declared)
    problems = [
        f"variable '{name}' is not one replykit can fill; choose from {', '.join(sorted(VARIABLES))}"
        for name in sorted(declared - VARIABLES.keys())
    ]
    if len(source) > MAX_TEMPLATE_CHARS:
        return [*problems, f"template has {len(source):,} characters, the limit is {MAX_TEMPLATE_CHARS:,}"]
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError as err:
        return [*problems, f"line {err.lineno}: does not parse: {err.message}"]
    problems.extend(dict.fromkeys(_node_problems(tree)))
    for name in sorted({n.name for n in tree.find_all(nodes.Name)} - declared):
        hint = "declare it in 'variables'" if name in VARIABLES else "it is not an allowlisted variable"
        problems.append(f"template uses '{name}', which is not declared; {hint}")
    return problems
