"""Walking-cost models: published values and closed forms, registry and parameter checks."""

from __future__ import annotations

import numpy as np
import pytest

from borderscape.geo.costmodels import MODELS, get_model
from borderscape.geo.errors import InputError


def test_registry_records_units_parameters_and_references():
    assert set(MODELS) == {"tobler", "pandolf", "naismith", "irmischer", "rwalk", "water"}
    units = {name: m.units for name, m in MODELS.items()}
    assert units == {"tobler": "s", "pandolf": "kJ", "naismith": "s", "irmischer": "s", "rwalk": "s", "water": "L"}
    for m in MODELS.values():
        assert m.reference and m.formula
        assert all(p.unit for p in m.params)
    assert MODELS["pandolf"].cell_param == "eta"
    assert MODELS["rwalk"].cell_param == "friction"


def test_tobler_published_speeds():
    tobler = get_model("tobler")
    d = 1000.0
    # flat: 6·exp(−0.175) = 5.0367 km/h (Tobler 1993)
    assert tobler.cost(0.0, d) == pytest.approx(d / (5.03674 / 3.6), rel=1e-6)
    # fastest, 6 km/h, on a descent of 5 % (S = −0.05)
    assert tobler.cost(-50.0, d) == pytest.approx(d / (6.0 / 3.6), rel=1e-12)
    assert tobler.cost(-50.0, d) < tobler.cost(-40.0, d) and tobler.cost(-50.0, d) < tobler.cost(-60.0, d)
    # off path: 3/5 of the speed
    assert tobler.cost(30.0, d, off_path=1) == pytest.approx(tobler.cost(30.0, d) / 0.6, rel=1e-12)
    # direction matters: 10 % up is slower than 10 % down
    assert tobler.cost(100.0, d) > tobler.cost(-100.0, d)


def test_pandolf_closed_form_and_santee_correction():
    pandolf = get_model("pandolf")
    w, load, v, eta = 70.0, 20.0, 1.25, 1.5
    d = 100.0

    def rate(g: float, santee: bool) -> float:  # watts, written out from Pandolf 1977 / Santee 2003
        m = 1.5 * w + 2.0 * (w + load) * (load / w) ** 2 + eta * (w + load) * (1.5 * v**2 + 0.35 * v * g)
        if santee and g < 0:
            m -= eta * ((g * (w + load) * v) / 3.5 - ((w + load) * (g + 6) ** 2) / w + (25 - v**2))
        return m

    for dz in (0.0, 5.0, -5.0, -15.0):
        g = 100 * dz / d
        expect = rate(g, True) * (d / v) / 1000.0
        got = pandolf.cost(dz, d, W=w, L=load, V=v, eta=eta)
        assert got == pytest.approx(expect, rel=1e-12)
    # 20 % uphill at 1.25 m/s with 20 kg for a 70 kg walker: 105 + 14.69 + 998.44 = 1118.13 W (by hand)
    assert pandolf.cost(20.0, d, W=w, L=load, V=v, eta=1.0) / (d / v) * 1000 == pytest.approx(1118.13, abs=0.01)
    # without the correction Pandolf goes below standing on steep descents; with it, it does not
    stand = 1.5 * w + 2.0 * (w + load) * (load / w) ** 2
    no_corr = pandolf.cost(-20.0, d, W=w, L=load, V=v, santee=0)
    assert no_corr == pytest.approx(stand * (d / v) / 1000.0)  # floored at the standing rate
    assert pandolf.cost(-20.0, d, W=w, L=load, V=v) > no_corr
    # eta may vary per move: the cell value replaces the constant
    assert pandolf.cost(0.0, d, cell_value=2.0) == pytest.approx(pandolf.cost(0.0, d, eta=2.0))


def test_naismith_langmuir_rule():
    nl = get_model("naismith")
    assert nl.cost(0.0, 5000.0) == pytest.approx(3600.0)  # 5 km/h
    assert nl.cost(600.0, 5000.0) == pytest.approx(7200.0)  # +1 h per 600 m up
    gentle = 5000.0 * np.tan(np.radians(8.0))  # 8° descent: −10 min per 300 m
    assert nl.cost(-gentle, 5000.0) == pytest.approx(3600.0 - gentle * 2.0)
    steep = 500.0 * np.tan(np.radians(20.0))  # 20° descent: +10 min per 300 m
    assert nl.cost(-steep, 500.0) == pytest.approx(360.0 + steep * 2.0)
    slight = 5000.0 * np.tan(np.radians(3.0))  # under 5°: no correction
    assert nl.cost(-slight, 5000.0) == pytest.approx(3600.0)
    assert nl.cost(-gentle, 5000.0, langmuir=0) == pytest.approx(3600.0)


def test_irmischer_clarke_speeds():
    ic = get_model("irmischer")
    # on road: v(0) = 0.11 + exp(−25/1800) m/s; peak 1.11 m/s at a 5 % descent
    assert ic.cost(0.0, 100.0) == pytest.approx(100.0 / (0.11 + np.exp(-25.0 / 1800.0)))
    assert ic.cost(-5.0, 100.0) == pytest.approx(100.0 / 1.11)
    assert ic.cost(-2.0, 100.0, off_path=1) == pytest.approx(100.0 / (0.11 + 0.67))
    assert ic.cost(10.0, 100.0, off_path=1) > ic.cost(10.0, 100.0)


def test_rwalk_formula_matches_grass_defaults():
    rw = get_model("rwalk")
    d = 30.0
    assert rw.cost(0.0, d) == pytest.approx(0.72 * d)
    assert rw.cost(3.0, d) == pytest.approx(0.72 * d + 6.0 * 3.0)
    assert rw.cost(-3.0, d) == pytest.approx(0.72 * d + 1.9998 * -3.0)  # moderate: S = −0.1
    assert rw.cost(-9.0, d) == pytest.approx(0.72 * d + -1.9998 * -9.0)  # steep: S = −0.3
    assert rw.cost(0.0, d, cell_value=2.0, **{"lambda": 0.5}) == pytest.approx(0.72 * d + 0.5 * 2.0 * d)


def test_vectorised_cost_keeps_shape():
    dz = np.linspace(-30, 30, 12).reshape(3, 4)
    out = get_model("tobler").cost(dz, 30.0)
    assert out.shape == (3, 4) and np.all(out > 0)


def test_unknown_model_and_parameter_errors_list_valid_names():
    with pytest.raises(InputError, match="tobler, pandolf"):
        get_model("horse")
    with pytest.raises(InputError, match=r"W \(kg"):
        get_model("pandolf").pack({"mass": 80})
    with pytest.raises(InputError, match="must be > 0"):
        get_model("pandolf").pack({"V": 0})
    with pytest.raises(InputError, match="0 or 1"):
        get_model("tobler").pack({"off_path": 0.5})


# -- the terrain factor's table and the downhill model -----------------------------------------
def test_terrain_factors_are_the_soule_goldman_table():
    from borderscape.analyses.params import Cost
    from borderscape.geo.costmodels import TERRAIN_FACTORS, terrain_label

    # Soule & Goldman (1972) as reproduced with Pandolf's equation
    table = {
        1.0: "blacktop road",
        1.1: "dirt road",
        1.2: "light brush",
        1.5: "heavy brush",
        1.8: "swampy bog",
        2.1: "loose sand",
    }
    assert TERRAIN_FACTORS == table
    assert terrain_label(1.5) == "heavy brush" and terrain_label(2.1) == "loose sand"
    assert "not in the" in terrain_label(1.7)
    eta = {p.name: p for p in get_model("pandolf").params}["eta"]
    for value, label in (("1.5", "heavy brush"), ("2.1", "loose sand")):  # the wording a reader sees
        assert f"{value} {label}" in eta.description
        assert f"{value} {label}" in Cost.__dataclass_fields__["terrain_factor"].metadata["doc"]


WALKERS = [
    dict(W=70.0, L=10.0, V=1.2, eta=1.5),  # the Arizona study's walker
    dict(W=70.0, L=0.0, V=1.25, eta=1.0),  # the model's defaults
    dict(W=55.0, L=25.0, V=0.8, eta=2.1),
    dict(W=90.0, L=5.0, V=1.8, eta=1.2),
]


def _santee_rate(g: float, W: float, L: float, V: float, eta: float) -> float:
    """Watts, written out from Pandolf et al. (1977) and Santee et al. (2003), without the floor."""
    m = 1.5 * W + 2.0 * (W + L) * (L / W) ** 2 + eta * (W + L) * (1.5 * V**2 + 0.35 * V * g)
    if g < 0:
        m -= eta * ((g * (W + L) * V) / 3.5 - ((W + L) * (g + 6) ** 2) / W + (25 - V**2))
    return m


def _rate(g: float, **p: float) -> float:
    d = 100.0
    return float(get_model("pandolf").cost(g, d, **p)) * 1000.0 / (d / p.get("V", 1.25))


@pytest.mark.parametrize("walker", WALKERS)
def test_santee_steps_up_at_zero_grade_by_its_closed_form(walker):
    W, L, V, eta = walker["W"], walker["L"], walker["V"], walker["eta"]
    step = eta * (36.0 * (W + L) / W - 25.0 + V**2)  # lim G→0⁻ of (M − M(0)): the discontinuity
    assert _rate(-1e-9, **walker) - _rate(0.0, **walker) == pytest.approx(step, rel=1e-6)
    assert step > 0
    if walker == WALKERS[0]:
        assert step / _rate(0.0, **walker) == pytest.approx(0.0717, abs=5e-4)  # "about 7 % dearer"


@pytest.mark.parametrize("walker", WALKERS)
def test_continuous_downhill_is_continuous_at_zero_and_santee_away_from_it(walker):
    from scipy.optimize import brentq

    level = _santee_rate(0.0, **walker)
    # continuity at 0 %: descents of 1e-9 … 1e-3 % cost the level rate
    for g in (-1e-9, -1e-6, -1e-3):
        assert _rate(g, continuous=1, **walker) == pytest.approx(level, rel=1e-9)
    # the grade nearest 0 where Santee's corrected rate falls to the level rate, found numerically
    # from the written-out formula (not the kernel's quadratic)
    g0 = brentq(lambda g: _santee_rate(g, **walker) - level, -12.0, -1e-9, xtol=1e-12)
    assert -4.0 < g0 < 0.0
    stand = 1.5 * walker["W"] + 2.0 * (walker["W"] + walker["L"]) * (walker["L"] / walker["W"]) ** 2
    for g in (g0 - 1e-6, -2.0 + g0, -5.0, -10.0, -20.0, -35.0, 3.0, 10.0):  # away from 0: the published values
        assert _rate(g, continuous=1, **walker) == pytest.approx(max(_santee_rate(g, **walker), stand), rel=1e-9)
    for g in np.linspace(g0 + 1e-6, -1e-6, 7):  # between: never dearer than level ground
        assert _rate(g, continuous=1, **walker) == pytest.approx(level, rel=1e-9)
        assert _santee_rate(g, **walker) > level
    # continuous everywhere on [−40 %, 10 %]: on a grid of 0.001 % no step is far above the typical one;
    # the published form fails the same check at 0 %
    grid = 100.0 * np.linspace(-0.40, 0.10, 50001)  # dz (m) over d = 100 m
    for continuous, ok in ((1, True), (0, False)):
        steps = np.abs(np.diff(get_model("pandolf").cost(grid, 100.0, continuous=continuous, **walker)))
        assert (steps.max() < 100 * np.median(steps)) == ok


def test_continuous_flag_is_checked():
    with pytest.raises(InputError, match="0 or 1"):
        get_model("pandolf").pack({"continuous": 2})
    assert get_model("pandolf").cost(-0.5, 100.0, continuous=1, santee=0) == get_model("pandolf").cost(
        -0.5, 100.0, santee=0
    )  # without Santee's correction there is no step to remove
