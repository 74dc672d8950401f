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
"""

from __future__ import annotations

import fnmatch
import hashlib
import http.client
import json
import os
import re
import shutil
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlsplit
from urllib.request import Request, urlopen

from borderscape.geo.errors import (
    ChecksumError,
    DownloadError,
    InputError,
    SourceError,
    SourceNotFound,
)
from borderscape.geo.files import write_text_atomic
from borderscape.layers.catalog import FilePattern, Source, dem_tile_names, get_source

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
    """Files recorded in the cache index for ``source_id`` that still exist."""
    entries = _read_index(cache_dir / INDEX_NAME)
    found = [cache_dir / rel for rel, e in sorted(entries.items()) if e.get("source") == source_id]
    return [p for p in found if p.is_file()]


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
    """

    url: str
    path: Path
    sha256: str
    size: int
    fetched: str
    reused: bool = False


class _Retry(Exception):
    """A transient failure: the attempt may be repeated."""


def _read_index(index: Path) -> dict[str, dict]:
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return files if isinstance(files, dict) else {}


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
    }
    write_text_atomic(index, json.dumps({"files": entries}, indent=1, sort_keys=True))


def _attempt(url: str, part: Path, timeout: float, progress: Progress | None) -> str:
    """One try at getting ``url`` into ``part``, resuming from its current size when possible.

    Returns the sha256 of the complete file, computed while streaming (after hashing the
    bytes already present when resuming).
    """
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": _USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        resp = urlopen(Request(url, headers=headers), timeout=timeout)
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
        if status == 206 and have:
            m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", resp.headers.get("Content-Range", "").strip())
            if not m or int(m.group(1)) != have:
                part.unlink()
                raise _Retry("the server resumed at the wrong offset; restarting")
            total = None if m.group(3) == "*" else int(m.group(3))
            mode, done = "ab", have
            digest = hashlib.sha256()
            with open(part, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
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
                if progress:
                    progress(done, total)
    if total is not None and done != total:
        raise _Retry(f"connection dropped after {done} of {total} bytes")
    return digest.hexdigest()


def download(
    url: str,
    dest: str | Path,
    *,
    sha256: str | None = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
    progress: Progress | None = None,
    index: str | Path | None = None,
) -> DownloadRecord:
    """Download ``url`` to ``dest`` atomically, verifying and recording its sha256.

    The bytes are streamed to a hidden partial file in ``dest``'s folder and moved onto
    ``dest`` with :func:`os.replace` only when complete.  A failed attempt (no connection,
    timeout, connection dropped mid-body, HTTP 408/429/5xx) is retried up to ``retries``
    times after ``backoff * 2**k`` seconds (k = 0, 1, …); each retry asks for the rest of
    the file with ``Range: bytes=N-`` and appends when the server answers 206, or starts
    over when it answers 200.  The partial file of a failed download is kept, so a later
    call resumes it.

    Parameters
    ----------
    url
        http(s) URL.
    dest
        Final path of the file; its folder is created.
    sha256
        Expected checksum (hex); a mismatch raises :class:`ChecksumError` and leaves no file.
    timeout
        Seconds to wait for the connection and for each read.
    retries
        Extra attempts after the first.
    backoff
        Seconds before the first retry; doubled for each further one.
    progress
        Called as ``progress(bytes_done, bytes_total_or_None)`` while streaming.
    index
        JSON file in which to record url, path, sha256, size and time (the cache's
        ``index.json``); None records nothing.

    Returns
    -------
    DownloadRecord

    Raises
    ------
    HTTPStatusError
        The server answered 4xx (404 …): not retried.
    DownloadError
        Every attempt failed.
    ChecksumError
        The downloaded bytes do not have the expected sha256.
    """
    dest = Path(dest)
    part = dest.parent / f".{dest.name}.{hashlib.sha1(url.encode()).hexdigest()[:10]}.part"
    failures: list[str] = []
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            digest = _attempt(url, part, timeout, progress)
            break
        except _Retry as exc:
            failures.append(str(exc))
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
    if sha256 is not None and digest != sha256.strip().lower():
        part.unlink()
        raise ChecksumError(
            f"{url}: the downloaded file has sha256 {digest}, expected {sha256.strip().lower()}; it was deleted",
            remedy="run again (the transfer may have been corrupted); if it persists the publisher changed the "
            "file: check the expected checksum",
        )
    size = part.stat().st_size
    os.replace(part, dest)
    record = DownloadRecord(
        url=url, path=dest, sha256=digest, size=size, fetched=datetime.now(UTC).isoformat(timespec="seconds")
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


def extract_zip(archive: str | Path, dest: str | Path | None = None) -> list[Path]:
    """Extract a zip file safely next to it (into a folder named after it).

    Members with absolute paths, ``..`` components or symbolic links are refused.  The
    files are written into a hidden folder first, which then replaces ``dest`` at once.

    Returns
    -------
    list of Path
        The extracted files.

    Raises
    ------
    InputError
        The zip is corrupt or holds an unsafe member.
    """
    archive = Path(archive)
    target = Path(dest) if dest is not None else archive.with_suffix("")
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            for m in members:
                name = PurePosixPath(m.filename.replace("\\", "/"))
                is_link = (m.external_attr >> 16) & 0o170000 == 0o120000
                if name.is_absolute() or ".." in name.parts or re.match(r"^[A-Za-z]:", m.filename) or is_link:
                    raise InputError(
                        f"{archive} holds an unsafe member {m.filename!r}",
                        remedy="extract it yourself after checking its contents",
                    )
            tmp = target.parent / f".{target.name}.extracting"
            shutil.rmtree(tmp, ignore_errors=True)
            zf.extractall(tmp)
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except zipfile.BadZipFile as exc:
        raise InputError(
            f"{archive} is not a valid zip file ({exc})", remedy="delete it and download it again"
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot extract {archive} into {target}: {exc.strerror or exc}",
            remedy="check that the folder is writable and has free space",
        ) from None
    return sorted(p for p in target.rglob("*") if p.is_file())


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


def _name_from_url(url: str, fallback: str) -> str:
    name = unquote(PurePosixPath(urlsplit(url).path).name)
    return name if name and name not in (".", "..") else fallback


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
) -> Fetched:
    """Download a source's files into the cache (``CACHE/SOURCE_ID/``).

    What is downloaded: the catalog's ``downloads``; or ``url`` when given (required for
    user-supplied sources such as ``eff-towers``); or, for elevation sources
    (``dem-copernicus``, ``dem-3dep``), the 1°×1° tiles covering ``bbox`` from the catalog's
    ``tile_url`` template (or ``tile_url``).  A tile that does not exist (HTTP 404: sea
    tiles are absent from Copernicus) is reported in ``skipped``, not fatal.  A zip file is
    kept and extracted next to it.  A file already in the cache with the same URL and a
    matching recorded sha256 is reused unless ``force``.

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

    Returns
    -------
    Fetched

    Raises
    ------
    SourceError
        Nothing to download (no link and no ``url``; no ``bbox`` for tiles).
    DownloadError, ChecksumError
        A download failed; the message names the source and the remedy.
    """
    source = get_source(source_id)
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    folder = cache / source.id
    index = cache / INDEX_NAME
    tiles = source.tile_url is not None and url is None
    if tiles:
        if bbox is None:
            raise SourceError(
                f"{source.id} is a set of elevation tiles: a bounding box is needed",
                remedy=f"run `borderscape fetch {source.id} --bbox WEST,SOUTH,EAST,NORTH` (degrees)",
            )
        template = tile_url or source.tile_url
        urls = [template.format(name=name) for name in dem_tile_names(source.id, bbox)]
    else:
        urls = [url] if url else list(source.downloads)
        if not urls:
            supplied = " (the file is user-supplied)" if source.user_supplied else ""
            raise SourceError(
                f"{source.id} has no direct download link{supplied}",
                remedy=f"{source.how_to_get}; then pass the file with --data-dir DIR or as FILE, "
                f"or run `borderscape fetch {source.id} --url URL`",
            )
    if sha256 is not None and len(urls) != 1:
        raise InputError("--sha256 applies to a single file", remedy="fetch one file at a time to check its checksum")

    records: list[DownloadRecord] = []
    extracted: list[Path] = []
    skipped: list[tuple[str, str]] = []
    known = _read_index(index)
    for u in urls:
        dest = folder / _name_from_url(u, fallback=f"{source.id}.download")
        record = None if force else _cached(dest, u, sha256, known, cache)
        if record is None:
            try:
                record = download(
                    u,
                    dest,
                    sha256=sha256,
                    timeout=timeout,
                    retries=retries,
                    backoff=backoff,
                    progress=progress,
                    index=index,
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
            extracted.extend(extract_zip(dest))
    if tiles and not records:
        raise DownloadError(
            f"no {source.id} tile exists for the box {bbox} (all {len(urls)} answered 404)",
            remedy="check the box (WEST,SOUTH,EAST,NORTH in degrees); it may lie entirely at sea "
            "or outside the model's coverage",
        )
    return Fetched(source=source, files=records, extracted=extracted, skipped=skipped)


def _cached(dest: Path, url: str, sha256: str | None, known: dict[str, dict], cache: Path) -> DownloadRecord | None:
    """The cache's copy of ``url`` at ``dest`` if it is intact (its sha256 matches the record)."""
    if not dest.is_file():
        return None
    try:
        key = dest.resolve().relative_to(cache.resolve()).as_posix()
    except ValueError:
        return None
    entry = known.get(key)
    if not entry or entry.get("url") != url:
        return None
    digest = sha256_file(dest)
    if digest != entry.get("sha256") or (sha256 is not None and digest != sha256.strip().lower()):
        return None
    return DownloadRecord(
        url=url, path=dest, sha256=digest, size=dest.stat().st_size, fetched=str(entry.get("fetched", "")), reused=True
    )


def _for_source(exc: DownloadError, source: Source) -> DownloadError:
    """The same error, naming the source and how to get it without the network."""
    cls = ChecksumError if isinstance(exc, ChecksumError) else DownloadError
    if source.tile_url:
        by_hand = f"copy the tiles ({source.tile_url}) from a machine with access into a folder"
    else:
        by_hand = source.how_to_get.rstrip(". ")
    return cls(
        f"fetching {source.id}: {exc.message}",
        remedy=f"{exc.remedy}. Without network: {by_hand}; then pass --data-dir DIR or set BORDERSCAPE_DATA",
    )
