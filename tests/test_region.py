"""The one study-region rule (analyses/region.py) and its use by the battery, the map and the figures.

Region: ``[region] bbox`` (EPSG:4326, edges included); period ``[periods] start`` … ``end``
(days included).  Every row left out gets one reason; the counts are exact on generated frames.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from rasterio.transform import from_origin

from borderscape.analyses import region
from borderscape.analyses.inputs import StudyInputs, prepare_dem, read_dem
from borderscape.analyses.study import load_study, working_crs
from borderscape.analyses.worlds import _layer
from borderscape.geo.raster import Raster

#: A region around El Paso (not Arizona), degrees.
BBOX = (-107.0, 31.3, -104.5, 32.5)
ETOPO_AZ = "etopo1-0.1deg-relief-subsets/etopo1_0.1deg_arizona_sonora_116W-106W_29N-35N.tif"


def _study(crs: str = "auto", **changes):
    st = load_study("arizona-sonora")
    return st.with_(name="el-paso-test", bbox=BBOX, crs=crs, **changes)


def _deaths(rng: np.random.Generator, n_in: int, n_out: int, *, extra: list | None = None):
    """``n_in`` points inside BBOX and ``n_out`` east of it, dated in 2001…2023, then ``extra``
    rows of (date, geometry, status)."""
    w, s, e, n = BBOX
    lon = np.r_[rng.uniform(w + 0.02, e - 0.02, n_in), rng.uniform(e + 0.2, e + 1.0, n_out)]
    lat = np.r_[rng.uniform(s + 0.02, n - 0.02, n_in), rng.uniform(s + 0.1, n - 0.1, n_out)]
    dates = list(pd.Timestamp("2001-01-01") + pd.to_timedelta(rng.integers(0, 365 * 23, n_in + n_out), "D"))
    geoms = list(shapely.points(lon, lat))
    status = ["kept"] * (n_in + n_out)
    for d, g, st in extra or []:
        dates.append(d)
        geoms.append(g)
        status.append(st)
    layer = _layer("deaths", pd.DataFrame({"date": dates, "dead": 1}), geoms, "EPSG:4326")
    layer.frame["status"] = status
    return layer


# -- the rule --------------------------------------------------------------------------------------


def test_counts_by_reason_are_exact():
    st = _study()
    inside = shapely.Point(-106.0, 32.0)
    rows = [
        ("2010-05-01", inside, "kept"),  # inside
        ("2000-01-01", shapely.Point(-107.0, 31.3), "kept"),  # first day, on the south-west corner: inside
        ("2024-09-30", shapely.Point(-104.5, 32.5), "repaired"),  # last day, north-east corner: inside
        ("2010-05-01", shapely.Point(-104.49, 32.0), "kept"),  # just east: outside the region
        ("2010-05-01", shapely.Point(-110.0, 32.0), "kept"),  # Arizona: outside the region
        ("1999-12-31", inside, "kept"),  # the day before the start
        ("2024-10-01", inside, "kept"),  # the day after the end
        (None, inside, "kept"),  # undated
        ("2010-05-01", None, "kept"),  # unlocated
        ("2010-05-01", shapely.Point(), "kept"),  # empty point: unlocated
        ("2010-05-01", inside, "quarantined"),  # quarantined at ingest
        (None, None, "quarantined"),  # quarantined first, whatever else
        (None, shapely.Point(-110.0, 32.0), "kept"),  # outside the region before undated
        ("1990-01-01", shapely.Point(-110.0, 32.0), "kept"),  # outside the region before the period
    ]
    frame = gpd.GeoDataFrame(
        {"date": pd.to_datetime([r[0] for r in rows]), "status": [r[2] for r in rows]},
        geometry=[r[1] for r in rows],
        crs="EPSG:4326",
    )
    sel = region.select(st, frame)
    assert sel.keep.tolist() == [True, True, True] + [False] * 11
    assert sel.counts == {
        "read": 14,
        "inside": 3,
        "quarantined": 2,
        "unlocated": 2,
        "outside the study region": 4,
        "undated": 1,
        "before the study period": 1,
        "after the study period": 1,
    }
    # the same rows in a projected CRS give the same answer (the region is tested in EPSG:4326)
    assert (region.select(st, frame.to_crs(32613)).reason == sel.reason).all()
    # counts: quarantined rows by their recorded point
    by_point = region.select(st, frame, quarantined="by point").counts
    assert by_point["inside"] == 4 and by_point["quarantined"] == 0 and by_point["unlocated"] == 3
    # the region only (no period): undated and out-of-period rows inside the box count
    assert region.select(st, frame, period=False).counts["inside"] == 6
    # a narrower window, stated by the analysis
    assert region.select(st, frame, start="2005-01-01", end="2012-12-31").counts["before the study period"] == 2


def test_counts_match_an_independent_pandas_selection():
    st = _study()
    layer = _deaths(np.random.default_rng(0), 400, 50)
    f = layer.frame
    x, y, d = f.geometry.x, f.geometry.y, pd.to_datetime(f["date"])
    w, s, e, n = BBOX
    expect = (x >= w) & (x <= e) & (y >= s) & (y <= n) & (d >= st.start.isoformat()) & (d <= st.end.isoformat())
    sel = region.select(st, layer)
    assert sel.keep.tolist() == expect.tolist() and sel.counts["inside"] == 400
    assert sum(sel.excluded.values()) == 50 == sel.counts["outside the study region"]
    assert "400 of 450 records" in region.summary_line(region.record_counts(st, {"deaths": layer}))


# -- one region everywhere: battery, map, figure ----------------------------------------------------


def _dem(st, res: float = 1500.0) -> Raster:
    crs = working_crs(st)
    box = gpd.GeoSeries([shapely.box(*BBOX)], crs=4326).to_crs(crs).total_bounds
    nx, ny = int((box[2] - box[0]) // res) + 2, int((box[3] - box[1]) // res) + 2
    yy, xx = np.mgrid[0:ny, 0:nx]
    z = 1200 + 80 * np.sin(xx / 6.0) + 40 * np.cos(yy / 4.0) + 3 * xx
    return Raster(z.astype("float32"), from_origin(box[0] - res, box[3] + res, res, res), crs)


def test_a_non_arizona_region_is_honoured_by_battery_map_and_figure(tmp_path):
    import matplotlib.pyplot as plt

    from borderscape import output
    from borderscape.analyses.battery import run_battery
    from borderscape.analyses.inputs import Assembled

    st = _study(resolution_m=1500)
    rng = np.random.default_rng(3)
    # 523 inside, 30 outside, one row without coordinates (kept by the ingest), one empty point
    layer = _deaths(
        rng, 523, 30, extra=[(pd.Timestamp("2010-01-01"), None, "kept"), (pd.Timestamp("2011-01-01"), None, "kept")]
    )
    months = pd.period_range("2000-01", "2024-09", freq="M").to_timestamp()
    encounters = _layer(
        "table",
        pd.DataFrame(
            {
                "month": months,
                "encounters": rng.integers(5000, 20000, len(months)).astype(float),
                "area_of_responsibility": "Tucson Sector",
            }
        ),
        None,
        None,
    )
    inputs = StudyInputs({"deaths": layer, "encounters": encounters, "dem": _dem(st)})
    battery = run_battery(st, inputs, seed=1)
    assert battery.records["deaths"]["inside"] == 523
    assert battery.records["deaths"]["outside the study region"] == 30
    assert battery.records["deaths"]["unlocated"] == 2
    by_id = {o.id: o for o in battery.outcomes}
    assert by_id["H4"].status == "ran" and by_id["H4"].n == 523
    assert by_id["H4"].parameters["deaths"] == 523
    assert by_id["H5"].status == "ran" and by_id["H5"].n == 523
    # the map draws the 523 inside, none outside
    assembled = Assembled(inputs, ())
    drawn = [
        ly
        for ly in output.map_layers(st, assembled, battery)
        if ly.group == "Remains and incidents" and ly.kind == "points"
    ]
    assert sum(len(ly.frame) for ly in drawn) == 523
    xy = np.concatenate([np.c_[ly.frame.geometry.x, ly.frame.geometry.y] for ly in drawn])
    w, s, e, n = BBOX
    assert ((xy[:, 0] >= w) & (xy[:, 0] <= e) & (xy[:, 1] >= s) & (xy[:, 1] <= n)).all()
    # the study-area figure counts the 523
    fig = output.area_figure(st, assembled, battery, simulated=False)
    legend = " ".join(t.get_text() for t in fig.axes[0].get_legend().get_texts()).replace("\n", " ")
    plt.close(fig)
    assert "recovered remains: 523," in legend
    # results.json carries the counts
    results = output.results_record(st, battery, (), 1, simulated=False)
    assert json.loads(json.dumps(results))["records"]["deaths"]["inside"] == 523


def test_crs_auto_comes_from_the_region_not_the_records():
    st = _study()
    assert working_crs(st).to_epsg() == 32613  # centre −105.75° → UTM 13N
    # records far away (and one without coordinates) do not move it
    layer = _deaths(np.random.default_rng(1), 5, 40, extra=[(pd.Timestamp("2010-01-01"), None, "kept")])
    assert working_crs(st).to_epsg() == 32613
    sel = region.select(st, layer)
    assert sel.counts["unlocated"] == 1 and sel.counts["inside"] == 5


def test_hot_spot_figure_uses_the_given_crs_and_skips_cells_without_geometry():
    import matplotlib.pyplot as plt

    from borderscape import figures

    cells = gpd.GeoDataFrame(
        {"period": ["a", "a", "a"], "hot": [1, 0, 0]},
        geometry=[shapely.box(-106.0, 32.0, -105.95, 32.05), shapely.box(-105.9, 32.0, -105.85, 32.05), None],
        crs="EPSG:4326",
    )
    fig = figures.hotspots_by_period(cells, footer="f", crs="EPSG:32613")
    plt.close(fig)


# -- DEMs: coarse, tiny, partial --------------------------------------------------------------------


def _terrain_battery(st, dem: Raster):
    """H2 and H5 (the hypotheses that read terrain windows of the DEM) on the generated records."""
    from borderscape.analyses.battery.h2_hardship import h2_hardship
    from borderscape.analyses.battery.h5_hotspots import h5_hotspots

    layer = _deaths(np.random.default_rng(4), 200, 10, extra=[(pd.Timestamp("2010-01-01"), None, "kept")])
    inputs = StudyInputs({"deaths": layer, "dem": dem})
    out = {}
    for f in (h2_hardship, h5_hotspots):
        out.update({o.id: o for o in f(st, inputs, np.random.default_rng(0)).outcomes})
    return out


def test_tiny_dem_does_not_crash():
    st = _study(resolution_m=90)
    crs = working_crs(st)
    centre = gpd.GeoSeries([shapely.Point(-105.75, 31.9)], crs=4326).to_crs(crs).iloc[0]
    tiny = Raster(np.arange(9, dtype="float32").reshape(3, 3) + 1000, from_origin(centre.x, centre.y, 90, 90), crs)
    dem = prepare_dem(tiny, st)
    assert dem.valid_mask().sum() == 9 and dem.source_res_m is None  # already on the grid
    out = _terrain_battery(st, dem)  # 200 records, 9 cells of DEM: reasons, no IndexError
    assert out["H2.slope"].status in ("ran", "skipped") and out["H5"].status in ("ran", "skipped")
    assert out["H5"].status == "ran" or out["H5"].reason


def test_dem_covering_a_corner_of_the_region():
    st = _study(resolution_m=900)
    dem = _dem(st, 900.0)
    corner = Raster(dem.array[:20, :20], dem.transform, dem.crs)
    out = prepare_dem(corner, st)
    assert 0 < out.valid_mask().sum() <= 400
    assert _terrain_battery(st, out)["H2.slope"].status in ("ran", "skipped")


def test_coarse_etopo1_dem_gives_a_reason_not_a_crash(data_dir):
    path = data_dir / ETOPO_AZ
    if not path.is_file():
        pytest.skip(f"{ETOPO_AZ} not in the mirror")
    # the Arizona subset (116–106° W) covers only the western corner of the El Paso region
    st = _study(resolution_m=900)
    dem = read_dem(path, st)
    assert dem.valid_mask().any() and dem.source_res_m > 9_000  # 0.1° ≈ 9.5 × 11.1 km
    out = _terrain_battery(st, dem)
    slope = out["H2.slope"]
    assert slope.status == "skipped" and "coarser than the 270 m terrain window" in slope.reason
    assert out["H5"].n == 200 or out["H5"].status == "skipped"
