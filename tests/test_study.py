"""Study files: the shipped study loads, and malformed files name the key and the form."""

import datetime as dt

import pytest

from borderscape.analyses.study import load_study, shipped_studies
from borderscape.geo.errors import StudyError

GOOD = """
[study]
name = "test"
seed = 7
[region]
bbox = [-112.0, 31.0, -110.0, 32.5]
resolution_m = 100
[periods]
start = "2000-01-01"
end = "2020-12-31"
[[periods.interventions]]
name = "towers"
date = "2006-09-21"
[sensors.IFT]
height_m = 40
range_m = 12000
active_from = "2015-01-01"
"""


def test_shipped_arizona_study_loads():
    assert "arizona-sonora" in shipped_studies()
    study = load_study("arizona-sonora")
    assert study.name == "arizona-sonora" and isinstance(study.seed, int)
    assert study.start < study.end
    assert all(study.start <= i.date <= study.end for i in study.interventions)
    assert study.layers["deaths"] == "pcome"
    assert all(s.basis for s in study.sensors.values()), "every sensor default states its basis"


def test_a_users_copy_loads(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    study = load_study(path)
    assert study.bbox == (-112.0, 31.0, -110.0, 32.5)
    assert study.interventions[0].date == dt.date(2006, 9, 21)
    assert study.sensors["IFT"].range_m == 12000.0 and study.crs == "auto"
    assert study.battery == "funnel"


@pytest.mark.parametrize(
    "change, key",
    [
        (("bbox = [-112.0, 31.0, -110.0, 32.5]", "bbox = [-112.0, 31.0]"), "region.bbox"),
        (("bbox = [-112.0, 31.0, -110.0, 32.5]", "bbox = [-110.0, 31.0, -112.0, 32.5]"), "region.bbox"),
        (("resolution_m = 100", "resolution_m = -5"), "region.resolution_m"),
        (('end = "2020-12-31"', 'end = "31/12/2020"'), "periods.end"),
        (('end = "2020-12-31"', 'end = "1990-01-01"'), "periods.end"),
        (("seed = 7", 'seed = "seven"'), "study.seed"),
        (('date = "2006-09-21"', 'date = "soon"'), "periods.interventions[0].date"),
        (("range_m = 12000", 'range_m = "far"'), "sensors.IFT.range_m"),
        (('name = "test"\n', ""), "study.name"),
        (("seed = 7", 'seed = 7\nbattery = "forecast"'), "study.battery"),
    ],
)
def test_malformed_study_names_the_key(tmp_path, change, key):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(*change, 1))
    with pytest.raises(StudyError) as err:
        load_study(path)
    assert repr(key) in str(err.value)


def test_not_toml_and_unknown_names(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[study\nname=")
    with pytest.raises(StudyError, match="not valid TOML"):
        load_study(path)
    with pytest.raises(StudyError, match="no shipped study"):
        load_study("atlantis")
    with pytest.raises(StudyError, match="does not exist"):
        load_study(tmp_path / "missing.toml")


def test_a_parameter_of_the_wrong_kind_names_the_key(tmp_path):
    path = tmp_path / "params.toml"
    path.write_text(GOOD + '\n[parameters.hardship]\nterrain_window_m = "wide"\nmin_per_year = 2.5\n'
                    'terrain_join_m = 150\n\n[parameters.viewshed]\ncurvature = false\n')
    study = load_study(path)
    with pytest.raises(StudyError) as err:
        study.parameter("hardship", "terrain_window_m", 270.0)
    assert "'parameters.hardship.terrain_window_m'" in str(err.value) and "number" in str(err.value)
    with pytest.raises(StudyError, match="'parameters.hardship.min_per_year' must be a whole number"):
        study.parameter("hardship", "min_per_year", 3)
    assert study.parameter("hardship", "terrain_join_m", 100.0) == 150.0    # an integer where a float is expected
    assert study.parameter("hardship", "energy_segments", 4) == 4           # absent: the default
    assert study.parameter("viewshed", "curvature", True) is False
