"""The typed errors of borderscape (defined in :mod:`borderscape.geo.errors`)."""

from borderscape.geo.errors import (
    BorderscapeError,
    ChecksumError,
    CRSError,
    DownloadError,
    IngestError,
    InputError,
    NoDataError,
    RasterError,
    SourceError,
    SourceNotFound,
    StudyError,
)

__all__ = [
    "BorderscapeError",
    "ChecksumError",
    "CRSError",
    "DownloadError",
    "IngestError",
    "InputError",
    "NoDataError",
    "RasterError",
    "SourceError",
    "SourceNotFound",
    "StudyError",
]
