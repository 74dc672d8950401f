"""Layer files that remember what they are: the record :func:`borderscape.layers.ingest.write_layer`
stores in every file it writes, and :func:`read_layer`, which reads any such file back into a
:class:`~borderscape.layers.schemas.Layer`.

The record
----------
A small JSON object (``schema = "borderscape-layer"``, ``version``) saying the layer's
``kind`` (``deaths``, ``sensors``, ``context`` or ``table``), its ``source`` (the catalog id
it was read with, or the kind for a file with no catalog entry), whom to credit
(``credit``: publisher, licence, citation, url, caveats of the catalog source; ``null`` for a
researcher's own file), the files it was made from (name and sha256, no paths), its quality
report (counts, reasons, repairs, removed columns, notes) and the dtype of every column.  Where
it is kept, per format:

``.parquet`` (GeoParquet; plain Parquet for a table)
    the key ``borderscape`` of the Parquet schema's key-value metadata (beside GeoParquet's ``geo``);
``.gpkg`` (GeoPackage)
    the layer's metadata item ``borderscape`` (GDAL writes it to the ``gpkg_metadata`` table);
    a table without geometry is a GeoPackage attribute table;
``.geojson``
    a top-level foreign member ``"borderscape": {...}`` of the FeatureCollection (RFC 7946
    §6.1; GIS programs ignore it); a table is features without geometry;
``.csv``
    a sidecar ``<name>.csv.json`` beside the file (a comment line in the CSV would break
    spreadsheets and CSV readers); keep the two files together.  Geometry is WKT.

The kind is read from the record, never guessed from the columns: a file without a record is
an :class:`~borderscape.geo.errors.InputError` whose remedy shows how to name it in a study as an
inline table (which ingests it as a raw file).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderscape.geo.errors import InputError
from borderscape.layers.fetch import sha256_file
from borderscape.layers.quality import STATUSES, QualityReport
from borderscape.layers.schemas import Layer

#: The metadata key (Parquet, GeoPackage) and GeoJSON member that holds the record.
RECORD_KEY = "borderscape"
#: The ``schema`` value of a record.
RECORD_SCHEMA = "borderscape-layer"
#: The version of the record written; records of a newer version are refused.
RECORD_VERSION = 1
#: Layer kinds a layer file can hold.
FILE_KINDS = ("deaths", "sensors", "context", "table")
#: File suffixes :func:`read_layer` reads (the formats ``borderscape ingest --out`` writes, rasters aside).
LAYER_FILE_SUFFIXES = (".parquet", ".gpkg", ".geojson", ".csv")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Fields of the quality report that :func:`read_layer` sets itself (the counts from the ``status`` column).
_REPORT_SET = ("source", "files", "rows_read", "kept", "repaired", "quarantined")


def inline_remedy(name: str, role: str = "deaths") -> str:
    """How to name a raw file in a study (the inline-table form)."""
    return (
        f"ingest it first (`borderscape ingest deaths {name} --columns lat=COL,lon=COL,date=COL --out "
        f"{Path(name).stem}.parquet`), or name it in the study as an inline table that says which column is "
        f'which: {role} = {{ path = "{name}", columns = {{ lat = "Latitude", lon = "Longitude", date = "Date" }}, '
        f'date_format = "%m/%d/%Y", source = "my-source" }} (with [sources.my-source] publisher = "...")'
    )


def sidecar(path: str | os.PathLike[str]) -> Path:
    """The record file of a CSV layer: ``<name>.csv.json`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def layer_record(layer: Layer, *, credit: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The record stored in a layer file (see the module docstring).

    Parameters
    ----------
    layer
        The layer written.
    credit
        Whom to credit; default: the catalog entry of ``layer.source`` (None for a file with no
        catalog entry).
    """
    from borderscape.layers.catalog import CATALOG

    if credit is None:
        src = CATALOG.get(layer.source)
        if src is not None:
            credit = {
                "id": src.id,
                "publisher": src.publisher,
                "licence": src.licence,
                "citation": src.citation,
                "url": src.urls[0] if src.urls else "",
                "caveats": src.caveats,
            }
    report = layer.report
    frame = layer.frame
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    return {
        "schema": RECORD_SCHEMA,
        "version": RECORD_VERSION,
        "kind": layer.kind,
        "source": layer.source,
        "credit": None if credit is None else dict(credit),
        "inputs": [
            {"name": Path(str(f.get("path", ""))).name, "sha256": f.get("sha256"), "format": f.get("format")}
            for f in report.files
        ],
        # the quality report as written by QualityReport.write, without the paths of the files read
        "report": {k: v for k, v in report.to_dict().items() if k not in ("files", "source")},
        "geometry": geometry,
        "crs": None if geometry is None or frame.crs is None else frame.crs.to_string(),
        "columns": {str(c): str(frame[c].dtype) for c in frame.columns if c != geometry},
    }


def read_record(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The record of a layer file, or None when it has none (or is not a layer file format).

    Raises
    ------
    InputError
        A record that is not valid JSON, of another schema, or of a newer version.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    text: str | None = None
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            meta = pq.read_schema(path).metadata or {}
            raw = meta.get(RECORD_KEY.encode())
            text = None if raw is None else raw.decode("utf-8")
        elif suffix == ".gpkg":
            import pyogrio

            for name, _ in pyogrio.list_layers(path):
                item = (pyogrio.read_info(path, layer=name).get("layer_metadata") or {}).get(RECORD_KEY)
                if item:
                    text = item
                    break
        elif suffix in (".geojson", ".json"):
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            member = doc.get(RECORD_KEY) if isinstance(doc, dict) else None
            text = None if member is None else json.dumps(member)
        elif suffix == ".csv":
            car = sidecar(path)
            text = car.read_text(encoding="utf-8") if car.is_file() else None
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes a typed error
        raise InputError(
            f"cannot read {path.name} as a layer file ({type(exc).__name__})", remedy=inline_remedy(path.name)
        ) from exc
    if text is None:
        return None
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise InputError(f"the layer record of {path.name} is not valid JSON", remedy=inline_remedy(path.name)) from exc
    if not isinstance(record, dict) or record.get("schema") != RECORD_SCHEMA or record.get("kind") not in FILE_KINDS:
        raise InputError(
            f"the layer record of {path.name} is not a borderscape layer record", remedy=inline_remedy(path.name)
        )
    if int(record.get("version", 0)) > RECORD_VERSION:
        raise InputError(
            f"{path.name} was written by a newer borderscape (layer record version {record['version']})",
            remedy="upgrade borderscape, or ingest the raw file again with this version",
        )
    return record


def write_record_file(frame: pd.DataFrame, path: str, suffix: str, record: Mapping[str, Any], layer_name: str) -> None:
    """Write ``frame`` to ``path`` (a temporary name) in the format of ``suffix``, with its record."""
    text = json.dumps(record, ensure_ascii=False, sort_keys=True)
    spatial = isinstance(frame, gpd.GeoDataFrame)
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        frame.to_parquet(path, index=False)
        table = pq.read_table(path)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), RECORD_KEY.encode(): text.encode()})
        pq.write_table(table, path)
        return
    import pyogrio

    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(str)
    if suffix == ".gpkg":
        pyogrio.write_dataframe(out, path, layer=layer_name, driver="GPKG", layer_metadata={RECORD_KEY: text})
        return
    if suffix == ".geojson":
        if not spatial:
            out = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries([None] * len(out), index=out.index), crs="EPSG:4326")
        pyogrio.write_dataframe(out, path, driver="GeoJSON")
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        doc[RECORD_KEY] = json.loads(text)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        return
    raise AssertionError(f"no record writer for {suffix}")


def read_layer(path: str | os.PathLike[str]) -> Layer:
    """Read a layer file written by ``borderscape ingest … --out FILE``
    (:func:`borderscape.layers.ingest.write_layer`): GeoParquet, GeoPackage, GeoJSON or CSV.

    The kind comes from the file's record (module docstring), not from its columns.

    Returns
    -------
    Layer
        ``source`` and ``kind`` as recorded; every row with its ledger status; ``report`` as
        recorded, its counts taken from the ``status`` column, and ``files`` naming this file
        (path, sha256, ``how = "layer file"``) and the files it was made from (``made_from``).

    Raises
    ------
    InputError
        A missing file, a format that is not a layer file, a file without a record (the remedy
        shows the study's inline-table form), or a file that does not hold what its record says.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"the layer file {path} does not exist", remedy="check the path")
    suffix = path.suffix.lower()
    if suffix not in LAYER_FILE_SUFFIXES and suffix != ".json":
        raise InputError(
            f"{path.name} is not a layer file (.parquet, .gpkg, .geojson or .csv written by `borderscape ingest`)",
            remedy=inline_remedy(path.name),
        )
    record = read_record(path)
    if record is None:
        where = f"(no sidecar {sidecar(path).name})" if suffix == ".csv" else "(no layer record in the file)"
        raise InputError(
            f"{path.name} does not say what it holds {where}: it was not written by `borderscape ingest`",
            remedy=inline_remedy(path.name),
        )
    try:
        frame = _read_frame(path, suffix, record)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes a typed error
        raise InputError(
            f"cannot read the layer file {path.name} ({type(exc).__name__})",
            remedy="write it again with `borderscape ingest … --out FILE`",
        ) from exc
    frame = _restore(frame, record)
    missing = [c for c in ("row", "status", "reason") if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path.name} lacks the ledger columns {missing} its record promises",
            remedy="write it again with `borderscape ingest … --out FILE`",
        )
    status = frame["status"].astype(str)
    rep = record.get("report") or {}
    counts = {s: int((status == s).sum()) for s in STATUSES}
    known = {f.name for f in dataclasses.fields(QualityReport)}
    more = {k: v for k, v in rep.items() if k in known and k not in _REPORT_SET}
    report = QualityReport(
        **more,
        source=str(record["source"]),
        files=[
            {
                "path": str(path),
                "sha256": sha256_file(path),
                "how": "layer file",
                "format": suffix.lstrip("."),
                "made_from": list(record.get("inputs") or []),
            }
        ],
        rows_read=len(frame),
        kept=counts["kept"],
        repaired=counts["repaired"],
        quarantined=len(frame) - counts["kept"] - counts["repaired"],
    )
    return Layer(str(record["source"]), str(record["kind"]), frame, report)


def _read_frame(path: Path, suffix: str, record: Mapping[str, Any]) -> pd.DataFrame:
    geometry = record.get("geometry")
    if suffix == ".parquet":
        return gpd.read_parquet(path) if geometry else pd.read_parquet(path)
    if suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
        frame.columns = [_unescape(c) for c in frame.columns]
        for c in frame.columns:
            frame[c] = frame[c].map(_unescape, na_action="ignore")
        if geometry:
            geoms = shapely.from_wkt(frame[geometry].fillna("").replace("", None).to_numpy(dtype=object))
            frame[geometry] = gpd.GeoSeries(geoms, index=frame.index)
            frame = gpd.GeoDataFrame(frame, geometry=geometry, crs=record.get("crs"))
        return frame
    import pyogrio

    frame = pyogrio.read_dataframe(path)
    if not geometry:
        return pd.DataFrame(frame.drop(columns=[c for c in ("geometry",) if c in frame.columns]))
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name != geometry:
        frame = frame.rename_geometry(geometry)
    return frame


def _unescape(value: Any) -> Any:
    """Undo :func:`borderscape.layers.tables.spreadsheet_safe` (``'=x`` → ``=x``)."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(_FORMULA_STARTS):
        return value[1:]
    return value


def _restore(frame: pd.DataFrame, record: Mapping[str, Any]) -> pd.DataFrame:
    """The recorded dtype of every column (formats without types: CSV, GeoJSON, GeoPackage)."""
    dtypes: Mapping[str, str] = record.get("columns") or {}
    out = frame.copy()
    for col, dtype in dtypes.items():
        if col not in out.columns or str(out[col].dtype) == dtype:
            continue
        s = out[col]
        if dtype.startswith("datetime64"):
            if not pd.api.types.is_datetime64_any_dtype(s):
                s = pd.to_datetime(s, errors="coerce", format="ISO8601")
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_localize(None)
            out[col] = s.astype(dtype)
        elif dtype in ("Int64", "Int32", "int64", "int32", "float64", "Float64"):
            numbers = pd.to_numeric(s, errors="coerce")
            out[col] = numbers.astype("Int64" if dtype.startswith("int") and numbers.isna().any() else dtype)
        elif dtype in ("bool", "boolean"):
            out[col] = s.map(lambda v: v if isinstance(v, (bool, np.bool_)) else {"True": True, "False": False}.get(v))
            out[col] = out[col].astype("boolean" if out[col].isna().any() else dtype)
        elif dtype == "category":
            out[col] = (
                pd.Categorical(s, categories=list(STATUSES)) if col == "status" else s.astype("string").astype(dtype)
            )
        elif dtype.startswith("string") or dtype == "str":
            out[col] = s.astype("string")
    if "reason" in out.columns:
        out["reason"] = out["reason"].fillna("").astype(str)
    return out


def is_pinned_file(source_id: str | None, sha256s: list[str]) -> bool:
    """True when ``source_id`` is a catalog source that pins its files' sha256
    (:class:`~borderscape.layers.catalog.Pin`) and every one of ``sha256s`` is one of them: the files
    ARE that source's, so it may be credited for them.  A source without pins is never assumed."""
    from borderscape.layers.catalog import CATALOG

    src = CATALOG.get(source_id or "")
    if src is None or not src.pins or not sha256s:
        return False
    pinned = {p.sha256 for p in src.pins}
    return all(h in pinned for h in sha256s)


def user_file_credit(path: str | os.PathLike[str], sha256: str) -> str:
    """``user-supplied file NAME (sha256 first 12 hex…)``: the credit of a file no source is named for."""
    return f"user-supplied file {Path(path).name} (sha256 {sha256[:12]}…)"


def with_files(layer: Layer, files: list[dict[str, Any]]) -> Layer:
    """``layer`` with ``report.files`` replaced."""
    return dataclasses.replace(layer, report=dataclasses.replace(layer.report, files=files))
