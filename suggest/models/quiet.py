"""Silence third-party chatter (progress bars, tracer warnings) around the calls that make it.

Kept narrow on purpose: our own progress and warning messages, and other threads' logging in a
running server, must not be swallowed. Library loggers are raised by name; of what libraries log
straight to the root logger, only records from their own source files are dropped.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator

NOISY_LOGGERS = ("transformers", "sentence_transformers", "torch.onnx", "onnxruntime", "onnx")
NOISY_PACKAGES = ("/onnxruntime/", "/torch/", "/transformers/", "/onnx/")


def _from_our_code(record: logging.LogRecord) -> bool:
    """Some libraries (the ONNX quantizer) log straight to the root logger; drop only those records."""
    return not any(part in record.pathname for part in NOISY_PACKAGES)


@contextlib.contextmanager
def quiet_libraries() -> Iterator[None]:
    """Library progress bars and warnings off for the duration; ours stay on."""
    import transformers.utils.logging as hf_logging

    loggers = [logging.getLogger(name) for name in NOISY_LOGGERS]
    levels = [lg.level for lg in loggers]
    bars_were_on = hf_logging.is_progress_bar_enabled()
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    root = logging.getLogger()
    root.addFilter(_from_our_code)
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.removeFilter(_from_our_code)
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
        if bars_were_on:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
