"""Layer files remember what they are (issue 18, part B), a study names any file plainly, and every
output credits whom the study says — never a catalog source for a researcher's own file.

* ``write_layer`` → ``read_layer`` round trip for every format (GeoParquet, GeoPackage, GeoJSON, CSV
  with its ``.csv.json``) and every kind, recognised from the record, not from PCOME's columns;
* a study whose ``deaths`` is an ingested ``.parquet``/``.gpkg``/``.geojson``/``.csv``, or an inline
  table over a raw CSV, reads it and credits ``[sources.<id>]`` or "user-supplied file NAME (sha256 …)";
* a full run writes no "Pima", "Humane Borders" or "Electronic Frontier" anywhere in its folder;
* ``--towers`` with a raw CSV is credited as a user file, not EFF.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from borderscape.analyses.inputs import assemble_inputs
from borderscape.analyses.study import load_study
from borderscape.cli import main
from borderscape.geo.errors import InputError, StudyError
from borderscape.layers.fetch import sha256_file
from borderscape.layers.ingest import write_layer
from borderscape.layers.layerfile import read_layer, read_record, sidecar
from borderscape.layers.quality import Ledger
from borderscape.layers.schemas import Layer, conform

FORMATS = (".parquet", ".gpkg", ".geojson", ".csv")
KINDS = ("deaths", "sensors", "context", "table")
# "Pima County", not "Pima": the map's place labels include the town of Pima, Arizona (GeoNames).
CATALOG_PUBLISHERS = (b"Pima County", b"PCOME", b"Humane Borders", b"Electronic Frontier")
BBOX = (-112.2, 31.3, -110.3, 32.7)


def small_layer(kind: str) -> Layer:
    """Four rows of ``kind``, one quarantined, with text a spreadsheet would run and a missing date."""
    ledger = Ledger(4)
    ledger.quarantine(np.array([False, False, False, True]), "date is missing")
    ledger.repair(np.array([False, True, False, False]), "coordinates had latitude and longitude swapped")
    if kind == "deaths":
        frame = conform(
            pd.DataFrame(
                {
                    "date": pd.to_datetime(["2012-01-02", "2013-05-06", "2014-07-08", None]),
                    "cause": ["=1+1", "drowning", None, "exposure"],
                    "dead": pd.array([1, 2, 1, 1], "Int64"),
                    "source_id": "deaths",
                }
            ),
            "deaths",
        )
    elif kind == "sensors":
        frame = conform(
            pd.DataFrame({"height_m": [10.0, 20.0, 30.0, np.nan], "kind": ["IFT", "RVSS", "AST", None]}), kind
        )
    elif kind == "context":
        frame = pd.DataFrame({"name": ["a", "b", "@c", None]})
    else:
        frame = pd.DataFrame({"month": pd.to_datetime(["2012-01-01"] * 4), "encounters": [1, 2, 3, 4]})
    frame = ledger.annotate(frame)
    if kind != "table":
        points = gpd.points_from_xy([-111.0, -111.5, -110.9, -112.0], [31.5, 31.6, 31.7, 31.8])
        frame = gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")
    report = ledger.report(
        source=kind, files=[{"path": "/somewhere/raw.csv", "sha256": "ab" * 32, "format": "csv"}], notes=["a note"]
    )
    return Layer(kind, kind, frame, report)


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_layer_file_reads_back_as_the_same_layer(kind, suffix, tmp_path):
    layer = small_layer(kind)
    path = write_layer(layer, tmp_path / f"mine{suffix}")
    back = read_layer(path)
    assert back.kind == kind and back.source == kind  # from the record: no PCOME column in any of these
    assert list(back.frame.columns) == list(layer.frame.columns)
    for column in layer.frame.columns:
        want, got = layer.frame[column], back.frame[column]
        if column == "geometry":
            assert got.geom_equals(want).all()
            continue
        assert str(got.dtype) == str(want.dtype), column
        assert [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v for v in want], column
    if kind != "table":
        assert back.frame.crs == layer.frame.crs
    r = back.report
    assert (r.rows_read, r.kept, r.repaired, r.quarantined) == (4, 2, 1, 1)
    assert r.reasons == {"date is missing": 1} and r.notes == ["a note"]
    assert r.files[0]["sha256"] == sha256_file(path) and r.files[0]["how"] == "layer file"
    assert r.files[0]["made_from"] == [{"name": "raw.csv", "sha256": "ab" * 32, "format": "csv"}]
    record = read_record(path)
    assert record["schema"] == "borderscape-layer" and record["version"] == 1 and record["kind"] == kind
    assert "/somewhere" not in json.dumps(record)  # no path of the machine that wrote it
    assert sidecar(path).is_file() == (suffix == ".csv")


def test_the_record_is_where_the_format_keeps_metadata(tmp_path):
    layer = small_layer("deaths")
    import pyarrow.parquet as pq
    import pyogrio

    meta = pq.read_schema(write_layer(layer, tmp_path / "a.parquet")).metadata
    assert b"geo" in meta and json.loads(meta[b"borderscape"])["kind"] == "deaths"
    info = pyogrio.read_info(write_layer(layer, tmp_path / "a.gpkg"))
    assert json.loads(info["layer_metadata"]["borderscape"])["kind"] == "deaths"
    doc = json.loads(write_layer(layer, tmp_path / "a.geojson").read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and doc["borderscape"]["kind"] == "deaths"
    write_layer(layer, tmp_path / "a.csv")
    assert json.loads((tmp_path / "a.csv.json").read_text(encoding="utf-8"))["kind"] == "deaths"
    assert (tmp_path / "a.csv").read_text(encoding="utf-8").startswith("date,")  # no comment line


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_file_without_a_record_is_refused_with_the_inline_form(suffix, tmp_path):
    frame = small_layer("deaths").frame
    path = tmp_path / f"plain{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix == ".csv":
        pd.DataFrame(frame.drop(columns="geometry")).to_csv(path, index=False)
    else:
        frame.assign(status=frame["status"].astype(str)).to_file(path, engine="pyogrio")
    with pytest.raises(InputError) as err:
        read_layer(path)
    assert "columns = {" in err.value.remedy and "path =" in err.value.remedy


# -- studies -------------------------------------------------------------------------------


def raw_sector(path: Path, n: int = 120) -> Path:
    """A raw table of another sector: its own column names, US dates with times, a name column."""
    rng = np.random.default_rng(18)
    lat = rng.uniform(31.4, 32.6, n).round(5)
    lon = rng.uniform(-112.1, -110.4, n).round(5)
    days = pd.Timestamp("2004-01-01") + pd.to_timedelta(rng.integers(0, 365 * 16, n), "D")
    pd.DataFrame(
        {
            "Case": [f"C{i:04d}" for i in range(n)],
            "Latitude": lat,
            "Longitude": lon,
            "Date": days.strftime("%m/%d/%Y"),
            "Cause": rng.choice(["exposure", "undetermined"], n),
        }
    ).to_csv(path, index=False)
    return path


STUDY = """\
[study]
name = "my-sector"
title = "Remains in my sector"
seed = 7

[region]
bbox = [-112.2, 31.3, -110.3, 32.7]
crs = "EPSG:32612"
resolution_m = 500

[periods]
start = "2004-01-01"
end = "2019-12-31"
interventions = [{ name = "a change", date = "2011-06-01" }]

[layers]
deaths = DEATHS

[sources.sector-team]
publisher = "The sector team"
licence = "CC-BY-4.0"
citation = "Sector team (2026). Remains recovered in the sector."
url = "https://example.org/sector"
"""


def study_with(folder: Path, deaths: str) -> Path:
    path = folder / "study.toml"
    path.write_text(STUDY.replace("DEATHS", deaths), encoding="utf-8")
    return path


COLUMNS = "lat=Latitude,lon=Longitude,date=Date,cause=Cause"


@pytest.mark.parametrize("suffix", FORMATS)
def test_an_ingested_file_in_the_study_is_read_and_credited_to_the_user(suffix, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    raw = raw_sector(tmp_path / "sector.csv")
    assert main(["ingest", "deaths", str(raw), "--columns", COLUMNS, "--out", str(tmp_path / f"mine{suffix}")]) == 0
    capsys.readouterr()
    study = load_study(study_with(tmp_path, f'"mine{suffix}"'))
    assembled = assemble_inputs(study, data_dir=tmp_path / "no-mirror")
    deaths = assembled.inputs.get("deaths")
    assert deaths.kind == "deaths" and len(deaths.frame) == 120
    assert (deaths.frame["status"] != "quarantined").sum() == 120
    (record,) = [r for r in assembled.records if r.role == "deaths"]
    digest = sha256_file(tmp_path / f"mine{suffix}")
    assert record.source == "file" and record.publisher == f"user-supplied file mine{suffix} (sha256 {digest[:12]}…)"
    assert "layer file (deaths)" in record.reader and "sector.csv" in record.caveats
    # named by the study: the study's [sources.<id>] is credited instead
    study = load_study(study_with(tmp_path, f'{{ path = "mine{suffix}", source = "sector-team" }}'))
    (record,) = [r for r in assemble_inputs(study, data_dir=tmp_path / "no-mirror").records if r.role == "deaths"]
    assert (record.source, record.publisher, record.url) == (
        "sector-team",
        "The sector team",
        "https://example.org/sector",
    )


def test_a_raw_file_named_plainly_is_refused_with_the_inline_form(tmp_path, monkeypatch):
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    raw_sector(tmp_path / "sector.csv")
    study = load_study(study_with(tmp_path, '"sector.csv"'))
    with pytest.raises(InputError) as err:
        assemble_inputs(study, data_dir=tmp_path / "no-mirror")
    assert "no borderscape layer record" in err.value.message
    assert 'deaths = { path = "sector.csv", columns = {' in err.value.remedy


def test_an_inline_table_is_checked_before_any_work(tmp_path):
    with pytest.raises(StudyError, match="did you mean 'columns'"):
        load_study(study_with(tmp_path, '{ path = "sector.csv", colums = { lat = "Latitude" } }'))
    with pytest.raises(StudyError, match="neither a \\[sources"):
        load_study(study_with(tmp_path, '{ path = "sector.csv", source = "nobody" }'))
    with pytest.raises(StudyError, match="needs 'layers.deaths.columns'"):
        load_study(study_with(tmp_path, '{ path = "sector.csv", crs = "EPSG:32612" }'))
    with pytest.raises(StudyError, match="lat_deg"):  # a role ingest_file does not have, refused with the roles
        load_study(study_with(tmp_path, '{ path = "s.csv", columns = { latitude = "Lat" } }'))
    with pytest.raises(StudyError, match="keep_personal"):
        load_study(study_with(tmp_path, '{ path = "s.csv", columns = { lat = "a" }, keep_personal = true }'))
    text = STUDY.replace("DEATHS", '"x.parquet"') + '\n[sources.pcome]\npublisher = "me"\n'
    (tmp_path / "clash.toml").write_text(text, encoding="utf-8")
    with pytest.raises(StudyError, match="catalog source"):
        load_study(tmp_path / "clash.toml")


def leaks(folder: Path) -> dict[str, list[bytes]]:
    """Files of a run folder that name a catalog publisher the run did not use."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = [w for w in CATALOG_PUBLISHERS if w in data]
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


@pytest.mark.parametrize("form", ["inline", "ingested"])
def test_a_run_on_the_researchers_file_credits_only_them(form, tmp_path, monkeypatch, capsys):
    import borderscape as bs

    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    raw = raw_sector(tmp_path / "sector.csv")
    if form == "inline":
        # what the researcher writes; date_format passed through to ingest_file
        entry = (
            '{ path = "sector.csv", columns = { lat = "Latitude", lon = "Longitude", date = "Date", '
            'cause = "Cause" }, date_format = "%m/%d/%Y", source = "sector-team" }'
        )
    else:
        assert main(["ingest", "deaths", str(raw), "--columns", COLUMNS, "--out", str(tmp_path / "mine.parquet")]) == 0
        capsys.readouterr()
        entry = '"mine.parquet"'
    result = bs.run(load_study(study_with(tmp_path, entry)), data_dir=tmp_path / "no-mirror")
    out = tmp_path / "out"
    result.write(out)
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    provenance = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    (source,) = [s for s in results["sources"] if s["role"] == "deaths"]
    (inp,) = [i for i in provenance["inputs"] if i["role"] == "deaths"]
    if form == "inline":
        assert source["id"] == "sector-team" and source["publisher"] == "The sector team"
        assert inp["credit"] == "The sector team" and "ingest_file" in inp["read_with"]
        brief = tmp_path / "brief"
        monkeypatch.setattr("borderscape.brief.write_pdf", lambda html, pdf: Path(pdf))  # PDF: tests/test_brief.py
        assert main(["brief", "--from", str(out), "--out", str(brief)]) == 0, capsys.readouterr()
        page = (brief / "brief.html").read_text(encoding="utf-8")
        assert "The sector team" in page and "https://example.org/sector" in page and "Sector team (2026)" in page
        assert leaks(brief) == {}
    else:
        digest = sha256_file(tmp_path / "mine.parquet")[:12]
        assert source["id"] == "file" and source["publisher"] == f"user-supplied file mine.parquet (sha256 {digest}…)"
    page = (out / "map.html").read_text(encoding="utf-8")
    assert source["publisher"] in page
    svg = (out / "figures" / "study_area.svg").read_text(encoding="utf-8")
    assert source["publisher"].split(" (sha256")[0] in svg
    assert leaks(out) == {}


def test_towers_given_as_a_raw_csv_are_credited_to_the_user_not_eff(tmp_path, monkeypatch):
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    towers = tmp_path / "my_towers.csv"
    pd.DataFrame(
        {"latitude": [31.6, 31.7], "longitude": [-111.2, -111.0], "type": ["IFT", "RVSS"], "height_m": [30, 30]}
    ).to_csv(towers, index=False)
    study = load_study(study_with(tmp_path, '"no-such-file.parquet"'))
    assembled = assemble_inputs(study, data_dir=tmp_path / "no-mirror", towers=towers)
    (record,) = [r for r in assembled.records if r.role == "towers"]
    assert assembled.inputs.get("towers").kind == "sensors" and len(assembled.inputs.get("towers").frame) == 2
    assert record.source == "file" and record.publisher.startswith("user-supplied file my_towers.csv (sha256 ")
    assert "eff-towers" in record.reader  # says which reader read it
    assert "Electronic Frontier" not in json.dumps(record.public())
    # an ingested sensors file is read by its record (kind sensors), whatever its name
    layer = assembled.inputs.get("towers")
    write_layer(layer, tmp_path / "towers.gpkg")
    again = assemble_inputs(study, data_dir=tmp_path / "no-mirror", towers=tmp_path / "towers.gpkg")
    (record,) = [r for r in again.records if r.role == "towers"]
    assert again.inputs.get("towers").kind == "sensors" and record.reader == "layer file (sensors)"
    assert record.source == "file"


def test_a_catalog_file_with_its_pinned_sha256_is_credited_to_the_catalog(data_dir, tmp_path, monkeypatch):
    """Positive control of the credit rule: the mirror's usbp-stations KML is byte-identical to the
    catalog's pinned file, so it is credited to the catalog; a copy with one byte changed is not."""
    from borderscape.analyses.inputs import read_layer_entry
    from borderscape.layers.catalog import CATALOG
    from borderscape.layers.fetch import locate

    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    located = locate("usbp-stations", data_dir=data_dir)
    path = located.paths[0]
    if located.sha256[0] not in {p.sha256 for p in CATALOG["usbp-stations"].pins}:
        pytest.skip("the mirror's copy is not the pinned file")
    _, record = read_layer_entry("stations", str(path))
    assert record.source == "usbp-stations" and record.publisher == CATALOG["usbp-stations"].publisher
    changed = tmp_path / path.name
    changed.write_bytes(path.read_bytes().replace(b"</kml>", b"</kml>\n"))
    _, record = read_layer_entry("stations", str(changed))
    assert record.source == "file" and "usbp-stations" in record.reader
