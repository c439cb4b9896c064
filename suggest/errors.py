"""The project's error hierarchy. Messages say what was expected, what was found and what to do.

Only ``api/`` maps these to HTTP status codes.
"""

from __future__ import annotations


class ReplykitError(Exception):
    """Base class for every error replykit raises on purpose."""


class ConfigError(ReplykitError):
    """A setting is missing or invalid."""


class ModelFormatError(ReplykitError):
    """A model file does not have the layout we expect."""


class ModelCacheError(ReplykitError):
    """A prepared model folder is missing, incomplete or fails its checksums."""


class ModelQualityError(ReplykitError):
    """A converted model failed its sanity check (e.g. cross-lingual similarity)."""


class InputError(ReplykitError):
    """Caller-supplied text or parameters are unusable."""
