"""Typed errors for borderscape.

Every error says what went wrong and what to do about it.  The hierarchy lives on the
lowest floor (``geo``) so that every floor can raise and catch it; the face re-exports it
as :mod:`borderscape.errors`.
"""

from __future__ import annotations


class BorderscapeError(Exception):
    """Base class of every error borderscape raises on purpose.

    Parameters
    ----------
    message
        What went wrong.
    remedy
        What the user can do about it; appended to the message.
    """

    def __init__(self, message: str, *, remedy: str | None = None) -> None:
        self.message = message
        self.remedy = remedy
        super().__init__(message if not remedy else f"{message}\n  What to do: {remedy}")


class InputError(BorderscapeError):
    """An input (file, argument, parameter) is malformed or out of range."""


class NoDataError(InputError):
    """No layer a study's primary results count could be read: the run would report nothing.

    Raised before anything is computed or written (``borderscape run``, ``map`` and ``brief``
    exit with code 2); the message names each missing layer and why, the remedy how to supply it.
    """


class CRSError(InputError):
    """A layer or raster has no CRS, or a CRS unsuitable for the computation."""


class RasterError(InputError):
    """A raster cannot be read, is empty, or does not fit the operation."""


class SourceError(BorderscapeError):
    """A data source cannot be located, downloaded or verified."""


class SourceNotFound(SourceError):
    """A source is in no mirror, no cache and cannot be downloaded."""


class DownloadError(SourceError):
    """A download failed (network error, HTTP status, or interrupted transfer)."""


class ChecksumError(SourceError):
    """A file's sha256 does not match the one expected."""


class IngestError(InputError):
    """A file cannot be turned into a layer at all (wrong format, no rows, no header)."""


class StudyError(InputError):
    """A study file is malformed; the message names the key and the expected form."""
