"""`borderscape terrain viewshed`: counts written as a GeoTIFF, per-feature overrides, typed errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from borderscape.cli.terrain_viewshed import viewshed as viewshed_cmd
from borderscape.geo.raster import Raster
from borderscape.geo.synthetic import fractal_dem
from borderscape.geo.viewshed import coverage_count


@pytest.fixture
def world(tmp_path):
    dem = fractal_dem((80, 90), relief=200, beta=4.0, rng=np.random.default_rng(7))
    dem_path = dem.write(tmp_path / "dem.tif")
    x, y = dem.xy(np.array([10, 40, 70]), np.array([20, 45, 80]))
    sensors = gpd.GeoDataFrame(
        {"name_of_site": ["a", "b", "c"]}, geometry=[Point(a, b) for a, b in zip(x, y)], crs=dem.crs
    )
    return dem, dem_path, sensors, x, y


def run(args):
    return CliRunner().invoke(viewshed_cmd, [str(a) for a in args], catch_exceptions=True)


def test_counts_match_the_library(world, tmp_path):
    dem, dem_path, sensors, x, y = world
    path = tmp_path / "s.geojson"
    sensors.to_crs(4326).to_file(path)  # lon/lat input is reprojected to the DEM's CRS
    out = tmp_path / "out" / "count.tif"
    res = run([dem_path, "--sensors", path, "--height", 20, "--range", 1200, "--target-height", 1.7, "--out", out])
    assert res.exit_code == 0, res.output
    got = Raster.read(out)
    expected = coverage_count(dem, x, y, 20.0, 1200.0, target_height=1.7).array
    np.testing.assert_array_equal(got.array, expected)
    assert got.crs.equals(dem.crs) and got.transform == dem.transform
    assert "3 sensors" in res.output
    assert not [p for p in out.parent.iterdir() if p.name != "count.tif"]  # no temporary left behind


def test_progress_bar_does_not_change_the_result(world, tmp_path, monkeypatch):
    from borderscape import settings

    dem, dem_path, sensors, x, y = world
    path = tmp_path / "s.geojson"
    sensors.to_file(path)
    monkeypatch.setattr(settings, "progress", True)
    out = tmp_path / "p.tif"
    res = run([dem_path, "--sensors", path, "--height", 20, "--range", 1200, "--out", out])
    assert res.exit_code == 0, res.output
    np.testing.assert_array_equal(Raster.read(out).array, coverage_count(dem, x, y, 20.0, 1200.0).array)


def test_columns_override_flags_and_curvature_flags(world, tmp_path):
    dem, dem_path, sensors, x, y = world
    sensors["height"] = [5.0, np.nan, 40.0]
    sensors["range"] = [800.0, 1500.0, 2000.0]
    path = tmp_path / "s.gpkg"
    sensors.to_file(path)
    out = tmp_path / "c.tif"
    res = run([dem_path, "--sensors", path, "--height", 12, "--no-curvature", "--out", out])
    assert res.exit_code == 0, res.output
    expected = coverage_count(
        dem, x, y, np.array([5.0, 12.0, 40.0]), np.array([800.0, 1500.0, 2000.0]), curvature=False
    ).array
    np.testing.assert_array_equal(Raster.read(out).array, expected)
    res = run([dem_path, "--sensors", path, "--refraction", 0.25, "--out", out])
    assert res.exit_code != 0  # the missing height has no default now
    assert "height" in str(res.exception)


def test_csv_with_crs_and_date_filter(world, tmp_path):
    dem, dem_path, sensors, x, y = world
    table = pd.DataFrame(
        {"x": x, "y": y, "active_from": ["2010-01-01", "2010-01-01", "2018-01-01"], "active_to": ["2012-01-01", "", ""]}
    )
    path = tmp_path / "s.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "c.tif"
    res = run([dem_path, "--sensors", path, "--height", 15, "--range", 1000, "--date", "2015-05-01", "--out", out])
    assert res.exit_code != 0 and "CRS" in str(res.exception)  # a CSV carries no CRS
    res = run(
        [
            dem_path,
            "--sensors",
            path,
            "--sensors-crs",
            "EPSG:32612",
            "--height",
            15,
            "--range",
            1000,
            "--date",
            "2015-05-01",
            "--out",
            out,
        ]
    )
    assert res.exit_code == 0, res.output
    only_b = coverage_count(dem, x[1:2], y[1:2], 15.0, 1000.0).array
    np.testing.assert_array_equal(Raster.read(out).array, only_b)


def test_typed_errors_reach_the_user_as_messages(world, tmp_path):
    pytest.importorskip("borderscape.cli.terrain_cost")  # the `terrain` group also mounts `cost`
    from borderscape.cli import main

    dem, dem_path, sensors, x, y = world
    far = gpd.GeoDataFrame(geometry=[Point(x[0] + 1e6, y[0])], crs=dem.crs)
    path = tmp_path / "far.geojson"
    far.to_file(path)
    code = main(
        [
            "terrain",
            "viewshed",
            str(dem_path),
            "--sensors",
            str(path),
            "--height",
            "10",
            "--range",
            "500",
            "--out",
            str(tmp_path / "o.tif"),
        ]
    )
    assert code == 2
    code = main(["terrain", "viewshed", str(dem_path), "--sensors", str(path), "--out", str(tmp_path / "o.tif")])
    assert code == 2
    assert not (tmp_path / "o.tif").exists()
