"""A folder of Markdown files with YAML front matter, one article or canned-response variant per file.

---
type: article            # or: canned
external_id: warranty-overview-en
canonical_id: warranty-overview
language: en
title: What the warranty covers
url: https://help.example.com/en/warranty
tags: [warranty]
updated_at: 2026-10-14
---
Markdown body (for canned: the Jinja2 template).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from kb.importers.common import RowProblem, Source

FENCE = "---"


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body). Raises ValueError when the front matter is missing or not a mapping."""
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != FENCE:
        raise ValueError("expected YAML front matter starting with '---' on the first line")
    for n, line in enumerate(lines[1:], start=1):
        if line.strip() == FENCE:
            meta = yaml.safe_load("".join(lines[1:n])) or {}
            if not isinstance(meta, dict):
                raise ValueError("front matter must be a mapping of field: value")
            return meta, "".join(lines[n + 1 :]).strip("\n") + "\n"
    raise ValueError("front matter has no closing '---' line")


def read_folder(folder: Path) -> Source:
    for path in sorted(folder.rglob("*.md")):
        location = str(path.relative_to(folder))
        try:
            meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        except (ValueError, yaml.YAMLError, UnicodeDecodeError) as err:
            yield RowProblem(location, str(err).splitlines()[0])
            continue
        # YAML reads 2026-10-14 as a date; records take ISO text
        meta = {k: v.isoformat() if isinstance(v, date) else v for k, v in meta.items()}
        yield location, {**meta, "body": body}
