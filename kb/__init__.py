"""Knowledge base and canned-response library (articles, templates, vector indexes)."""
