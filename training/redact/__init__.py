"""PII redaction for imported tickets: before anything is stored or trained on.

``Redactor(rules).redact(text, names=..., agent_names=...)`` replaces e-mail addresses, phone
numbers, IBANs, card numbers, IP addresses, postal codes, the ticket's own names and a tenant's
custom patterns with placeholders such as ``[EMAIL]``; see docs/redaction.md.
"""

from training.redact.redactor import Redacted, Redactor
from training.redact.report import RedactionReport
from training.redact.rules import PLACEHOLDERS, RedactionRules

__all__ = ["PLACEHOLDERS", "Redacted", "RedactionReport", "RedactionRules", "Redactor"]
