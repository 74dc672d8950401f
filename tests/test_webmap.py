"""``borderscape map`` and :mod:`borderscape.webmap` without a browser: size, self-containment,
escaping, the allow-list of popup fields, the data round trip, the files mode, the embed
snippet and the CLI errors.  (tests/test_browser_map.py opens the maps in Chromium.)"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import CRS
from test_no_names import count_names, name_forms

from borderscape import webmap
from borderscape.analyses.study import load_study
from borderscape.cli import main
from borderscape.errors import InputError
from borderscape.geo.raster import Raster
from borderscape.i18n import Translator
from borderscape.layers.ingest import ingest

HOSTILE = "<img src=x onerror=alert(1)>"
MB5 = 5 * 1024 * 1024
REMOTE_ASSET = re.compile(
    r"<script[^>]*\bsrc\s*=\s*[\"']?\s*(https?:)?//|<link[^>]*\bhref\s*=\s*[\"']?\s*(https?:)?//", re.IGNORECASE
)


def map_data(page: str) -> dict:
    """The JSON embedded in a map page."""
    m = re.search(r'<script type="application/json" id="bs-data">(.*?)</script>', page, re.DOTALL)
    assert m, "no data element"
    return json.loads(m.group(1))


def place_labels(page: str) -> list[str]:
    """The texts of the place labels (folium writes their HTML as JSON strings in the script)."""
    found = re.findall(r'"html": ("(?:[^"\\]|\\.)*")', page)
    return [m.group(1) for h in found if (m := re.search(r"<span[^>]*>([^<]+)</span>$", json.loads(h)))]


def layer_named(data: dict, start: str) -> dict:
    found = [ly for ly in data["layers"] if ly["name"].startswith(start)]
    assert len(found) == 1, [ly["name"] for ly in data["layers"]]
    return found[0]


def column(layer: dict, field: str) -> list:
    p = layer["props"][field]
    return [None if c < 0 else p["values"][c] for c in p["codes"]]


def deaths_file(path: Path, causes: list[str], *, extra: dict | None = None) -> Path:
    """A deaths layer as ``borderscape ingest`` writes it (GeoParquet, EPSG:4326)."""
    n = len(causes)
    frame = gpd.GeoDataFrame(
        {
            "date": pd.to_datetime(["2012-03-17"] * n),
            "date_kind": "reported",
            "date_precision": "day",
            "dead": pd.array([1] * n, "Int64"),
            "missing": pd.array([0] * n, "Int64"),
            "cause": causes,
            "location_precision": "exact",
            "source_id": "deaths",
            "record_id": [f"REC-SECRET-{i}" for i in range(n)],
            "row": np.arange(n),
            "status": "kept",
            "reason": "",
            **(extra or {}),
        },
        geometry=gpd.points_from_xy(np.linspace(-111.5, -110.5, n), np.full(n, 31.8)),
        crs="EPSG:4326",
    )
    frame.to_parquet(path, index=False)
    return path


# -- the real studies --------------------------------------------------------------------


def study_run(study: str, data_dir: Path, tmp_path_factory) -> Path:
    """``borderscape run STUDY`` once per test run: under pytest-xdist the workers share one folder
    (the first to come runs the study, the others wait for its results), so the battery behind the
    maps (10–30 s a study) runs once however the test files are spread."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "webmap-runs"
    root.mkdir(parents=True, exist_ok=True)
    run = root / study
    lock = root / f"{study}.lock"
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        for _ in range(1200):  # another worker runs it: wait for its results (at most 10 minutes)
            if (run / "results.json").is_file() or (root / f"{study}.failed").exists():
                break
            time.sleep(0.5)
        assert (run / "results.json").is_file(), f"the run of {study} by another worker failed"
        return run
    os.close(fd)
    try:
        assert main(["run", study, "--data-dir", str(data_dir), "--out", str(run)]) == 0
    except BaseException:
        (root / f"{study}.failed").touch()
        raise
    return run


def study_map_file(study: str, data_dir: Path, tmp_path_factory, *, embed: bool = False) -> Path:
    """The self-contained map of a real study, drawn from its run folder (:func:`study_run`, then
    ``borderscape map --from RUN --self-contained [--embed]``), built once per test session; also
    used by tests/test_browser_map.py."""
    run = study_run(study, data_dir, tmp_path_factory)
    out = tmp_path_factory.getbasetemp() / "webmap-studies" / f"{study}{'-embed' if embed else ''}.html"
    if not out.is_file():
        args = ["map", "--from", str(run), "--out", str(out), "--self-contained"]
        assert main(args + (["--embed"] if embed else [])) == 0
    return out


@pytest.fixture(scope="module")
def arizona(data_dir, tmp_path_factory):
    return study_map_file("arizona-sonora", data_dir, tmp_path_factory)


@pytest.fixture(scope="module")
def central_med(data_dir, tmp_path_factory):
    return study_map_file("central-med", data_dir, tmp_path_factory)


def test_arizona_map_is_one_small_file_without_remote_assets(arizona, data_dir):
    page = arizona.read_text(encoding="utf-8")
    assert arizona.stat().st_size < MB5
    assert not REMOTE_ASSET.search(page)
    assert not re.search(r"<script[^>]*\bsrc=|<link[^>]*\bhref=", page)  # everything inlined
    assert "url(images/" not in page and "url(data:image/png;base64," in page  # Leaflet's CSS images inlined
    assert not (arizona.parent / "arizona-sonora_files").exists()  # one file, no _files folder
    data = map_data(page)
    remains = layer_named(data, "Arizona OpenGIS Initiative")
    # every located, not quarantined PCOME record inside the study's region and period is in the map
    # (records before 2000 are not drawn: the region rule of every analysis), rounded to 3 decimals
    frame = ingest("pcome", data_dir=data_dir).frame
    dates = pd.to_datetime(frame["date"])
    w, s, e, n = load_study("arizona-sonora").bbox
    x, y = frame.geometry.x, frame.geometry.y
    inside = (x >= w) & (x <= e) & (y >= s) & (y <= n) & (dates >= "2000-01-01") & (dates <= "2024-09-30")
    usable = frame[((frame["status"] != "quarantined") & inside).to_numpy()]
    assert remains["n"] == len(usable) == len(remains["geometry"]) // 2 == 4121
    xy = np.array(remains["geometry"]).reshape(-1, 2)
    raw = shapely.get_coordinates(usable.geometry.values)
    assert np.abs(xy - raw).max() <= 0.0005 + 1e-9 and np.allclose(xy * 1000, np.round(xy * 1000), atol=1e-6)
    assert remains["cluster"] is True and remains["fields"] == [
        "date",
        "dead",
        "missing",
        "cause",
        "location_precision",
        "source_id",
    ]
    years = pd.to_datetime(usable["date"]).dt.year.to_numpy()
    assert [y[0] for y in remains["years"]] == years.tolist()
    months = {Translator("en").month(f"{y}-{m:02d}") for y in range(1980, 2025) for m in range(1, 13)}
    assert set(column(remains, "date")) <= months | {str(y) for y in range(1980, 2025)}  # to the month
    names = [ly["name"] for ly in data["layers"]]
    for expected_name in (
        "Border",
        "Roads",
        "Water stations",
        "Border Patrol stations",
        "Hot spots of deaths (Gi*, past periods)",
    ):
        assert expected_name in names
    for text in (
        "Pima County",
        "Licence:",
        "International Boundary and Water Commission",
        "Remains are recorded where they were found",
        "Leaflet 1.9",
        "Leaflet.markercluster",
        "GeoNames",
        "CC BY 4.0",
        "Wessel",
        "about 100 m",
    ):
        assert text in page


def test_arizona_map_holds_no_name_of_the_dead(arizona, data_dir):
    assert count_names(arizona.read_text(encoding="utf-8"), name_forms(data_dir)) == 0


def test_a_layer_that_kept_names_gives_a_map_without_them(data_dir, tmp_path, capsys):
    """Positive control in tests/test_no_names.py: the --keep-personal layer holds > 2000 names."""
    src = data_dir / "ogis-pima-ome-humane-borders" / "ogis_deaths_1981_2024-09.csv"
    layer = tmp_path / "mine.parquet"
    assert main(["ingest", "pcome", str(src), "--keep-personal", "--out", str(layer)]) == 0
    assert main(["map", "--layer", str(layer), "--out", str(tmp_path / "m.html")]) == 0
    capsys.readouterr()
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert count_names(page, name_forms(data_dir)) == 0
    data = map_data(page)
    assert all(set(ly["fields"]) <= set(webmap.FIELDS["deaths"]) for ly in data["layers"])


def test_central_med_map_holds_every_incident_under_5_mb(central_med, data_dir):
    page = central_med.read_text(encoding="utf-8")
    assert central_med.stat().st_size < MB5 and not REMOTE_ASSET.search(page)
    data = map_data(page)
    iom = layer_named(data, "IOM Missing Migrants Project")
    frame = ingest("iom-mmp", data_dir=data_dir).frame
    # the located, not quarantined incidents inside the study's region and period (the rule of every analysis)
    study = load_study("central-med")
    w, s, e, n = study.bbox
    ok = (frame["status"] != "quarantined") & frame.geometry.notna() & ~frame.geometry.is_empty
    x, y, dates = frame.geometry.x, frame.geometry.y, pd.to_datetime(frame["date"]).dt.normalize()
    ok &= (x >= w) & (x <= e) & (y >= s) & (y <= n)
    ok &= (dates >= pd.Timestamp(study.start)) & (dates <= pd.Timestamp(study.end))
    assert iom["n"] == int(ok.sum()) > 1500
    names = [ly["name"] for ly in data["layers"]]
    assert any(n.startswith("Coverage from ") for n in names)
    assert {"Search and rescue regions", "Coastline", "Operational areas"} <= set(names)
    assert sum(ly["visible"] for ly in data["layers"] if ly["group"] == "Coverage") == 1  # the last epoch
    assert "International Organization for Migration" in page and "CC BY-IGO 3.0" in page


# -- escaping and the allow-list ---------------------------------------------------------


def test_hostile_text_is_escaped_and_kept_as_text(tmp_path, capsys):
    layer = deaths_file(tmp_path / "hostile.parquet", [HOSTILE, "exposure", "</script><script>alert(2)</script>"])
    out = tmp_path / "m.html"
    assert main(["map", "--layer", str(layer), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<img" not in page.lower() and "alert(2)</script>" not in page
    assert page.lower().count("</script>") == page.lower().count("<script")  # no element closed early
    data = map_data(page)
    assert column(data["layers"][0], "cause") == [HOSTILE, "exposure", "</script><script>alert(2)</script>"]
    assert "REC-SECRET" not in page  # record ids stay out


def test_only_allow_listed_fields_reach_the_file(tmp_path):
    layer = deaths_file(
        tmp_path / "d.parquet",
        ["drowning", "exposure"],
        extra={
            "name": ["Secretname Alpha", "Secretname Beta"],
            "age": [34, 51],
            "sex": ["secretsex", "secretsex"],
            "notes": ["secretnote", "secretnote"],
        },
    )
    page = webmap.build_map(webmap.file_layers([layer])[0], title="t", sources=[], caveats=[])
    for secret in ("Secretname", "secretsex", "secretnote", "REC-SECRET", '"age"', '"sex"'):
        assert secret not in page
    data = map_data(page)
    assert data["layers"][0]["fields"] == ["date", "dead", "missing", "cause", "location_precision", "source_id"]
    assert column(data["layers"][0], "date") == ["Mar 2012", "Mar 2012"]  # to the month


def test_titles_sources_and_caveats_are_escaped():
    frame = gpd.GeoDataFrame({"name": [HOSTILE]}, geometry=[shapely.LineString([(0, 0), (1, 1)])], crs="EPSG:4326")
    layers = webmap.layers_from_frame(frame, kind="context", name=HOSTILE, group="Context", colour="#000000")
    page = webmap.build_map(
        layers,
        title=HOSTILE,
        caveats=[HOSTILE],
        simulated=True,
        sources=[{"id": HOSTILE, "publisher": HOSTILE, "licence": HOSTILE, "citation": HOSTILE}],
    )
    assert "<img" not in page and page.count("&lt;img src=x onerror=alert(1)&gt;") >= 5
    data = map_data(page)
    assert data["layers"][0]["name"] == HOSTILE and column(data["layers"][0], "name") == [HOSTILE]
    assert page.count(webmap.SIMULATED) >= 3  # banner, title, heading


def test_tests_panel_shows_role_and_adjusted_p():
    """The map's panel of results: each row's role and adjusted p-value beside the unadjusted one; a
    descriptive result shows no p-value; every text escaped."""
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326")
    layers = webmap.layers_from_frame(frame, kind="context", name="a", group="Context", colour="#000000")
    common = {"status": "ran", "estimate": 6.69, "ci": [5.85, 7.54], "n": 4121, "reason": ""}
    outcomes = [
        {**common, "id": "T2.hostile", "name": HOSTILE, "role": "primary", "p_value": 0.0123, "p_adjusted": 0.2},
        {**common, "id": "H4", "name": "rate", "role": "descriptive", "p_value": 0.0456, "p_adjusted": None},
    ]
    page = webmap.build_map(layers, title="t", caveats=[], sources=[], outcomes=outcomes)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<th>role</th>" in page and '<th>adj. p</th><th translate="no">p</th>' in page
    rows = re.findall(r'<tr><td translate="no">(T2\.hostile|H4)</td>(.*?)</tr>', page)
    cells = {i: re.findall(r"<td>(.*?)</td>", r) for i, r in rows}
    assert cells["T2.hostile"][0] == "primary" and cells["T2.hostile"][5:7] == ["0.2", "0.0123"]
    assert cells["H4"][0] == "descriptive" and cells["H4"][5:7] == ["", ""] and "0.0456" not in page


def test_json_for_html_round_trips_and_cannot_close_the_element():
    value = {"a": ["</script>", "<!--", "&amp;", "\u2028\u2029", "ü"]}
    text = webmap._json_for_html(value)
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == value


# -- layers from the battery -------------------------------------------------------------


def test_coverage_is_vectorised_to_the_covered_cells():
    """A 10 × 10 grid of 1 km cells (UTM 12N) with a 3 × 4 covered block: the polygon's area is
    12 km² (to the reprojection's rounding) and its years run to the next epoch."""
    crs = CRS.from_epsg(32612)
    a = np.zeros((10, 10), np.uint8)
    a[2:5, 3:7] = 1
    t = Affine(1000.0, 0, 500_000.0, 0, -1000.0, 3_500_000.0)
    r1, r2 = Raster(a, t, crs, None), Raster(np.zeros_like(a), t, crs, None)
    b = a.copy()
    b[0, 0] = 2
    layers = webmap.coverage_layers(
        {"h1_coverage_2008-02-22": r1, "h1_coverage_2011-01-14": Raster(b, t, crs, None), "h1_coverage_2012-01-01": r2},
        until=2020,
    )
    assert [ly.name for ly in layers] == ["Coverage from 2008-02-22", "Coverage from 2011-01-14"]
    area = layers[0].frame.to_crs(crs).geometry.area.iloc[0]
    assert area == pytest.approx(12e6, rel=1e-9)
    assert layers[1].frame.to_crs(crs).geometry.area.iloc[0] == pytest.approx(13e6, rel=1e-9)
    assert (layers[0].frame["year_from"].iloc[0], layers[0].frame["year_to"].iloc[0]) == (2008, 2010)
    assert (layers[1].frame["year_from"].iloc[0], layers[1].frame["year_to"].iloc[0]) == (2011, 2011)


def test_sensor_years_and_hot_cells():
    towers = gpd.GeoDataFrame(
        {
            "kind": ["IFT", "RVSS"],
            "height_m": [24.0, 18.0],
            "deployment": ["existing", "removed"],
            "active_from": pd.to_datetime(["2008-05-01", None]),
            "active_to": pd.to_datetime([None, "2015-01-01"]),
            "name": ["x", "y"],
            "status": "kept",
        },
        geometry=gpd.points_from_xy([-111, -110], [31.5, 31.6]),
        crs="EPSG:4326",
    )
    layers = webmap.layers_from_frame(towers, kind="sensors", name="Towers", group="Surveillance", colour="#0072B2")
    assert [ly.name for ly in layers] == ["Towers: IFT", "Towers: RVSS"]  # sensors by kind
    assert layers[0].colour == "#0072B2" and layers[1].colour != layers[0].colour
    data = [webmap._layer_data(ly, 0.0) for ly in layers]
    assert [d["years"] for d in data] == [[[2008, None]], [[None, 2015]]]
    assert [column(d, "active") for d in data] == [["2008–"], ["?–2015"]]
    assert all("name" not in d["fields"] and d["cluster"] is False for d in data)
    box = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 0, 3, 1)]
    cells = gpd.GeoDataFrame(
        {"period": ["2000-01-01/2006-09-21"] * 3, "count": [5, 0, 9], "gi_z": [3.1, -1.0, 2.5], "hot": [1, 0, 1]},
        geometry=box,
        crs="EPSG:4326",
    )
    hot = webmap.table_layers({"h5_cells": cells})
    assert len(hot) == 1 and hot[0].frame["count"].tolist() == [5, 9]
    assert hot[0].frame["year_from"].tolist() == [2000, 2000] and hot[0].frame["year_to"].tolist() == [2006, 2006]


# -- files, tiles, embed, CLI errors -----------------------------------------------------


def test_files_mode_writes_leaflet_beside_the_map(tmp_path):
    layer = deaths_file(tmp_path / "d.parquet", ["drowning"])
    out = webmap.write_map(tmp_path / "site" / "deaths.html", webmap.files_map([layer]), self_contained=False)
    page = out.read_text(encoding="utf-8")
    refs = re.findall(r'<script[^>]*\bsrc="([^"]+)"|<link[^>]*\bhref="([^"]+)"', page)
    assert sorted("".join(r) for r in refs) == sorted(f"deaths_files/{name}" for name in webmap.FILES)
    for ref in [*(f"deaths_files/{name}" for name in webmap.FILES), "deaths_files/images/layers.png"]:
        assert (out.parent / ref).is_file(), ref
    assert not REMOTE_ASSET.search(page) and len(page) < 100_000  # Leaflet not inlined
    assert sorted(p.name for p in out.parent.iterdir()) == ["deaths.html", "deaths_files"]


def test_tiles_only_when_asked(tmp_path):
    layer = deaths_file(tmp_path / "d.parquet", ["drowning"])
    plain = webmap.build_map(webmap.file_layers([layer])[0], title="t", sources=[], caveats=[])
    osm = webmap.build_map(webmap.file_layers([layer])[0], title="t", sources=[], caveats=[], tiles="osm")
    assert "openstreetmap" not in plain.lower()
    assert map_data(osm)["tiles"] == "osm" and "© OpenStreetMap contributors (ODbL)" in osm
    with pytest.raises(InputError):
        webmap.build_map([], title="t", sources=[], caveats=[], tiles="google")


def test_embed_snippet_is_escaped_and_sandboxed(tmp_path, capsys):
    snippet = webmap.embed_snippet('map.html?a=1&b="2"', title=HOSTILE, aspect="16 / 9")
    assert "<img" not in snippet and 'title="&lt;img src=x onerror=alert(1)&gt;"' in snippet
    assert 'src="map.html?a=1&amp;b=&quot;2&quot;"' in snippet
    assert 'sandbox="allow-scripts"' in snippet and 'loading="lazy"' in snippet and "aspect-ratio:16 / 9" in snippet
    with pytest.raises(InputError):
        webmap.embed_snippet("m.html", title="t", aspect="16/9;background:url(x)")
    layer = deaths_file(tmp_path / "d.parquet", ["drowning"])
    assert main(["map", "--layer", str(layer), "--out", str(tmp_path / "m.html"), "--embed"]) == 0
    out = capsys.readouterr().out
    assert out.strip().startswith("<div") and '<iframe src="m.html"' in out
    assert 'title="Interactive map: Map of d.parquet"' in out and 'sandbox="allow-scripts"' in out


def test_cli_errors_are_typed(tmp_path, capsys):
    assert main(["map", "--out", str(tmp_path / "m.html")]) == 2
    assert "nothing to map" in capsys.readouterr().err
    csv = tmp_path / "d.csv"
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["map", "--layer", str(csv), "--out", str(tmp_path / "m.html")]) == 2
    assert ".parquet" in capsys.readouterr().err
    assert main(["map", "--layer", str(tmp_path / "absent.parquet"), "--out", str(tmp_path / "m.html")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "m.html").exists()


def test_demo_run_writes_the_interactive_map_marked_simulated(tmp_path, capsys):
    """``borderscape demo`` (and ``run``) write map.html through this module: towers, coverage by
    epoch and modelled routes from the battery, all marked SIMULATED DATA."""
    assert main(["demo", "--out", str(tmp_path / "demo"), "--seed", "3"]) == 0
    capsys.readouterr()
    page = (tmp_path / "demo" / "map.html").read_text(encoding="utf-8")
    assert page.count(webmap.SIMULATED) >= 3 and not REMOTE_ASSET.search(page)
    data = map_data(page)
    assert data["simulated"] is True
    groups = {ly["group"] for ly in data["layers"]}
    assert {"Remains and incidents", "Surveillance", "Coverage", "Routes", "Context"} <= groups
    # sensors by kind: one layer per kind of tower, each its own colour, together every tower
    towers = [ly for ly in data["layers"] if ly["name"].startswith("Surveillance towers: ")]
    kinds = {ly["name"].split(": ", 1)[1] for ly in towers}
    assert len(towers) >= 2 and len({ly["colour"] for ly in towers}) == len(towers)
    assert all(
        ly["n"] > 0 and "active" in ly["fields"] and ly["props"]["kind"]["values"] == [ly["name"].split(": ", 1)[1]]
        for ly in towers
    )
    world = json.loads((tmp_path / "demo" / "provenance.json").read_text(encoding="utf-8"))["options"]["world"]
    assert kinds <= set(world["tower_kinds"]) and sum(ly["n"] for ly in towers) == world["towers"]
    results = json.loads((tmp_path / "demo" / "results.json").read_text(encoding="utf-8"))
    for t in results["tests"]:
        assert f'<td translate="no">{t["id"]}</td>' in page  # every outcome is listed


# -- front-end code as package data --------------------------------------------------------

#: borderscape's own front-end files (borderscape/static/), read by webmap.static_text.
STATIC = ("map.js", "map.css", "brief.css")
ROOT = Path(__file__).resolve().parents[1]


def test_front_end_files_are_found_with_importlib_resources():
    from importlib import resources

    from borderscape.errors import BorderscapeError

    folder = resources.files("borderscape") / "static"
    for name in STATIC:
        assert (folder / name).is_file(), name
        assert webmap.static_text(name) == (folder / name).read_text(encoding="utf-8") != ""
    with pytest.raises(BorderscapeError, match="missing from the installation"):
        webmap.static_text("absent.js")


def test_an_installed_build_ships_and_finds_the_front_end_files(tmp_path):
    """setuptools' build_py (what a wheel and ``pip install`` put in site-packages) copies
    borderscape/static/ by pyproject's package-data, and borderscape imported from that build
    reads the files through importlib.resources."""
    pytest.importorskip("setuptools")
    src, lib = tmp_path / "src", tmp_path / "lib"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("borderscape", "geo", "layers", "analyses"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py", "-d", str(lib)],
        cwd=src,
        check=True,
        capture_output=True,
    )
    for name in STATIC:
        assert (lib / "borderscape" / "static" / name).read_bytes() == (
            ROOT / "borderscape" / "static" / name
        ).read_bytes()
    probe = (
        "import json, sys, borderscape.webmap as w; "
        f"print(json.dumps([w.__file__] + [w.static_text(n) for n in {list(STATIC)!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(lib)},
    )
    found = json.loads(done.stdout.splitlines()[-1])
    assert Path(found[0]).is_relative_to(lib)
    assert found[1:] == [(ROOT / "borderscape" / "static" / n).read_text(encoding="utf-8") for n in STATIC]


def test_maps_inline_the_front_end_files(tmp_path):
    """Self-contained or not, the map's own script and styles are inlined (only Leaflet goes to
    ``<stem>_files/``), the script made safe inside its element."""
    js, css = webmap.static_text("map.js"), webmap.static_text("map.css")
    assert "(function ()" in js and "#bs-map" in css
    layers = webmap.file_layers([deaths_file(tmp_path / "d.parquet", ["drowning"])])[0]
    one = webmap.build_map(layers, title="t", sources=[], caveats=[], self_contained=True)
    files = webmap.build_map(layers, title="t", sources=[], caveats=[], self_contained=False, assets_url="m_files")
    for page in (one, files):
        assert f"<style>\n{css}</style>" in page
        assert f"<script>\n{webmap._script_text(js)}</script>" in page
    webmap._copy_assets(tmp_path / "m_files")
    assert sorted(p.name for p in (tmp_path / "m_files").iterdir()) == sorted(["images", *webmap.FILES])


def test_arizona_map_inlines_the_front_end_files(arizona):
    page = arizona.read_text(encoding="utf-8")
    assert webmap._script_text(webmap.static_text("map.js")) in page and webmap.static_text("map.css") in page


#: A line of JavaScript or of CSS (a rule or a declaration).
_JS_LINE = re.compile(r"\bfunction\b|\bvar\s+\w|\b(?:let|const)\s+\w+\s*=|=>|\bdocument\.|\bwindow\.")
_CSS_LINE = re.compile(r"[\w#.:*>\[\]-][^{}\n]*\{[^{}\n]*[\w-]+\s*:\s*[^;{}\n]+;|^\s*[\w-]+\s*:\s*[^;{}\n]+;\s*\}?\s*$")
_ELEMENT = re.compile(r"<(script|style)\b[^>]*>(.*?)</\1\s*>", re.DOTALL | re.IGNORECASE)


def front_end_in_strings(source: str, max_lines: int = 5) -> list[tuple[int, str]]:
    """``(line, start)`` of each string constant of a Python source (f-string parts included)
    holding more than ``max_lines`` lines of JavaScript or CSS, or a ``<script>``/``<style>``
    element longer than that."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            code = sum(1 for line in text.splitlines() if _JS_LINE.search(line) or _CSS_LINE.search(line))
            element = max((len(m.group(2).strip().splitlines()) for m in _ELEMENT.finditer(text)), default=0)
            if code > max_lines or element > max_lines:
                found.append((node.lineno, text.strip()[:50]))
    return found


def test_no_script_or_stylesheet_is_left_in_a_python_string():
    """JavaScript and CSS live in borderscape/static/ (linted by ESLint and Stylelint), not in Python strings."""
    script = (
        '(function () {\n  "use strict";\n  var a = 1;\n  function f(x) { return x; }\n  var b = f(a);\n'
        "  window.b = b;\n  document.title = String(b);\n}());\n"
    )
    style = "\n".join(f".bs-{i} {{ color: #000; margin: {i}px; }}" for i in range(8))
    assert len(front_end_in_strings(f"JS = {script!r}\nCSS = {style!r}\n")) == 2  # the scan sees them
    assert (
        front_end_in_strings(f"PAGE = f'<style>{{x}}</style><script>{{y}}</script>'\nONE = {style.splitlines()[0]!r}\n")
        == []
    )
    offenders = {
        str(path.relative_to(ROOT)): hits
        for folder in ("borderscape", "geo", "layers", "analyses")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (hits := front_end_in_strings(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


# -- issue 20: folium, basemap, places, colours, embeds, static exports ----------------------------

#: Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of color vision
#: deficiency", IEEE TVCG 15(6): the matrices for severity 1.0, applied to linear RGB.
MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
    "normal": np.eye(3).tolist(),
}
#: Smallest CIEDE2000 difference allowed between two layers drawn together, for every kind of vision.
MIN_DELTA_E = 15.0


def colour_distance(a: str, b: str) -> float:
    """The smallest CIEDE2000 difference of two colours under normal vision and the three dichromacies."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    def linear(c):
        return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)

    def srgb(c):
        c = np.clip(c, 0, 1)
        return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)

    def seen(h, m):
        rgb = np.array([int(h[i : i + 2], 16) / 255 for i in (1, 3, 5)])
        return rgb2lab(srgb(np.asarray(m) @ linear(rgb))[None, None])

    return min(float(deltaE_ciede2000(seen(a, m), seen(b, m))[0, 0]) for m in MACHADO.values())


def test_colour_distance_tells_the_old_orange_pair_apart_from_the_new_colours():
    """Negative control: the remains and hot spots of the old map (#D55E00 / #E69F00) are too close
    for deuteranopes; the colours now used for remains and hot spots are not."""
    assert colour_distance("#D55E00", "#E69F00") < MIN_DELTA_E
    assert colour_distance("#0072B2", "#0072B2") == pytest.approx(0.0, abs=1e-9)
    assert colour_distance(webmap.ROLES["deaths"][2], webmap.WINE) >= MIN_DELTA_E


@pytest.mark.parametrize("study", ["arizona-sonora", "central-med"])
def test_layers_drawn_together_have_colour_blind_safe_colours(study, arizona, central_med):
    page = {"arizona-sonora": arizona, "central-med": central_med}[study].read_text(encoding="utf-8")
    data = map_data(page)
    kinds = {}
    for ly in data["layers"]:
        if ly["group"] != "Context":  # records, hot spots, sensors, coverage, routes
            kinds.setdefault(ly["colour"], set()).add(ly["group"] + ":" + ly["name"].split(" from ")[0])
    assert all(len(v) == 1 for v in kinds.values()), kinds  # one colour, one kind of layer
    colours = sorted(kinds)
    assert len(colours) >= 2
    for i, a in enumerate(colours):
        for b in colours[i + 1 :]:
            assert colour_distance(a, b) >= MIN_DELTA_E, (kinds[a], kinds[b])


def test_contrast_ratio_follows_wcag():
    """WCAG 2.1's own examples: black on white 21:1, #777777 on white 4.48:1 (just under AA)."""
    assert webmap.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert webmap.contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.478, abs=0.002)
    for colour in ("#D55E00", webmap.WINE, "#0072B2", "#56B4E9", "#F0E442", "#000000"):
        assert webmap.contrast_ratio(webmap.text_colour(colour), colour) >= 4.5  # numbers on clusters


def test_arizona_map_is_a_folium_map_with_places_borders_and_mexico(arizona):
    page = arizona.read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "L.markerClusterGroup(" in page and "gestureHandling" in page
    assert "L.control.scale()" in page and "L.control.layers(" in page  # folium's controls
    labels = place_labels(page)
    for place in ("Tucson", "Nogales", "Ajo", "Sells", "MEXICO", "UNITED STATES"):
        assert place in labels, place
    assert "user-scalable=no" not in page  # a reader may zoom the page
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page and "unpkg.com" not in page
    data = map_data(page)
    assert data["period"] == [2000, 2024]  # the slider offers the study period only
    remains = layer_named(data, "Arizona OpenGIS Initiative")
    assert remains["unit"] == "people dead or missing" and len(remains["weights"]) == remains["n"]
    assert "<summary>Results of the tests</summary>" in page  # not an embed: the panel is there


def test_embed_maps_leave_the_tests_out_and_take_title_subtitle_and_credit(tmp_path, capsys):
    layer = deaths_file(tmp_path / "d.parquet", ["drowning", "exposure"])
    out = tmp_path / "m.html"
    args = ["map", "--layer", str(layer), "--out", str(out), "--self-contained", "--embed"]
    args += ["--title", HOSTILE, "--subtitle", "Deaths " + HOSTILE, "--credit", "Desk <i>x</i>"]
    args += ["--embed-url", "https://example.org/m.html"]
    assert main(args) == 0
    snippet = capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert "<img" not in page and "<i>x</i>" not in page
    assert "<h1>&lt;img src=x onerror=alert(1)&gt;</h1>" in page
    assert (
        '<p class="bs-subtitle">Deaths &lt;img' in page
        and "Map: <span translate='no'>Desk &lt;i&gt;x&lt;/i&gt;</span>." in page
    )
    assert 'class="bs-embed"' in page and "Results of the tests" not in page
    assert 'title="Interactive map: &lt;img src=x onerror=alert(1)&gt;"' in snippet
    outcomes = [{"id": "T1", "name": "t", "role": "primary", "status": "ran", "estimate": 1.0, "p_value": 0.5}]
    gathered = dataclasses.replace(webmap.files_map([layer]), outcomes=tuple(outcomes))
    assert "Results of the tests" not in webmap.render(gathered, embed=True, basemap=False)
    assert "Results of the tests" in webmap.render(gathered, embed=True, stats=True, basemap=False)
    assert "Results of the tests" in webmap.render(gathered, basemap=False)


def test_the_same_map_gives_the_same_bytes_and_a_researcher_can_extend_it(tmp_path):
    import folium

    import borderscape as bs

    layer = deaths_file(tmp_path / "d.parquet", ["drowning", "exposure"])
    one = webmap.to_html(bs.map([layer]))
    assert one == webmap.to_html(bs.map([layer]))  # ids numbered in tree order, no uuid
    m = bs.map([layer], title="Mine")
    assert isinstance(m, folium.Map)
    folium.CircleMarker([31.8, -111.0], radius=9, popup="a note").add_to(m)
    page = webmap.to_html(m)
    assert "L.circleMarker(" in page and "jQuery" in page  # folium's popups need jQuery: inlined
    assert not REMOTE_ASSET.search(page) and not re.search(r"<script[^>]*\bsrc=|<link[^>]*\bhref=", page)
    m.save(str(tmp_path / "saved.html"))  # folium's own save writes borderscape's page
    assert (tmp_path / "saved.html").read_bytes().decode("utf-8") == page
    folium.Marker([31.8, -111.0], icon=folium.Icon(color="red")).add_to(m)
    with pytest.raises(InputError, match="no\\s+offline copy"):
        webmap.to_html(m)
    m2 = bs.map([layer])
    folium.plugins.Fullscreen().add_to(m2)  # a plugin borderscape has no offline copy of
    with pytest.raises(InputError, match="no offline copy"):
        webmap.to_html(m2)
    assert "fullscreen" in webmap.to_html(m2, self_contained=False, assets_url="m_files").lower()
    with pytest.raises(InputError):
        bs.map(42)


def test_place_labels_never_overlap_at_the_zoom_they_are_shown():
    """Simulated towns on a line 0.05° apart: at each zoom the labels shown do not overlap (checked
    with the boxes recomputed independently), and every label is shown at the deepest zoom."""
    from borderscape import basemap

    towns = [basemap.Place(f"Town{i:02d}", -111 + 0.05 * i, 32.0, 10_000 - i, "US") for i in range(30)]
    fixed = [basemap.Place("MEXICO", -110.5, 31.6, 0, "MX", kind="country", min_zoom=0)]
    labelled = basemap.label_zooms(towns, fixed=fixed)
    assert labelled[0].min_zoom == min(p.min_zoom for p in labelled)  # the biggest first
    assert all(p.min_zoom <= basemap.ZOOMS[-1] for p in labelled)
    for z in basemap.ZOOMS:
        shown = [p for p in labelled if p.min_zoom <= z] + fixed
        x, y = basemap.mercator_px(np.array([p.lon for p in shown]), np.array([p.lat for p in shown]), z)
        boxes = []
        for p, xi, yi in zip(shown, x, y):
            if p.kind == "country":
                w = basemap.COUNTRY_CHAR_PX * len(p.name) + 8
                boxes.append((xi - w / 2, yi - 9, xi + w / 2, yi + 9))
            else:
                boxes.append((xi - 4, yi - 8, xi + basemap.CHAR_PX * len(p.name) + 12, yi + 8))
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), z
    # Leaflet's pixel coordinates: 256 · 2^z pixels around the world, the equator at the middle
    x, y = basemap.mercator_px(np.array([-180.0, 0.0]), np.array([0.0, 0.0]), 3)
    assert x.tolist() == [0.0, 1024.0] and y.tolist() == [1024.0, 1024.0]


def test_country_labels_lie_on_their_side_of_the_border(data_dir):
    """Mexico's label lies south of the IBWC boundary and the United States' north of it, inside the
    study box; the boundary is read independently of the basemap."""
    from borderscape import basemap
    from borderscape.layers.ingest import ingest

    border = ingest("ibwc-boundary", data_dir=data_dir).frame.to_crs(4326).geometry.union_all()
    bbox = load_study("arizona-sonora").bbox
    base = basemap.basemap(bbox, data_dir, border_lines=[border])
    labels = {p.name: p for p in base.places if p.kind == "country"}
    assert {"MEXICO", "UNITED STATES"} <= set(labels)
    for name, south in (("MEXICO", True), ("UNITED STATES", False)):
        p = labels[name]
        assert bbox[0] <= p.lon <= bbox[2] and bbox[1] <= p.lat <= bbox[3]
        cut = border.intersection(shapely.LineString([(p.lon, 20), (p.lon, 40)]))
        border_lat = shapely.get_coordinates(cut)[:, 1].mean()
        assert bool(p.lat < border_lat) is south, (name, p.lat, border_lat)
    assert len(base.coastlines) > 0 and len(base.borders) > 0
    assert [s["id"] for s in base.sources] == ["gshhg", "geonames"]


def test_scale_bar_is_true_at_the_middle_latitude():
    """The bar's projected length, taken back to longitudes at its latitude, is its stated length on
    the WGS 84 ellipsoid (pyproj's geodesic) to the sphere's 0.5 %."""
    from pyproj import Geod

    from borderscape import staticmap

    for lat, width in ((32.6, 600_000.0), (35.0, 2_000_000.0), (0.0, 50_000.0)):
        metres, projected = staticmap.scale_bar(width, lat)
        assert metres in {m * 10**k for m in (1, 2, 5) for k in range(0, 8)} and metres <= width / 5 / 0.99
        lon = np.degrees(projected / staticmap.R)
        _, _, geodesic = Geod(ellps="WGS84").inv(0.0, lat, float(lon), lat)
        assert geodesic == pytest.approx(metres, rel=5e-3)


@pytest.mark.parametrize("fmt", ["svg", "pdf", "png"])
def test_static_exports_hold_title_legend_places_scale_and_sources(fmt, tmp_path, capsys):
    layer = deaths_file(tmp_path / "pcomecopy.parquet", ["drowning"] * 40)
    frame = gpd.read_parquet(layer)
    rng = np.random.default_rng(7)
    frame.geometry = gpd.points_from_xy(rng.uniform(-111.6, -110.4, 40), rng.uniform(31.5, 32.4, 40), crs=4326)
    frame.to_parquet(layer, index=False)
    out = tmp_path / f"m.{fmt}"
    args = ["map", "--layer", str(layer), "--out", str(out), "--format", fmt]
    assert main(args + ["--title", "Remains near Tucson", "--credit", "The Desk"]) == 0
    capsys.readouterr()
    if fmt == "png":
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000
        return
    if fmt == "svg":
        text = out.read_text(encoding="utf-8")
    else:
        from pypdf import PdfReader

        text = " ".join(p.extract_text() for p in PdfReader(out).pages)
    text = " ".join(text.split())
    for expected in ("Remains near Tucson", "Tucson", "km", "Sources:", "GeoNames", "Map: The Desk", "40"):
        assert expected in text, expected
    assert "pcomecopy" in text  # the legend names the layer


def test_sea_map_draws_aerial_detections_apart_and_the_libyan_region_from_2018(data_dir):
    """Issue 21: the boats Frontex first saw from the air are a layer of their own (every located aerial
    record of the study's region and period, and no other), and the search-and-rescue regions follow the
    time slider: the Libyan one from its declaration (2018), the others always."""
    from borderscape.analyses.battery.m4_assets import first_seen_from_the_air
    from borderscape.analyses.region import select
    from borderscape.analyses.study import load_study
    from borderscape.layers.ingest import ingest
    from borderscape.layers.quality import usable

    study = load_study("central-med")
    incidents = ingest("frontex-incidents", data_dir=data_dir)
    regions = ingest("imo-srr", data_dir=data_dir)
    layers = webmap.layers_from_inputs(study, {"incidents": incidents, "sar_regions": regions}, {}, {})
    by_name = {ly.name: ly for ly in layers}
    aerial = by_name[webmap.AERIAL_DETECTIONS]
    frame = incidents.frame[select(study, incidents.frame).keep]
    located = usable(frame).geometry.notna().to_numpy() & ~usable(frame).geometry.is_empty.to_numpy()
    expected = int((first_seen_from_the_air(usable(frame)["detector_type"]) & located).sum())
    assert expected > 100 and len(aerial.frame) == expected
    assert aerial.colour == webmap.AERIAL_COLOUR and aerial.cluster
    assert aerial.frame["year"].between(2014, 2017).all()  # detection positions exist for 2014-11 to 2017-09
    others = [ly for ly in layers if ly.group == aerial.group and ly is not aerial]
    assert sum(len(ly.frame) for ly in others) + expected == int(located.sum())
    srr = next(ly for ly in layers if ly.name == "Search and rescue regions")
    assert srr.years == ("year_from", "year_to")
    starts = dict(zip(srr.frame["country_iso3"], srr.frame["year_from"]))
    assert starts["LBY"] == 2018 and all(pd.isna(starts[c]) for c in ("ITA", "MLT", "TUN"))
