"""Nearest joins (geo.nearest) against a closed-form case and geopandas' sjoin_nearest."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from borderscape.geo.errors import InputError
from borderscape.geo.nearest import nearest


def test_points_to_a_grid_of_vertical_lines():
    # lines x = 0, 100, 200, …, 1000: the distance is the remainder to the nearest multiple of 100
    lines = np.array([shapely.LineString([(x, -1e4), (x, 1e4)]) for x in range(0, 1001, 100)], dtype=object)
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1000, 500)
    pts = shapely.points(x, rng.uniform(-5e3, 5e3, 500))
    index, distance = nearest(pts, lines)
    want = np.abs(x - 100 * np.round(x / 100))
    np.testing.assert_allclose(distance, want, atol=1e-9)
    np.testing.assert_array_equal(index, np.round(x / 100).astype(int))
    # within 20 m only the points that near a line
    index, distance = nearest(pts, lines, max_distance=20.0)
    np.testing.assert_array_equal(index >= 0, want <= 20.0)
    assert np.isnan(distance[want > 20.0]).all()


def test_same_as_geopandas_sjoin_nearest():
    rng = np.random.default_rng(2)
    targets = gpd.GeoDataFrame(
        geometry=shapely.buffer(shapely.points(rng.uniform(0, 1e4, (300, 2))), 20.0), crs="EPSG:32612"
    )
    points = gpd.GeoDataFrame(geometry=shapely.points(rng.uniform(0, 1e4, (2_000, 2))), crs="EPSG:32612")
    ref = gpd.sjoin_nearest(points, targets, distance_col="d")
    ref = ref[~ref.index.duplicated()]  # ties: geopandas keeps all, we keep one; distances agree
    _, distance = nearest(points.geometry.values, targets.geometry.values)
    np.testing.assert_allclose(distance, ref["d"].reindex(points.index).to_numpy(), atol=1e-9)


def test_empty_inputs_and_bad_limit():
    pts = shapely.points([[0.0, 0.0], [1.0, 1.0]])
    index, distance = nearest(pts, np.array([], dtype=object))
    assert (index == -1).all() and np.isnan(distance).all()
    assert nearest(np.array([], dtype=object), pts)[0].size == 0
    with pytest.raises(InputError, match="max_distance"):
        nearest(pts, pts, max_distance=-1.0)
