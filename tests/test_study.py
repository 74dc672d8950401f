"""Studies: the shipped studies load; every key is declared, typed and checked before any work."""

import ast
import dataclasses
import datetime as dt
import json
import math
import os
import pickle
import subprocess
import sys
import time
import tomllib
from importlib import resources
from pathlib import Path

import pytest

import borderscape
import borderscape.analyses
from borderscape.analyses import params as P
from borderscape.analyses.study import (
    Intervention,
    SensorDefaults,
    Study,
    load_study,
    shipped_studies,
    working_crs,
)
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
[layers]
deaths = "pcome"
[parameters.statistics]
confidence = 0.95
permutations = 999
[parameters.cost]
body_mass_kg = 70.0
"""

MARITIME = """
[study]
name = "sea"
battery = "maritime"
seed = 1
[region]
bbox = [7.5, 30.0, 25.5, 39.0]
crs = "EPSG:32633"
resolution_m = 5000
[periods]
start = "2014-01-01"
end = "2025-12-31"
[layers]
crossings = "iom-med-monthly"
[parameters.maritime]
routes = ["central"]
[[parameters.maritime.departure_coasts]]
name = "Libya"
bbox = [11.5, 30.0, 25.2, 33.3]
[parameters.maritime.lacking]
sar_regions = "none here"
"""


def _load(tmp_path, text):
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return load_study(path)


def _error(tmp_path, text) -> str:
    with pytest.raises(StudyError) as err:
        _load(tmp_path, text)
    return str(err.value)


# -- the shipped studies -----------------------------------------------------------------------


def test_shipped_arizona_study_loads():
    assert set(shipped_studies()) >= {"arizona-sonora", "central-med", "western-med", "atlantic"}
    study = load_study("arizona-sonora")
    assert study.name == "arizona-sonora" and isinstance(study.seed, int)
    assert study.start < study.end
    assert all(study.start <= i.date <= study.end for i in study.interventions)
    assert study.layers["deaths"] == "pcome"
    assert all(s.basis for s in study.sensors.values()), "every sensor default states its basis"
    assert study.params.hardship.split == dt.date(2006, 9, 21)
    assert study.params.h4.sectors == ("Tucson Sector",)
    assert study.params.cost.load_kg == 10.0 and study.params.statistics.hotspot_cell_m == 5000.0


@pytest.mark.parametrize("name", shipped_studies())
def test_shipped_studies_round_trip_and_keep_their_meaning(name):
    study = load_study(name)
    data = study.to_dict()
    assert Study.from_dict(json.loads(json.dumps(data, allow_nan=False))) == study
    assert pickle.loads(pickle.dumps(study)) == study and hash(study) == hash(Study.from_dict(data))
    raw = tomllib.loads((resources.files("borderscape.analyses") / "studies" / f"{name}.toml").read_text("utf-8"))
    for section, table in raw.get("parameters", {}).items():  # every key written reads back as written
        for key, value in table.items():
            assert P.plain(getattr(getattr(study.params, section), key)) == value, (section, key)
            assert study.parameters[section][key] == value  # the mapping view of former callers
    assert dict(study.layers) == raw.get("layers", {})
    assert set(data["parameters"]) == set(P.BATTERY_SECTIONS[study.battery])
    working_crs(study)


def test_a_users_copy_loads(tmp_path):
    study = _load(tmp_path, GOOD)
    assert study.bbox == (-112.0, 31.0, -110.0, 32.5)
    assert study.interventions[0] == Intervention("towers", dt.date(2006, 9, 21))
    assert study.sensors["IFT"] == SensorDefaults("IFT", 40.0, 12000.0, dt.date(2015, 1, 1))
    assert study.crs == "auto" and study.battery == "funnel" and study.resolution_m == 100.0
    assert study.params.statistics.permutations == 999 and study.params.hardship.min_per_year == 20
    sea = _load(tmp_path, MARITIME)
    assert sea.params.maritime.departure_coasts == (P.DepartureCoast("Libya", (11.5, 30.0, 25.2, 33.3)),)
    assert sea.params.maritime.lacking == {"sar_regions": "none here"}
    assert sea.parameters["maritime"]["departure_coasts"] == [{"name": "Libya", "bbox": [11.5, 30.0, 25.2, 33.3]}]


# -- errors: they name the key, what was given and what is expected ------------------------------


@pytest.mark.parametrize(
    "change, key, words",
    [
        (("bbox = [-112.0, 31.0, -110.0, 32.5]", "bbox = [-112.0, 31.0]"), "region.bbox", "west, south"),
        (("bbox = [-112.0, 31.0, -110.0, 32.5]", "bbox = [-110.0, 31.0, -112.0, 32.5]"), "region.bbox", "west < east"),
        (("bbox = [-112.0, 31.0, -110.0, 32.5]", "bbox = [-112.0, nan, -110.0, 32.5]"), "region.bbox", "finite"),
        (("resolution_m = 100", "resolution_m = -5"), "region.resolution_m", "> 0"),
        (("resolution_m = 100", "resolution_m = 0"), "region.resolution_m", "> 0"),
        (("resolution_m = 100", "resolution_m = nan"), "region.resolution_m", "finite"),
        (("resolution_m = 100", "resolution_m = inf"), "region.resolution_m", "finite"),
        (("resolution_m = 100", 'resolution_m = "90"'), "region.resolution_m", "a number"),
        (('end = "2020-12-31"', 'end = "31/12/2020"'), "periods.end", "YYYY-MM-DD"),
        (('end = "2020-12-31"', 'end = "2020-02-30"'), "periods.end", "YYYY-MM-DD"),
        (('end = "2020-12-31"', 'end = "1990-01-01"'), "periods.end", "after"),
        (("seed = 7", 'seed = "seven"'), "study.seed", "whole number"),
        (("seed = 7", "seed = -1"), "study.seed", "≥ 0"),
        (("seed = 7", "seed = 7.5"), "study.seed", "whole number"),
        (('date = "2006-09-21"', 'date = "soon"'), "periods.interventions[0].date", "YYYY-MM-DD"),
        (("range_m = 12000", 'range_m = "far"'), "sensors.IFT.range_m", "a number"),
        (("height_m = 40", "height_m = -40"), "sensors.IFT.height_m", "> 0"),
        (('name = "test"\n', ""), "study.name", "missing"),
        (('name = "test"', 'name = "my study"'), "study.name", "names the output folder"),
        (('name = "test"', 'name = ".."'), "study.name", "names the output folder"),
        (('name = "test"', 'name = "a/b"'), "study.name", "names the output folder"),
        (('name = "test"', 'name = "../../X"'), "study.name", "names the output folder"),
        (('name = "test"', 'name = "/tmp/X"'), "study.name", "names the output folder"),
        (('name = "test"', 'name = ""'), "study.name", "names the output folder"),
        (('name = "test"', 'name = "."'), "study.name", "names the output folder"),
        (("seed = 7", 'seed = 7\nbattery = "forecast"'), "study.battery", '"funnel", "maritime"'),
        (("resolution_m = 100", 'resolution_m = 100\ncrs = "EPSG:99999"'), "region.crs", "EPSG:99999"),
        (("resolution_m = 100", 'resolution_m = 100\ncrs = "EPSG:4326"'), "region.crs", "geographic"),
        (("resolution_m = 100", 'resolution_m = 100\ncrs = "EPSG:2223"'), "region.crs", "foot"),
        (("resolution_m = 100", 'resolution_m = 100\ncrs = "utm"'), "region.crs", "projected CRS"),
        (("confidence = 0.95", "confidence = 2"), "parameters.statistics.confidence", "< 1"),
        (("confidence = 0.95", "confidence = nan"), "parameters.statistics.confidence", "finite"),
        (("permutations = 999", "permutations = 0"), "parameters.statistics.permutations", "≥ 1"),
        (("permutations = 999", "permutations = 99.5"), "parameters.statistics.permutations", "whole number"),
        (("body_mass_kg = 70.0", 'body_mass_kg = "heavy"'), "parameters.cost.body_mass_kg", "a number > 0 (kg)"),
        (("body_mass_kg = 70.0", "body_mass_kg = inf"), "parameters.cost.body_mass_kg", "finite"),
        (("body_mass_kg = 70.0", 'model = "tobler"'), "parameters.cost.model", '"pandolf"'),
        (("body_mass_kg = 70.0", "body_mass_kg = 70.0\nW = 80"), "parameters.cost.body_mass_kg", "twice"),
        (
            ("[parameters.cost]", '[parameters.hardship]\nsplit = "soon"\n[parameters.cost]'),
            "parameters.hardship.split",
            "YYYY-MM-DD",
        ),
        (
            ("[parameters.cost]", "[parameters.hardship]\nterrain_window_m = 'wide'\n[parameters.cost]"),
            "parameters.hardship.terrain_window_m",
            "a number > 0 (m)",
        ),
        (
            ("[parameters.cost]", "[parameters.h4]\nsectors = 'Tucson Sector'\n[parameters.cost]"),
            "parameters.h4.sectors",
            "a list",
        ),
        (
            ("[parameters.cost]", "[parameters.routes]\navoidance = 'impassible'\n[parameters.cost]"),
            "parameters.routes.avoidance",
            '"impassable"',
        ),
        (
            ("[parameters.cost]", "[parameters.routes]\navoidance = 0.5\n[parameters.cost]"),
            "parameters.routes.avoidance",
            "≥ 1",
        ),
        (("[parameters.cost]", "[parameters.statistics.x]\n[parameters.cost]"), "parameters.statistics.x", "unknown"),
    ],
)
def test_malformed_study_names_the_key(tmp_path, change, key, words):
    assert change[0] in GOOD
    message = _error(tmp_path, GOOD.replace(*change, 1))
    assert repr(key) in message and words in message, message


@pytest.mark.parametrize(
    "change, key, suggestion, table",
    [
        (("[region]", "[regoin]\n[region]"), "regoin", "'region'", "a study file"),
        (("seed = 7", "seed = 7\ntitel = 'x'"), "study.titel", "'title'", "[study]"),
        (
            ("resolution_m = 100", "resolution_m = 100\nresolution = 90"),
            "region.resolution",
            "'resolution_m'",
            "[region]",
        ),
        (('end = "2020-12-31"', 'end = "2020-12-31"\nstrat = "2000-01-01"'), "periods.strat", "'start'", "[periods]"),
        (
            ('date = "2006-09-21"', 'date = "2006-09-21"\nnotes = "x"'),
            "periods.interventions[0].notes",
            "'note'",
            "[[periods.interventions]]",
        ),
        (('deaths = "pcome"', 'death = "pcome"'), "layers.death", "'deaths'", "[layers] of a funnel study"),
        (("range_m = 12000", "range_m = 12000\nrange = 5"), "sensors.IFT.range", "'range_m'", "[sensors.IFT]"),
        (
            ("[parameters.cost]", "[parameters.statistic]\nconfidence = 0.9\n[parameters.cost]"),
            "parameters.statistic",
            "'statistics'",
            "[parameters]",
        ),
        (
            ("permutations = 999", "permutatons = 9"),
            "parameters.statistics.permutatons",
            "'permutations'",
            "[parameters.statistics]",
        ),
        (
            ("body_mass_kg = 70.0", "body_mass = 70.0"),
            "parameters.cost.body_mass",
            "'body_mass_kg'",
            "[parameters.cost]",
        ),
    ],
)
def test_an_unknown_key_names_the_known_keys_nearby(tmp_path, change, key, suggestion, table):
    message = _error(tmp_path, GOOD.replace(*change, 1))
    assert f"unknown study key {key!r}" in message and f"did you mean {suggestion}" in message, message
    assert f"the keys of {table} are:" in message, message


def test_the_battery_decides_the_layer_roles_and_sections(tmp_path):
    message = _error(tmp_path, MARITIME.replace('crossings = "iom-med-monthly"', 'towers = "eff-towers"'))
    assert "'layers.towers'" in message and "[layers] of a maritime study" in message and "crossings" in message
    message = _error(tmp_path, MARITIME + "\n[parameters.hardship]\nmin_per_year = 2\n")
    assert "'parameters.hardship'" in message and "maritime battery does not read" in message
    message = _error(tmp_path, GOOD + "\n[parameters.maritime]\nwindow_months = 12\n")
    assert "'parameters.maritime'" in message and "funnel battery" in message
    for change, key in [
        (('routes = ["central"]', 'routes = ["centrl"]'), "parameters.maritime.routes[0]"),
        (('routes = ["central"]', "routes = []"), "parameters.maritime.routes"),
        (("sar_regions =", "sar_region ="), "parameters.maritime.lacking.sar_region"),
        (("bbox = [11.5, 30.0, 25.2, 33.3]", "bbox = [11.5, 30.0]"), "parameters.maritime.departure_coasts[0].bbox"),
        (('name = "Libya"\n', ""), "parameters.maritime.departure_coasts[0].name"),
    ]:
        message = _error(tmp_path, MARITIME.replace(*change))
        assert repr(key) in message, message


def test_not_toml_and_unknown_names(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[study\nname=")
    with pytest.raises(StudyError, match="not valid TOML"):
        load_study(path)
    with pytest.raises(StudyError, match="no shipped study"):
        load_study("atlantis")
    with pytest.raises(StudyError, match="does not exist"):
        load_study(tmp_path / "missing.toml")


# -- parameters: one declaration, typed --------------------------------------------------------

#: Every key and the default its callers used before the schema (None: derived by the caller
#: from the data — hot-spot cell and band, H4 sectors, H1 radii, IOM route names).
OLD_DEFAULTS = [
    ("statistics", "confidence", 0.95),
    ("statistics", "permutations", 999),
    ("statistics", "fdr_alpha", 0.05),
    ("statistics", "hotspot_cell_m", None),
    ("statistics", "hotspot_band_m", None),
    ("statistics", "hotspot_periods", None),
    ("hardship", "split", None),
    ("hardship", "terrain_window_m", 270.0),
    ("hardship", "terrain_join_m", 100.0),
    ("hardship", "environment_join_m", 3500.0),
    ("hardship", "min_per_year", 20),
    ("hardship", "energy_segments", 4),
    ("h4", "sectors", None),
    ("h4", "per", 100000.0),
    ("statistics", "min_months", 24),
    ("statistics", "shock_window_months", 12),
    ("statistics", "trend_autocorrelation", "yue-wang"),
    ("statistics", "hotspot_inference", "exact"),
    ("statistics", "hotspot_block_cells", None),
    ("hardship", "short_pmi_days", 35.0),
    ("hardship", "spatial_block_m", 25000.0),
    ("hardship", "corridor_min_records", 30),
    ("hardship", "placebo_splits", None),
    ("routes", "sensitivity", True),
    ("cost", "downhill", "santee"),
    ("maritime", "denominator", "attempted"),
    ("maritime", "change_periods", None),
    ("maritime", "min_per_month", 3),
    ("viewshed", "target_height_m", 1.7),
    ("viewshed", "curvature", True),
    ("viewshed", "refraction", 0.13),
    ("displacement", "bootstrap", 999),
    ("displacement", "min_background", 10),
    ("displacement", "radii_m", None),
    ("routes", "origins", 25),
    ("routes", "destination", "north_edge"),
    ("routes", "avoidance", 2.0),
    ("cost", "model", "pandolf"),
    ("maritime", "routes", ["central"]),
    ("maritime", "iom_routes", None),
    ("maritime", "departure_coasts", []),
    ("maritime", "window_months", 24),
    ("maritime", "aerial_lags", [1, 2]),
    ("maritime", "exclude_years", []),
    ("maritime", "target_height_m", 2.0),
    ("maritime", "hotspot_permutations", 9999),
    ("maritime", "lacking", {}),
    # the weather, clothing and body of the water-loss model (borderscape.geo.water)
    ("cost", "body_height_m", 1.70),
    ("cost", "relative_humidity", 0.20),
    ("cost", "clothing_clo", 0.6),
    ("cost", "wind_m_s", 0.0),
    ("cost", "solar_w_m2", 0.0),
    ("cost", "temperature_month", None),
]


@pytest.mark.parametrize("section, key, default", OLD_DEFAULTS)
def test_defaults_are_those_the_callers_used(section, key, default):
    assert P.plain(P.spec(section, key).default) == default


def test_the_walker_defaults_are_the_cost_models():
    from borderscape.geo.costmodels import get_model

    model = {p.name: p.default for p in get_model("pandolf").params}
    cost = P.Cost()
    assert (cost.body_mass_kg, cost.load_kg, cost.speed_m_s, cost.terrain_factor) == (
        model["W"],
        model["L"],
        model["V"],
        model["eta"],
    )
    water = {"body_height_m", "relative_humidity", "clothing_clo", "wind_m_s", "solar_w_m2", "temperature_month"}
    assert {P.Cost.ALIASES[k] for k in ("W", "L", "V", "eta")} == set(P.Cost.keys_()) - {"model", "downhill", *water}


def test_every_declared_key_is_in_the_table():
    declared = {(row["section"], row["key"]) for row in P.schema()}
    table = {(s, k) for s, k, _ in OLD_DEFAULTS} | {("cost", k) for k in P.Cost.ALIASES.values()}
    assert declared == table
    assert all(row["doc"] for row in P.schema())


def test_former_nested_dict_readers_still_read_the_typed_sections(tmp_path):
    study = _load(tmp_path, GOOD)
    assert (
        study.parameters.get("cost", {})["body_mass_kg"] == 70.0
        and "hotspot_cell_m" not in study.parameters["statistics"]
    )
    assert json.dumps({k: dict(v) for k, v in study.parameters.items()})


def _params_reads():
    """Every ``<x>.params.<section>`` and ``<x>.params.<section>.<key>`` read in the shipped code:
    (where, section, key or None)."""
    roots = {Path(borderscape.__file__).parent, Path(borderscape.analyses.__file__).parent}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Attribute):
                    continue
                # ``study.params.x`` (the object a plain name), not e.g. ``world.truth.params[...]``
                if node.value.attr == "params" and isinstance(node.value.value, ast.Name):
                    yield f"{path.name}:{node.lineno}", node.attr, None
                elif (
                    isinstance(node.value.value, ast.Attribute)
                    and node.value.value.attr == "params"
                    and isinstance(node.value.value.value, ast.Name)
                ):
                    yield f"{path.name}:{node.lineno}", node.value.attr, node.attr


def test_the_shipped_code_reads_only_declared_keys():
    """Code and schema cannot drift: every typed read names a declared section and key (the
    defaults live in analyses/params.py only)."""
    reads = list(_params_reads())
    assert len([r for r in reads if r[2]]) >= 20, reads
    sections = {f.name for f in dataclasses.fields(P.Parameters)}
    for where, section, key in reads:
        assert section in sections, f"{where}: no section [parameters.{section}]"
        if key is not None:
            P.spec(section, key)  # KeyError: read but not declared
    assert {s for _, s, _ in reads} == sections


def _strings(path):
    """String constants of a module, and the roles it asks its inputs for (``inputs.get("deaths")``,
    ``missing(study, inputs, "deaths", ...)``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    asked = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and any(isinstance(a, ast.Name) and a.id == "inputs" for a in node.args)
            or (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "inputs"
            )
        ):
            asked |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return strings, asked


def test_roles_and_routes_are_those_the_batteries_read():
    from typing import get_args

    from borderscape.analyses.inputs import ROLE_READER, SENSOR_FILE_ROLES

    analyses, face = Path(borderscape.analyses.__file__).parent, Path(borderscape.__file__).parent
    battery = analyses / "battery"
    for path in sorted(battery.glob("[hm][0-9]_*.py")):  # h1 … h5: funnel; m1 … m5: maritime
        _, asked = _strings(path)
        assert asked <= set(P.ROLES["funnel" if path.name.startswith("h") else "maritime"]), (path.name, asked)
    assert set(ROLE_READER) <= set(P.ROLES["funnel"]) and set(SENSOR_FILE_ROLES) <= set(P.ROLES["maritime"])
    used = set().union(
        *(
            _strings(p)[0]
            for root in (analyses, face)
            for p in root.rglob("*.py")
            if p.name not in ("params.py", "study.py")
        )
    )
    assert set(P.ROLES["funnel"]) | set(P.ROLES["maritime"]) <= used, "a role no code reads"
    for study in map(load_study, shipped_studies()):
        assert set(study.layers) <= set(P.ROLES[study.battery])
    from borderscape.analyses.battery.common import ROUTES

    assert set(ROUTES) == set(get_args(P.Route))
    assert set(get_args(P.MaritimeRole)) == set(P.ROLES["maritime"])


# -- editing from Python -------------------------------------------------------------------------


def test_with_changes_and_checks_again(tmp_path):
    study = _load(tmp_path, GOOD)
    finer = study.with_(resolution_m=250, seed=1)
    assert (finer.resolution_m, finer.seed, finer.name) == (250.0, 1, "test") and study.resolution_m == 100.0
    assert finer.path == study.path
    quick = study.with_(parameters={"hardship": {"min_per_year": 5}, "statistics": {"permutations": 99}})
    assert quick.params.hardship.min_per_year == 5 and quick.params.statistics.permutations == 99
    assert quick.params.statistics.confidence == 0.95 and quick.params.cost == study.params.cost  # merged
    assert quick.with_(parameters={"statistics": {"permutations": None}}).params.statistics.permutations == 999
    assert study.with_(parameters={"cost": {"W": 80}}).params.cost.body_mass_kg == 80.0
    assert dataclasses.replace(study, seed=3).seed == 3
    for changes, key in [
        ({"resolution_m": math.nan}, "region.resolution_m"),
        ({"seed": -1}, "study.seed"),
        ({"crs": "EPSG:99999"}, "region.crs"),
        ({"name": "a b"}, "study.name"),
        ({"layers": {"deaths": "pcome", "tower": "x.csv"}}, "layers.tower"),
        ({"parameters": {"statistics": {"permutatons": 9}}}, "parameters.statistics.permutatons"),
        ({"parameters": {"cost": {"body_mass_kg": "heavy"}}}, "parameters.cost.body_mass_kg"),
        ({"battery": "maritime", "layers": {"towers": "eff-towers"}}, "layers.towers"),
        ({"parameters": {"cost": {"W": 80, "body_mass_kg": 90}}}, "parameters.cost.body_mass_kg"),
        ({"resolution": 90}, "resolution"),
    ]:
        with pytest.raises(StudyError) as err:
            study.with_(**changes)
        assert repr(key) in str(err.value), str(err.value)
    with pytest.raises(StudyError, match="'parameters.hardship' is a section the maritime battery does not read"):
        load_study("arizona-sonora").with_(battery="maritime", layers={"deaths": "iom-mmp"})
    with pytest.raises(StudyError, match="'region.resolution_m'"):
        dataclasses.replace(study, resolution_m=math.inf)
    with pytest.raises(StudyError, match="permutatons"):
        dataclasses.replace(study, parameters={"statistics": {"permutatons": 9}})


def test_a_study_is_frozen(tmp_path):
    study = _load(tmp_path, GOOD)
    with pytest.raises(dataclasses.FrozenInstanceError):
        study.seed = 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        study.params.statistics.permutations = 3
    with pytest.raises(TypeError, match="with_"):
        study.layers["towers"] = "x.csv"
    assert isinstance(study.interventions, tuple) and isinstance(study.params.h4.sectors, (tuple, type(None)))


def test_to_dict_holds_what_shapes_the_numbers(tmp_path):
    study = _load(tmp_path, GOOD)
    data = study.to_dict()
    assert data["region"] == {"bbox": [-112.0, 31.0, -110.0, 32.5], "crs": "auto", "resolution_m": 100.0}
    assert data["study"]["seed"] == 7 and data["periods"]["interventions"][0]["date"] == "2006-09-21"
    assert data["parameters"]["hardship"]["min_per_year"] == 20  # defaults included
    assert data["parameters"]["statistics"]["hotspot_cell_m"] is None  # derived from the data
    assert "maritime" not in data["parameters"]
    assert Study.from_dict(data) == study


# -- the command line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, words",
    [
        (
            ("permutations = 999", "permutatons = 9"),
            ["'parameters.statistics.permutatons'", "did you mean 'permutations'?", "fdr_alpha"],
        ),
        (("resolution_m = 90 ", "resolution_m = nan "), ["'region.resolution_m'", "nan"]),
        (("resolution_m = 90 ", "resolution_m = inf "), ["'region.resolution_m'", "inf"]),
        (("confidence = 0.95", "confidence = 2"), ["'parameters.statistics.confidence'", "got 2 (out of range)"]),
        (("seed = 20190601", "seed = -1"), ["'study.seed'", "got -1"]),
        (('crs = "EPSG:32612"', 'crs = "EPSG:99999"'), ["'region.crs'", "EPSG:99999"]),
        (("body_mass_kg = 70.0", 'body_mass_kg = "heavy"'), ["'parameters.cost.body_mass_kg'", "'heavy'"]),
    ],
)
def test_the_command_line_refuses_a_bad_study_before_any_work(tmp_path, change, words):
    text = (resources.files("borderscape.analyses") / "studies" / "arizona-sonora.toml").read_text("utf-8")
    assert change[0] in text
    path = tmp_path / "mine.toml"
    path.write_text(text.replace(*change, 1), encoding="utf-8")
    env = {**os.environ, "BORDERSCAPE_DATA": str(tmp_path / "no-data")}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "borderscape", "run", str(path), "--out", str(tmp_path / "out")],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert all(w in done.stderr for w in words), done.stderr
    assert not (tmp_path / "out").exists()
    assert time.perf_counter() - started < 3  # checked before the command's imports: about 0.4 s


def test_a_hostile_study_name_writes_nothing_outside_out(tmp_path, capsys):
    """``borderscape run a.toml b.toml --out BASE`` with a study named ``../../X``: refused before
    any work, nothing written anywhere under the temporary root."""
    from borderscape.cli import main

    shipped = (resources.files("borderscape.analyses") / "studies" / "western-med.toml").read_text(encoding="utf-8")
    good = tmp_path / "in" / "good.toml"
    bad = tmp_path / "in" / "bad.toml"
    good.parent.mkdir()
    good.write_text(shipped, encoding="utf-8")
    bad.write_text(shipped.replace('name = "western-med"', 'name = "../../X"'), encoding="utf-8")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert main(["run", str(good), str(bad), "--out", str(tmp_path / "base" / "out")]) == 2
    assert "names the output folder" in capsys.readouterr().err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
