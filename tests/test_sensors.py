"""One rule for whether a sensor is active on a day (borderscape.geo.viewshed.active_at), on land and at sea.

``active_to`` is the last day a sensor is active (the sensors schema): a sensor whose
``active_to`` is day D counts on D and not on D + 1, in the desert's epochs and coverage
(analyses/sensors.py: Deployment, epoch_coverage) as in the sea's coverage and distances
(sensors.sea_coverage, sea.distance_to_active_areas).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from borderscape.analyses.sea import distance_to_active_areas
from borderscape.analyses.sensors import deployment, epoch_coverage, sea_coverage
from borderscape.analyses.worlds import simulate_world, world_study
from borderscape.geo.raster import Raster
from borderscape.geo.viewshed import active_at

D = pd.Timestamp("2015-06-30")
NEXT = D + pd.Timedelta(days=1)


def test_active_at_counts_the_last_day_and_not_the_next():
    start = np.array(["2010-01-01", "NaT"], dtype="datetime64[D]")
    stop = np.array([D.date().isoformat(), "NaT"], dtype="datetime64[D]")
    days = np.array([D.date().isoformat(), NEXT.date().isoformat()], dtype="datetime64[D]")
    np.testing.assert_array_equal(active_at(2, start, stop, days), [[True, False], [True, True]])
    # compared by day: a time of day on the last day still counts
    late = np.datetime64(D + pd.Timedelta(hours=23))
    assert active_at(2, start, stop, late)[0]


@pytest.fixture(scope="module")
def world():
    return simulate_world(seed=0, alpha=0.0, size=64, walkers=50)


def test_desert_a_tower_counts_on_its_last_day_and_not_the_next(world):
    study = world_study(world)
    frame = world.towers.frame.copy()
    frame["active_to"] = pd.NaT
    frame.loc[frame.index[0], "active_from"] = pd.Timestamp("2011-01-01")
    frame.loc[frame.index[0], "active_to"] = D
    dep = deployment(study, frame, world.dem)
    assert dep.x.size == len(frame)
    assert np.datetime64(NEXT.date(), "D") in dep.changes  # the set changes the day after the last day
    k_last, k_next = dep.epoch_of(np.array([D, NEXT], dtype="datetime64[D]"))
    assert k_last != k_next
    assert dep.active(k_last)[0] and not dep.active(k_next)[0]
    assert (dep.active(k_last)[1:] == dep.active(k_next)[1:]).all()  # nothing else changes on D + 1
    cov = epoch_coverage(dep, world.dem, [k_last, k_next])
    seen_last, seen_next = cov[k_last].array, cov[k_next].array
    assert (seen_last >= seen_next).all() and (seen_last - seen_next).sum() > 0


def _grid() -> Raster:
    return Raster(
        np.zeros((60, 60), np.int32),
        Affine(2000.0, 0, 300_000.0, 0, -2000.0, 4_000_000.0),
        CRS.from_user_input("EPSG:32633"),
        None,
    )


def test_sea_an_area_counts_on_its_last_day_and_not_the_next():
    grid = _grid()
    area = gpd.GeoDataFrame(
        {"active_from": pd.to_datetime(["2014-01-01"]), "active_to": [D]},
        geometry=[shapely.box(300_000 + 20_000, 4_000_000 - 100_000, 300_000 + 100_000, 4_000_000 - 20_000)],
        crs=grid.crs,
    ).to_crs("EPSG:4326")
    last, nxt = sea_coverage([D, NEXT], grid, areas=area)
    assert last.count.array.sum() > 0 and "1 operational area(s) active" in last.note
    assert nxt.count.array.sum() == 0 and "0 operational area(s) active" in nxt.note
    inside = area.geometry.iloc[0].centroid
    pts = gpd.GeoDataFrame({"date": [D, NEXT]}, geometry=[inside, inside], crs="EPSG:4326")
    d = distance_to_active_areas(pts, area, crs="EPSG:32633")
    assert d[0] == 0.0 and np.isnan(d[1])


def test_sea_a_track_counts_on_its_last_day_and_not_the_next():
    grid = _grid()
    track = gpd.GeoDataFrame(
        {"swath_m": [10_000.0], "active_from": [pd.NaT], "active_to": [D]},
        geometry=[shapely.LineString([(330_000, 3_950_000), (380_000, 3_950_000)])],
        crs=grid.crs,
    ).to_crs("EPSG:4326")
    last, nxt = sea_coverage([D, NEXT], grid, tracks=track)
    assert last.count.array.sum() > 0 and nxt.count.array.sum() == 0
