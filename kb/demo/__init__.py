"""The demo tenant: Helioport Energy, a fictional installer (WORLD.md). ``make run`` loads it."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from kb.importers.apply import ImportReport
from kb.library import Library
from kb.store.tenants import create_key, ensure_tenant, set_service_hours
from suggest.hours.calendar import ServiceHours

DEMO_TENANT = "demo"
DEMO_NAME = "Helioport Energy"
HERE = Path(__file__).resolve().parent
CONTENT = (HERE / "articles", HERE / "canned")
DEMO_HOURS = ServiceHours(
    timezone="Europe/Amsterdam",
    weekly={day: ["08:00-17:30"] for day in ("mon", "tue", "wed", "thu", "fri")},
    holidays=[date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1), date(2027, 4, 5), date(2027, 4, 27)],
    first_response_hours=4,
)
"""WORLD.md's opening hours, a few Dutch public holidays, and a four-hour first-response target."""


def load_demo(library: Library) -> list[ImportReport]:
    """Import the demo content (idempotent) and bring the demo index up to date."""
    with library.store.session() as session:
        tenant = ensure_tenant(session, DEMO_TENANT, DEMO_NAME, "en")
        if tenant.service_hours is None:  # an admin's own hours are kept
            set_service_hours(session, DEMO_TENANT, DEMO_HOURS)
    return [library.import_path(DEMO_TENANT, folder)[0] for folder in CONTENT]


def demo_keys(library: Library, data_dir: Path) -> dict[str, str]:
    """The demo's agent and admin keys, created on first use and kept in ``data_dir`` (mode 0600)."""
    path = data_dir / "demo-keys.json"
    if path.exists():
        keys: dict[str, str] = json.loads(path.read_text())
        return keys
    with library.store.session() as session:
        keys = {
            scope: create_key(session, DEMO_TENANT, f"demo {scope}", [scope]) for scope in ("agent", "admin")
        }
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(keys, f, indent=1)
    return keys
