"""``borderscape run``: the Arizona–Sonora study on the real-data mirror, with and without a
generated tower file and DEM; outputs, determinism, provenance, escaping, names and errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from affine import Affine
from pyproj import Transformer
from test_no_names import count_names, name_forms, parquet_text

from borderscape.analyses.inputs import assemble_inputs, prepare_dem
from borderscape.analyses.results import ROLES
from borderscape.analyses.study import load_study, working_crs
from borderscape.cli import main
from borderscape.geo.raster import Raster
from borderscape.geo.synthetic import fractal_dem
from borderscape.layers.fetch import sha256_file

# A 300 × 300 DEM at 90 m over the border west of Sasabe (UTM 12N), and towers on it.
DEM_ORIGIN = (440_000.0, 3_492_000.0)
HOSTILE = "<img src=x onerror=alert(1)>"


def make_towers(path: Path) -> Path:
    """12 towers inside the DEM, as EFF-like CSV columns (latitude, longitude, type …)."""
    rng = np.random.default_rng(1)
    x = rng.uniform(DEM_ORIGIN[0] + 3000, DEM_ORIGIN[0] + 24_000, 12)
    y = rng.uniform(DEM_ORIGIN[1] - 17_000, DEM_ORIGIN[1] - 2000, 12)
    lon, lat = Transformer.from_crs("EPSG:32612", "EPSG:4326", always_xy=True).transform(x, y)
    pd.DataFrame(
        {
            "latitude": lat,
            "longitude": lon,
            "type": ["IFT", "RVSS", "SBInet", "AST"] * 3,
            "height_m": 30,
            "range_m": 8000,
            "installed": ["2008-03-01", "2010-06-01", "2012-01-01", "2015-05-01"] * 3,
        }
    ).to_csv(path, index=False)
    return path


def make_dem(path: Path) -> Path:
    dem = fractal_dem((300, 300), res=90, relief=600, base=900, rng=np.random.default_rng(5))
    Raster(dem.array.astype("float32"), Affine(90, 0, DEM_ORIGIN[0], 0, -90, DEM_ORIGIN[1]), "EPSG:32612").write(path)
    return path


def run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture(scope="module")
def plain(data_dir, tmp_path_factory):
    """``borderscape run arizona-sonora --data-dir MIRROR`` (no towers, no DEM)."""
    out = tmp_path_factory.mktemp("plain") / "az"
    with pytest.MonkeyPatch.context() as mp:  # an empty download cache: towers and DEM are missing
        mp.setenv("BORDERSCAPE_CACHE", str(out.parent / "cache"))
        code = main(["run", "arizona-sonora", "--data-dir", str(data_dir), "--out", str(out)])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def full(data_dir, tmp_path_factory):
    """The same with a generated tower file and DEM."""
    folder = tmp_path_factory.mktemp("full")
    towers, dem = make_towers(folder / "my_towers.csv"), make_dem(folder / "dem.tif")
    out = folder / "az"
    code = main(
        [
            "run",
            "arizona-sonora",
            "--data-dir",
            str(data_dir),
            "--towers",
            str(towers),
            "--dem",
            str(dem),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return out, towers, dem


def outcomes_by_id(out: Path) -> dict[str, dict]:
    return {t["id"]: t for t in json.loads((out / "results.json").read_text())["tests"]}


def test_run_writes_every_output(plain, data_dir):
    results = json.loads((plain / "results.json").read_text(encoding="utf-8"))
    assert set(results) == {"study", "seed", "simulated", "tests", "sources", "caveats", "records"}
    # the region rule's counts: PCOME rows read, inside the region and period, left out by reason
    deaths = results["records"]["deaths"]
    assert deaths["read"] == 4300 and deaths["inside"] == 4121 and deaths["quarantined"] == 61
    assert deaths["before the study period"] == 118 and deaths["outside the study region"] == 0
    assert results["study"] == "arizona-sonora" and results["seed"] == load_study("arizona-sonora").seed
    assert results["simulated"] is False
    assert results["caveats"] == list(load_study("arizona-sonora").caveats)
    for t in results["tests"]:
        assert set(t) == {
            "id",
            "name",
            "status",
            "reason",
            "estimate",
            "ci",
            "p_value",
            "n",
            "method",
            "role",
            "p_adjusted",
            "null_value",
            "direction",
            "caveats",
            "sensitivity",
            "composition",
            "parameters",
        }
        assert t["role"] in ROLES
        if t["status"] == "ran":
            assert t["estimate"] is not None and t["n"] is not None and t["method"]
        if t["role"] == "descriptive" or t["p_value"] is None:
            assert t["p_adjusted"] is None, t["id"]
        elif t["status"] == "ran":
            assert t["p_value"] <= t["p_adjusted"] <= 1, t["id"]
    # exactly one primary per question, the endpoint the study declared
    study = load_study("arizona-sonora")
    primaries = [t["id"] for t in results["tests"] if t["role"] == "primary"]
    assert sorted(primaries) == sorted(e.result for e in study.endpoints.values())
    assert sorted(p.split(".")[0] for p in primaries) == ["H1", "H2", "H3", "H4", "H5"]
    by_source = {s["id"]: s for s in results["sources"]}
    assert {"pcome", "cbp-encounters", "tiger-roads-az", "ibwc-boundary"} <= set(by_source)
    assert all(s["publisher"] and s["licence"] and s["citation"] for s in results["sources"])
    for name in (
        "map.html",
        "provenance.json",
        "tables/h2_records.csv",
        "tables/h4_monthly.csv",
        "tables/sensitivity.csv",
        "tables/composition.csv",
        "figures/hardship_over_time.png",
        "figures/hardship_over_time.svg",
        "figures/mortality_per_encounter.png",
        "figures/mortality_per_encounter.svg",
    ):
        assert (plain / name).is_file() and (plain / name).stat().st_size > 0, name
    assert (plain / "figures" / "hardship_over_time.png").read_bytes().startswith(b"\x89PNG")
    svg = (plain / "figures" / "hardship_over_time.svg").read_text(encoding="utf-8")
    assert "Sources:" in svg and "Caveat:" in svg and "Pima County" in svg
    h4 = pd.read_csv(plain / "tables" / "h4_monthly.csv")
    assert {"month", "deaths", "encounters"} <= set(h4.columns) and len(h4) > 12
    # GeoParquet for tables with geometry, readable back with their CRS
    parquet = sorted((plain / "tables").glob("*.parquet"))
    assert parquet
    import geopandas as gpd

    assert gpd.read_parquet(parquet[0]).crs is not None
    # no leftover temporary files
    assert not [p for p in plain.rglob(".*") if p.is_file()]


def test_sensitivity_and_composition_tables_are_written(plain):
    """tables/sensitivity.csv and tables/composition.csv: every variant and every composition row of
    results.json, led by its result's id, with the columns of output.findings_tables."""
    from borderscape.output import COMPOSITION_COLUMNS, SENSITIVITY_COLUMNS

    tests = json.loads((plain / "results.json").read_text(encoding="utf-8"))["tests"]
    for name, columns, key in (
        ("sensitivity", SENSITIVITY_COLUMNS, "sensitivity"),
        ("composition", COMPOSITION_COLUMNS, "composition"),
    ):
        table = pd.read_csv(plain / "tables" / f"{name}.csv", keep_default_na=False)
        assert tuple(table.columns) == columns, name
        expected = [(t["id"], len(t[key])) for t in tests if t[key]]
        assert [(r, int(n)) for r, n in table.groupby("result", sort=False).size().items()] == expected, name
    table = pd.read_csv(plain / "tables" / "sensitivity.csv", keep_default_na=False)
    assert list(zip(table["result"], table["variant"])) == [
        (t["id"], v["name"]) for t in tests for v in t["sensitivity"]
    ]


def test_findings_tables_on_a_fixture(tmp_path):
    """The two tables from results.json rows, written by the run folder's one table writer."""
    from borderscape.output import findings_tables, write_tables

    tests = [
        {
            "id": "H2.road_distance",
            "sensitivity": [
                {"name": "GPS only", "estimate": 5.9, "ci": [4.8, 7.0], "n": 2100, "p_value": 1e-9, "note": ""},
                {"name": "=HYPERLINK()", "estimate": None, "ci": None, "n": None, "p_value": None, "note": "none"},
            ],
            "composition": [
                {
                    "variable": "corridor",
                    "level": "Cabeza Prieta",
                    "before": 0.034,
                    "after": 0.132,
                    "n_before": 10,
                    "n_after": 30,
                },
            ],
        },
        {"id": "H5", "sensitivity": [], "composition": []},
    ]
    written = write_tables(tmp_path, findings_tables(tests), simulated=False)
    assert sorted(p.name for p in written) == ["composition.csv", "sensitivity.csv"]
    sens = pd.read_csv(tmp_path / "sensitivity.csv")
    assert sens["result"].tolist() == ["H2.road_distance"] * 2
    assert sens.loc[0, ["estimate", "ci_low", "ci_high", "n"]].tolist() == [5.9, 4.8, 7.0, 2100]
    assert sens.loc[1, "variant"] == "'=HYPERLINK()" and sens.loc[1, ["estimate", "n"]].isna().all()
    comp = pd.read_csv(tmp_path / "composition.csv")
    assert comp.iloc[0].tolist() == ["H2.road_distance", "corridor", "Cabeza Prieta", 0.034, 0.132, 10, 30]
    empty = findings_tables([{"id": "H1", "sensitivity": [], "composition": []}])
    assert [len(f) for f in empty.values()] == [0, 0]


def test_run_statuses_without_towers_and_dem(plain):
    tests = outcomes_by_id(plain)
    for key in ("H4", "H5"):
        assert tests[key]["status"] == "ran", key
    assert any(k.startswith("H2.") and t["status"] == "ran" for k, t in tests.items())
    for key in ("H1", "H3"):
        assert tests[key]["status"] == "skipped"
        assert "--towers" in tests[key]["reason"] or key == "H3"
        assert "--dem" in tests[key]["reason"]
    assert "--towers" in tests["H1"]["reason"]


def test_results_have_no_paths_or_timestamps(plain, data_dir):
    text = (plain / "results.json").read_text(encoding="utf-8")
    assert str(data_dir) not in text and str(plain) not in text and "/shared/data" not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_provenance(plain, data_dir):
    prov = json.loads((plain / "provenance.json").read_text(encoding="utf-8"))
    assert prov["seed"] == load_study("arizona-sonora").seed and prov["simulated"] is False
    assert {
        "borderscape",
        "numpy",
        "pandas",
        "geopandas",
        "shapely",
        "pyproj",
        "rasterio",
        "numba",
        "scipy",
        "statsmodels",
    } <= set(prov["packages"])
    assert all(prov["packages"][k] for k in ("numpy", "pandas", "rasterio"))
    assert re.fullmatch(r"3\.\d+\.\d+", prov["python"])
    assert prov["started"] <= prov["finished"]
    deaths = [i for i in prov["inputs"] if i["role"] == "deaths"][0]
    assert deaths["source"] == "pcome"
    for f in deaths["files"]:
        assert Path(f["path"]).is_absolute() and f["sha256"] == sha256_file(f["path"]) and f["how"] == "mirror"
    assert set(prov["missing"]) == {"towers", "dem"}
    assert prov["parameters"]["parameters"]["statistics"]["permutations"] == 999


def test_same_inputs_give_byte_identical_results(plain, data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    # a copy of the study with a hostile title: results.json must not change, map.html must escape it
    shipped = resources.files("borderscape.analyses") / "studies" / "arizona-sonora.toml"
    copy = tmp_path / "study.toml"
    title = load_study("arizona-sonora").title
    copy.write_text(
        shipped.read_text(encoding="utf-8").replace(f'title = "{title}"', f'title = "{HOSTILE}"'), encoding="utf-8"
    )
    assert load_study(copy).title == HOSTILE
    code, out = run(["run", str(copy), "--data-dir", str(data_dir), "--out", str(tmp_path / "again")], capsys)
    assert code == 0
    assert "H4" in out and "skipped" in out  # the summary table
    assert "results by role" in out and "adj. p" in out and "primary" in out
    assert (tmp_path / "again" / "results.json").read_bytes() == (plain / "results.json").read_bytes()
    page = (tmp_path / "again" / "map.html").read_text(encoding="utf-8")
    assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_map_is_interactive_and_self_contained(plain):
    page = (plain / "map.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=", page) and not re.search(r"<link[^>]*\bhref=", page)
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)  # Leaflet's own code mentions <img
    assert "<img" not in markup and "onerror" not in markup.lower()
    data = json.loads(re.search(r'<script type="application/json" id="bs-data">(.*?)</script>', page, re.S).group(1))
    remains = [layer for layer in data["layers"] if layer["cluster"]]
    assert len(remains) == 1 and remains[0]["n"] > 4000
    for source in ("Pima County", "International Boundary and Water Commission"):
        assert source in page
    assert "Remains are recorded where they were found" in page


def test_towers_and_dem_make_h1_and_h3_run(full):
    out, towers, dem = full
    tests = outcomes_by_id(out)
    assert tests["H1"]["status"] == "ran" and tests["H3"]["status"] == "ran"
    assert tests["H1"]["n"] > 0 and tests["H3"]["n"] > 0
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    by_role = {i["role"]: i for i in prov["inputs"]}
    assert by_role["dem"]["files"][0]["sha256"] == sha256_file(dem)
    # a user's tower file is read with the eff-towers reader but credited to the file, not to EFF (issue 18)
    assert by_role["towers"]["source"] == "file" and "'eff-towers'" in by_role["towers"]["read_with"]
    assert by_role["towers"]["credit"].startswith(
        f"user-supplied file my_towers.csv (sha256 {sha256_file(towers)[:12]}"
    )
    assert by_role["towers"]["files"][0]["sha256"] == sha256_file(towers)
    assert prov["missing"] == {}
    assert (out / "figures" / "coverage_growth.svg").is_file()
    assert "towers" in (out / "map.html").read_text(encoding="utf-8")


def test_prepare_dem_reprojects_and_clips_against_a_closed_form():
    """A plane z = 1000 + 2000·(lon + 111) + 3000·(lat − 31.5) in degrees; bilinear resampling of a
    plane is exact, so each output cell must equal the plane at its centre's lon/lat."""
    study = load_study("arizona-sonora")
    res = 0.001
    lon0, lat0 = -111.6, 31.6
    cols, rows = 300, 250
    lon = lon0 + (np.arange(cols) + 0.5) * res
    lat = lat0 - (np.arange(rows) + 0.5) * res
    grid = 1000 + 2000 * (lon[None, :] + 111) + 3000 * (lat[:, None] - 31.5)
    raster = Raster(grid.astype("float64"), Affine(res, 0, lon0, 0, -res, lat0), "EPSG:4326")
    out = prepare_dem(raster, study)
    assert out.crs == working_crs(study) and out.res == pytest.approx((90.0, 90.0))
    r, c = np.nonzero(out.valid_mask())
    assert len(r) > 1000
    x, y = out.xy(r, c)
    plon, plat = Transformer.from_crs(out.crs, "EPSG:4326", always_xy=True).transform(x, y)
    inner = (
        (plon > lon0 + 2 * res)
        & (plon < lon0 + (cols - 2) * res)
        & (plat < lat0 - 2 * res)
        & (plat > lat0 - (rows - 2) * res)
    )
    expected = 1000 + 2000 * (plon + 111) + 3000 * (plat - 31.5)
    err = np.abs(out.array[r, c][inner] - expected[inner])
    # GDAL's warper approximates the transformation to 0.125 source cells; one cell is at most
    # 3 m of this plane (3000 m/degree × 0.001°), hence 0.125 × 3 × √2 ≈ 0.53 m at worst
    assert err.max() < 0.53  # a half-cell shift would give errors of 1–1.5 m


def test_prepare_dem_clips_to_the_study_bbox(tmp_path):
    study = load_study("arizona-sonora")
    # a DEM straddling the study's southern edge (31.3°N): cells south of it become missing
    dem = Raster(np.full((400, 300), 700.0, dtype="float32"), Affine(90, 0, 440_000, 0, -90, 3_480_000), "EPSG:32612")
    out = prepare_dem(dem, study)
    r, c = np.nonzero(out.valid_mask())
    x, y = out.xy(r, c)
    _, lat = Transformer.from_crs(out.crs, "EPSG:4326", always_xy=True).transform(x, y)
    assert lat.min() >= study.bbox[1] and (~out.valid_mask()).any()


def test_study_file_paths_are_read_relative_to_the_study(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    shipped = (resources.files("borderscape.analyses") / "studies" / "arizona-sonora.toml").read_text(encoding="utf-8")
    (tmp_path / "layers").mkdir()
    make_towers(tmp_path / "layers" / "towers_2024.csv")
    text = shipped.replace('towers = "eff-towers"', 'towers = "layers/towers_2024.csv"')
    text = text.replace('roads = "tiger-roads-az"', 'roads = "layers/no_such_roads.shp"')
    (tmp_path / "mine.toml").write_text(text, encoding="utf-8")
    study = load_study(tmp_path / "mine.toml")
    assembled = assemble_inputs(study, data_dir=data_dir)
    towers = assembled.inputs.get("towers")
    assert towers.source == "eff-towers" and len(towers.frame) == 12
    record = {r.role: r for r in assembled.records}["towers"]
    assert record.files[0]["path"] == str((tmp_path / "layers" / "towers_2024.csv").resolve())
    assert record.files[0]["how"] == "given (study file)"
    assert assembled.inputs.get("roads") is None
    reason = assembled.inputs.missing["roads"]
    assert "'layers/no_such_roads.shp'" in reason and "catalog id" in reason and str(tmp_path) not in reason
    assert "--dem" in assembled.inputs.missing["dem"] and str(data_dir) not in assembled.inputs.missing["dem"]


def test_dem_tiles_found_in_the_mirror_are_mosaicked(tmp_path, monkeypatch):
    """A Copernicus-named 1° tile in the mirror becomes the study's DEM on its grid (UTM, 90 m)."""
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    n = 120  # 30 arc-second cells; elevation = 100 × column index (west → east)
    tile = np.tile(np.arange(n, dtype="float32") * 100, (n, 1))
    Raster(tile, Affine(1 / n, 0, -112.0, 0, -1 / n, 32.0), "EPSG:4326").write(
        mirror / "Copernicus_DSM_COG_10_N31_00_W112_00_DEM.tif"
    )
    shipped = (resources.files("borderscape.analyses") / "studies" / "arizona-sonora.toml").read_text(encoding="utf-8")
    small = shipped.replace("bbox = [-114.9, 31.3, -109.0, 34.0]", "bbox = [-111.9, 31.4, -111.6, 31.7]")
    (tmp_path / "small.toml").write_text(small, encoding="utf-8")
    study = load_study(tmp_path / "small.toml")
    assembled = assemble_inputs(study, data_dir=mirror)
    dem = assembled.inputs.dem()
    assert dem.crs == working_crs(study) and dem.res == pytest.approx((90.0, 90.0))
    r, c = np.nonzero(dem.valid_mask())
    x, y = dem.xy(r, c)
    lon, _ = Transformer.from_crs(dem.crs, "EPSG:4326", always_xy=True).transform(x, y)
    expected = (lon + 112.0) * n * 100 - 50  # bilinear between cell centres of the tile
    inner = (lon > -111.88) & (lon < -111.62)
    assert np.abs(dem.array[r, c][inner] - expected[inner]).max() < 10  # < 0.1 cell of 100 m steps
    record = {r.role: r for r in assembled.records}["dem"]
    assert record.source == "dem-copernicus" and record.files[0]["how"] == "mirror"
    assert "deaths" in assembled.inputs.missing and "pcome" in assembled.inputs.missing["deaths"]


def test_no_name_of_the_dead_in_any_output(plain, full, data_dir):
    forms = name_forms(data_dir)
    assert len(forms) > 4000
    leaks = {}
    for folder in (plain, full[0]):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".png"):
            text = path.read_bytes().decode("utf-8", errors="replace")
            if path.suffix == ".parquet":
                text = parquet_text(path)
            n = count_names(text, forms)
            if n:
                leaks[str(path.relative_to(folder))] = n
    assert not leaks, f"names found (counts per output): {leaks}"


def test_errors_are_typed(tmp_path, data_dir, capsys):
    code, out = run(["run", "no-such-study", "--data-dir", str(data_dir), "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and "no shipped study" in out and "arizona-sonora" in out
    broken = tmp_path / "dem.tif"
    broken.write_text("not a raster")
    code, out = run(
        ["run", "arizona-sonora", "--data-dir", str(data_dir), "--dem", str(broken), "--out", str(tmp_path / "y")],
        capsys,
    )
    assert code == 2 and "error:" in out and "Traceback" not in out
    far = make_dem(tmp_path / "far.tif")
    moved = Raster.read(far)
    moved = Raster(moved.array, Affine(90, 0, 440_000, 0, -90, 5_000_000), "EPSG:32612")
    moved.write(tmp_path / "north.tif")
    code, out = run(
        [
            "run",
            "arizona-sonora",
            "--data-dir",
            str(data_dir),
            "--dem",
            str(tmp_path / "north.tif"),
            "--out",
            str(tmp_path / "z"),
        ],
        capsys,
    )
    assert code == 2 and "overlap" in out
    code, out = run(
        [
            "run",
            "arizona-sonora",
            "--data-dir",
            str(data_dir),
            "--towers",
            str(tmp_path / "none.csv"),
            "--out",
            str(tmp_path / "w"),
        ],
        capsys,
    )
    assert code == 2 and "does not exist" in out
    assert not (tmp_path / "y").exists() and not (tmp_path / "z").exists()


def test_several_studies_at_once_on_two_workers_equal_each_run_alone(plain, data_dir, tmp_path, monkeypatch, capsys):
    pytest.importorskip("distributed")
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(plain.parent / "cache"))
    code, out = run(
        ["run", "arizona-sonora", "western-med", "--data-dir", str(data_dir), "--out", str(tmp_path), "--workers", "2"],
        capsys,
    )
    assert code == 0, out
    assert (tmp_path / "arizona-sonora" / "results.json").read_bytes() == (plain / "results.json").read_bytes()
    med = json.loads((tmp_path / "western-med" / "results.json").read_text())
    assert med["study"] == "western-med" and any(t["status"] == "ran" for t in med["tests"])
    assert "outputs written to" in out and out.count("results by role") == 2
    # two studies of one name would write into one folder
    code, out = run(
        ["run", "arizona-sonora", "arizona-sonora", "--data-dir", str(data_dir), "--out", str(tmp_path / "twice")],
        capsys,
    )
    assert code == 2 and "two studies are named arizona-sonora" in out


# -- compute once, render many times -----------------------------------------------------------


def test_python_api_gives_the_cli_results_and_writes_nothing(plain, data_dir, tmp_path, monkeypatch):
    """``bs.run(bs.load_study(...))`` in a notebook: the same ``results`` as results.json of the
    command line, and no file written anywhere under the working folder."""
    import borderscape as bs

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(plain.parent / "cache"))
    s = bs.load_study("arizona-sonora")
    r = bs.run(s, data_dir=data_dir)
    assert not list(tmp_path.iterdir())
    expected = json.loads((plain / "results.json").read_text(encoding="utf-8"))
    assert json.loads(json.dumps(r.results)) == expected
    assert r.test("H2.road_distance")["estimate"] == pytest.approx(
        outcomes_by_id(plain)["H2.road_distance"]["estimate"]
    )
    with pytest.raises(KeyError, match="H2.road_distance"):
        r.test("H9")
    written = r.write(tmp_path / "again")
    assert (written.out / "results.json").read_bytes() == (plain / "results.json").read_bytes()
    assert (written.out / "study.json").read_bytes() == (plain / "study.json").read_bytes()


def test_the_parts_are_reachable_after_import_without_slowing_help():
    code = (
        "import sys, borderscape as bs; assert 'borderscape.analyses' not in sys.modules; "
        "bs.geo.raster, bs.layers.catalog, bs.analyses.stats; print(bs.run.__module__, bs.Result.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["borderscape.pipeline", "Result"]
    assert "load_study" in dir(__import__("borderscape"))


def test_map_and_brief_render_from_the_run_folder_without_recomputing(plain, tmp_path, monkeypatch, capsys):
    import borderscape.analyses.battery as battery
    import borderscape.analyses.inputs as inputs

    def refuse(*args, **kwargs):
        raise AssertionError("rendering a run folder must not recompute")

    monkeypatch.setattr(battery, "run_battery", refuse)
    monkeypatch.setattr(inputs, "assemble_inputs", refuse)
    code, _ = run(["map", "--from", str(plain), "--out", str(tmp_path / "m.html"), "--self-contained"], capsys)
    assert code == 0
    assert (tmp_path / "m.html").read_bytes() == (plain / "map.html").read_bytes()  # the same layers, byte for byte
    code, out = run(["brief", "--from", str(plain), "--out", str(tmp_path / "brief")], capsys)
    assert code == 0, out
    page = (tmp_path / "brief" / "brief.html").read_text(encoding="utf-8")
    assert load_study("arizona-sonora").title in page
    link = Path("..") / ".." / plain.parent.name / plain.name
    assert f'href="{link.as_posix()}/results.json"' in page or f'/{plain.name}/results.json"' in page
    assert (tmp_path / "brief" / "brief.pdf").read_bytes().startswith(b"%PDF")
    # a folder that is not a run folder: a typed error with the remedy
    code, out = run(["map", "--from", str(tmp_path), "--out", str(tmp_path / "x.html")], capsys)
    assert code == 2 and "not a complete run folder" in out and "borderscape run" in out
    code, out = run(["brief", "arizona-sonora", "--from", str(plain), "--out", str(tmp_path / "b2")], capsys)
    assert code == 2 and "one of the two" in out


def test_a_rerun_swaps_the_folder_in_whole(plain, tmp_path, monkeypatch):
    """Writing into an existing run folder replaces it whole: a file of the old run that the new
    one does not write is gone, and no temporary sibling is left."""
    import shutil

    from borderscape.runfolder import read_run

    folder = tmp_path / "az"
    shutil.copytree(plain, folder)
    (folder / "tables" / "stale_from_an_old_run.csv").write_text("x\n1\n")
    (tmp_path / ".az.partial-deadbeef").mkdir()  # left by a killed run
    run_folder = read_run(folder)
    result_before = (folder / "results.json").read_bytes()
    import borderscape as bs

    r = bs.run("arizona-sonora", data_dir=json.loads((plain / "provenance.json").read_text())["options"]["data_dir"])
    r.write(folder)
    assert not (folder / "tables" / "stale_from_an_old_run.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["az"]
    assert (folder / "results.json").read_bytes() == result_before
    assert run_folder.results["study"] == "arizona-sonora"
