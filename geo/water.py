"""Hardship in litres: sweat lost walking, from the human heat balance, as a walking-cost model.

What this models, and what it does not
--------------------------------------
This estimates the water a person would have sweated walking over the ground: the past
hardship of people who died crossing it, to be read beside the records of their remains.  It is
never a map of where people are or will be, and it must not be used to forecast crossings or to
direct enforcement.

The model (registered as ``water`` in :data:`borderscape.geo.costmodels.MODELS`; litres)
--------------------------------------------------------------------------------------
Per move of horizontal length d (m) and slope S = dz/d, for a walker of body mass W (kg) with
load L (kg) at speed V (m/s) on terrain of factor η, in air at T_a (°C):

1. Metabolic rate M (W): Pandolf, Givoni & Goldman (1977) with the Santee et al. (2001)
   downhill correction, exactly as the ``pandolf`` model (:mod:`borderscape.geo.costmodels`).
2. External mechanical power W_ext = (W + L)·g·V·S (W; g = 9.81 m/s²) uphill, the work done
   lifting the body and load, which leaves as potential energy, not heat (E_req = M − W_ext, as
   Gonzalez et al.); 0 downhill.  Downhill the potential energy released is not added to the body's
   heat (part of it is dissipated in the ground and footwear): a choice that does not inflate
   hardship; the ISO 8996 convention (M − W with W < 0) would add up to (W + L)·g·V·|S| watts.
3. Dry heat gain by radiation and convection through clothing (W/m²):
   (R + C) = (T_a − T_sk) / R_T,  R_T = 0.155·I_T  (m²·K/W; 1 clo = 0.155 m²·K/W),
   I_T = I_cl + I_a / f_cl,  I_a = 1 / (0.155·(h_c + h_r)),  f_cl = 1 + 0.31·I_cl,
   h_c = 12.1·√v_ar (ISO 7730:2005, forced convection), h_r = 4.7 W/m²·K (ASHRAE Handbook —
   Fundamentals, ch. 9, the usual linear radiative coefficient), v_ar = √(wind² + V²) the air
   speed relative to the walker (wind at right angles to the walk, an assumption).  Air and mean
   radiant temperature are taken as equal; sunshine enters as ``solar`` below.
4. Maximum evaporative capacity (W/m²): E_max = LR·i_m·(p_sk − p_a) / R_T (Woodcock 1962), with
   the Lewis relation LR = 16.5 K/kPa, p_sk the saturation vapour pressure at T_sk, p_a = RH ×
   saturation vapour pressure at T_a (kPa; Tetens 1930 in Murray's 1967 form,
   0.61078·exp(17.27·T/(T + 237.3))); floored at 0.
5. Required evaporation (W/m²): E_req = (M − W_ext)/A_D + (R + C) + solar.
6. Sweat rate, the piecewise (PW) equation of Gonzalez et al. (2009), as printed in their abstract
   (and restated by Gonzalez et al. 2012, J. Appl. Physiol. 112, 1300–1310):
   ṁ_sw = 147 + 1.527·E_req − 0.87·E_max  g·m⁻²·h⁻¹ (E in W/m²; derived for 15–46 °C, water
   vapour pressure 0.27–4.45 kPa, wind 0.4–2.5 m/s, M up to 450 W/m²); floored at 0.
7. Litres per hour = ṁ_sw·A_D/1000 (1 g of sweat = 1 mL); litres over a move = that × d/V/3600 h.

What is and is not Gonzalez et al.'s: the PW equation (6) and its inputs E_req and E_max are
theirs; the heat-exchange terms (3)–(4) are the standard partitional-calorimetry forms (ISO 7730,
ISO 7933, ASHRAE), not USARIEM's own clothing and wind functions, which were not to hand.  No
coefficient of steps 3–6 was fitted here.  The original Shapiro, Pandolf & Goldman (1982)
equation (OSE) and Gonzalez's correction of it (OSEC) are given by :func:`sweat_rate_ose` and
:func:`sweat_rate_osec` for comparison; the cost model uses PW.

Verified, and not verified, against the reference
-------------------------------------------------
Checked against the published text that could be reached (abstracts only; the full paper could not
be read): the PW, OSE and OSEC equations, their coefficients and units (g·m⁻²·h⁻¹ with E in W/m²)
and the derivation domain are as printed in the abstract of Gonzalez et al. (2009)
(journals.physiology.org/doi/full/10.1152/japplphysiol.00089.2009; DTIC report M09-20, ADA506525)
and restated, with PW,cool and the solar form, in the abstract of Gonzalez et al. (2012) (DTIC
ADA559767); ``tests/test_water_loss.py`` asserts them as printed.  The heat balance is checked
against a flat-terrain case worked by hand, term by term, independently of this module's code
(``test_heat_balance_closed_form_by_hand``), and the numba kernel against this numpy reference.

Not verified: (a) no worked example of the paper (inputs → sweat rate) was found — neither in the
reachable text of Gonzalez et al. (2009, 2012), nor in the Professional Geographer paper that
applies it to the Sonoran Desert ("Dehydration Rate and a Novel Model to Aid Search and Relief for
Undocumented Border Crossers in the Sonoran Desert", 2022, pp. 642–658, doi 10.1080/00330124.2022.2081223;
abstract only), nor in
public code (the implementations found restate the abstract's equation without test values); so
agreement "with the reference's worked values within the paper's rounding" is untested.  (b) How
USARIEM computes E_req and E_max from clothing (its own i_m/clo and wind functions) is not in the
abstracts: steps 3–4 are the standard forms cited there, not theirs, and E_max here may differ
from what the paper's regression saw for the same clothing.  (c) No independent package
implements PW: pythermalcomfort 4.8.1 (PyPI) has no Gonzalez or Shapiro sweat equation (its
wheel was searched for them), so there is no cross-check against another implementation.

Defaults (model parameters; override per run)
---------------------------------------------
* ``W`` 70 kg, ``L`` 0 kg, ``V`` 1.25 m/s, ``eta`` 1.0: the study's Pandolf walker
  (``[parameters.cost]``); H2/H3 pass :func:`borderscape.analyses.routes.walker`.
* ``tair_k`` 313.15 K (40 °C): the cell parameter, air temperature in **kelvin** so that per-cell
  values are ≥ 0 as the cost kernel requires (use :func:`temperature_grid` for °C, then
  :func:`kelvin`).  η is a single value in this model (the kernel has one cell parameter).
* ``rh`` 0.20: relative humidity of a Sonoran-desert summer afternoon (dry season before the
  monsoon; an assumption, not a measurement — pass a value from a station or PRISM's vapour
  pressure normals where known).
* ``tsk`` 36 °C: mean skin temperature held constant, as in the "SHAP36" variant of Cheuvront et
  al. (2007, Eur. J. Appl. Physiol. 101, 215–224).
* ``clo`` 0.6 clo: trousers and a long-sleeved shirt (ASHRAE 55 / ISO 9920 garment tables,
  about 0.6 clo).
* ``im`` 0.38: moisture permeability index of ordinary permeable clothing (Woodcock 1962;
  ASHRAE Handbook — Fundamentals, ch. 9).
* ``wind`` 0 m/s: still air, the air speed being the walking speed alone.
* ``solar`` 0 W/m²: shade or night; PW was derived indoors.  In sun, pass the absorbed solar
  load per m² of body surface (Gonzalez et al. 2012 add it to E_req the same way); litres with
  the default are a lower bound for daytime walking.
* ``area`` 1.81 m²: DuBois & DuBois (1916) A_D = 0.007184·W^0.425·H^0.725 (W kg, H cm) for
  70 kg and 170 cm (:func:`dubois_area`); set it with W.

Scale and limits
----------------
With the defaults (70 kg, no load, 1.25 m/s, η 1, RH 20 %, shade, still air) the model gives
0.44 L/h on the flat at 40 °C, 0.78 L/h on a 10 % climb, 0.85 L/h on the flat with 150 W/m² of
absorbed sun.  PW is a regression: below about 22 °C (for this walker) it predicts ≤ 0 and is
floored at 0, so cool-night litres are a lower bound.  Gonzalez et al. (2012, abstract) give
PW,cool = 350 + 1.527·E_req − 0.87·E_max for T_a < 20 °C; it is not used here (a jump of
203 g·m⁻²·h⁻¹ at 20 °C would break the monotonicity in temperature the search relies on).
Respiratory water loss and water from metabolism are not counted.

Use in an analysis (H2, H3)
---------------------------
The temperature of a run comes from a climate raster (:func:`read_temperature`, one band, or
the month's band of a 12-band file, °C) resampled onto the cost grid
(:func:`temperature_on_grid`), or from temperatures at points such as the cell centres of the
shipped 0.044° July maximum grid (:func:`az_july_tmax`; :func:`temperature_grid`).  Then
``accumulated_cost(dem, border, model="water", params={**walker(study), "rh": …}, cell_values=kelvin(temp))``
gives litres from the border on every cell (NaN temperature cells are impassable); H2 samples it
at remains.  :func:`route_litres` sums the litres move by move along a given route (H3: the same
least-energy routes, unconstrained and avoiding coverage, measured in litres beside kJ); on a
least-litre route it equals the accumulated cost (the same kernel, the same cell averages).
A monthly maximum temperature is a hot afternoon of that month, not the day each person walked:
litres from it describe a worst-case summer day, and the surface describes past journeys of
people who died, never where people are or will be.

References
----------
Gonzalez, R. R., Cheuvront, S. N., Montain, S. J., Goodman, D. A., Blanchard, L. A., Berglund,
L. G. & Sawka, M. N. (2009). Expanded prediction equations of human sweat loss and water needs.
J. Appl. Physiol. 107, 379–388.
Shapiro, Y., Pandolf, K. B. & Goldman, R. F. (1982). Predicting sweat loss response to exercise,
environment and clothing. Eur. J. Appl. Physiol. 48, 83–96.
Pandolf, K. B., Givoni, B. & Goldman, R. F. (1977). J. Appl. Physiol. 43, 577–581; Santee, W. R.
et al. (2001). Aviat. Space Environ. Med. 72, 562–566.
Woodcock, A. H. (1962). Moisture transfer in textile systems, part I. Textile Res. J. 32, 628–633.
DuBois, D. & DuBois, E. F. (1916). A formula to estimate the approximate surface area if height
and weight be known. Arch. Intern. Med. 17, 863–871.
ISO 7730:2005; ISO 7933:2004; ASHRAE Handbook — Fundamentals (2017), ch. 9.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import rasterio
from pyproj import CRS, Transformer
from rasterio.warp import reproject
from scipy.interpolate import griddata
from scipy.spatial import cKDTree

from borderscape.geo.costkernel import WATER, cost_many, padded
from borderscape.geo.costmodels import get_model
from borderscape.geo.errors import InputError, RasterError
from borderscape.geo.raster import Raster

KELVIN = 273.15
LEWIS = 16.5  # K/kPa, Lewis relation
CLO = 0.155  # m²·K/W per clo
G = 9.81  # m/s²

AZ_GRID = "az-environmental-grid-0044deg/danger_index_environmental_layers.csv"
"""The shipped 0.044° grid with the PRISM July maximum temperature (°C), relative to the data directory."""


def dubois_area(mass_kg: float, height_m: float) -> float:
    """Body surface area, m², of DuBois & DuBois (1916): 0.007184·W^0.425·H^0.725 (W kg, H cm).

    >>> round(dubois_area(70.0, 1.70), 2)
    1.81
    """
    if mass_kg <= 0 or height_m <= 0:
        raise InputError("body mass and height must be > 0", remedy="give mass in kg and height in metres")
    return 0.007184 * mass_kg**0.425 * (100.0 * height_m) ** 0.725


def kelvin(celsius: np.ndarray | float) -> np.ndarray:
    """°C → K, the unit of the ``water`` model's cell parameter ``tair_k``."""
    return np.asarray(celsius, dtype=np.float64) + KELVIN


def saturation_vapour_pressure(t_c: np.ndarray | float) -> np.ndarray:
    """Saturation vapour pressure over water, kPa (Tetens 1930, Murray 1967 form)."""
    t = np.asarray(t_c, dtype=np.float64)
    return 0.61078 * np.exp(17.27 * t / (t + 237.3))


def _params(params: Mapping[str, float] | None) -> dict[str, float]:
    model = get_model("water")
    return dict(zip(model.param_names, model.pack(params)))


def heat_balance(
    slope: np.ndarray | float, t_air_c: np.ndarray | float, params: Mapping[str, float] | None = None
) -> dict[str, np.ndarray]:
    """The terms of the heat balance (vectorised numpy; the reference for the numba kernel).

    Parameters
    ----------
    slope
        S = dz/d (rise over run; positive uphill).
    t_air_c
        Air temperature, °C.
    params
        ``water`` model parameters (see the module docstring); ``tair_k`` is ignored here.

    Returns
    -------
    dict
        ``M`` and ``W_ext`` (W), ``R_C``, ``E_req``, ``E_max`` (W/m²), ``sweat`` (g·m⁻²·h⁻¹),
        ``litres_per_hour``.
    """
    p = _params(params)
    s = np.asarray(slope, dtype=np.float64)
    ta = np.asarray(t_air_c, dtype=np.float64)
    w, load, v, eta = p["W"], p["L"], p["V"], p["eta"]
    g = 100.0 * s
    stand = 1.5 * w + 2.0 * (w + load) * (load / w) ** 2
    level = stand + eta * (w + load) * 1.5 * v * v
    m = level + eta * (w + load) * 0.35 * v * g
    if p["santee"] == 1.0:
        corrected = m - eta * (g * (w + load) * v / 3.5 - (w + load) * (g + 6.0) ** 2 / w + (25.0 - v * v))
        if p["continuous"] == 1.0:
            a = (w + load) / w
            b = (w + load) * (0.35 * v - v / 3.5 + 12.0 / w)
            corrected = np.where((corrected > level) & (g > -b / (2 * a)), level, corrected)
        m = np.where(g < 0, corrected, m)
    m = np.maximum(m, stand)
    w_ext = (w + load) * G * v * np.maximum(s, 0.0)
    v_ar = np.hypot(p["wind"], v)
    i_t = p["clo"] + 1.0 / (CLO * (12.1 * np.sqrt(v_ar) + 4.7)) / (1.0 + 0.31 * p["clo"])
    r_t = CLO * i_t
    r_c = (ta - p["tsk"]) / r_t
    e_max = np.maximum(
        LEWIS * p["im"] * (saturation_vapour_pressure(p["tsk"]) - p["rh"] * saturation_vapour_pressure(ta)) / r_t,
        0.0,
    )
    e_req = (m - w_ext) / p["area"] + r_c + p["solar"]
    sweat = np.maximum(sweat_rate_pw(e_req, e_max), 0.0)
    return {
        "M": np.broadcast_to(m, np.broadcast(s, ta).shape),
        "W_ext": np.broadcast_to(w_ext, np.broadcast(s, ta).shape),
        "R_C": np.broadcast_to(r_c, np.broadcast(s, ta).shape),
        "E_req": e_req,
        "E_max": np.broadcast_to(e_max, np.broadcast(s, ta).shape),
        "sweat": sweat,
        "litres_per_hour": sweat * p["area"] / 1000.0,
    }


def sweat_rate_pw(e_req: np.ndarray | float, e_max: np.ndarray | float) -> np.ndarray:
    """Gonzalez et al. (2009) piecewise equation: 147 + 1.527·E_req − 0.87·E_max, g·m⁻²·h⁻¹ (not floored)."""
    return 147.0 + 1.527 * np.asarray(e_req, dtype=np.float64) - 0.87 * np.asarray(e_max, dtype=np.float64)


def sweat_rate_ose(e_req: np.ndarray | float, e_max: np.ndarray | float) -> np.ndarray:
    """Shapiro et al. (1982) original equation (OSE): 27.9·E_req·E_max^−0.455, g·m⁻²·h⁻¹."""
    return 27.9 * np.asarray(e_req, dtype=np.float64) * np.asarray(e_max, dtype=np.float64) ** -0.455


def sweat_rate_osec(e_req: np.ndarray | float, e_max: np.ndarray | float) -> np.ndarray:
    """Gonzalez et al. (2009) correction of the Shapiro equation (OSEC): 147·exp(0.0012·OSE), g·m⁻²·h⁻¹."""
    return 147.0 * np.exp(0.0012 * sweat_rate_ose(e_req, e_max))


def litres_per_hour(
    slope: np.ndarray | float, t_air_c: np.ndarray | float, params: Mapping[str, float] | None = None
) -> np.ndarray:
    """Sweat rate, L/h, of the walker ``params`` on slope S in air at ``t_air_c`` °C (numpy)."""
    return heat_balance(slope, t_air_c, params)["litres_per_hour"]


def litres_per_metre(
    slope: np.ndarray | float, t_air_c: np.ndarray | float, params: Mapping[str, float] | None = None
) -> np.ndarray:
    """Sweat lost per metre walked (horizontal), L/m: the litres per hour over V·3600 metres.

    The numba kernel behind :func:`borderscape.geo.costdistance.accumulated_cost` (``model="water"``)
    computes the same per move (× d); this numpy version is its independent check.
    """
    p = _params(params)
    return litres_per_hour(slope, t_air_c, params) / (p["V"] * 3600.0)


def move_litres(
    dz: np.ndarray, d: np.ndarray, t_air_c: np.ndarray | float, params: Mapping[str, float] | None = None
) -> np.ndarray:
    """Litres of one move by the numba kernel (what the accumulated-cost search adds per move)."""
    model = get_model("water")
    p = model.pack(params)
    dz_a, d_a, t_a = np.broadcast_arrays(
        np.asarray(dz, dtype=np.float64), np.asarray(d, dtype=np.float64), kelvin(t_air_c)
    )
    out = cost_many(WATER, padded(p), dz_a.ravel(), d_a.ravel(), np.ascontiguousarray(t_a).ravel())
    return out.reshape(dz_a.shape)


# -- temperature on the cost grid ------------------------------------------------------------
def temperature_grid(
    dem: Raster,
    x: np.ndarray,
    y: np.ndarray,
    values: np.ndarray,
    *,
    crs: str = "EPSG:4326",
    method: str = "nearest",
    max_distance: float | None = None,
) -> np.ndarray:
    """Air temperature (°C) on the cells of ``dem`` from values at points (e.g. grid-cell centres).

    Parameters
    ----------
    dem
        The cost grid (projected, metres).
    x, y
        Coordinates of the points in ``crs`` (longitude, latitude for the default EPSG:4326).
    values
        Temperature at the points, °C; NaN points are dropped.
    crs
        CRS of ``x``, ``y``.
    method
        ``"nearest"`` (the value of the nearest point, distances in the DEM's metres) or ``"linear"``
        (barycentric on the Delaunay triangulation of the points in their own CRS,
        :func:`scipy.interpolate.griddata`: exact for a field linear in x, y; on a regular grid it is
        bilinear up to the split of each cell into two triangles).
    max_distance
        Cells farther than this (metres on the DEM's grid) from every point get NaN, which the
        cost search treats as impassable; default 1.5 × the median spacing of the points.

    Returns
    -------
    numpy.ndarray
        float64 array of the DEM's shape, °C; NaN outside the points' cover.

    Raises
    ------
    InputError
        For mismatched lengths, no finite point, or an unknown method.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    t = np.asarray(values, dtype=np.float64).ravel()
    if not (x.shape == y.shape == t.shape):
        raise InputError(f"x, y and values differ in length ({x.size}, {y.size}, {t.size})")
    if method not in ("nearest", "linear"):
        raise InputError(f"unknown interpolation {method!r}", remedy="use 'nearest' or 'linear'")
    keep = np.isfinite(x) & np.isfinite(y) & np.isfinite(t)
    if keep.sum() < (3 if method == "linear" else 1):
        raise InputError("no usable temperature points", remedy="give finite coordinates and temperatures")
    px, py = Transformer.from_crs(crs, dem.crs, always_xy=True).transform(x[keep], y[keep])
    pts = np.column_stack([px, py])
    rows, cols = np.indices(dem.shape)
    cx, cy = dem.xy(rows.ravel(), cols.ravel())
    cells = np.column_stack([cx, cy])
    tree = cKDTree(pts)
    dist, idx = tree.query(cells)
    if max_distance is None:
        spacing = tree.query(pts, k=2)[0][:, 1] if len(pts) > 1 else np.array([np.inf])
        max_distance = 1.5 * float(np.median(spacing))
    if method == "nearest":
        out = t[keep][idx]
    else:  # in the points' own CRS, where a regular grid is regular
        qx, qy = Transformer.from_crs(dem.crs, crs, always_xy=True).transform(cx, cy)
        out = griddata(np.column_stack([x[keep], y[keep]]), t[keep], np.column_stack([qx, qy]), method="linear")
    out = np.where(dist <= max_distance, out, np.nan)
    return out.reshape(dem.shape)


def az_july_tmax(data_dir: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Longitude, latitude and July maximum temperature (°C) of the shipped 0.044° Arizona grid.

    PRISM 4 km July Tmax, mean of 2014–2023 (see the data set's PROVENANCE.md).
    """
    import pandas as pd

    path = Path(data_dir) / AZ_GRID
    if not path.exists():
        raise InputError(f"{path} not found", remedy="pass --data-dir pointing at the shared data directory")
    frame = pd.read_csv(path, usecols=["longitude", "latitude", "july_tmax_c"])
    return frame["longitude"].to_numpy(), frame["latitude"].to_numpy(), frame["july_tmax_c"].to_numpy()


# -- a climate raster on the cost grid, and litres along a route -------------------------------
#: Air temperatures outside this range (°C) are refused as a unit error (kelvin, tenths of a degree).
PLAUSIBLE_C = (-60.0, 60.0)


def read_temperature(
    path: str | os.PathLike[str],
    *,
    month: int | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    bounds_crs: str = "EPSG:4326",
) -> Raster:
    """Read air temperature (°C) from a climate raster: its one band, or a month of a 12-band file.

    Parameters
    ----------
    path
        A GeoTIFF (or any GDAL raster) of air temperature in °C, e.g. a PRISM or WorldClim
        monthly maximum; with 12 bands, band k is month k (1 = January).
    month
        The month (1–12) to read from a 12-band file; for a one-band file it only names the
        month (checked to be 1–12).
    bounds, bounds_crs
        The window to read (default the whole file), e.g. the study's box in degrees.

    Returns
    -------
    Raster
        float64 °C, NaN where the file has no data.

    Raises
    ------
    InputError
        A file with neither 1 nor 12 bands, a 12-band file without a month, a month outside
        1–12, no finite value, or values outside −60…60 °C (kelvin, or tenths of a degree).
    RasterError, CRSError
        A file that cannot be read as a raster, without a CRS, or missing ``bounds``.
    """
    if month is not None and not 1 <= int(month) <= 12:
        raise InputError(f"month must be 1-12, got {month}", remedy="give the month as a number, 7 for July")
    try:
        with rasterio.open(path) as src:
            bands = src.count
    except rasterio.errors.RasterioIOError as exc:
        raise RasterError(
            f"cannot read the temperature raster {path}: {exc}", remedy="give a GeoTIFF of air temperature in °C"
        ) from exc
    if bands == 12:
        if month is None:
            raise InputError(
                f"the temperature raster {Path(path).name} has 12 bands (months) and no month was chosen",
                remedy="set [parameters.cost] temperature_month = 1 … 12 (7 for July)",
            )
        band = int(month)
    elif bands == 1:
        band = 1
    else:
        raise InputError(
            f"the temperature raster {Path(path).name} has {bands} bands",
            remedy="give one band of °C, or 12 bands, January to December",
        )
    raster = Raster.read(path, band=band, bounds=bounds, bounds_crs=bounds_crs)
    values = raster.array.astype(np.float64)
    values[~raster.valid_mask()] = np.nan
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise InputError(f"the temperature raster {Path(path).name} holds no value in the window read")
    lo, hi = PLAUSIBLE_C
    if finite.min() < lo or finite.max() > hi:
        raise InputError(
            f"the temperature raster {Path(path).name} holds values from {finite.min():g} to {finite.max():g}, "
            f"outside {lo:g}…{hi:g} °C",
            remedy="give air temperature in °C (from kelvin subtract 273.15; PRISM and WorldClim are in °C)",
        )
    return Raster(values, raster.transform, raster.crs, np.nan)


def temperature_on_grid(dem: Raster, temperature: Raster, *, resampling: str = "bilinear") -> np.ndarray:
    """A temperature raster (°C) on the cells of ``dem``: copied when on the same grid, else
    resampled (:func:`rasterio.warp.reproject`, bilinear by default) from its own CRS and cells.

    Returns
    -------
    numpy.ndarray
        float64 °C of the DEM's shape; NaN where the raster has no data or does not reach (the
        cost search treats those cells as impassable).
    """
    src = temperature.array.astype(np.float64)
    src = np.where(temperature.valid_mask(), src, np.nan)
    if temperature.crs == dem.crs and temperature.transform == dem.transform and temperature.shape == dem.shape:
        return src
    from rasterio.enums import Resampling

    try:
        method = Resampling[resampling]
    except KeyError:
        raise InputError(f"unknown resampling {resampling!r}", remedy="use 'bilinear' or 'nearest'") from None
    out = np.full(dem.shape, np.nan)
    reproject(
        src,
        out,
        src_transform=temperature.transform,
        src_crs=CRS(temperature.crs).to_wkt(),
        dst_transform=dem.transform,
        dst_crs=CRS(dem.crs).to_wkt(),
        src_nodata=np.nan,
        dst_nodata=np.nan,
        resampling=method,
    )
    return out


def route_litres(
    dem: Raster, route: object, temperature_c: np.ndarray, params: Mapping[str, float] | None = None
) -> float:
    """Sweat lost (L) walking a route through cell centres, move by move (the ``water`` model).

    L = Σ moves ṁ_sw(S, T̄)·A_D/1000 · d/V/3600, with S = dz/d along the line's direction and T̄
    the move's air temperature averaged as the accumulated-cost kernel does: the mean of the
    two cells for a move to one of the 8 neighbours, of the four cells a knight's move passes
    for a 16-neighbour move (in kelvin, as float32 cell values).  NaN when the route crosses a
    cell without a temperature.

    Parameters
    ----------
    dem
        Elevations (m), projected CRS.
    route
        A :class:`shapely.LineString` through cell centres of ``dem`` (as
        :func:`~borderscape.geo.costdistance.least_cost_paths` returns).
    temperature_c
        Air temperature (°C) on the DEM's grid (:func:`temperature_on_grid`).
    params
        ``water`` model parameters (``tair_k`` is taken from ``temperature_c``).

    Returns
    -------
    float
        Litres.
    """
    import shapely

    xy = shapely.get_coordinates(route)
    if len(xy) < 2:
        return 0.0
    r, c = dem.rowcol(xy[:, 0], xy[:, 1])
    z = dem.array[r, c].astype(np.float64)
    kelv = kelvin(temperature_c).astype(np.float32).astype(np.float64)
    dr, dc = np.diff(r), np.diff(c)
    t = kelv[r[:-1], c[:-1]] / 2.0 + kelv[r[1:], c[1:]] / 2.0
    knight = (np.abs(dr) == 2) | (np.abs(dc) == 2)
    if knight.any():
        i = np.flatnonzero(knight)
        r0, c0 = r[:-1][i], c[:-1][i]
        # the two cells a knight's move passes between (as the kernel's off1/off2)
        along_r = np.abs(dr[i]) == 2
        r1 = np.where(along_r, r0 + dr[i] // 2, r0)
        c1 = np.where(along_r, c0, c0 + dc[i] // 2)
        r2 = np.where(along_r, r0 + dr[i] // 2, r0 + dr[i])
        c2 = np.where(along_r, c0 + dc[i], c0 + dc[i] // 2)
        t[i] = (kelv[r0, c0] + kelv[r[1:][i], c[1:][i]] + kelv[r1, c1] + kelv[r2, c2]) / 4.0
    if not np.all(np.isfinite(t)):
        return float("nan")
    step = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1]))
    model = get_model("water")
    p = model.pack({k: v for k, v in (params or {}).items() if k != "tair_k"})
    out = cost_many(WATER, padded(p), np.diff(z), step, np.ascontiguousarray(t))
    return float(out.sum())
