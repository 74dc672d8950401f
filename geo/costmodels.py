"""Walking-cost models: the cost of one move between neighbouring cells.

A model turns a move — signed elevation difference ``dz`` (metres, target minus origin, so
positive is uphill), horizontal distance ``d`` (metres) and one per-cell value (Pandolf's
terrain factor η, r.walk's friction) — into a cost in the model's units (s or kJ).  Cost
depends on the direction of travel through the sign of ``dz``; the slope of a move is
``S = dz / d`` (rise over run).

The registry :data:`MODELS` records, for every model, its units, parameters (with defaults
and units), the one parameter that may vary per cell, and its reference.  The move cost is
evaluated by :func:`borderscape.geo.costkernel.move_cost`, a numba function called inside the accumulated-cost kernel
(:mod:`borderscape.geo.costdistance`), so no per-direction cost arrays are ever built.

Every model's cost of a move is floored at 0 (Dijkstra needs non-negative moves); with the
default parameters no model reaches the floor.

The models (S = dz/d; G = 100·S, percent grade)
------------------------------------------------
``tobler`` — seconds.  Tobler's hiking function: speed v = 6·exp(−3.5·|S + 0.05|) km/h on a
path, ×3/5 off path (``off_path=1``); t = d / v.  Fastest, 6 km/h, on a 5 % descent; 5.04 km/h
on the flat.  Tobler, W. (1993), NCGIA Technical Report 93-1.

``pandolf`` — kJ.  Metabolic rate of walking with a load (Pandolf, Givoni & Goldman 1977,
J. Appl. Physiol. 43, 577–581), W body mass (kg), L load (kg), V speed (m/s), η terrain factor:
M = 1.5·W + 2.0·(W + L)·(L/W)² + η·(W + L)·(1.5·V² + 0.35·V·G)  [watts].
Downhill (G < 0) with ``santee=1`` the Santee et al. (2001, Aviat. Space Environ. Med. 72,
562–566; 2003, J. Thermal Biology 28, 505–511) correction is subtracted:
CF = η·[G·(W + L)·V / 3.5 − (W + L)·(G + 6)² / W + (25 − V²)].
M is floored at the standing rate 1.5·W + 2.0·(W + L)·(L/W)².  Energy of a move
E = M · (d / V) / 1000 kJ.  η may vary per cell (land cover): it is the model's cell parameter.

η is the terrain coefficient of Soule & Goldman (1972, J. Appl. Physiol. 32, 706–708), as the
table is usually reproduced with Pandolf's equation: 1.0 blacktop road (or treadmill), 1.1 dirt
road, 1.2 light brush, 1.5 heavy brush, 1.8 swampy bog, 2.1 loose sand (snow: 1.3 + 0.082·depth
in cm, not used here).  η = 1.5 is *heavy brush*, not loose sand.

Santee's correction is not continuous at zero grade: as G → 0⁻ it adds
η·[36·(W + L)/W − 25 + V²] watts to the level rate (for W = 70 kg, L = 10 kg, V = 1.2 m/s,
η = 1.5: +26 W, 7 % of the level rate), so a near-flat descent costs more than flat ground.
With ``continuous=1`` (and ``santee=1``) the corrected rate is capped at the level rate
M₀ = 1.5·W + 2.0·(W + L)·(L/W)² + 1.5·η·(W + L)·V² on the shallow side of its minimum:
(M_Santee − M₀)/η = a·G² + b·G + c with a = (W + L)/W, b = (W + L)·(0.35·V − V/3.5 + 12/W),
c = 36·a − 25 + V² > 0, least at G_min = −b/(2a); for G_min < G < 0 the rate is
min(M_Santee, M₀), elsewhere M_Santee unchanged.  The cost is then continuous at 0 % (M₀) and
equals the published Santee values at every grade steeper than the root of the quadratic nearest
0 (−0.93 % for the walker above; the quadratic has real roots for every V < 5 m/s, so the cap
adds no jump at G_min).  Only the artefact is removed: measured costs fall monotonically from
level walking to a minimum near −10 % (Minetti, Moia, Roi, Susta & Ferretti 2002, J. Appl.
Physiol. 93, 1039–1046; Looney et al. 2019, Med. Sci. Sports Exerc. 51, 1954–1960, fit a
grade term that vanishes at 0 %); the cap is the conservative choice of no saving on grades
shallower than that root, where Santee's fit has no support.

``naismith`` — seconds.  Naismith's rule (1892): t = d / 5 km/h + 1 h per 600 m of ascent, with
Langmuir's (1984) descent corrections: −10 min per 300 m of descent on slopes of 5°–12°,
+10 min per 300 m on slopes steeper than 12°.

``irmischer`` — seconds.  Irmischer & Clarke (2018, Cartogr. Geogr. Inf. Sci. 45, 177–186):
on road v = 0.11 + exp(−(G + 5)² / 1800) m/s; off road (``off_path=1``)
v = 0.11 + 0.67·exp(−(G + 2)² / 1800) m/s; t = d / v.

``water`` — litres.  Sweat lost on a move: the Pandolf–Santee metabolic rate above (η a model
parameter here) in the human heat balance, with air temperature (kelvin) as the cell parameter,
and the sweat rate of Gonzalez et al. (2009); L = ṁ_sw(M, T_a, …)·A_D/1000 · (d / V)/3600.
Equations, defaults and references: :mod:`borderscape.geo.water`.

``rwalk`` — seconds (plus weighted friction).  GRASS ``r.walk`` (after Aitken 1977 and
Langmuir 1984): T = a·d + b·dz (S ≥ 0) | c·dz (slope_factor ≤ S < 0) | d·dz (S < slope_factor)
+ λ·F̄·d with a = 0.72 s/m, b = 6.0, c = 1.9998, d = −1.9998 s/m, slope_factor = −0.2125 and
λ = 1 by default; F̄ is the friction averaged over the cells of the move (the cell parameter).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from borderscape.geo.costkernel import IRMISCHER, NAISMITH, PANDOLF, RWALK, TOBLER, WATER, cost_many, padded
from borderscape.geo.errors import InputError

TERRAIN_FACTORS: dict[float, str] = {
    1.0: "blacktop road",
    1.1: "dirt road",
    1.2: "light brush",
    1.5: "heavy brush",
    1.8: "swampy bog",
    2.1: "loose sand",
}
"""Pandolf's terrain factor η → terrain, the table of Soule & Goldman (1972) as usually reproduced."""


def terrain_label(eta: float) -> str:
    """The terrain of η on the Soule & Goldman (1972) table, or ``"η = <value>, not in the table"``.

    >>> terrain_label(1.5)
    'heavy brush'
    """
    for value, label in TERRAIN_FACTORS.items():
        if abs(eta - value) < 1e-9:
            return label
    return f"η = {eta:g}, not in the Soule & Goldman (1972) table"


@dataclass(frozen=True)
class Param:
    """One parameter of a cost model: name, default, unit and meaning."""

    name: str
    default: float
    unit: str
    description: str


@dataclass(frozen=True)
class CostModel:
    """A walking-cost model in the registry.

    Attributes
    ----------
    name
        Registry key (``tobler``, ``pandolf``, ``naismith``, ``irmischer``, ``rwalk``, ``water``).
    model_id
        Integer code used inside the numba kernels.
    units
        Units of the cost of a move and of accumulated cost (``s``, ``kJ`` or ``L``).
    params
        Parameters in the order the kernel reads them.
    cell_param
        Name of the parameter that may be a raster (one value per cell), or ``None``.
    formula
        The formula in one line.
    reference
        Bibliographic reference.
    """

    name: str
    model_id: int
    units: str
    params: tuple[Param, ...]
    cell_param: str | None
    formula: str
    reference: str

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the parameters, in kernel order."""
        return tuple(p.name for p in self.params)

    def pack(self, values: Mapping[str, float] | None = None) -> np.ndarray:
        """Parameters as a float64 vector in kernel order, defaults filled in.

        Raises
        ------
        InputError
            For an unknown parameter name or a value out of range.
        """
        values = dict(values or {})
        unknown = sorted(set(values) - set(self.param_names))
        if unknown:
            raise InputError(
                f"model {self.name!r} has no parameter {', '.join(unknown)}",
                remedy="valid parameters: "
                + ", ".join(f"{p.name} ({p.unit}, default {p.default:g})" for p in self.params),
            )
        out = np.array([float(values.get(p.name, p.default)) for p in self.params], dtype=np.float64)
        if not np.all(np.isfinite(out)):
            raise InputError(f"parameters of model {self.name!r} must be finite numbers")
        _check(self, dict(zip(self.param_names, out)))
        return out

    def cost(
        self,
        dz: np.ndarray | float,
        d: np.ndarray | float,
        cell_value: np.ndarray | float | None = None,
        **params: float,
    ) -> np.ndarray:
        """Cost of moves (vectorised), in :attr:`units`.

        Parameters
        ----------
        dz
            Elevation difference, target minus origin, metres (positive uphill).
        d
            Horizontal distance, metres (> 0).
        cell_value
            Value of :attr:`cell_param` for the move (e.g. η); default the parameter's value.
        **params
            Parameter values overriding the defaults.
        """
        p = self.pack(params)
        dz_a, d_a = np.broadcast_arrays(np.asarray(dz, dtype=np.float64), np.asarray(d, dtype=np.float64))
        if cell_value is None:
            cv = np.full(dz_a.shape, p[self.param_names.index(self.cell_param)] if self.cell_param else 0.0)
        else:
            cv = np.broadcast_to(np.asarray(cell_value, dtype=np.float64), dz_a.shape)
        return cost_many(self.model_id, padded(p), dz_a.ravel(), d_a.ravel(), np.ascontiguousarray(cv).ravel()).reshape(
            dz_a.shape
        )


def _check(model: CostModel, v: dict[str, float]) -> None:
    def bad(name: str, why: str) -> None:
        raise InputError(f"parameter {name}={v[name]:g} of model {model.name!r} {why}")

    for name in ("W", "V", "speed_kmh", "climb_m_per_h", "tair_k", "im", "area"):
        if name in v and v[name] <= 0:
            bad(name, "must be > 0")
    for name in ("L", "eta", "friction", "clo", "wind", "solar"):
        if name in v and v[name] < 0:
            bad(name, "must be ≥ 0")
    for name in ("rh", "im"):
        if name in v and v[name] > 1:
            bad(name, "must be a fraction ≤ 1")
    if "tsk" in v and not 20.0 <= v["tsk"] <= 40.0:
        bad("tsk", "must be a skin temperature between 20 and 40 °C")
    for name in ("off_path", "santee", "continuous", "langmuir"):
        if name in v and v[name] not in (0.0, 1.0):
            bad(name, "must be 0 or 1")


MODELS: dict[str, CostModel] = {
    m.name: m
    for m in (
        CostModel(
            "tobler",
            TOBLER,
            "s",
            (Param("off_path", 0.0, "0/1", "1: off-path speed, 3/5 of the on-path speed"),),
            None,
            "v = 6·exp(−3.5·|S + 0.05|) km/h (×0.6 off path); t = d / v",
            "Tobler, W. (1993). Three presentations on geographical analysis and modeling: "
            "non-isotropic geographic modeling. NCGIA Technical Report 93-1.",
        ),
        CostModel(
            "pandolf",
            PANDOLF,
            "kJ",
            (
                Param("W", 70.0, "kg", "body mass"),
                Param("L", 0.0, "kg", "load carried"),
                Param("V", 1.25, "m/s", "walking speed"),
                Param(
                    "eta",
                    1.0,
                    "1",
                    "terrain factor η, Soule & Goldman (1972) as used by Pandolf et al. "
                    "(1977): 1.0 blacktop/treadmill, 1.1 dirt road, 1.2 light brush, "
                    "1.5 heavy brush, 1.8 swampy bog, 2.1 loose sand",
                ),
                Param("santee", 1.0, "0/1", "1: apply the Santee et al. downhill correction"),
                Param(
                    "continuous",
                    0.0,
                    "0/1",
                    "1: Santee's correction made continuous at zero grade (no dearer than level walking "
                    "from 0 % to the grade of its minimum); 0: as published",
                ),
            ),
            "eta",
            "M = 1.5W + 2.0(W+L)(L/W)² + η(W+L)(1.5V² + 0.35VG) [W], G = 100·S; downhill "
            "(G<0, santee=1): M −= η[G(W+L)V/3.5 − (W+L)(G+6)²/W + (25 − V²)]; continuous=1: "
            "M ≤ M(G=0) for −b/2a < G < 0; E = M·d/V / 1000 kJ",
            "Pandolf, K. B., Givoni, B. & Goldman, R. F. (1977). Predicting energy expenditure with "
            "loads while standing or walking very slowly. J. Appl. Physiol. 43(4), 577–581. "
            "Santee, W. R., Blanchard, L. A., Speckman, K. L., Gonzalez, J. A. & Wallace, R. F. "
            "(2003). Load carriage model development and testing with field trials. "
            "J. Thermal Biology 28, 505–511 (correction first given by Santee et al. 2001, "
            "Aviat. Space Environ. Med. 72, 562–566). Terrain factors: Soule, R. G. & Goldman, R. F. "
            "(1972). Terrain coefficients for energy cost prediction. J. Appl. Physiol. 32(5), 706–708. "
            "Continuous form (continuous=1): see the module docstring; measured shape after Minetti, A. E. et al. "
            "(2002). J. Appl. Physiol. 93(3), 1039–1046.",
        ),
        CostModel(
            "naismith",
            NAISMITH,
            "s",
            (
                Param("speed_kmh", 5.0, "km/h", "speed on the flat"),
                Param("climb_m_per_h", 600.0, "m/h", "ascent rate: one extra hour per this many metres up"),
                Param("langmuir", 1.0, "0/1", "1: apply Langmuir's descent corrections"),
            ),
            None,
            "t = d/v + 3600·max(dz,0)/climb; Langmuir: descent at 5°–12°: −10 min per 300 m, "
            "steeper than 12°: +10 min per 300 m",
            "Naismith, W. W. (1892). Scottish Mountaineering Club Journal 2, 136. "
            "Langmuir, E. (1984). Mountaincraft and Leadership. Scottish Sports Council/MLTB.",
        ),
        CostModel(
            "irmischer",
            IRMISCHER,
            "s",
            (Param("off_path", 0.0, "0/1", "1: the off-road fit"),),
            None,
            "on road v = 0.11 + exp(−(100S + 5)²/1800) m/s; off road v = 0.11 + 0.67·exp(−(100S + 2)²/1800) m/s; "
            "t = d / v",
            "Irmischer, I. J. & Clarke, K. C. (2018). Measuring and modeling the speed of human "
            "navigation. Cartography and Geographic Information Science 45(2), 177–186.",
        ),
        CostModel(
            "rwalk",
            RWALK,
            "s",
            (
                Param("a", 0.72, "s/m", "time per metre on the flat"),
                Param("b", 6.0, "s/m", "time per metre climbed"),
                Param("c", 1.9998, "s/m", "time per metre of moderate descent (multiplies dz < 0)"),
                Param("d", -1.9998, "s/m", "time per metre of steep descent (multiplies dz < 0)"),
                Param("slope_factor", -0.2125, "1", "S below which a descent is steep (tan 12°)"),
                Param("lambda", 1.0, "1", "weight of the friction term"),
                Param("friction", 0.0, "s/m", "friction cost per metre (averaged over the cells of a move)"),
            ),
            "friction",
            "T = a·d + {b·dz if S ≥ 0; c·dz if slope_factor ≤ S < 0; d·dz if S < slope_factor} + λ·F̄·d",
            "GRASS GIS r.walk (Fontanari 2002) after Aitken, R. (1977), Wilderness areas in Scotland, "
            "PhD thesis, Univ. Aberdeen, and Langmuir (1984), Mountaincraft and Leadership.",
        ),
        CostModel(
            "water",
            WATER,
            "L",
            (
                Param("W", 70.0, "kg", "body mass"),
                Param("L", 0.0, "kg", "load carried"),
                Param("V", 1.25, "m/s", "walking speed"),
                Param("eta", 1.0, "1", "terrain factor η of the Pandolf rate (Soule & Goldman 1972), one value here"),
                Param("santee", 1.0, "0/1", "1: apply the Santee et al. downhill correction"),
                Param("continuous", 0.0, "0/1", "1: Santee's correction made continuous at zero grade"),
                Param(
                    "tair_k",
                    313.15,
                    "K",
                    "air temperature in kelvin (the cell parameter: kelvin keeps per-cell values ≥ 0; "
                    "borderscape.geo.water.temperature_grid gives °C, + 273.15); default 40 °C",
                ),
                Param("rh", 0.2, "1", "relative humidity, fraction (0–1)"),
                Param("tsk", 36.0, "°C", "mean skin temperature, held constant (Cheuvront et al. 2007, 'SHAP36')"),
                Param("clo", 0.6, "clo", "intrinsic clothing insulation (trousers + long-sleeved shirt)"),
                Param("im", 0.38, "1", "moisture permeability index of clothing and air layer (Woodcock 1962)"),
                Param("wind", 0.0, "m/s", "wind speed (combined in quadrature with walking speed)"),
                Param("solar", 0.0, "W/m²", "absorbed solar heat load per m² of body surface (0: shade or night)"),
                Param("area", 1.81, "m²", "body surface area A_D (DuBois & DuBois 1916; 70 kg, 1.70 m)"),
            ),
            "tair_k",
            "L = ṁ_sw·A_D/1000 · d/V/3600 with ṁ_sw = 147 + 1.527·E_req − 0.87·E_max g·m⁻²·h⁻¹, "
            "E_req = (M − W_ext)/A_D + (T_a − T_sk)/R_T + solar, E_max = 16.5·i_m·(p_sk − p_a)/R_T, "
            "M Pandolf–Santee, W_ext = (W+L)·g·V·max(S, 0), R_T = 0.155·I_T",
            "Gonzalez, R. R., Cheuvront, S. N., Montain, S. J., Goodman, D. A., Blanchard, L. A., Berglund, L. G. "
            "& Sawka, M. N. (2009). Expanded prediction equations of human sweat loss and water needs. "
            "J. Appl. Physiol. 107, 379–388. Metabolic rate: Pandolf et al. (1977), Santee et al. (2001, 2003). "
            "Heat exchange: ISO 7730 (h_c), ASHRAE Handbook—Fundamentals ch. 9 (h_r, clothing), Woodcock (1962) "
            "(i_m); DuBois, D. & DuBois, E. F. (1916) Arch. Intern. Med. 17, 863–871. See geo/water.py.",
        ),
    )
}


def get_model(name: str) -> CostModel:
    """The registered model called ``name``.

    Raises
    ------
    InputError
        Listing the valid model names when ``name`` is not one of them.
    """
    try:
        return MODELS[name]
    except KeyError:
        raise InputError(f"unknown cost model {name!r}", remedy="choose one of: " + ", ".join(MODELS)) from None
