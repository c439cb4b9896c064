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


class InvalidContentError(InputError):
    """Content (an article, a canned response, a template) failed validation; ``problems`` lists why.

    Each problem is ``(field, message)``, so the API can return all of them at once as a 422.
    """

    def __init__(self, what: str, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        listed = "; ".join(f"{field}: {message}" for field, message in problems)
        super().__init__(f"{what} is invalid ({len(problems)} problem(s)): {listed}")


class NotFoundError(ReplykitError):
    """The requested item does not exist for this tenant."""


class ConflictError(ReplykitError):
    """The request conflicts with what is stored (e.g. a duplicate external id)."""


class IndexCorruptError(ReplykitError):
    """An index build on disk fails its manifest; it is rebuilt from the database."""


class NotReadyError(ReplykitError):
    """A dependency (the model, the index) is still loading; try again shortly."""
