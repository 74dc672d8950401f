"""Parts fail alone (issue 16): a hypothesis or a figure that cannot be computed is skipped with
its reason, and the run completes; a bug still fails the run."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from test_run import DEM_ORIGIN, make_dem, make_towers

from borderscape import figures
from borderscape.analyses import battery
from borderscape.analyses.battery import run_battery
from borderscape.analyses.battery.common import Section
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult
from borderscape.analyses.study import load_study
from borderscape.cli import main
from borderscape.errors import InputError
from borderscape.geo.errors import BorderscapeError
from borderscape.geo.raster import Raster

ETOPO1 = "etopo1-0.1deg-relief-subsets/etopo1_0.1deg_arizona_sonora_116W-106W_29N-35N.tif"


def outcomes(out: Path) -> dict[str, dict]:
    return {t["id"]: t for t in json.loads((out / "results.json").read_text(encoding="utf-8"))["tests"]}


def _typed(study, inputs, rng):
    raise InputError("the hardship layer is unusable here", remedy="supply a better one")


def _singular(study, inputs, rng):
    raise np.linalg.LinAlgError("Singular matrix")


def _ran(prefix: str):
    def hypothesis(study, inputs, rng):
        result = StatResult(name="x", estimate=1.0, ci=(0.0, 2.0), p_value=0.5, n=3, statistic=1.0, method="m")
        return Section([Outcome.ran(prefix, result)])

    return hypothesis


# -- the battery -------------------------------------------------------------------------------------


def test_run_battery_skips_typed_errors_and_failed_fits_alone():
    study = load_study("arizona-sonora")

    def bug(study, inputs, rng):
        return {}["no such key"]

    funcs = [("H1", _ran("H1")), ("H2", _typed), ("H3", _singular), ("H4", _ran("H4"))]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(battery, "FUNNEL", funcs)
        result = run_battery(study, StudyInputs({}))
        by_id = {o.id: o for o in result.outcomes}
        # each question keeps its declared primary: a skipped one, with the reason, where it did not run
        declared = {q: study.endpoints[q].result for q in ("H1", "H2", "H3", "H4")}
        assert [o.id for o in result.outcomes] == [
            i for q in ("H1", "H2", "H3", "H4") for i in dict.fromkeys((declared[q], q))
        ]
        assert by_id["H1"].status == by_id["H4"].status == "ran"
        assert by_id["H2"].status == "skipped" and by_id["H2"].role == "secondary"
        assert "unusable here" in by_id["H2"].reason and "supply a better one" in by_id["H2"].reason
        primary = by_id[declared["H2"]]
        assert primary.role == "primary" and primary.status == "skipped" and "unusable here" in primary.reason
        assert [o.id for o in result.outcomes if o.role == "primary"] == list(declared.values())
        assert by_id["H3"].status == "skipped" and "LinAlgError" in by_id["H3"].reason
        assert by_id["H2"].name.startswith("H2")
        # a bug is not hidden
        mp.setattr(battery, "FUNNEL", [("H1", _ran("H1")), ("H2", bug)])
        with pytest.raises(KeyError):
            run_battery(study, StudyInputs({}))


def test_skippable_errors_are_typed_or_numerical():
    assert BorderscapeError in battery.SKIPPABLE and np.linalg.LinAlgError in battery.SKIPPABLE
    for bug in (KeyError, TypeError, AttributeError, AssertionError, IndexError):
        assert not issubclass(bug, battery.SKIPPABLE)


@pytest.fixture(scope="module")
def patched_run(data_dir, tmp_path_factory):
    """``borderscape run arizona-sonora`` with H2 raising a typed error, H5 a LinAlgError and the
    study-area map raising a ValueError."""
    out = tmp_path_factory.mktemp("patched") / "az"
    funcs = [(p, {"H2": _typed, "H5": _singular}.get(p, f)) for p, f in battery.FUNNEL]

    def broken_map(*args, **kwargs):
        raise ValueError("odd geometry in the map")

    logs: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logs.append(record)

    handler = Keep(level=logging.WARNING)
    logging.getLogger("borderscape.output").addHandler(handler)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("BORDERSCAPE_CACHE", str(out.parent / "cache"))
            mp.setattr(battery, "FUNNEL", funcs)
            mp.setattr(figures, "study_area_map", broken_map)
            code = main(["run", "arizona-sonora", "--data-dir", str(data_dir), "--out", str(out)])
    finally:
        logging.getLogger("borderscape.output").removeHandler(handler)
    return code, out, logs


def test_a_hypothesis_that_raises_a_typed_error_is_skipped_and_the_others_run(patched_run):
    code, out, _ = patched_run
    assert code == 0
    tests = outcomes(out)
    assert tests["H2"]["status"] == "skipped"
    assert "unusable here" in tests["H2"]["reason"] and "supply a better one" in tests["H2"]["reason"]
    # nothing of H2 ran: only its declared primary, skipped with the same reason
    assert {k: (t["status"], t["role"]) for k, t in tests.items() if k.startswith("H2.")} == {
        load_study("arizona-sonora").endpoints["H2"].result: ("skipped", "primary")
    }
    assert tests["H5"]["status"] == "skipped" and "LinAlgError" in tests["H5"]["reason"]
    assert tests["H4"]["status"] == "ran" and tests["H4.rate_ratio"]["status"] == "ran"
    assert tests["H1"]["status"] == tests["H3"]["status"] == "skipped"  # no towers, no DEM: as before


def test_a_figure_that_fails_is_skipped_and_the_rest_is_written(patched_run):
    code, out, logs = patched_run
    assert code == 0
    assert not (out / "figures" / "study_area.png").exists() and not (out / "figures" / "study_area.svg").exists()
    assert (out / "figures" / "mortality_per_encounter.png").stat().st_size > 0
    assert (out / "map.html").stat().st_size > 0 and (out / "provenance.json").is_file()
    assert any("study_area" in r.getMessage() and "odd geometry" in r.getMessage() for r in logs)
    outputs = json.loads((out / "provenance.json").read_text(encoding="utf-8"))["outputs"]
    assert "figures/mortality_per_encounter.png" in outputs and "figures/study_area.png" not in outputs


def test_write_figures_returns_paths_and_the_skipped(tmp_path, monkeypatch):
    from borderscape.output import write_figures

    study = load_study("arizona-sonora")

    class Assembled:
        records: list = []
        inputs = StudyInputs({})

    def broken(*args, **kwargs):
        raise InputError("no extent")

    monkeypatch.setattr(figures, "study_area_map", broken)
    empty = battery.Battery((), {}, {})
    files = write_figures(tmp_path, study, Assembled(), empty, simulated=False)  # type: ignore[arg-type]
    assert list(files) == [] and isinstance(files, list)
    assert [(s.stem, s.reason.split(":")[0]) for s in files.skipped] == [("study_area", "InputError")]
    combined: list[Path] = []
    combined += files  # what write_run does
    assert combined == []


# -- odd inputs ---------------------------------------------------------------------------------------


def _non_point_towers(path: Path) -> Path:
    """Six towers as LineStrings and Polygons (GeoJSON, EPSG:4326) inside the generated DEM."""
    to_geo = Transformer.from_crs("EPSG:32612", "EPSG:4326", always_xy=True)
    rng = np.random.default_rng(3)
    features = []
    for j in range(6):
        x0 = DEM_ORIGIN[0] + rng.uniform(4000, 20_000)
        y0 = DEM_ORIGIN[1] - rng.uniform(4000, 15_000)
        xs, ys = to_geo.transform([x0, x0 + 500, x0 + 500, x0], [y0, y0, y0 + 500, y0 + 500])
        coords = list(zip(xs, ys))
        geom = shapely.LineString(coords[:2]) if j % 2 else shapely.Polygon(coords)
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {"type": "IFT", "height_m": 30, "range_m": 8000, "installed": "2010-06-01"},
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_towers_given_as_lines_and_polygons_do_not_take_the_run_down(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    towers = _non_point_towers(tmp_path / "towers.geojson")
    dem = make_dem(tmp_path / "dem.tif")
    out = tmp_path / "az"
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
    tests = outcomes(out)
    assert tests["H2.road_distance"]["status"] == "ran" and tests["H4"]["status"] == "ran"
    assert (out / "map.html").is_file() and (out / "figures" / "hardship_over_time.png").is_file()


@pytest.mark.slow
def test_the_coarse_etopo1_dem_runs_h3_on_its_first_row_with_data(data_dir, tmp_path, monkeypatch, capsys):
    dem = data_dir / ETOPO1
    if not dem.is_file():
        pytest.skip(f"{dem} is not in the mirror")
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    towers = make_towers(tmp_path / "towers.csv")
    out = tmp_path / "az"
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
    printed = capsys.readouterr()
    assert code == 0, printed.err
    tests = outcomes(out)
    h3 = tests["H3"]
    # after reprojection to UTM and clipping to the bbox, row 0 of the DEM is empty: H3 runs on the first row with data
    assert h3["status"] == "ran", h3["reason"]
    assert h3["parameters"]["destination_row"] > 0 and h3["n"] >= 3
    assert h3["estimate"] >= 0 and h3["parameters"]["mean_avoiding_kj"] >= h3["parameters"]["mean_unconstrained_kj"]
    print(
        f"H3 on ETOPO1: {h3['estimate']:.1f} kJ, CI {h3['ci']}, p {h3['p_value']}, n {h3['n']}, row {h3['parameters']['destination_row']}"
    )


def test_north_edge_is_the_first_row_with_data():
    from borderscape.analyses.routes import north_edge

    a = np.full((4, 5), np.nan, dtype="float32")
    a[2, 1:4] = 100.0
    a[3] = 50.0
    from affine import Affine

    r = Raster(a, Affine(90, 0, 0, 0, -90, 0), "EPSG:32612")
    target, row = north_edge(r)
    assert row == 2 and target.sum() == 3 and target[2, 1:4].all()
    a[0, 4] = 1.0
    target, row = north_edge(r.with_array(a))
    assert row == 0 and target.sum() == 1
    target, row = north_edge(r.with_array(np.full_like(a, np.nan)))
    assert row is None and not target.any()


def test_a_whole_world_bbox_completes(data_dir, tmp_path, monkeypatch, caplog):
    """A copy of the study over the whole world (coarse enough to fit the budgets; at 90 m it is
    refused before any work): the run completes, and the study-area map, whose box is degenerate
    in UTM zone 12N, is skipped with a typed error instead of dividing by zero."""
    import re

    import borderscape.analyses

    text = (Path(borderscape.analyses.__file__).parent / "studies" / "arizona-sonora.toml").read_text(encoding="utf-8")
    for key, value in (
        ("bbox", "[-180, -90, 180, 90]"),
        ("resolution_m", "20000"),
        ("permutations", "99"),
        ("hotspot_cell_m", "200000"),
    ):
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        assert n == 1, key
    study = tmp_path / "world.toml"
    study.write_text(text.replace('name = "arizona-sonora"', 'name = "world"', 1), encoding="utf-8")
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "world"
    with caplog.at_level(logging.WARNING, logger="borderscape.output"):
        code = main(["run", str(study), "--data-dir", str(data_dir), "--out", str(out)])
    assert code == 0
    tests = outcomes(out)
    assert tests["H2.road_distance"]["status"] == "ran" and tests["H4"]["status"] == "ran"
    assert (out / "map.html").is_file() and (out / "figures" / "hardship_over_time.png").is_file()
    assert not (out / "figures" / "study_area.png").exists()
    assert any("study_area" in r.getMessage() and "InputError" in r.getMessage() for r in caplog.records)


def test_a_degenerate_map_extent_is_a_typed_error():
    import geopandas as gpd

    box = gpd.GeoSeries([shapely.box(-180, -90, 180, 90)], crs="EPSG:4326").to_crs("EPSG:32612")
    with pytest.raises(InputError, match="extent"):
        figures.study_area_map({}, box=box, title="t", footer="f", cell_m=5000.0)
    cells = gpd.GeoDataFrame({"period": ["a"], "hot": [1]}, geometry=[shapely.box(0, 0, 0, 0)], crs="EPSG:32612")
    fig = figures.hotspots_by_period(cells, footer="f")  # one degenerate cell still has an extent
    import matplotlib.pyplot as plt

    plt.close(fig)
