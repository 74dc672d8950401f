"""The second shipped land study (del-rio: IOM Missing Migrants records and CBP encounters of the
Del Rio Sector) and TIGER/Line roads for any U.S. state (`borderscape fetch tiger-roads --state XX`).

The study is run once on the real-data mirror (skipped when it is absent) and its numbers are checked
against counts made here, independently, from the raw IOM JSON files and the raw CBP CSV with pandas.
The roads are fetched from a local HTTP server on 127.0.0.1 serving a shapefile zip made by the test.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import re
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from shapely.geometry import LineString

from borderscape import settings
from borderscape.analyses.budget import estimate
from borderscape.analyses.study import load_study, working_crs
from borderscape.cli import main
from borderscape.geo.errors import SourceError
from borderscape.layers.catalog import (
    BORDER_STATES,
    CATALOG,
    STATES,
    get_source,
    state_code,
    tiger_roads_id,
    with_state,
)
from borderscape.layers.fetch import fetch, locate
from borderscape.layers.ingest import ingest

STUDY = "del-rio"
#: Who must not be credited for this study's data (the Arizona sources).
FOREIGN = ("Pima County", "PCOME", "Humane Borders", "Electronic Frontier")


# ----------------------------------------------------------------------------- the study file


def test_the_study_loads_and_names_what_the_mirror_can_serve(data_dir):
    study = load_study(STUDY)
    w, s, e, n = study.bbox
    # the working CRS is the UTM zone pyproj gives for the box (an independent reference)
    [zone] = [
        i
        for i in query_utm_crs_info(datum_name="WGS 84", area_of_interest=AreaOfInterest(w, s, e, n))
        if i.code.startswith("326")
    ][:1]
    assert working_crs(study).to_epsg() == int(zone.code)
    # every intervention and shock lies in the study period; H2/H5 split at one of them
    dates = [i.date for i in study.interventions] + [x.date for x in study.shocks]
    assert all(study.start <= d <= study.end for d in dates)
    assert study.params.hardship.split in [i.date for i in study.interventions]
    # the H4 sector is spelled as in the CBP file
    cbp = next((data_dir / "cbp-southwest-border-encounters-monthly").glob("cbp_sw_border_encounters*.csv"))
    areas = set(pd.read_csv(cbp, usecols=["area_of_responsibility"])["area_of_responsibility"].dropna())
    assert set(study.params.h4.sectors) <= areas
    # every layer is a catalog id credited to its publisher, none to the Arizona sources
    publishers = {role: get_source(sid).publisher for role, sid in study.layers.items()}
    assert publishers["deaths"].startswith("International Organization for Migration")
    assert publishers["encounters"].startswith("U.S. Customs and Border Protection")
    assert publishers["border"].startswith("International Boundary and Water Commission")
    assert publishers["roads"] == "U.S. Census Bureau" and study.layers["roads"] == "tiger-roads-tx"
    assert not any(word in p for p in publishers.values() for word in FOREIGN)
    assert study.endpoints["H4"].result == "H4.trend"


def test_the_commented_environment_grid_is_a_valid_study_entry(tmp_path):
    """The user-supplied environment grid the study file describes in comments, uncommented in a copy,
    is accepted as an inline layer credited to its makers (the file itself is the user's)."""
    text = (resources.files("borderscape.analyses") / "studies" / f"{STUDY}.toml").read_text(encoding="utf-8")
    entry = re.search(r"^# (environment = \{.*\})$", text, re.M)
    credit = re.search(r"^# (\[sources\.[\w-]+\]\n)# (publisher = .*\n)# (citation = .*\n)", text, re.M)
    assert entry and credit
    copy = tmp_path / "mine.toml"
    copy.write_text(text.replace("[layers]\n", "[layers]\n" + entry[1] + "\n", 1) + "\n" + "".join(credit.groups()))
    study = load_study(copy)
    env = study.layers["environment"]
    assert env["path"].endswith(".csv") and {"lat", "lon"} <= set(env["columns"])
    assert {"slope_deg", "july_tmax_c"} <= set(env["keep"]) and env["source"] in study.sources


# ----------------------------------------------------------------------------- independent counts


def _iom(data_dir: Path) -> pd.DataFrame:
    """The raw IOM API records with lat, lon, date, dead, exact-duplicate and whole-degree flags."""
    rows: list[dict] = []
    for path in sorted((data_dir / "iom-missing-migrants" / "hdx_api_json").glob("*.json")):
        rows += json.loads(path.read_text(encoding="utf-8"))
    raw = pd.DataFrame(rows)
    halves = raw["location_coodinates"].fillna("").str.split(",", n=1, expand=True).reindex(columns=[0, 1])
    lat_text, lon_text = halves[0].fillna("").str.strip(), halves[1].fillna("").str.strip()
    return pd.DataFrame(
        {
            "lat": pd.to_numeric(lat_text, errors="coerce"),
            "lon": pd.to_numeric(lon_text, errors="coerce"),
            "date": pd.to_datetime(raw["reported_date"].replace("", None), errors="coerce"),
            "dead": pd.to_numeric(raw["number_dead"].replace("", None), errors="coerce").fillna(0),
            "duplicate": raw.astype(str).duplicated().to_numpy(),
            # a coordinate written without decimals: a regional centroid, not a site
            "whole": ~lat_text.str.contains(r"\.\d", regex=True) | ~lon_text.str.contains(r"\.\d", regex=True),
        }
    )


def _inside(iom: pd.DataFrame, study, start=None, end=None) -> pd.Series:
    w, s, e, n = study.bbox
    first, last = pd.Timestamp(start or study.start), pd.Timestamp(end or study.end)
    return (
        iom["lon"].between(w, e)
        & iom["lat"].between(s, n)
        & iom["date"].between(first, last)
        & ~iom["duplicate"]
        & iom["date"].notna()
    )


# ----------------------------------------------------------------------------- the run on the mirror


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, data_dir):
    """`borderscape run del-rio --data-dir MIRROR --out OUT` (about 14 s of CPU), then `map --from`."""
    out = tmp_path_factory.mktemp("del-rio") / "run"
    with pytest.MonkeyPatch.context() as mp:  # an empty download cache: the run sees only the mirror
        mp.setenv("BORDERSCAPE_CACHE", str(out.parent / "empty-cache"))
        assert main(["run", STUDY, "--data-dir", str(data_dir), "--out", str(out)]) == 0
    assert main(["map", "--from", str(out), "--out", str(out.parent / "map.html"), "--self-contained"]) == 0
    return out


@pytest.fixture(scope="module")
def results(run_dir):
    return json.loads((run_dir / "results.json").read_text(encoding="utf-8"))


def _by_id(results: dict) -> dict[str, dict]:
    return {t["id"]: t for t in results["tests"]}


def test_the_run_counts_every_iom_record_inside_the_region_and_period(results, data_dir):
    study = load_study(STUDY)
    iom = _iom(data_dir)
    inside = _inside(iom, study)
    counts = results["records"]["deaths"]
    assert counts["read"] == len(iom)
    assert counts["inside"] == int(inside.sum()) > 500
    assert sum(v for k, v in counts.items() if k not in ("read", "inside", "region", "period")) == len(iom) - int(
        inside.sum()
    )
    # H5: each period's hot-spot map uses the records of its days, less the regional centroids
    precise = iom[inside & ~iom["whole"]]
    periods = {k: t for k, t in _by_id(results).items() if k.startswith("H5.") and t["status"] == "ran"}
    assert periods
    for key, t in periods.items():
        first, last = key.removeprefix("H5.").split("/")
        expected = int(precise["date"].between(pd.Timestamp(first), pd.Timestamp(last)).sum())
        assert t["parameters"]["records"] == expected, key
    assert sum(t["parameters"]["records"] for t in periods.values()) == len(precise)
    left_out = next(iter(periods.values()))["parameters"]["excluded_records"]
    assert left_out["whole-degree coordinates (regional centroids)"] == int((inside & iom["whole"]).sum()) > 0


def test_h4_is_the_del_rio_sector_series(results, data_dir):
    study = load_study(STUDY)
    tests = _by_id(results)
    trend = tests["H4.trend"]
    assert trend["status"] == "ran" and trend["role"] == "primary" and trend["p_adjusted"] is not None
    assert trend["null_value"] == 1.0 and trend["ci"][0] < trend["estimate"] < trend["ci"][1]
    # the denominator: the sector's encounters in the months of the study period, from the raw CBP file
    cbp = pd.read_csv(next((data_dir / "cbp-southwest-border-encounters-monthly").glob("cbp_sw*.csv")))
    cbp = cbp[cbp["area_of_responsibility"].isin(study.params.h4.sectors)]
    month = pd.to_datetime(cbp["month"])
    cbp = cbp[(month >= pd.Timestamp(study.start).replace(day=1)) & (month <= pd.Timestamp(study.end))]
    monthly = cbp.groupby("month")["encounters"].sum()
    assert trend["n"] == int((monthly > 0).sum()) == 57
    assert trend["parameters"]["encounters"] == pytest.approx(float(monthly.sum()))


def test_h4_counts_the_dead_of_the_records_inside_the_region(results, data_dir):
    study = load_study(STUDY)
    iom = _iom(data_dir)
    window = _inside(iom, study, start="2019-10-01")
    assert _by_id(results)["H4"]["parameters"]["deaths"] == int(iom.loc[window, "dead"].sum())


def test_what_cannot_run_is_skipped_with_what_to_supply(results):
    tests = _by_id(results)
    for key in ("H1", "H2.road_distance", "H3.fit"):
        assert tests[key]["status"] == "skipped" and tests[key]["role"] == "primary", key
    assert "borderscape fetch tiger-roads --state TX" in tests["H2.road_distance"]["reason"]
    assert "tiger-roads-tx" in tests["H2.road_distance"]["reason"]
    assert "--towers" in tests["H1"]["reason"] and "dem" in tests["H3.fit"]["reason"]
    ran = [t for t in tests.values() if t["status"] == "ran"]
    assert {t["id"] for t in ran} >= {"H4", "H4.trend"}
    for t in ran:
        assert t["method"] and t["role"] in ("primary", "secondary", "descriptive") and t["n"], t["id"]


def _credits_iom_and_cbp_only(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "International Organization for Migration" in text or "IOM" in text, path
    assert "Customs and Border Protection" in text or "CBP" in text, path
    for word in ("Pima County", "Humane Borders", "Electronic Frontier"):
        assert word not in text, (path, word)


def test_every_output_credits_iom_and_cbp_and_not_the_arizona_sources(run_dir, results):
    out = run_dir
    credited = {s["id"]: s for s in results["sources"]}
    assert {"iom-mmp", "cbp-encounters", "ibwc-boundary"} <= set(credited)
    assert not {"pcome", "pcome-terrain", "hb-water-stations", "eff-towers", "az-env-grid"} & set(credited)
    for s in credited.values():
        assert not any(word in s["publisher"] + s["citation"] for word in FOREIGN), s["id"]
    for path in (out / "results.json", out / "provenance.json", out / "map.html", out.parent / "map.html"):
        _credits_iom_and_cbp_only(path)


@pytest.mark.slow
def test_the_briefing_credits_iom_and_cbp_and_not_the_arizona_sources(run_dir, tmp_path):
    assert main(["brief", "--from", str(run_dir), "--out", str(tmp_path / "brief")]) == 0
    _credits_iom_and_cbp_only(tmp_path / "brief" / "brief.html")


def test_the_study_is_inside_the_arizona_budget():
    """The work and memory the run is budgeted for, before and after its layers are read, are at most
    those of arizona-sonora (no DEM, towers or routes in the mirror for this sector)."""
    mine, arizona = estimate(load_study(STUDY)), estimate(load_study("arizona-sonora"))
    assert 0 < mine.work <= arizona.work and 0 < mine.memory <= arizona.memory


# ----------------------------------------------------------------------------- TIGER roads for any state


def test_state_codes_and_catalog_ids():
    # FIPS codes of the border states as published by the Census Bureau (TIGER/Line file names)
    assert {code: STATES[code][0] for code in BORDER_STATES} == {"CA": "06", "AZ": "04", "NM": "35", "TX": "48"}
    for given in ("TX", "tx", "48", " 48 "):
        assert state_code(given) == "TX" and tiger_roads_id(given) == "tiger-roads-tx"
    assert state_code("4") == state_code("04") == "AZ"
    assert len({fips for fips, _ in STATES.values()}) == len(STATES)
    for bad in ("ZZ", "99", "Texas", ""):
        with pytest.raises(SourceError) as err:
            state_code(bad)
        assert "TX=48" in err.value.remedy
    for code in BORDER_STATES:
        source = CATALOG[tiger_roads_id(code)]
        fips = STATES[code][0]
        assert source.downloads == (
            f"https://www2.census.gov/geo/tiger/TIGER2021/PRISECROADS/tl_2021_{fips}_prisecroads.zip",
        )
        assert source.publisher == "U.S. Census Bureau" and STATES[code][1] in source.citation
    # any other state is built on demand, the same way
    fl = get_source("tiger-roads-fl")
    assert fl.downloads[0].endswith("/tl_2021_12_prisecroads.zip") and "Florida" in fl.title
    with pytest.raises(SourceError) as err:
        get_source("tiger-roads")
    assert "--state TX" in err.value.remedy
    with pytest.raises(SourceError, match="only tiger-roads takes a state"):
        with_state("pcome", "TX")
    with pytest.raises(SourceError, match="another state"):
        with_state("tiger-roads-az", "TX")
    assert with_state("tiger-roads-tx", "48") == with_state("tiger-roads", "tx") == "tiger-roads-tx"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def census(tmp_path, monkeypatch):
    """A local stand-in for www2.census.gov: serves a two-road TIGER/Line zip for Texas, and the
    catalog entry tiger-roads-tx points at it (same file name).  Yields (zip bytes, roads, requests)."""
    folder = tmp_path / "www"
    folder.mkdir()
    roads = gpd.GeoDataFrame(
        {
            "LINEARID": ["1104493018761", "1105598231452"],
            "FULLNAME": ["US Hwy 277", "State Hwy 131"],
            "RTTYP": ["U", "S"],
            "MTFCC": ["S1200", "S1200"],
        },
        geometry=[LineString([(-100.50, 28.71), (-100.40, 28.80)]), LineString([(-100.90, 29.36), (-100.70, 29.30)])],
        crs="EPSG:4269",  # NAD83, as the Census publishes
    )
    shp = tmp_path / "shp"
    shp.mkdir()
    roads.to_file(shp / "tl_2021_48_prisecroads.shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for part in sorted(shp.iterdir()):
            zf.write(part, part.name)
    data = buf.getvalue()
    (folder / "tl_2021_48_prisecroads.zip").write_bytes(data)
    requests: list[str] = []

    class Handler(_Quiet):
        def do_GET(self) -> None:
            requests.append(self.path)
            super().do_GET()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    entry = CATALOG["tiger-roads-tx"]
    local = dataclasses.replace(entry, downloads=(f"{base}/tl_2021_48_prisecroads.zip",))
    monkeypatch.setitem(CATALOG, "tiger-roads-tx", local)
    monkeypatch.setattr(settings, "backoff", 0.0)
    monkeypatch.setattr(settings, "retries", 1)
    monkeypatch.setattr(settings, "timeout", 5.0)
    monkeypatch.setattr(settings, "progress", None)
    monkeypatch.setattr(settings, "data_dir", None)
    yield data, roads, requests
    httpd.shutdown()
    httpd.server_close()


def test_fetch_tiger_roads_for_a_state_through_a_local_server(census, tmp_path, capsys, monkeypatch):
    data, roads, requests = census
    cache = tmp_path / "cache"
    code = main(["fetch", "tiger-roads", "--state", "48", "--cache-dir", str(cache)])
    out, err = capsys.readouterr()
    assert code == 0, err
    folder = cache / "tiger-roads-tx"
    archive = folder / "tl_2021_48_prisecroads.zip"
    assert archive.read_bytes() == data
    assert f"sha256 {hashlib.sha256(data).hexdigest()}" in out and "(extracted)" in out
    assert (folder / "tl_2021_48_prisecroads" / "tl_2021_48_prisecroads.shp").is_file()
    assert not list(folder.glob(".*"))  # no partial or temporary file left behind
    # found again by the study's catalog id, from the cache, and read as roads credited to the Census
    empty = tmp_path / "mirror"
    empty.mkdir()
    loc = locate("tiger-roads-tx", data_dir=empty, cache_dir=cache)
    assert loc.how == "cache" and loc.paths[0].name == "tl_2021_48_prisecroads.shp"
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(cache))
    layer = ingest("tiger-roads-tx", data_dir=empty)
    assert layer.source == "tiger-roads-tx" and layer.kind == "context" and len(layer.frame) == 2
    assert list(layer.frame["fullname"]) == list(roads["FULLNAME"])
    got = np.array(layer.frame.geometry.iloc[0].coords)
    assert np.allclose(got, np.array(roads.geometry.iloc[0].coords), atol=1e-6)  # NAD83 → WGS84: sub-metre
    # a second fetch reuses the verified copy: no new request
    assert main(["fetch", "tiger-roads", "--state", "TX", "--cache-dir", str(cache)]) == 0
    assert "(already in cache)" in capsys.readouterr().out and len(requests) == 1
    # the Python API takes the state the same way
    assert fetch("tiger-roads", state="tx", cache_dir=cache).files[0].reused


def test_fetch_state_for_another_source_is_refused_before_any_request(census, tmp_path, capsys):
    _, _, requests = census
    for args in (["pcome", "--state", "TX"], ["tiger-roads-az", "--state", "TX"], ["tiger-roads"]):
        code = main(["fetch", *args, "--cache-dir", str(tmp_path / "cache")])
        _, err = capsys.readouterr()
        assert code != 0 and ("state" in err.lower()), args
    for bad in ("ZZ", "Texas"):
        assert main(["fetch", "tiger-roads", "--state", bad, "--cache-dir", str(tmp_path / "cache")]) != 0
        assert "TX=48" in capsys.readouterr().err
    assert requests == [] and not (tmp_path / "cache").exists()
