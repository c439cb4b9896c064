"""Canned-response templates: a locked-down Jinja2 sandbox, save-time validation and rendering.

Customer text only ever enters as a value; templates come from admins and are checked when saved.
"""

from kb.templates.render import MISSING_MARK, Rendered, render_template
from kb.templates.validate import template_problems, used_variables

__all__ = ["MISSING_MARK", "Rendered", "render_template", "template_problems", "used_variables"]
