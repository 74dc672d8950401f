"""Reading files defensively: delimited text (:func:`read_table`) and vector files (:func:`read_vector`).

Every value of a delimited file is read as text (what it means is decided by
:mod:`borderscape.layers.parse`, which records what it repaired); the encoding and the
delimiter are detected and reported.  Files that are not tables — empty, header-only,
binary, a single enormous line — raise :class:`~borderscape.geo.errors.IngestError` with
what to do, never a traceback.  Vector files are read with pyogrio in EPSG:4326; a file
without a CRS is a :class:`~borderscape.geo.errors.CRSError` (a CRS is never guessed).

Text read as UTF-16 (with a byte-order mark, or without one when every other byte of the
start is zero) is decoded transparently.  :func:`spreadsheet_safe` is the one rule for
every CSV borderscape writes: text that a spreadsheet would run as a formula is escaped.
"""

from __future__ import annotations

import csv
import io
import os
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from borderscape.geo.errors import CRSError, IngestError

WGS84 = "EPSG:4326"

#: Longest line accepted (bytes).  A CSV line longer than this is not a table row.
MAX_LINE_BYTES = 8 * 1024 * 1024
_SNIFF_BYTES = 256 * 1024
_DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class Table:
    """A delimited file read as text.

    Attributes
    ----------
    frame
        One row per record, every column of dtype object (str or None for empty cells).
    encoding, delimiter
        What was detected.
    notes
        What the reader had to decide (shown in the quality report).
    """

    frame: pd.DataFrame
    encoding: str
    delimiter: str
    notes: list[str] = field(default_factory=list)


#: First characters that make a spreadsheet read a text cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cannot run as a spreadsheet formula, for writing as CSV.

    A text cell (or column name) that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading apostrophe ``'``, as the OWASP "CSV Injection" guidance
    recommends: a spreadsheet then shows the text as text (``=HYPERLINK(...)`` becomes
    ``'=HYPERLINK(...)``) instead of evaluating it.  Text that is a plain number
    (``-2``, ``+3.5``, ``-1e-3``) is left as it is, and so are cells that are not text:
    numbers (negative ones too), dates, booleans, missing values.  The apostrophe is
    part of the file: a program that reads the CSV as data sees it.

    Every CSV borderscape writes goes through this function (by :func:`write_csv`):
    ``borderscape ingest ... --out X.csv`` (:func:`borderscape.layers.ingest.write_layer`) and
    the ``tables/*.csv`` of a run folder.  ``frame`` is not modified.

    Examples
    --------
    >>> frame = pd.DataFrame({"cause": ["=1+1", "-2+3", "drowning"], "n": [-2, 3, 4], "t": ["-2", "+1", "@x"]})
    >>> safe = spreadsheet_safe(frame)
    >>> safe["cause"].tolist(), safe["n"].tolist(), safe["t"].tolist()
    (["'=1+1", "'-2+3", 'drowning'], [-2, 3, 4], ['-2', '+1', "'@x"])
    """
    out = frame.copy()
    for i in range(out.shape[1]):
        series = out.iloc[:, i]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out.isetitem(i, series.map(_safe_cell).astype(series.dtype))
    out.columns = [_safe_cell(c) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``frame`` as CSV the one way borderscape writes CSV: :func:`spreadsheet_safe`,
    no index, UTF-8, and CRLF line ends (RFC 4180).

    With CRLF line ends every cell that holds a carriage return or a line feed is quoted, so
    a carriage return inside a text cell cannot start a new row (whose first cell a
    spreadsheet would read as a formula).
    """
    spreadsheet_safe(frame).to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n")


def _check_bytes(path: Path, head: bytes) -> None:
    if not head:
        raise IngestError(f"{path.name} is empty", remedy="check that the download finished; fetch it again")
    if b"\x00" in head[:8192]:
        raise IngestError(
            f"{path.name} is binary, not a delimited text file",
            remedy="give the CSV export of the source, or the right file name",
        )
    if b"\n" not in head and b"\r" not in head and os.path.getsize(path) > len(head):
        raise IngestError(
            f"{path.name} has no line break in its first {len(head) // 1024} KiB: it is not a table",
            remedy="check the file; a CSV has one record per line",
        )


def _utf16(head: bytes) -> str | None:
    """``utf-16`` for a UTF-16 byte-order mark; ``utf-16-le``/``-be`` for text without one whose
    every other byte is zero at the start (ASCII written as UTF-16); else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = head[:4096]
    if len(sample) < 4:
        return None
    for enc, zeros, text in (("utf-16-le", sample[1::2], sample[0::2]), ("utf-16-be", sample[0::2], sample[1::2])):
        if zeros.count(0) >= 0.9 * len(zeros) and text.count(0) == 0:
            return enc
    return None


def _decode(path: Path, head: bytes) -> tuple[str, list[str]]:
    for enc in ("utf-8-sig", "utf-8"):
        try:
            head.decode(enc)
            return enc, []
        except UnicodeDecodeError as exc:
            # a multi-byte character cut at the end of the sniffed block is fine
            if exc.start >= len(head) - 4:
                return enc, []
    return "latin-1", [f"{path.name} is not UTF-8; read as Latin-1 (ISO-8859-1)"]


def read_table(path: str | os.PathLike, *, delimiter: str | None = None) -> Table:
    """Read a delimited text file into a frame of strings.

    UTF-8 (with or without a byte-order mark) is expected; UTF-16 is decoded transparently;
    anything else is read as Latin-1 (noted).

    Parameters
    ----------
    path
        The file.
    delimiter
        Force a delimiter; by default it is detected among ``, ; TAB |``.

    Raises
    ------
    IngestError
        For an unreadable, empty, header-only, binary or single-enormous-line file, one whose
        rows cannot be split consistently, or one with two columns whose names differ only by
        spaces.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(min(_SNIFF_BYTES, MAX_LINE_BYTES))
    except OSError as exc:
        raise IngestError(
            f"{path.name} cannot be read ({exc.strerror or type(exc).__name__})",
            remedy="give the path of a readable CSV file",
        ) from exc
    utf16 = _utf16(head)
    if utf16 is not None:
        return _read_utf16(path, utf16, delimiter)
    _check_bytes(path, head)
    if os.path.getsize(path) > len(head):
        with open(path, "rb") as fh:
            while True:
                line = fh.readline(MAX_LINE_BYTES + 1)
                if not line:
                    break
                if len(line) > MAX_LINE_BYTES:
                    raise _long_line(path)
    encoding, notes = _decode(path, head)
    text_head = head.decode(encoding, errors="replace")
    return _parse(path, path, text_head, encoding, delimiter, notes)


def _long_line(path: Path) -> IngestError:
    return IngestError(
        f"{path.name} has a line longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB: it is not a table",
        remedy="check the file; a CSV has one record per line",
    )


def _read_utf16(path: Path, encoding: str, delimiter: str | None) -> Table:
    """A UTF-16 file, decoded whole and parsed like any other."""
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{path.name} looks like UTF-16 text but cannot be decoded as {encoding.upper()} (byte {exc.start})",
            remedy="UTF-16: open it in a spreadsheet or text editor and save it as UTF-8 CSV",
        ) from exc
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise IngestError(f"{path.name} is empty", remedy="check that the download finished; fetch it again")
    if "\x00" in text:
        raise IngestError(
            f"{path.name} is binary, not a delimited text file",
            remedy="give the CSV export of the source, or the right file name",
        )
    if any(len(line) > MAX_LINE_BYTES for line in text.splitlines()):
        raise _long_line(path)
    notes = [f"{path.name} is UTF-16 ({encoding.upper()}); decoded"]
    return _parse(path, io.StringIO(text), text[:_SNIFF_BYTES], encoding, delimiter, notes)


def _parse(
    path: Path,
    source: Path | io.StringIO,
    text_head: str,
    encoding: str,
    delimiter: str | None,
    notes: list[str],
) -> Table:
    """Split ``source`` (the file, or its decoded text) into a frame of strings."""
    lines = text_head.splitlines()
    if delimiter is None:
        first_lines = "\n".join(lines[:50])
        try:
            delimiter = csv.Sniffer().sniff(first_lines, delimiters=_DELIMITERS).delimiter
        except csv.Error:
            delimiter = ","
        header = lines[0] if lines else ""
        # the sniffer can be fooled by commas inside quoted text: prefer the delimiter that
        # splits the header into the most fields
        counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in _DELIMITERS}
        best = max(counts, key=counts.get)  # type: ignore[arg-type]
        if counts[best] > counts.get(delimiter, 1):
            delimiter = best
    options: dict = dict(
        sep=delimiter,
        dtype=str,
        keep_default_na=False,
        na_values=[],
        engine="python" if len(delimiter) > 1 else "c",
        on_bad_lines="error",
        skipinitialspace=False,
    )
    if not isinstance(source, io.StringIO):
        options.update(encoding=encoding, encoding_errors="strict")
    try:
        try:
            frame = pd.read_csv(source, **options)
        except UnicodeDecodeError:
            encoding = "latin-1"
            notes.append(f"{path.name} is not UTF-8 throughout; read as Latin-1 (ISO-8859-1)")
            frame = pd.read_csv(source, **{**options, "encoding": encoding})
    except pd.errors.EmptyDataError as exc:
        raise IngestError(f"{path.name} has no header or no data", remedy="check that the download finished") from exc
    except (pd.errors.ParserError, csv.Error, ValueError, OverflowError) as exc:
        raise IngestError(
            f"{path.name} cannot be split into columns with delimiter {delimiter!r}: {str(exc).strip()[:300]}",
            remedy="check the delimiter and quoting; ingest a clean CSV export",
        ) from exc
    if frame.shape[1] <= 1 and delimiter == ",":
        raise IngestError(
            f"{path.name} has a single column: the delimiter was not recognised",
            remedy="use a comma-, semicolon-, tab- or pipe-separated file",
        )
    if frame.empty:
        raise IngestError(f"{path.name} has a header but no data rows", remedy="check that the export is not empty")
    raw = [str(c) for c in frame.columns]
    names = [c.strip() for c in raw]
    seen: dict[str, str] = {}
    for given, name in zip(raw, names, strict=True):
        if name in seen:
            raise IngestError(
                f"{path.name} has two columns named {name!r} once spaces are removed ({seen[name]!r} and {given!r})",
                remedy="rename or delete one of them in the header row, then ingest the file again",
            )
        seen[name] = given
    frame.columns = names
    frame = frame.astype(object).where(frame.ne(""), None)
    return Table(frame.reset_index(drop=True), encoding, delimiter, notes)


def _vector_uri(path: Path) -> str:
    """A GDAL path for a vector file; a ``.zip`` is opened on the first shapefile/GPKG/KML inside."""
    if path.suffix.lower() != ".zip":
        return str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(f"{path.name} is not a readable zip archive", remedy="download the archive again") from exc
    for suffix in (".shp", ".gpkg", ".geojson", ".kml"):
        inside = sorted(n for n in names if n.lower().endswith(suffix))
        if inside:
            return f"/vsizip/{path}/{inside[0]}"
    raise IngestError(
        f"{path.name} holds no shapefile, GeoPackage, GeoJSON or KML",
        remedy="give the archive published by the source, or the vector file itself",
    )


def read_vector(path: str | os.PathLike) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read a vector file (shapefile, zipped shapefile, GeoPackage, GeoJSON, KML, KMZ) in EPSG:4326.

    A GeoJSON without a ``crs`` member is WGS84 by RFC 7946, and KML is always WGS84; any
    other file must declare its CRS.  Layers in another CRS are reprojected to EPSG:4326
    (noted); Z coordinates are dropped.

    Returns
    -------
    frame, notes

    Raises
    ------
    CRSError
        The file declares no CRS (a shapefile without ``.prj``, a GeoPackage layer without
        a spatial reference).
    IngestError
        The file cannot be read as vector data.
    """
    path = Path(path)
    uri = _vector_uri(path)
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = gpd.read_file(uri, engine="pyogrio")
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.GeometryError,
        pyogrio.errors.CRSError,
        OSError,
        ValueError,
        IndexError,  # pyogrio on a KML/KMZ with no layer (no placemark)
    ) as exc:
        raise IngestError(
            f"{path.name} cannot be read as vector data ({type(exc).__name__})",
            remedy="give a shapefile (with .prj), GeoPackage, GeoJSON, KML or KMZ file",
        ) from exc
    if frame.crs is None:
        raise CRSError(
            f"{path.name} declares no coordinate reference system",
            remedy="set the CRS in the file (e.g. ogr2ogr -a_srs EPSG:4326) and ingest it again; "
            "borderscape never guesses a CRS",
        )
    if not frame.crs.equals(WGS84):
        notes.append(f"reprojected from {frame.crs.to_string()} to EPSG:4326")
        frame = frame.to_crs(WGS84)
    frame = frame.set_geometry(shapely.force_2d(frame.geometry.values), crs=WGS84)
    return frame.reset_index(drop=True), notes
