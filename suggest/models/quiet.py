"""Silence third-party chatter (progress bars, tracer warnings) while we drive their libraries."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_libraries() -> Iterator[None]:
    """Our own progress display says what is happening; the libraries' own output only confuses."""
    import transformers.utils.logging as hf_logging

    root = logging.getLogger()
    previous_level, previous_verbosity = root.level, hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(previous_level)
        hf_logging.set_verbosity(previous_verbosity)
