"""``borderscape terrain cost``: files in, files out, same numbers as the library, typed errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from borderscape.cli import main
from borderscape.geo.costdistance import accumulated_cost, least_cost_paths
from borderscape.geo.raster import Raster
from borderscape.geo.synthetic import fractal_dem


@pytest.fixture()
def files(tmp_path):
    dem = fractal_dem((60, 80), rng=np.random.default_rng(11), relief=300)
    dem.write(tmp_path / "dem.tif")
    left, bottom, right, top = dem.bounds
    border = gpd.GeoDataFrame(
        {"name": ["border"]}, geometry=[shapely.LineString([(left, bottom + 200), (right, bottom + 900)])], crs=dem.crs
    )
    border.to_crs("EPSG:4326").to_file(tmp_path / "border.geojson")  # lon/lat file, reprojected
    border = gpd.read_file(tmp_path / "border.geojson")  # as the command reads it
    tx, ty = dem.xy(np.array([3, 10, 30]), np.array([5, 70, 40]))
    targets = gpd.GeoDataFrame({"id": [1, 2, 3]}, geometry=gpd.points_from_xy(tx, ty), crs=dem.crs)
    targets.to_file(tmp_path / "targets.gpkg")
    return dem, border, targets, tmp_path


def test_cost_and_paths_match_the_library(files, capsys):
    dem, border, targets, d = files
    rc = main(
        [
            "terrain",
            "cost",
            str(d / "dem.tif"),
            "--sources",
            str(d / "border.geojson"),
            "--model",
            "pandolf",
            "--param",
            "W=80",
            "--param",
            "L=20",
            "--neighbours",
            "16",
            "--out",
            str(d / "out" / "cost.tif"),
            "--paths-to",
            str(d / "targets.gpkg"),
            "--paths-out",
            str(d / "out" / "paths.gpkg"),
        ]
    )
    assert rc == 0
    assert "kJ" in capsys.readouterr().out
    expect = accumulated_cost(dem, border, model="pandolf", params={"W": 80, "L": 20}, neighbours=16)
    got = Raster.read(d / "out" / "cost.tif")
    np.testing.assert_array_equal(got.array, expect.cost.array)
    assert got.crs == dem.crs
    paths = gpd.read_file(d / "out" / "paths.gpkg")
    want = least_cost_paths(expect, targets)
    np.testing.assert_allclose(paths["cost"], want["cost"].to_numpy())
    assert all(a.equals_exact(b, 1e-6) for a, b in zip(paths.geometry, want.geometry))
    assert sorted(p.name for p in (d / "out").iterdir()) == ["cost.tif", "paths.gpkg"]  # no temp files left


def test_barriers_cut_off_and_travel(files):
    dem, border, _, d = files
    wall = np.zeros(dem.shape, np.uint8)
    wall[:, 40] = 1
    dem.with_array(wall, nodata=None).write(d / "wall.tif")
    rc = main(
        [
            "terrain",
            "cost",
            str(d / "dem.tif"),
            "--sources",
            str(d / "border.geojson"),
            "--model",
            "rwalk",
            "--barriers",
            str(d / "wall.tif"),
            "--max-cost",
            "2000",
            "--travel",
            "to-sources",
            "--out",
            str(d / "c.tif"),
        ]
    )
    assert rc == 0
    expect = accumulated_cost(
        dem, border, model="rwalk", barriers=wall.astype(bool), max_cost=2000, travel="to_sources"
    )
    np.testing.assert_array_equal(Raster.read(d / "c.tif").array, expect.cost.array)
    assert np.all(np.isnan(Raster.read(d / "c.tif").array[:, 40]))


@pytest.mark.parametrize(
    "args,message",
    [
        (["--model", "donkey"], "tobler, pandolf, naismith, irmischer, rwalk"),
        (["--model", "pandolf", "--param", "mass=80"], "valid parameters: W"),
        (["--param", "off_path"], "NAME=VALUE"),
        (["--paths-to", "{d}/targets.gpkg"], "go together"),
    ],
)
def test_typed_errors(files, capsys, args, message):
    _, _, _, d = files
    args = [a.format(d=d) for a in args]
    rc = main(
        [
            "terrain",
            "cost",
            str(d / "dem.tif"),
            "--sources",
            str(d / "border.geojson"),
            "--out",
            str(d / "x.tif"),
            *args,
        ]
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert "error:" in err and message in err and "Traceback" not in err
    assert not (d / "x.tif").exists()


def test_sources_without_crs_are_refused(files, capsys):
    dem, border, _, d = files
    bare = border.copy()
    bare = bare.set_crs(None, allow_override=True)
    with pytest.warns(UserWarning, match="crs"):
        bare.to_file(d / "bare.shp")
    rc = main(["terrain", "cost", str(d / "dem.tif"), "--sources", str(d / "bare.shp"), "--out", str(d / "x.tif")])
    assert rc == 2 and "no CRS" in capsys.readouterr().err
