"""Find a source's files (explicit file, local mirror, cache) and download them into the cache.

Three places can hold a source's files, tried in this order by :func:`locate`:

1. an explicit file (or folder) given by the user;
2. a local mirror: any folder (``data_dir`` argument, else the environment variable
   ``BORDERSCAPE_DATA``), searched recursively by the catalog's file-name patterns with the
   mirror rule of :mod:`borderscape.layers.catalog` (see :func:`find_in_mirror`);
3. the download cache (``cache_dir`` argument, else ``BORDERSCAPE_CACHE``, else
   ``~/.cache/borderscape``), filled by :func:`fetch`, one folder per source id.

:func:`locate` never downloads.  :func:`fetch` downloads a source's published files (or a
user-given URL, or the elevation tiles of a bounding box) with :func:`download`: streamed to a
temporary file in the destination folder and moved into place with :func:`os.replace`, sha256
computed while streaming and recorded in the cache's ``index.json``, with timeouts, retries
with exponential backoff, and resumption with an HTTP ``Range`` request where the server
allows it.

Downloads are treated as hostile input:

- only ``http`` and ``https`` URLs are fetched, and only redirects to them are followed
  (:func:`check_url`); a malformed URL is an :class:`~borderscape.geo.errors.InputError`;
- a file is stored under a plain base name taken from the percent-decoded URL path
  (:func:`safe_file_name`), and every file written resolves inside the cache;
- a file is complete only when it has the size and sha256 the catalog pins (or the user
  gives), or else passes the format check of its expected kind (:func:`check_download`:
  magic bytes, a CSV with consistent columns, JSON that parses, no HTML page in place of
  data, a zip whose members pass their CRC, a GeoTIFF whose blocks all read) and has the
  length the server announced; a file that fails is deleted, never recorded;
- a bounding box needing more than ``max_tiles`` elevation tiles is refused before any
  request.
"""

from __future__ import annotations

import csv
import fnmatch
import gzip
import hashlib
import http.client
import json
import os
import re
import shutil
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPMessage
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import (
    HTTPDefaultErrorHandler,
    HTTPErrorProcessor,
    HTTPHandler,
    HTTPRedirectHandler,
    HTTPSHandler,
    OpenerDirector,
    ProxyHandler,
    Request,
)

from borderscape.geo.errors import (
    ChecksumError,
    DownloadError,
    InputError,
    SourceError,
    SourceNotFound,
)
from borderscape.geo.files import write_text_atomic
from borderscape.layers.catalog import FilePattern, Source, dem_tile_count, dem_tile_names, get_source, with_state

#: Callback for download progress: ``progress(bytes_done, bytes_total_or_None)``.
Progress = Callable[[int, "int | None"], None]

INDEX_NAME = "index.json"
_CHUNK = 1 << 16
_USER_AGENT = "borderscape (https://pypi.org/project/borderscape/)"

# Format of a file given explicitly, by suffix.
_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".json": "json-records",
    ".geojson": "geojson",
    ".kml": "kml",
    ".kmz": "kmz",
    ".shp": "shp",
    ".gpkg": "gpkg",
    ".tif": "geotiff",
    ".tiff": "geotiff",
    ".nc": "netcdf",
    ".gml": "gml",
    ".zip": "zip",
}

# A date written in a file name: a year 1900-2099, optionally -MM and -DD, not glued to
# letters or digits ("bansak2025" is a name, not a date; "1981_2024-09" holds two dates).
_DATE = re.compile(r"(?<![A-Za-z0-9])((?:19|20)\d\d)(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?(?![A-Za-z0-9])")


# --------------------------------------------------------------------------- places


def default_cache_dir() -> Path:
    """The download cache folder.

    ``BORDERSCAPE_CACHE`` if set, else ``$XDG_CACHE_HOME/borderscape``, else
    ``~/.cache/borderscape``.  The folder is not created here.
    """
    env = os.environ.get("BORDERSCAPE_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "borderscape"


def data_dir_from_env() -> Path | None:
    """The local mirror named by the environment variable ``BORDERSCAPE_DATA``, or None."""
    env = os.environ.get("BORDERSCAPE_DATA")
    return Path(env).expanduser() if env else None


# --------------------------------------------------------------------------- checksums

_SHA_MEMO: dict[tuple[str, int, int], str] = {}


def sha256_file(path: str | Path) -> str:
    """The sha256 of a file's bytes, as 64 lower-case hex digits.

    Results are remembered for the life of the process, keyed by path, size and
    modification time, so listing sources twice does not hash the files twice.
    """
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _SHA_MEMO:
        h = hashlib.sha256()
        with open(p, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        _SHA_MEMO[key] = h.hexdigest()
    return _SHA_MEMO[key]


# --------------------------------------------------------------------------- mirror rule


@dataclass(frozen=True)
class MirrorMatch:
    """The files of one source found in a folder by the mirror rule.

    Attributes
    ----------
    paths
        The chosen file, or the files of one dataset when the pattern has ``parts=True``.
    pattern
        The catalog pattern that chose them (its ``format`` says how to read them).
    alternatives
        Files that also belong to the source but were not chosen (older, or matching a
        less preferred pattern).
    reason
        One phrase saying why these files were chosen.
    """

    paths: list[Path]
    pattern: FilePattern
    alternatives: list[Path]
    reason: str

    @property
    def format(self) -> str:
        """How the chosen files are read (``csv``, ``json-records``, ``shp`` …)."""
        return self.pattern.format


def name_date(name: str) -> tuple[int, int, int]:
    """The latest date written in a file name as (year, month, day); (0, 0, 0) when none.

    A missing month or day counts as 0, so ``2024`` < ``2024-01`` < ``2024-01-15``.

    Examples
    --------
    >>> name_date("ogis_deaths_1981_2024-09.csv")
    (2024, 9, 0)
    >>> name_date("ogis_deaths_bansak2025_1981_2020-06.csv")
    (2020, 6, 0)
    """
    dates = [(int(y), int(m or 0), int(d or 0)) for y, m, d in _DATE.findall(name)]
    return max(dates, default=(0, 0, 0))


def _files_under(root: Path) -> list[Path]:
    """Every regular file under ``root`` (hidden files and folders skipped), sorted."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(folder) / f for f in sorted(files) if not f.startswith("."))
    return found


def _newness(paths: list[Path]) -> tuple[tuple[int, int, int], int, str]:
    """Sort key of a file or a set of files: latest name date, then mtime, then name."""
    return (
        max(name_date(p.name) for p in paths),
        max(p.stat().st_mtime_ns for p in paths),
        min(str(p) for p in paths),
    )


def find_in_mirror(source: Source | str, data_dir: str | Path) -> MirrorMatch | None:
    """Find a source's files in a folder by the catalog's mirror rule.

    Every file under ``data_dir`` (recursively) whose name matches one of the source's
    patterns (case-insensitive ``fnmatch``) belongs to the source.  The first pattern, in
    the catalog's order of preference, that matches any file decides.  Among the files of
    that pattern the newest is chosen: newest by the latest date written in the file name
    (:func:`name_date`), then by modification time.  For a ``parts=True`` pattern the
    matching files of one folder form one dataset, and the newest folder's set is chosen.

    Parameters
    ----------
    source
        A catalog entry or its id.
    data_dir
        The mirror folder.

    Returns
    -------
    MirrorMatch or None
        None when no file matches.
    """
    src = get_source(source) if isinstance(source, str) else source
    root = Path(data_dir)
    if not root.is_dir():
        return None
    files = _files_under(root)
    by_pattern = [[f for f in files if fnmatch.fnmatchcase(f.name.lower(), pat.glob.lower())] for pat in src.patterns]
    for i, (pat, matched) in enumerate(zip(src.patterns, by_pattern)):
        if not matched:
            continue
        if pat.parts:
            groups: dict[Path, list[Path]] = {}
            for f in matched:
                groups.setdefault(f.parent, []).append(f)
            candidates = list(groups.values())
        else:
            candidates = [[f] for f in matched]
        candidates.sort(key=_newness, reverse=True)
        chosen = candidates[0]
        later = [f for group in by_pattern[i + 1 :] for f in group]
        others = [f for group in candidates[1:] for f in group]
        alternatives = list(dict.fromkeys(others + [f for f in later if f not in chosen]))
        what = f"pattern {pat.glob!r}" + (f": {pat.note}" if pat.note else "")
        if pat.parts:
            reason = f"{len(chosen)} files forming one dataset, {what}"
        else:
            reason = what
        if len(candidates) > 1:
            by_date = _newness(chosen)[0] > _newness(candidates[1])[0]
            how = "by the date in its name" if by_date else "by modification time"
            reason += f"; newest of {len(candidates)} {how}"
        if i > 0:
            reason += "; no file matched the preferred pattern(s) " + ", ".join(repr(p.glob) for p in src.patterns[:i])
        return MirrorMatch(paths=chosen, pattern=pat, alternatives=alternatives, reason=reason)
    return None


# --------------------------------------------------------------------------- locate


@dataclass(frozen=True)
class Located:
    """Where a source's files were found.

    Attributes
    ----------
    source
        The catalog entry.
    paths
        The files to read (one, or the parts of one dataset).
    format
        How to read them: ``csv``, ``json-records``, ``geojson``, ``shp`` … (see
        :class:`~borderscape.layers.catalog.FilePattern`).
    how
        ``"file"`` (given explicitly), ``"mirror"`` (a local data folder) or ``"cache"``.
    sha256
        The sha256 of each file of ``paths``, in the same order.
    alternatives
        Files of the same source that were found but not chosen.
    root
        The mirror or cache folder searched (None for an explicit file).
    reason
        Why these files were chosen.
    """

    source: Source
    paths: list[Path]
    format: str
    how: str
    sha256: list[str]
    alternatives: list[Path] = field(default_factory=list)
    root: Path | None = None
    reason: str = ""

    def describe(self) -> str:
        """One line saying which file was chosen and why."""
        if len(self.paths) == 1:
            names = self.paths[0].name
        else:
            names = f"{len(self.paths)} files ({self.paths[0].name} … {self.paths[-1].name})"
        where = {
            "file": "given explicitly",
            "mirror": f"from the data folder {self.root}",
            "cache": f"from the cache {self.root}",
        }[self.how]
        line = f"{self.source.id}: using {names} {where}"
        if self.reason:
            line += f"; {self.reason}"
        if self.alternatives:
            shown = ", ".join(p.name for p in self.alternatives[:3])
            more = f" and {len(self.alternatives) - 3} more" if len(self.alternatives) > 3 else ""
            line += f"; not chosen: {shown}{more}"
        return line


def _format_of_file(source: Source, path: Path) -> str:
    for pat in source.patterns:
        if fnmatch.fnmatchcase(path.name.lower(), pat.glob.lower()):
            return pat.format
    suffix = path.suffix.lower()
    if suffix not in _SUFFIX_FORMATS:
        raise InputError(
            f"cannot tell the format of {path} from its suffix {suffix!r}",
            remedy=f"give a file ending in one of {', '.join(sorted(_SUFFIX_FORMATS))}",
        )
    fmt = _SUFFIX_FORMATS[suffix]
    if fmt == "json-records" and not any(p.format == "json-records" for p in source.patterns):
        fmt = "geojson"
    return fmt


def remedy_for(source: Source) -> str:
    """What a user without a copy of ``source`` can do (for error messages and listings)."""
    steps = [source.how_to_get.rstrip(". ")]
    if "borderscape fetch" not in source.how_to_get:
        if source.tile_url:
            steps.append(f"run `borderscape fetch {source.id} --bbox W,S,E,N`")
        elif source.downloads:
            steps.append(f"run `borderscape fetch {source.id}`")
        elif source.user_supplied:
            steps.append(f"run `borderscape fetch {source.id} --url URL`")
    steps.append("if you have a folder holding the files, pass --data-dir DIR or set BORDERSCAPE_DATA=DIR")
    return "; or ".join(steps)


def _index_paths(cache_dir: Path, source_id: str) -> list[Path]:
    """Files recorded (and verified) in the cache index for ``source_id`` that still exist inside the cache."""
    entries = _read_index(cache_dir / INDEX_NAME)
    root = cache_dir.resolve()
    found: list[Path] = []
    for rel, e in sorted(entries.items()):
        if e.get("source") != source_id or not e.get("checked"):
            continue
        path = cache_dir / rel
        try:
            if path.resolve().is_relative_to(root) and path.is_file():
                found.append(path)
        except (OSError, ValueError):
            continue
    return found


def locate(
    source_id: str,
    *,
    file: str | Path | None = None,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
) -> Located:
    """Find the files of a catalog source, without downloading anything.

    Order: an explicit ``file`` (a file, or a folder searched by the mirror rule), else the
    local mirror (``data_dir``, else ``BORDERSCAPE_DATA``), else the cache (``cache_dir``,
    else :func:`default_cache_dir`), where :func:`fetch` puts downloads.

    Parameters
    ----------
    source_id
        Catalog id, e.g. ``"pcome"``.
    file
        A file (format inferred from the catalog's patterns, else its suffix) or a folder.
    data_dir
        Local mirror folder; must exist when given.
    cache_dir
        Download cache folder.

    Returns
    -------
    Located

    Raises
    ------
    SourceError
        Unknown source id.
    InputError
        ``file`` or ``data_dir`` does not exist, or the file's format cannot be told.
    SourceNotFound
        Nothing found; the message names the places searched and the remedy.
    """
    source = get_source(source_id)
    if file is not None:
        path = Path(file).expanduser()
        if path.is_dir():
            match = find_in_mirror(source, path)
            if match is None:
                raise SourceNotFound(
                    f"no file of source {source.id!r} in the folder {path}",
                    remedy="expected names: " + ", ".join(p.glob for p in source.patterns),
                )
            return _located(source, match, "file", path)
        if not path.is_file():
            raise InputError(f"the file {path} does not exist", remedy="check the path you gave for the source file")
        return Located(
            source=source,
            paths=[path],
            format=_format_of_file(source, path),
            how="file",
            sha256=[sha256_file(path)],
            reason="an explicit file overrides the mirror",
        )

    searched: list[str] = []
    if data_dir is not None:
        mirror: Path | None = Path(data_dir).expanduser()
        if not mirror.is_dir():
            raise InputError(
                f"the data folder {mirror} does not exist", remedy="give an existing folder with --data-dir DIR"
            )
    else:
        mirror = data_dir_from_env()
        if mirror is not None and not mirror.is_dir():
            searched.append(f"BORDERSCAPE_DATA={mirror} (does not exist)")
            mirror = None
    if mirror is not None:
        searched.append(f"data folder {mirror}")
        match = find_in_mirror(source, mirror)
        if match is not None:
            return _located(source, match, "mirror", mirror)

    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    searched.append(f"cache {cache / source.id}")
    match = find_in_mirror(source, cache / source.id)
    if match is not None:
        return _located(source, match, "cache", cache)
    fetched = _index_paths(cache, source.id)
    if fetched:
        return Located(
            source=source,
            paths=fetched,
            format=_format_of_file(source, fetched[0]),
            how="cache",
            sha256=[sha256_file(p) for p in fetched],
            root=cache,
            reason="downloaded with `borderscape fetch --url` (name not in the catalog's patterns)",
        )
    if mirror is None and not any(s.startswith("BORDERSCAPE_DATA") for s in searched):
        searched.insert(0, "no data folder (neither --data-dir nor BORDERSCAPE_DATA given)")
    raise SourceNotFound(
        f"source {source.id!r} ({source.title}) was not found; searched: {'; '.join(searched)}",
        remedy=remedy_for(source),
    )


def _located(source: Source, match: MirrorMatch, how: str, root: Path) -> Located:
    return Located(
        source=source,
        paths=match.paths,
        format=match.format,
        how=how,
        sha256=[sha256_file(p) for p in match.paths],
        alternatives=match.alternatives,
        root=root,
        reason=match.reason,
    )


# --------------------------------------------------------------------------- hostile input: URLs, names, paths

#: URL schemes that :func:`download` and :func:`fetch` accept (and the only redirects followed).
ALLOWED_SCHEMES = ("http", "https")

#: Default cap on the number of elevation tiles one :func:`fetch` may ask for.
MAX_TILES = 100

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._+()-")
_NAME_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_(")
_MAX_NAME = 200
_HOW_URL = "give a complete http:// or https:// URL, e.g. https://example.org/data/file.csv"
_BY_HAND = "or download the file by hand and pass it as FILE or with --data-dir DIR"


def _shown(value: object) -> str:
    """A URL or name for a message: quoted, escaped, and cut to 200 characters."""
    text = value if isinstance(value, str) else str(value)
    return repr(text if len(text) <= 200 else text[:200] + "…")


def _char(c: str) -> str:
    return f"the character {c!r} (U+{ord(c):04X})"


def check_url(url: str) -> str:
    """``url`` unchanged if it may be downloaded: a well-formed ``http`` or ``https`` URL with a host.

    Parameters
    ----------
    url
        The URL.

    Returns
    -------
    str
        ``url``.

    Raises
    ------
    InputError
        The URL is empty, holds a space, a control or a non-ASCII character, cannot be
        parsed (``http://[::1``, a port that is not a number), has another scheme than
        http/https (``file:``, ``ftp:``, ``javascript:`` …) or has no host.

    Examples
    --------
    >>> check_url("https://example.org/data.csv")
    'https://example.org/data.csv'
    >>> check_url("file:///etc/hostname")
    Traceback (most recent call last):
    ...
    borderscape.geo.errors.InputError: the URL 'file:///etc/hostname' has the scheme 'file:'; only http and https URLs are downloaded
      What to do: give an http:// or https:// URL; for a file already on this machine, pass it as FILE or put it in a folder given with --data-dir DIR
    """
    if not isinstance(url, str) or not url:
        raise InputError(f"the URL {_shown(url)} is empty", remedy=_HOW_URL)
    bad = next((c for c in url if not "!" <= c <= "~"), None)
    if bad is not None:
        raise InputError(
            f"the URL {_shown(url)} holds {_char(bad)}, which a URL cannot hold as it is",
            remedy="percent-encode it (a space is %20), or " + _HOW_URL,
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number 0-65535
    except ValueError as exc:
        raise InputError(f"the URL {_shown(url)} is malformed ({exc})", remedy=_HOW_URL) from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        what = f"the scheme {scheme + ':'!r}" if scheme else "no scheme"
        raise InputError(
            f"the URL {_shown(url)} has {what}; only http and https URLs are downloaded",
            remedy="give an http:// or https:// URL; for a file already on this machine, pass it as FILE "
            "or put it in a folder given with --data-dir DIR",
        )
    if not parts.hostname:
        raise InputError(f"the URL {_shown(url)} has no host", remedy=_HOW_URL)
    return url


def safe_file_name(url: str) -> str:
    """The name under which a download of ``url`` is stored: a plain, safe base name.

    The URL's path is percent-decoded first, then its last segment (after the last ``/``
    or ``\\``) is taken, so an encoded ``%2e%2e%2f`` or ``%2F`` cannot reach another
    folder.  The name must then be made only of ASCII letters, digits, space and
    ``. _ - + ( )``, start with a letter, a digit, ``_`` or ``(``, not end with a space or
    a dot, and hold at most 200 characters; an empty name, ``.``, ``..`` and hidden names
    are refused.

    Parameters
    ----------
    url
        An http(s) URL (checked with :func:`check_url`).

    Returns
    -------
    str

    Raises
    ------
    InputError
        The URL is not acceptable, or its last path segment is not a safe file name.

    Examples
    --------
    >>> safe_file_name("https://example.org/files/Water%20Stations%202000-2019.csv?dl=1")
    'Water Stations 2000-2019.csv'
    >>> safe_file_name("http://example.org/x/%2e%2e%2f%2e%2e%2fESCAPED.txt")
    'ESCAPED.txt'
    >>> safe_file_name("http://example.org/x/%2Ftmp%2Fpwned.csv")
    'pwned.csv'
    """
    check_url(url)
    name = re.split(r"[/\\]", unquote(urlsplit(url).path, errors="replace"))[-1]
    remedy = (
        "give a URL whose last path segment is a plain file name (letters, digits, space and . _ - + ( )), " + _BY_HAND
    )
    where = f"the URL {_shown(url)}"
    if not name:
        raise InputError(f"{where} names no file (its path is empty or ends with '/')", remedy=remedy)
    if name in (".", ".."):
        raise InputError(f"{where} ends in {name!r}, which is a folder, not a file name", remedy=remedy)
    if name.startswith("."):
        raise InputError(f"{where} names a hidden file {_shown(name)}; hidden names are refused", remedy=remedy)
    bad = next((c for c in name if c not in _NAME_CHARS), None)
    if bad is not None:
        kind = "a control character" if unicodedata.category(bad).startswith("C") else "a character"
        raise InputError(
            f"{where} names the file {_shown(name)}, which holds {kind}: {_char(bad)}; "
            "file names may hold only letters, digits, space and . _ - + ( )",
            remedy=remedy,
        )
    if name[0] not in _NAME_FIRST or name[-1] in " ." or len(name) > _MAX_NAME:
        raise InputError(
            f"{where} names the file {_shown(name)}, which is not a plain file name (it must start with a letter, "
            f"a digit, '_' or '(', not end with a space or a dot, and hold at most {_MAX_NAME} characters)",
            remedy=remedy,
        )
    return name


def _inside(path: Path, root: Path) -> Path:
    """``path`` resolved (symbolic links followed) if it lies inside ``root`` (resolved too)."""
    resolved = path.resolve()
    base = root.resolve()
    if not resolved.is_relative_to(base):
        raise InputError(
            f"refusing to write {path}: it resolves to {resolved}, outside the cache {base}",
            remedy="a symbolic link in the cache points elsewhere: remove it, or choose another cache folder "
            "with --cache-dir DIR or BORDERSCAPE_CACHE",
        )
    return resolved


def _hex_digest(sha256: str) -> str:
    """A sha256 given by a user, normalised to 64 lower-case hex digits."""
    digest = sha256.strip().lower() if isinstance(sha256, str) else ""
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise InputError(
            f"the expected sha256 {_shown(sha256)} is not 64 hexadecimal digits",
            remedy="give the checksum as printed by `sha256sum FILE` (64 characters 0-9, a-f)",
        )
    return digest


# --------------------------------------------------------------------------- format checks


class DownloadCheckError(DownloadError):
    """A downloaded file is not what was expected and was discarded.

    An HTML page instead of data, a file of another format, or a file cut off or corrupted
    in transfer (a truncated zip or GeoTIFF, a CSV whose last row is cut, a JSON that does
    not parse, a resumed download whose parts do not fit together).
    """


#: Expected kind of a downloaded file, by the suffix of its name.
_SUFFIX_KINDS = {
    ".csv": "csv",
    ".json": "json",
    ".geojson": "json",
    ".kml": "kml",
    ".gml": "xml",
    ".xml": "xml",
    ".kmz": "zip",
    ".zip": "zip",
    ".tif": "geotiff",
    ".tiff": "geotiff",
    ".gz": "gzip",
    ".nc": "netcdf",
    ".gpkg": "gpkg",
    ".parquet": "parquet",
    ".shp": "shp",
}

_KIND_NAMES = {
    "csv": "a CSV table",
    "json": "JSON",
    "kml": "a KML document",
    "xml": "an XML document",
    "zip": "a zip archive",
    "geotiff": "a GeoTIFF",
    "gzip": "a gzip file",
    "netcdf": "a netCDF file",
    "gpkg": "a GeoPackage",
    "sqlite": "an SQLite database",
    "parquet": "a Parquet file",
    "shp": "a shapefile (.shp)",
    "data": "data",
}

# Magic bytes recognised when a file's name says nothing of its kind.
_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"II*\x00", "geotiff"),
    (b"MM\x00*", "geotiff"),
    (b"II+\x00", "geotiff"),
    (b"MM\x00+", "geotiff"),
    (b"\x1f\x8b", "gzip"),
    (b"CDF\x01", "netcdf"),
    (b"CDF\x02", "netcdf"),
    (b"CDF\x05", "netcdf"),
    (b"\x89HDF\r\n\x1a\n", "netcdf"),
    (b"SQLite format 3\x00", "sqlite"),
    (b"PAR1", "parquet"),
)

# A zip whose members would expand to more than this many bytes and more than this many
# times its own size is refused (a "zip bomb"); real data compresses 3-20 times.
_ZIP_MAX_BYTES = 1 << 30
_ZIP_MAX_RATIO = 100


def expected_kind(name: str) -> str | None:
    """What a downloaded file named ``name`` must be, by its suffix; None when the suffix says nothing.

    Examples
    --------
    >>> expected_kind("tl_2021_04_prisecroads.zip"), expected_kind("cbp.kml"), expected_kind("a.bin")
    ('zip', 'kml', None)
    """
    return _SUFFIX_KINDS.get(PurePosixPath(name.lower()).suffix)


def _html_start(head: bytes) -> str | None:
    """The opening of an HTML page (``<!DOCTYPE html``, ``<html``), or None when ``head`` is not one.

    A byte-order mark, white space, an XML declaration and comments before it are skipped.
    """
    text = head.lstrip(b"\xef\xbb\xbf").decode("latin-1")
    if text[:2] in ("\xff\xfe", "\xfe\xff"):  # UTF-16: drop the mark and the zero bytes
        text = text[2:].replace("\x00", "")
    while True:
        text = text.lstrip()
        if text.startswith("<?"):
            end = text.find("?>")
        elif text.startswith("<!--"):
            end = text.find("-->")
        else:
            break
        if end < 0:
            return None
        text = text[end + 2 :].lstrip(">")
    low = text[:64].lower()
    for opening in ("<!doctype html", "<html"):
        if low.startswith(opening) and (len(low) == len(opening) or not low[len(opening)].isalnum()):
            return text[: len(opening)]
    return None


def _check_csv(path: Path, head: bytes, size: int) -> str | None:
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            if b"\x00" in chunk:
                return "holds NUL bytes: it is binary data (or UTF-16 text), not a CSV table"
    sample = head.decode("latin-1")
    if "\n" in sample:
        sample = sample[: sample.rfind("\n") + 1]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    problem = _csv_table_problem(path, delimiter, None)
    if problem is not None and _csv_table_problem(path, delimiter, "\\") is None:
        return None  # an export that escapes quotes with a backslash (\") instead of doubling them
    return problem


def _csv_table_problem(path: Path, delimiter: str, escapechar: str | None) -> str | None:
    """Why a file is not a consistent CSV table (rows of the header's width, quotes closed, data rows), or None."""
    width: int | None = None
    rows = 0
    # latin-1 maps every byte to one character, so a UTF-8 file splits into the same fields
    with open(path, newline="", encoding="latin-1") as f:
        reader = csv.reader(f, delimiter=delimiter, escapechar=escapechar, strict=True)
        try:
            for row in reader:
                if not row:  # a blank line
                    continue
                if width is None:
                    width = len(row)
                    continue
                if len(row) != width:
                    return (
                        f"is not a consistent CSV table: the row ending on line {reader.line_num} has {len(row)} "
                        f"field(s) where the header has {width} (a file cut off mid-row, or not CSV)"
                    )
                rows += 1
        except csv.Error as exc:
            return f"is not valid CSV (line {reader.line_num}: {exc}): a file cut off inside a quoted field, or not CSV"
    if width is None:
        return "holds no CSV rows"
    if rows == 0:
        return "holds a header but no data rows (a file cut off after its first line?)"
    return None


def _check_json(path: Path, head: bytes, size: int) -> str | None:
    try:
        with open(path, encoding="utf-8-sig") as f:
            json.load(f)
    except UnicodeDecodeError as exc:
        return f"is not UTF-8 text, so not JSON ({exc.reason} at byte {exc.start})"
    except RecursionError:
        return "nests too deeply to be read as JSON"
    except ValueError as exc:  # json.JSONDecodeError
        return f"is not valid JSON ({exc}): a file cut off in transfer, or not JSON"
    return None


def _check_xml(path: Path, head: bytes, size: int, root_name: str | None = None) -> str | None:
    import xml.etree.ElementTree as ET

    first: str | None = None
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            if first is None:
                first = elem.tag.rsplit("}", 1)[-1]
            if event == "end":
                elem.clear()
    except ET.ParseError as exc:
        return f"is not well-formed XML ({exc}): a file cut off in transfer, or not XML"
    if first is None:
        return "holds no XML element"
    if first.lower() == "html":
        return "is an HTML page (its root element is <html>), not data"
    if root_name is not None and first != root_name:
        return f"is XML whose root element is <{first}>, not <{root_name}>"
    return None


def _check_kml(path: Path, head: bytes, size: int) -> str | None:
    return _check_xml(path, head, size, root_name="kml")


def _zip_problem(zf: zipfile.ZipFile, archive_size: int) -> str | None:
    """Why a zip archive is unsafe to extract (a member escaping its folder, a link, a bomb), or None."""
    total = 0
    for m in zf.infolist():
        name = PurePosixPath(m.filename.replace("\\", "/"))
        is_link = (m.external_attr >> 16) & 0o170000 == 0o120000
        if name.is_absolute() or ".." in name.parts or re.match(r"^[A-Za-z]:", m.filename) or is_link:
            return f"holds an unsafe member {m.filename!r} (an absolute path, '..' or a symbolic link)"
        total += m.file_size
    if total > _ZIP_MAX_BYTES and total > _ZIP_MAX_RATIO * max(archive_size, 1):
        return f"would expand to {total:,} bytes from {archive_size:,} (a zip bomb?)"
    return None


def _check_zip(path: Path, head: bytes, size: int) -> str | None:
    if head.startswith(b"PK\x05\x06"):
        return "is an empty zip archive"
    if not head.startswith(b"PK\x03\x04"):
        return f"is not a zip archive (it starts with {head[:8]!r})"
    try:
        with zipfile.ZipFile(path) as zf:
            problem = _zip_problem(zf, size)
            if problem:
                return problem
            bad = zf.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError) as exc:
        return f"is not a complete zip archive ({exc or type(exc).__name__}): cut off in transfer, or corrupt"
    except NotImplementedError as exc:
        return f"uses a zip feature that cannot be read ({exc})"
    if bad is not None:
        return f"is a corrupt zip archive: its member {bad!r} fails its CRC check"
    return None


def _check_geotiff(path: Path, head: bytes, size: int) -> str | None:
    if head[:4] not in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return f"is not a GeoTIFF (it starts with {head[:8]!r})"
    import rasterio
    from rasterio.errors import RasterioError

    try:
        with rasterio.open(path) as src:
            for _, window in src.block_windows(1):  # every block is read: a cut-off tile fails here
                src.read(window=window)
    except (RasterioError, OSError, ValueError) as exc:
        return f"cannot be read as a GeoTIFF ({exc}): cut off in transfer, or corrupt"
    return None


def _check_gzip(path: Path, head: bytes, size: int) -> str | None:
    if not head.startswith(b"\x1f\x8b"):
        return f"is not a gzip file (it starts with {head[:8]!r})"
    try:
        with gzip.open(path, "rb") as g:
            while g.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error) as exc:
        return f"is not a complete gzip file ({exc}): cut off in transfer, or corrupt"
    return None


def _check_netcdf(path: Path, head: bytes, size: int) -> str | None:
    if head[:4] in (b"CDF\x01", b"CDF\x02", b"CDF\x05") or head.startswith(b"\x89HDF\r\n\x1a\n"):
        return None
    return f"is not a netCDF (or HDF5) file (it starts with {head[:8]!r})"


def _check_sqlite(path: Path, head: bytes, size: int, geopackage: bool = False) -> str | None:
    import sqlite3
    from urllib.parse import quote

    if not head.startswith(b"SQLite format 3\x00"):
        return f"is not an SQLite database (it starts with {head[:16]!r})"
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    if pages and head[24:28] == head[92:96] and page * pages != size:
        return f"has {size:,} bytes where its header says {page * pages:,}: cut off in transfer"
    try:
        con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro&immutable=1", uri=True)
        try:
            check = [r[0] for r in con.execute("PRAGMA quick_check").fetchall()]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            con.close()
    except sqlite3.Error as exc:
        return f"is not a readable SQLite database ({exc}): cut off in transfer, or corrupt"
    if check != ["ok"]:
        return f"is a corrupt SQLite database ({'; '.join(map(str, check[:3]))})"
    if geopackage and "gpkg_contents" not in tables:
        return "is an SQLite database but not a GeoPackage (no gpkg_contents table)"
    return None


def _check_gpkg(path: Path, head: bytes, size: int) -> str | None:
    return _check_sqlite(path, head, size, geopackage=True)


def _check_parquet(path: Path, head: bytes, size: int) -> str | None:
    if not head.startswith(b"PAR1"):
        return f"is not a Parquet file (it starts with {head[:8]!r})"
    with open(path, "rb") as f:
        f.seek(max(size - 8, 0))
        tail = f.read(8)
    if size < 12 or tail[4:] != b"PAR1" or int.from_bytes(tail[:4], "little") > size - 12:
        return "is a Parquet file without its footer: cut off in transfer"
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several unrelated types for bad files
        return f"has an unreadable Parquet footer ({exc})"
    return None


def _check_shp(path: Path, head: bytes, size: int) -> str | None:
    if len(head) < 100 or head[:4] != b"\x00\x00\x27\x0a":
        return f"is not a shapefile (it starts with {head[:8]!r})"
    declared = int.from_bytes(head[24:28], "big") * 2
    if declared != size:
        return f"has {size:,} bytes where its header says {declared:,}: cut off in transfer"
    return None


_CHECKS: dict[str, Callable[[Path, bytes, int], str | None]] = {
    "csv": _check_csv,
    "json": _check_json,
    "kml": _check_kml,
    "xml": _check_xml,
    "zip": _check_zip,
    "geotiff": _check_geotiff,
    "gzip": _check_gzip,
    "netcdf": _check_netcdf,
    "gpkg": _check_gpkg,
    "sqlite": _check_sqlite,
    "parquet": _check_parquet,
    "shp": _check_shp,
}


def _problem(path: Path, kind: str | None) -> tuple[str, str | None]:
    """(kind checked, what is wrong or None) for a downloaded file."""
    if kind is not None and kind not in _CHECKS:
        raise InputError(f"unknown kind of file {kind!r}", remedy=f"use one of {', '.join(sorted(_CHECKS))}, or None")
    want = _KIND_NAMES[kind or "data"]
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(1 << 16)
        if size == 0:
            return kind or "data", f"is empty, not {want}"
        html = _html_start(head)
        if html is not None:
            return kind or "data", (
                f"is an HTML page (it starts with {html!r}), not {want}: the server answered with an error, "
                "login or landing page"
            )
        if kind is None:
            kind = next((k for magic, k in _MAGIC if head.startswith(magic)), None)
            if kind is None:
                return "data", None
        return kind, _CHECKS[kind](path, head, size)
    except OSError as exc:
        return kind or "data", f"cannot be read ({exc.strerror or exc})"


def check_download(path: str | Path, kind: str | None = None) -> str:
    """Check that a file is complete data of the expected kind, as :func:`download` does.

    Every file must be non-empty and not an HTML page (``<!DOCTYPE html`` or ``<html`` at
    its start: an error, login or landing page saved in place of the data).  Then, by kind:

    - ``csv``: no NUL bytes; the delimiter found by :class:`csv.Sniffer`; every row has the
      header's number of fields, no quoted field is left open, and there is at least one
      data row (a file cut off mid-row fails);
    - ``json``: parses; ``kml``, ``xml``: well-formed XML (a ``<kml>`` root for KML);
    - ``zip`` (also KMZ): starts with ``PK\\x03\\x04``, opens, every member passes its CRC
      check (:meth:`zipfile.ZipFile.testzip`), and no member is unsafe to extract;
    - ``geotiff``: starts with ``II*\\0`` / ``MM\\0*`` (or BigTIFF) and every block reads
      with rasterio;
    - ``gzip``: decompresses to the end; ``gpkg``/``sqlite``: the size in the header,
      ``PRAGMA quick_check`` and (GeoPackage) a ``gpkg_contents`` table; ``parquet``:
      ``PAR1`` at both ends and a readable footer; ``shp``: the length in its header;
    - ``netcdf``: the ``CDF`` or HDF5 signature only (a cut-off netCDF file is caught by
      the Content-Length or a pinned size, not here);
    - None: the kind is recognised from the first bytes (any of the above binary formats)
      and checked as such; other content passes.

    Parameters
    ----------
    path
        The file.
    kind
        The expected kind (see above); None to recognise it.

    Returns
    -------
    str
        The kind checked (``"data"`` when it could not be told).

    Raises
    ------
    DownloadCheckError
        The file fails the check; the message says how.
    """
    path = Path(path)
    checked, problem = _problem(path, kind)
    if problem is not None:
        raise DownloadCheckError(f"{path} {problem}", remedy=_CHECK_REMEDY)
    return checked


_CHECK_REMEDY = (
    "open the URL in a browser to see what the server sends (the publisher may have moved the file, or it may "
    "need a login); if the connection was cut, run the command again; " + _BY_HAND
)


# --------------------------------------------------------------------------- download


class HTTPStatusError(DownloadError):
    """The server answered with an HTTP error status (404, 403 …) that a retry will not fix.

    Attributes
    ----------
    url, status
        The URL asked for and the HTTP status code received.
    """

    def __init__(self, url: str, status: int, reason: str = "") -> None:
        self.url = url
        self.status = status
        what = "not found" if status == 404 else (reason or "refused")
        super().__init__(
            f"{url} answered HTTP {status} ({what})",
            remedy="check the URL (the publisher may have moved the file); give another with --url URL, "
            "or download the file by hand and pass it with --data-dir DIR or as FILE",
        )


class UnsafeRedirect(DownloadError):
    """The server redirected to a URL that is not http(s) (``file:``, ``ftp:`` …); it was not followed."""

    def __init__(self, url: str, target: str) -> None:
        self.url = url
        self.target = target
        super().__init__(
            f"{url} redirected to {_shown(target)}, which is not an http(s) URL; the redirect was not followed",
            remedy="only http and https are downloaded: check the URL, " + _BY_HAND,
        )


class _SafeRedirects(HTTPRedirectHandler):
    """Follows redirects only to acceptable http(s) URLs (:func:`check_url`)."""

    def http_error_302(self, req: Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage) -> Any:
        location = headers.get("Location") or headers.get("URI")
        if location:
            try:
                check_url(urljoin(req.full_url, location))
            except (InputError, ValueError):
                fp.close()
                raise UnsafeRedirect(req.full_url, location) from None
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _opener() -> OpenerDirector:
    """An opener that speaks only http and https (no file:, ftp: or data: handlers)."""
    opener = OpenerDirector()
    for handler in (
        ProxyHandler(),
        HTTPHandler(),
        HTTPSHandler(),
        HTTPDefaultErrorHandler(),
        _SafeRedirects(),
        HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


@dataclass(frozen=True)
class DownloadRecord:
    """One downloaded file, as recorded in the cache index.

    Attributes
    ----------
    url, path
        Where it came from and where it is.
    sha256, size
        Checksum (hex) and size (bytes) of the file's bytes.
    fetched
        UTC time the download finished (ISO 8601).
    reused
        True when an up-to-date copy already in the cache was used instead of downloading.
    checked
        How the file was verified: ``"sha256"`` (an expected checksum) or the kind whose
        format check it passed (``"csv"``, ``"zip"`` … ``"data"``; see :func:`check_download`).
    """

    url: str
    path: Path
    sha256: str
    size: int
    fetched: str
    reused: bool = False
    checked: str = ""


class _Retry(Exception):
    """A transient failure: the attempt may be repeated."""


class _TooLarge(Exception):
    """More bytes arrived than the pinned size."""


def _read_index(index: Path) -> dict[str, dict]:
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, dict)}


def _record(index: Path, record: DownloadRecord, source_id: str | None) -> None:
    """Add ``record`` to the JSON index (atomic rewrite)."""
    entries = _read_index(index)
    try:
        key = record.path.resolve().relative_to(index.parent.resolve()).as_posix()
    except ValueError:
        key = str(record.path.resolve())
    entries[key] = {
        "url": record.url,
        "path": key,
        "sha256": record.sha256,
        "size": record.size,
        "fetched": record.fetched,
        "source": source_id,
        "checked": record.checked,
    }
    write_text_atomic(index, json.dumps({"files": entries}, indent=1, sort_keys=True))


def _attempt(url: str, part: Path, timeout: float, progress: Progress | None, limit: int | None) -> tuple[str, int]:
    """One try at getting ``url`` into ``part``, resuming from its current size when possible.

    Returns the sha256 of the complete file, computed while streaming (after hashing the
    bytes already present when resuming), and the offset the download resumed from (0 when
    it did not resume).
    """
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": _USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        resp = _opener().open(Request(url, headers=headers), timeout=timeout)
    except HTTPError as exc:
        exc.close()
        if exc.code == 416 and have:  # partial file no longer fits the remote file
            part.unlink()
            raise _Retry("the partial download did not fit the remote file; restarting") from None
        if exc.code in (408, 429) or exc.code >= 500:
            raise _Retry(f"HTTP {exc.code}") from None
        raise HTTPStatusError(url, exc.code, str(exc.reason)) from None
    except (URLError, OSError, http.client.HTTPException) as exc:
        raise _Retry(str(getattr(exc, "reason", exc)) or type(exc).__name__) from None
    with resp:
        status = getattr(resp, "status", None) or 200
        length = resp.headers.get("Content-Length")
        resumed = 0
        if status == 206 and have:
            m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", resp.headers.get("Content-Range", "").strip())
            if not m or int(m.group(1)) != have:
                part.unlink()
                raise _Retry("the server resumed at the wrong offset; restarting")
            total = None if m.group(3) == "*" else int(m.group(3))
            mode, done, resumed = "ab", have, have
            digest = hashlib.sha256()
            with open(part, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
        elif status == 206:
            raise _Retry("the server sent part of the file (HTTP 206) without being asked")
        else:  # 200: the server ignored the Range request, start again
            total = int(length) if length and length.isdigit() else None
            mode, done = "wb", 0
            digest = hashlib.sha256()
        if progress:
            progress(done, total)
        with open(part, mode) as f:  # errors writing locally propagate as OSError
            while True:
                try:
                    chunk = resp.read(_CHUNK)
                except (OSError, http.client.HTTPException) as exc:
                    raise _Retry(f"connection lost after {done} bytes ({exc or type(exc).__name__})") from None
                if not chunk:
                    break
                f.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if limit is not None and done > limit:
                    raise _TooLarge(done)
                if progress:
                    progress(done, total)
    if total is not None and done != total:
        raise _Retry(f"connection dropped after {done} of {total} bytes")
    return digest.hexdigest(), resumed


def download(
    url: str,
    dest: str | Path,
    *,
    sha256: str | None = None,
    size: int | None = None,
    expect: str | None = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
    progress: Progress | None = None,
    index: str | Path | None = None,
    root: str | Path | None = None,
) -> DownloadRecord:
    """Download ``url`` to ``dest`` atomically, verifying it and recording its sha256.

    The bytes are streamed to a hidden partial file in ``dest``'s folder and moved onto
    ``dest`` with :func:`os.replace` only when complete and verified.  A failed attempt (no
    connection, timeout, connection dropped mid-body or before Content-Length bytes, HTTP
    408/429/5xx) is retried up to ``retries`` times after ``backoff * 2**k`` seconds (k = 0,
    1, …); each retry asks for the rest of the file with ``Range: bytes=N-`` and appends
    when the server answers 206, or starts over when it answers 200.  The partial file of
    a failed transfer is kept, so a later call resumes it.

    Verification: with ``sha256`` (and ``size``) the file must have exactly those; without,
    it must pass :func:`check_download` for ``expect``.  A file that fails is deleted with
    its partial file (a resumed download is not resumed again) and never reaches ``dest``
    or the index.  Only http and https URLs are fetched, and only redirects to them are
    followed.

    Parameters
    ----------
    url
        http(s) URL.
    dest
        Final path of the file; its folder is created.
    sha256
        Expected checksum (hex); a mismatch raises :class:`ChecksumError` and leaves no file.
    size
        Expected size in bytes (a pinned file); a mismatch raises :class:`ChecksumError`.
    expect
        The kind of file expected (``csv``, ``zip``, ``geotiff`` …, see
        :func:`check_download`); default: from ``dest``'s suffix (:func:`expected_kind`).
    timeout
        Seconds to wait for the connection and for each read.
    retries
        Extra attempts after the first.
    backoff
        Seconds before the first retry; doubled for each further one.
    progress
        Called as ``progress(bytes_done, bytes_total_or_None)`` while streaming.
    index
        JSON file in which to record url, path, sha256, size, time and check (the cache's
        ``index.json``); None records nothing.
    root
        When given, ``dest``, the partial file and ``index`` must resolve (symbolic links
        followed) inside this folder, else :class:`InputError` before anything is written.

    Returns
    -------
    DownloadRecord

    Raises
    ------
    InputError
        The URL is not an acceptable http(s) URL, ``sha256`` is not 64 hex digits, or a
        path resolves outside ``root``.
    HTTPStatusError
        The server answered 4xx (404 …): not retried.
    UnsafeRedirect
        The server redirected to a URL that is not http(s).
    DownloadError
        Every attempt failed.
    DownloadCheckError
        The file is not complete data of the expected kind; it was deleted.
    ChecksumError
        The downloaded bytes do not have the expected sha256 or size; they were deleted.
    """
    check_url(url)
    expected = _hex_digest(sha256) if sha256 is not None else None
    dest = Path(dest)
    part = dest.parent / f".{dest.name}.{hashlib.sha1(url.encode()).hexdigest()[:10]}.part"
    kind = expect if expect is not None else expected_kind(dest.name)
    if kind is not None and kind not in _CHECKS:
        raise InputError(f"unknown kind of file {kind!r}", remedy=f"use one of {', '.join(sorted(_CHECKS))}")
    confine = [dest, part] + ([Path(index)] if index is not None else [])
    if root is not None:
        for p in confine:
            _inside(p, Path(root))
    failures: list[str] = []
    resumed = 0
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            if root is not None:  # again, now that the folders exist
                for p in confine:
                    _inside(p, Path(root))
            digest, from_offset = _attempt(url, part, timeout, progress, size)
            resumed = resumed or from_offset
            break
        except _Retry as exc:
            failures.append(str(exc))
        except _TooLarge as exc:
            part.unlink(missing_ok=True)
            raise ChecksumError(
                f"{url}: more than the expected {size:,} bytes arrived ({exc.args[0]:,} so far); "
                "the download was stopped and deleted",
                remedy="the publisher changed the file: check the expected size and checksum, " + _BY_HAND,
            ) from None
        except HTTPStatusError:
            part.unlink(missing_ok=True)
            raise
        except OSError as exc:  # the network errors became _Retry: this is the local disk
            raise DownloadError(
                f"cannot write {dest}: {exc.strerror or exc}",
                remedy="choose a writable folder with free space (--cache-dir DIR or BORDERSCAPE_CACHE)",
            ) from None
    else:
        raise DownloadError(
            f"could not download {url}: {len(failures)} attempt(s) failed (last: {failures[-1]})",
            remedy="check your network connection and run the command again (the partial download is kept "
            "and resumed), raise the timeout or retries, or download the file by hand",
        )
    got = part.stat().st_size
    if size is not None and got != size:
        part.unlink()
        raise ChecksumError(
            f"{url}: the downloaded file has {got:,} bytes, expected {size:,}; it was deleted",
            remedy="run again (the transfer may have been cut); if it persists the publisher changed the file: "
            "check the expected size and checksum",
        )
    if expected is not None:
        if digest != expected:
            part.unlink()
            raise ChecksumError(
                f"{url}: the downloaded file has sha256 {digest}, expected {expected}; it was deleted",
                remedy="run again (the transfer may have been corrupted); if it persists the publisher changed the "
                "file: check the expected checksum",
            )
        checked = "sha256"
    else:
        checked, problem = _problem(part, kind)
        if problem is not None:
            part.unlink(missing_ok=True)
            if resumed:
                raise DownloadCheckError(
                    f"{url}: the download was resumed at byte {resumed:,} and the completed file {problem}; "
                    "the resumed part does not fit the first, so the file was discarded, not kept as complete",
                    remedy="run the command again: the file is downloaded from the start; if it fails again, "
                    "the server sends inconsistent parts: " + _BY_HAND,
                )
            raise DownloadCheckError(f"{url}: the downloaded file {problem}; it was discarded", remedy=_CHECK_REMEDY)
    os.replace(part, dest)
    record = DownloadRecord(
        url=url,
        path=dest,
        sha256=digest,
        size=got,
        fetched=datetime.now(UTC).isoformat(timespec="seconds"),
        checked=checked,
    )
    if index is not None:
        _record(Path(index), record, _source_of(dest, Path(index)))
    return record


def _source_of(dest: Path, index: Path) -> str | None:
    """The cache layout is CACHE/SOURCE_ID/...; the source id of a file in it."""
    try:
        return dest.resolve().relative_to(index.parent.resolve()).parts[0]
    except (ValueError, IndexError):
        return None


# --------------------------------------------------------------------------- zip


def extract_zip(archive: str | Path, dest: str | Path | None = None, *, root: str | Path | None = None) -> list[Path]:
    """Extract a zip file safely next to it (into a folder named after it).

    Members with absolute paths, ``..`` components or symbolic links are refused, and so
    is an archive that would expand to more than 1 GiB and 100 times its size.  The files
    are written into a hidden folder first, which then replaces ``dest`` at once.

    Parameters
    ----------
    archive
        The zip file.
    dest
        The folder to extract into (default: the archive's path without its suffix).
    root
        When given, ``dest`` and every extracted file must resolve inside this folder.

    Returns
    -------
    list of Path
        The extracted files.

    Raises
    ------
    InputError
        The zip is corrupt or holds an unsafe member, or ``dest`` lies outside ``root``.
    """
    archive = Path(archive)
    target = Path(dest) if dest is not None else archive.with_suffix("")
    tmp = target.parent / f".{target.name}.extracting"
    if root is not None:
        _inside(target, Path(root))
        _inside(tmp, Path(root))
    try:
        with zipfile.ZipFile(archive) as zf:
            problem = _zip_problem(zf, archive.stat().st_size)
            if problem:
                raise InputError(f"{archive} {problem}", remedy="extract it yourself after checking its contents")
            shutil.rmtree(tmp, ignore_errors=True)
            zf.extractall(tmp)
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except zipfile.BadZipFile as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(
            f"{archive} is not a valid zip file ({exc})", remedy="delete it and download it again"
        ) from None
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(
            f"cannot extract {archive} into {target}: {exc.strerror or exc}",
            remedy="check that the folder is writable and has free space",
        ) from None
    files = sorted(p for p in target.rglob("*") if p.is_file())
    if root is not None:
        for p in files:
            _inside(p, Path(root))
    return files


# --------------------------------------------------------------------------- fetch


@dataclass(frozen=True)
class Fetched:
    """What :func:`fetch` put in the cache.

    Attributes
    ----------
    source
        The catalog entry.
    files
        One record per downloaded (or reused) file.
    extracted
        Files extracted from downloaded zip files.
    skipped
        ``(url, why)`` for elevation tiles that do not exist (HTTP 404: sea, or outside
        the model's coverage).
    """

    source: Source
    files: list[DownloadRecord]
    extracted: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _tile_urls(template: str, names: list[str]) -> list[str]:
    """The tile URLs from a template with ``{name}``; a template that cannot be filled is an InputError."""
    remedy = "write the template with {name} as its only placeholder, e.g. https://example.org/tiles/{name}.tif"
    if "{name}" not in template:
        raise InputError(f"the tile URL template {_shown(template)} has no {{name}} placeholder", remedy=remedy)
    try:
        return [template.format(name=name) for name in names]
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise InputError(
            f"the tile URL template {_shown(template)} cannot be filled ({type(exc).__name__}: {exc})",
            remedy=remedy + "; write other braces as {{ and }}",
        ) from None


def fetch(
    source_id: str,
    *,
    cache_dir: str | Path | None = None,
    url: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    tile_url: str | None = None,
    sha256: str | None = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
    progress: Progress | None = None,
    force: bool = False,
    max_tiles: int = MAX_TILES,
    state: str | None = None,
) -> Fetched:
    """Download a source's files into the cache (``CACHE/SOURCE_ID/``).

    What is downloaded: the catalog's ``downloads``; or ``url`` when given (required for
    user-supplied sources such as ``eff-towers``); or, for elevation sources
    (``dem-copernicus``, ``dem-3dep``), the 1°×1° tiles covering ``bbox`` from the catalog's
    ``tile_url`` template (or ``tile_url``).  A tile that does not exist (HTTP 404: sea
    tiles are absent from Copernicus) is reported in ``skipped``, not fatal.  A zip file is
    kept and extracted next to it.  A file already in the cache with the same URL, a
    matching recorded sha256 and a recorded check is reused unless ``force``.

    Safety: every URL must be http(s) and every file name a plain base name
    (:func:`check_url`, :func:`safe_file_name`); every file written must resolve inside
    the cache; all of this is checked before any request.  A file the catalog pins
    (:class:`~borderscape.layers.catalog.Pin`) must have its size and sha256; any other file
    must pass :func:`check_download` for the kind its name announces (tiles: GeoTIFF).  A
    box needing more than ``max_tiles`` tiles is refused before any request.

    Parameters
    ----------
    source_id
        Catalog id.
    cache_dir
        Cache folder (default :func:`default_cache_dir`).
    url
        Download this URL instead of the catalog's links.
    bbox
        (west, south, east, north) in degrees, for elevation tiles.
    tile_url
        Template with ``{name}`` replacing the catalog's tile URL (e.g. a local mirror of
        the tiles).
    sha256
        Expected checksum of the single file downloaded.
    timeout, retries, backoff, progress
        Passed to :func:`download`.
    force
        Download again even when the cache holds the file.
    max_tiles
        The most elevation tiles one call may ask for (default :data:`MAX_TILES`).
    state
        For ``tiger-roads``: the U.S. state, by postal code (``TX``) or FIPS code (``48``); the
        roads of that state are the source ``tiger-roads-<postal code>`` (cached under that id,
        where a study's ``roads = "tiger-roads-tx"`` finds them).

    Returns
    -------
    Fetched

    Raises
    ------
    SourceError
        Nothing to download (no link and no ``url``; no ``bbox`` for tiles; an invalid box;
        ``tiger-roads`` without a ``state``, or a ``state`` for another source).
    InputError
        A URL or file name is unsafe or malformed, a path resolves outside the cache, or the
        box needs more than ``max_tiles`` tiles (the message gives the number).
    DownloadError, DownloadCheckError, ChecksumError
        A download failed or did not pass its check; the message names the source and the
        remedy.
    """
    source = get_source(with_state(source_id, state))
    expected = _hex_digest(sha256) if sha256 is not None else None
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    folder = cache / source.id
    index = cache / INDEX_NAME
    if url is not None:
        check_url(url)
    tiles = source.tile_url is not None and url is None
    if tiles:
        if bbox is None:
            raise SourceError(
                f"{source.id} is a set of elevation tiles: a bounding box is needed",
                remedy=f"run `borderscape fetch {source.id} --bbox WEST,SOUTH,EAST,NORTH` (degrees)",
            )
        if isinstance(max_tiles, bool) or not isinstance(max_tiles, int) or max_tiles < 1:
            raise InputError(f"max_tiles must be a whole number >= 1, not {max_tiles!r}", remedy="give --max-tiles N")
        needed = dem_tile_count(source.id, bbox)  # counted, not listed: no request is made before this
        if needed > max_tiles:
            raise InputError(
                f"the box {tuple(bbox)} needs {needed:,} {source.id} tiles of 1°×1°, more than the limit of "
                f"{max_tiles:,} tile requests",
                remedy=f"make the box smaller, or raise the limit with --max-tiles {needed} (max_tiles={needed} in "
                "Python) if you mean to download that many tiles of tens of MB each",
            )
        urls = _tile_urls(tile_url or str(source.tile_url), dem_tile_names(source.id, bbox))
    else:
        urls = [url] if url else list(source.downloads)
        if not urls:
            supplied = " (the file is user-supplied)" if source.user_supplied else ""
            raise SourceError(
                f"{source.id} has no direct download link{supplied}",
                remedy=f"{source.how_to_get}; then pass the file with --data-dir DIR or as FILE, "
                f"or run `borderscape fetch {source.id} --url URL`",
            )
    if expected is not None and len(urls) != 1:
        raise InputError("--sha256 applies to a single file", remedy="fetch one file at a time to check its checksum")
    # every URL, name and destination is checked before anything is written or requested
    plan = [(u, folder / safe_file_name(u)) for u in urls]
    for _, dest in plan:
        _inside(dest, cache)
    _inside(index, cache)

    records: list[DownloadRecord] = []
    extracted: list[Path] = []
    skipped: list[tuple[str, str]] = []
    known = _read_index(index)
    for u, dest in plan:
        pin = source.pin(u)
        want_sha = expected or (pin.sha256 if pin else None)
        want_size = pin.size if pin is not None and want_sha == pin.sha256 else None
        kind = "geotiff" if tiles else expected_kind(dest.name)
        record = None if force else _cached(dest, u, want_sha, want_size, known, cache)
        if record is None:
            try:
                record = download(
                    u,
                    dest,
                    sha256=want_sha,
                    size=want_size,
                    expect=kind,
                    timeout=timeout,
                    retries=retries,
                    backoff=backoff,
                    progress=progress,
                    index=index,
                    root=cache,
                )
            except HTTPStatusError as exc:
                if tiles and exc.status == 404:
                    skipped.append((u, "no such tile (HTTP 404): sea or outside the model's coverage"))
                    continue
                raise _for_source(exc, source) from None
            except (DownloadError, ChecksumError) as exc:
                raise _for_source(exc, source) from None
        records.append(record)
        if dest.suffix.lower() == ".zip":
            extracted.extend(extract_zip(dest, root=cache))
    if tiles and not records:
        raise DownloadError(
            f"no {source.id} tile exists for the box {bbox} (all {len(urls)} answered 404)",
            remedy="check the box (WEST,SOUTH,EAST,NORTH in degrees); it may lie entirely at sea "
            "or outside the model's coverage",
        )
    return Fetched(source=source, files=records, extracted=extracted, skipped=skipped)


def _cached(
    dest: Path, url: str, sha256: str | None, size: int | None, known: dict[str, dict], cache: Path
) -> DownloadRecord | None:
    """The cache's copy of ``url`` at ``dest`` if it was verified when downloaded and is intact.

    Intact: its sha256 matches the index (and the expected sha256 and size, when given).
    Entries without a recorded check (written before downloads were verified) are not reused.
    """
    if not dest.is_file():
        return None
    try:
        key = dest.resolve().relative_to(cache.resolve()).as_posix()
    except ValueError:
        return None
    entry = known.get(key)
    if not entry or entry.get("url") != url or not entry.get("checked"):
        return None
    if size is not None and dest.stat().st_size != size:
        return None
    digest = sha256_file(dest)
    if digest != entry.get("sha256") or (sha256 is not None and digest != sha256):
        return None
    return DownloadRecord(
        url=url,
        path=dest,
        sha256=digest,
        size=dest.stat().st_size,
        fetched=str(entry.get("fetched", "")),
        reused=True,
        checked=str(entry["checked"]),
    )


def _for_source(exc: SourceError, source: Source) -> SourceError:
    """The same error, naming the source and how to get it without the network."""
    cls: type[SourceError]
    if isinstance(exc, ChecksumError):
        cls = ChecksumError
    elif isinstance(exc, DownloadCheckError):
        cls = DownloadCheckError
    else:
        cls = DownloadError
    if source.tile_url:
        by_hand = f"copy the tiles ({source.tile_url}) from a machine with access into a folder"
    else:
        by_hand = source.how_to_get.rstrip(". ")
    return cls(
        f"fetching {source.id}: {exc.message}",
        remedy=f"{exc.remedy}. Without network: {by_hand}; then pass --data-dir DIR or set BORDERSCAPE_DATA",
    )
