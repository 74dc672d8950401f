"""Replication: borderscape's numbers beside published ones, each with its citation and tolerance.

Each check is a :class:`Comparison`: the published value and where it is published, the value
borderscape computes from the shared data, the tolerance, whether they agree, and — when they
differ — by how much and the likely reason (a later export, a different filter, a different
model), said instead of hidden, and the catalog ids of the data it compares (``sources``), by which
:func:`about` picks the checks about a run's sources (the briefing's "Checks against the published
record", :mod:`borderscape.brief`).  :func:`replicate` runs every check from one data folder:

1. Bansak, Blanco, Coon & Dieringer (2025), record counts by period, from the snapshot of the
   Arizona OpenGIS records their replication repository ships (``pcome``,
   ``ogis_deaths_bansak2025_1981_2020-06.csv``): 1,215 before the Secure Fence Act (found
   2000–2007, plus 2008 finds with a post-mortem interval "> 6-8 months"), 1,826 after, 3,041 in
   all (their Table 4).
2. Their hot-spot grid (ArcGIS Optimized Hot Spot Analysis): populated cells 629 before and 780
   after on cells of 0.0427° and 0.0451°, about 136 neighbours on average.
3. White et al. (2025): fewer remains on steeper ground (−1.094 % per degree of slope) and
   potential evapotranspiration (PET) the strongest predictor — against the ``pcome-terrain``
   case–control table, through the H2 case–control model
   (:func:`borderscape.analyses.battery.h2_hardship._case_control`, not a second model).
4. IOM's compiled central-Mediterranean monthly death rates (``cmr_rate_of_death`` of
   ``iom-med-monthly``) against M1's rate from the same file's deaths and crossings
   (:func:`borderscape.analyses.battery.m1_mortality.mortality_per_crossing`).
5. The 2021 interceptions by the Libyan coast guard: IOM 32,425; Human Rights Watch / Border
   Forensics "Airborne Complicity" (2022): more than 32,400.
6. Where aerial flight tracks are supplied (``borderscape replicate --flights FILE``): the sign and size
   of the correlation between monthly flight hours over the central Mediterranean and the monthly
   interceptions by the Libyan coast guard, and the death rate, against "Airborne Complicity"'s
   "moderate and statistically significant" correlation with interceptions and "no meaningful
   impact" on the death rate (:func:`flight_correlations`).
7. Published Pima County summaries of the same records: 2,238 remains of undocumented border
   crossers 1990–2012 (Martínez et al. 2013), 2,413 from 1990 to fiscal year 2013 (Martínez,
   Reineke, Rubio-Goldsmith & Parks 2014), and the medical examiner's yearly counts quoted in 2020
   (214 in 2007, 222 in 2010, 153 in 2019, 177 from January to September 2020), against the newest
   OGIS export counted by reporting date (every row, whatever its quality flag).

The Arizona records hold names of the dead: nothing here reads, keeps or prints them (the
``pcome`` reader drops them) and no row is ever printed — only counts.

References
----------
Bansak, C., Blanco, M., Coon, M. & Dieringer, N. (2025). Border walls and death on the US–Mexico
border. (Replication data: github.com/chezumcade05-sys/Migrant-deaths-paper.)
White, J. et al. (2025). Applied Geography 180, 103651.
Getis, A. & Ord, J. K. (1992). The analysis of spatial association by use of distance statistics.
Geogr. Anal. 24, 189–206 (the Gi* statistic of the hot-spot grid).
IOM Missing Migrants Project (2025). ALL MED DATA 2010–2025 (12 Aug 2025).
Human Rights Watch & Border Forensics (2022). Airborne Complicity: Frontex Aerial Surveillance
Enables Abuse.
Ratner, B. (2009). The correlation coefficient: its values range between +1/−1, or do they? J.
Target. Meas. Anal. Mark. 17, 139–142 (0–0.3 weak, 0.3–0.7 moderate, 0.7–1 strong: the reading
of "moderate" assumed here).
Martínez, D. E. et al. (2013). A Continued Humanitarian Crisis at the Border: Undocumented Border
Crosser Deaths Recorded by the Pima County Office of the Medical Examiner, 1990–2012. Binational
Migration Institute, University of Arizona.
Martínez, D. E., Reineke, R. C., Rubio-Goldsmith, R. & Parks, B. O. (2014). Structural violence and
migrant deaths in southern Arizona: data from the Pima County Office of the Medical Examiner,
1990–2013. Journal on Migration and Human Security 2(4), 257–286.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from borderscape.geo.errors import BorderscapeError

__all__ = [
    "BANSAK",
    "BANSAK_SNAPSHOT",
    "Comparison",
    "Replication",
    "about",
    "bansak_periods",
    "flight_correlations",
    "has_checks",
    "populated_cells",
    "replicate",
    "to_markdown",
]

BANSAK = (
    "Bansak, Blanco, Coon & Dieringer (2025), Border Walls and Death on the US-Mexico Border, Table 4 "
    "(validation counts in the README of github.com/chezumcade05-sys/Migrant-deaths-paper)"
)
BANSAK_GRID = (
    "Bansak, Blanco, Coon & Dieringer (2025), hot-spot maps (ArcGIS Optimized Hot Spot Analysis, Getis-Ord Gi* "
    "with FDR correction): populated cells, cell size and average neighbours as reported"
)
WHITE = "White, J. et al. (2025). Applied Geography 180, 103651"
IOM = "IOM Missing Migrants Project, ALL MED DATA 2010-2025 (12 Aug 2025), sheet 'Crossings 2014-24 ALL ROUTE'"
HRW = (
    "Human Rights Watch & Border Forensics (2022), Airborne Complicity: Frontex Aerial Surveillance Enables "
    "Abuse ('more than 32,400' interceptions by the Libyan coast guard in 2021)"
)
HRW_FLIGHTS = (
    "Human Rights Watch & Border Forensics (2022), Airborne Complicity: 'a moderate and statistically significant "
    "relationship between drone flights and the number of interceptions carried out by the Libyan Coast Guard' "
    "(their news release of December 2022); 'While the presence of Frontex aircraft has not had a meaningful impact on the "
    "death rate at sea, we found a moderate and statistically significant correlation between its aerial assets "
    "flights and the number [of interceptions]' (borderforensics.org/investigations/airborne-complicity). "
    "No coefficient is published: 'moderate' is read as Spearman 0.3-0.7 and 'no meaningful impact' as |rho| <= 0.3 "
    "(Ratner 2009, J. Target. Meas. Anal. Mark. 17, 139-142: 0-0.3 weak, 0.3-0.7 moderate, 0.7-1 strong)"
)
#: The reading of "moderate" (Spearman's rho) assumed for Airborne Complicity's correlation: 0.5 ± 0.2.
MODERATE = (0.3, 0.7)
#: |rho| up to this is read as "no meaningful impact" (weak or none on the same scale).
NO_EFFECT = 0.3
#: Fewer months than this with both flight hours and an IOM figure: the correlation is not computed.
MIN_FLIGHT_MONTHS = 6
NO_TRACKS = "not computed: no flight tracks supplied (`--flights FILE`)"

BMI_2013 = (
    "Martínez et al. (2013), A Continued Humanitarian Crisis at the Border: Undocumented Border Crosser Deaths "
    "Recorded by the Pima County Office of the Medical Examiner, 1990-2012, Binational Migration Institute"
)
JMHS_2014 = (
    "Martínez, Reineke, Rubio-Goldsmith & Parks (2014), Structural Violence and Migrant Deaths in Southern Arizona: "
    "Data from the Pima County Office of the Medical Examiner, 1990-2013, Journal on Migration and Human Security "
    "2(4) ('Of 2,413 UBC decedents investigated', to fiscal year 2013)"
)
PCOME_2020 = (
    "Pima County Office of the Medical Examiner counts quoted by the Sahuarita Sun (2020), "
    "'ME reports increase in border crosser deaths'"
)
#: Published Pima County summaries: (id, what, citation, published, first day, last day).
PIMA_SUMMARIES = (
    ("pima.1990_2012", "remains of undocumented border crossers 1990–2012", BMI_2013, 2238, "1990-01-01", "2012-12-31"),
    (
        "pima.1990_fy2013",
        "remains 1990 to fiscal year 2013 (to 2013-09-30)",
        JMHS_2014,
        2413,
        "1990-01-01",
        "2013-09-30",
    ),
    ("pima.2007", "remains recovered in 2007", PCOME_2020, 214, "2007-01-01", "2007-12-31"),
    ("pima.2010", "remains recovered in 2010", PCOME_2020, 222, "2010-01-01", "2010-12-31"),
    ("pima.2019", "remains recovered in 2019", PCOME_2020, 153, "2019-01-01", "2019-12-31"),
    ("pima.2020_q1_q3", "remains recovered January–September 2020", PCOME_2020, 177, "2020-01-01", "2020-09-30"),
)
#: Agreement of a count of the newest export with a summary published years earlier: 5 % (records are
#: added, reclassified and redated as remains are identified; the summaries counted what was known then).
PIMA_TOLERANCE = 0.05

#: The snapshot of the OGIS records Bansak et al. (2025) used (in the ``pcome`` source's folder).
BANSAK_SNAPSHOT = "ogis_deaths_bansak2025_1981_2020-06.csv"
#: The long post-mortem interval that moves a 2008 find into the pre-Secure-Fence-Act period.
LONG_PMI = "> 6-8 months"

KINDS = ("value", "at_least", "direction", "rank")

#: The catalog ids each group of checks compares (the ``sources`` of its comparisons): the Arizona
#: counts, hot-spot grid and Pima summaries; White et al.'s case-control directions; the IOM and HRW
#: figures; the flight correlations (``flights``: a file of flight tracks, ``--flights``).
ARIZONA = ("pcome",)
TERRAIN = ("pcome-terrain",)
MONTHLY = ("iom-med-monthly",)
FLOWN = ("iom-med-monthly", "flights")


@dataclass(frozen=True)
class Comparison:
    """One published number beside borderscape's.

    Attributes
    ----------
    id
        Stable identifier (``bansak.pre``, ``iom.libya_2021`` …).
    what
        What is compared, in words.
    citation
        Where the published value is published.
    published
        The published value (for ``kind="rank"``: the published rank, 1 = strongest).
    ours
        borderscape's value; None when it could not be computed (``reason`` says why).
    tolerance
        Largest difference counted as agreement: absolute, or a fraction of ``published`` when
        ``relative``.  Unused for ``direction`` (signs compared) and ``at_least``.
    kind
        ``"value"``: agree when |ours − published| ≤ tolerance; ``"at_least"``: the published
        value is a lower bound ("more than N"), agree when ours > published; ``"direction"``:
        agree when ours and published have the same sign; ``"rank"``: agree when the ranks are
        within ``tolerance``.
    relative
        The tolerance is a fraction of the published value.
    unit
        Unit of both values.
    published_text
        The published value as the publication words it, when that is not a plain number.
    how
        How ours was computed (filter, model, file).
    reason
        Why ours differs (by how much is :attr:`difference`); said whether or not it differs
        when there is a known cause.
    details
        Further numbers (variants, ranges) for the JSON output.
    sources
        The catalog ids of the data compared (``pcome``, ``iom-med-monthly`` …; ``flights`` for a
        file of flight tracks), set by :func:`replicate`: :func:`about` selects by them.
    """

    id: str
    what: str
    citation: str
    published: float
    ours: float | None
    tolerance: float = 0.0
    kind: str = "value"
    relative: bool = False
    unit: str = ""
    published_text: str = ""
    how: str = ""
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if not self.tolerance >= 0:
            raise ValueError("tolerance must be >= 0")

    @property
    def difference(self) -> float | None:
        """ours − published (None when ours was not computed)."""
        if self.ours is None or not math.isfinite(self.ours):
            return None
        return self.ours - self.published

    @property
    def allowed(self) -> float:
        """The tolerance in the unit of the values."""
        return self.tolerance * abs(self.published) if self.relative else self.tolerance

    @property
    def agrees(self) -> bool | None:
        """True or False from the tolerance; None when ours was not computed."""
        diff = self.difference
        if diff is None:
            return None
        if self.kind == "at_least":
            return bool(self.ours > self.published)
        if self.kind == "direction":
            return bool(np.sign(self.ours) == np.sign(self.published) and self.ours != 0)
        return bool(abs(diff) <= self.allowed + 1e-12 * max(1.0, abs(self.published)))

    @property
    def verdict(self) -> str:
        """``agree``, ``differ`` or ``not computed``."""
        a = self.agrees
        return "not computed" if a is None else ("agree" if a else "differ")

    def tolerance_text(self) -> str:
        """The tolerance in words (``exact``, ``± 2 %`` of the published value, ``± 0.5`` in the unit of
        the values, ``same sign`` …)."""
        if self.kind == "at_least":
            return "above the published bound"
        if self.kind == "direction":
            return "same sign"
        if self.kind == "rank":
            return "same rank" if self.tolerance == 0 else f"rank ± {self.tolerance:g}"
        if self.tolerance == 0:
            return "exact"
        return f"± {100 * self.tolerance:.3g} %" if self.relative else f"± {self.tolerance:.3g}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record (the fields, the difference and the verdict)."""
        out = dataclasses.asdict(self)
        out.update(difference=self.difference, verdict=self.verdict, tolerance_text=self.tolerance_text())
        return out


@dataclass(frozen=True)
class Replication:
    """Every comparison, the files read and the run time."""

    comparisons: tuple[Comparison, ...]
    files: tuple[dict[str, str], ...]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record."""
        return {
            "comparisons": [c.to_dict() for c in self.comparisons],
            "files": list(self.files),
            "seconds": self.seconds,
            "agree": sum(c.verdict == "agree" for c in self.comparisons),
            "differ": sum(c.verdict == "differ" for c in self.comparisons),
            "not_computed": sum(c.verdict == "not computed" for c in self.comparisons),
        }


# -- 1. Bansak et al. record counts ------------------------------------------------------------------


def bansak_periods(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The pre- and post-Secure-Fence-Act records of Bansak et al. (2025), as boolean masks.

    Pre: found 2000–2007, or found in 2008 with a post-mortem interval ``"> 6-8 months"`` (the death
    most likely in 2007; their Section 4.2).  Post: found 2008–2019 with a post-mortem interval
    given, except those 2008 finds.  ``all2000_2019``: every record found 2000–2019 (no filter).

    Parameters
    ----------
    frame
        A ``pcome`` layer's frame (``date``, ``post_mortem_interval``); every row counts, whatever
        its quality status (their counts use every row of the export).
    """
    year = pd.to_datetime(frame["date"]).dt.year
    pmi = frame["post_mortem_interval"].astype("string").str.strip()
    moved = ((year == 2008) & (pmi == LONG_PMI)).fillna(False).to_numpy(bool)
    in_2000_2007 = year.between(2000, 2007).fillna(False).to_numpy(bool)
    in_2008_2019 = year.between(2008, 2019).fillna(False).to_numpy(bool)
    has_pmi = pmi.notna().to_numpy(bool)
    return {
        "pre": in_2000_2007 | moved,
        "post": in_2008_2019 & has_pmi & ~moved,
        "post_any_pmi": in_2008_2019 & ~moved,
        "all2000_2019": year.between(2000, 2019).fillna(False).to_numpy(bool),
    }


def _bansak_counts(snapshot: pd.DataFrame, export: pd.DataFrame | None) -> list[Comparison]:
    m = bansak_periods(snapshot)
    n = {k: int(v.sum()) for k, v in m.items()}
    no_pmi = n["post_any_pmi"] - n["post"]
    later = None
    if export is not None:
        e = bansak_periods(export)
        later = {k: int(v.sum()) for k, v in e.items()}
    later_words = (
        f" The 2024-09 export (records revised since) gives {later['pre']:,} before, {later['post']:,} after and "
        f"{later['all2000_2019']:,} found 2000–2019 with the same rule."
        if later
        else ""
    )
    snap = f"the snapshot {BANSAK_SNAPSHOT} (every row, whatever its quality flag)"
    return [
        Comparison(
            "bansak.pre",
            "records before the Secure Fence Act (found 2000–2007, plus 2008 finds with a post-mortem interval "
            "'> 6-8 months')",
            BANSAK,
            1215,
            float(n["pre"]),
            unit="records",
            how=f"{snap}: found 2000–2007, or in 2008 with post-mortem interval '{LONG_PMI}'",
            details={"later_export": later},
        ),
        Comparison(
            "bansak.post",
            "records after the Secure Fence Act (found 2008–2019, other than those 2008 finds)",
            BANSAK,
            1826,
            float(n["post"]),
            unit="records",
            how=f"{snap}: found 2008–2019 with a post-mortem interval recorded, less the 2008 '{LONG_PMI}' finds",
            reason=f"{no_pmi} records found 2008–2019 have no post-mortem interval; leaving them out reproduces "
            f"the published count (with them: {n['post_any_pmi']:,}).",
            details={"with_missing_pmi": n["post_any_pmi"], "missing_pmi": no_pmi, "later_export": later},
        ),
        Comparison(
            "bansak.all",
            "records 2000–2019, both periods",
            BANSAK,
            3041,
            float(n["pre"] + n["post"]),
            unit="records",
            how="pre + post as above",
            reason=f"Every record found 2000–2019 is {n['all2000_2019']:,}, {n['all2000_2019'] - 3041:+,} against "
            f"3,041: the {no_pmi} post-period records without a post-mortem interval are not in the published "
            f"total (pre-period records without one are).{later_words}",
            details={"all_found_2000_2019": n["all2000_2019"], "later_export": later},
        ),
        Comparison(
            "bansak.all_unfiltered",
            "records found 2000–2019, no post-mortem-interval filter",
            BANSAK,
            3041,
            float(n["all2000_2019"]),
            unit="records",
            how=f"{snap}: every record found 2000–2019",
            reason=f"{no_pmi} records found 2008–2019 have no post-mortem interval; Bansak et al.'s post period "
            "leaves them out (the row above reproduces 3,041 exactly). The snapshot is the file they used, so "
            f"a later export is not the cause.{later_words}",
        ),
    ]


# -- Pima County summaries -------------------------------------------------------------------------------


def _pima(export: pd.DataFrame, name: str) -> list[Comparison]:
    dates = pd.to_datetime(export["date"])
    out = []
    for cid, what, citation, published, first, last in PIMA_SUMMARIES:
        ours = int(((dates >= first) & (dates <= last)).sum())
        out.append(
            Comparison(
                cid,
                what,
                citation,
                float(published),
                float(ours),
                tolerance=PIMA_TOLERANCE,
                relative=True,
                unit="records",
                how=f"rows of the OGIS export {name} with a reporting date from {first} to {last} (every row, "
                "whatever its quality flag)",
                reason=(
                    "The export was made years after the summary: remains identified or reclassified since are "
                    "added, and a record's date here is the reporting date, which a summary may have counted by "
                    f"year of recovery or by fiscal year ({ours - published:+,} records, "
                    f"{(ours - published) / published:+.1%})."
                ),
            )
        )
    return out


# -- 2. Bansak et al. hot-spot grid --------------------------------------------------------------------


def populated_cells(lon: np.ndarray, lat: np.ndarray, cell: float, origin: tuple[float, float]) -> np.ndarray:
    """The populated cells of a regular lon/lat grid: one row (column, row index) per cell holding a record.

    Cell ``(i, j)`` spans ``origin + [i, i+1) · cell`` in longitude and ``[j, j+1) · cell`` in latitude.
    """
    ij = np.column_stack([np.floor((lon - origin[0]) / cell), np.floor((lat - origin[1]) / cell)])
    return np.unique(ij.astype(np.int64), axis=0)


def _arcgis_band_neighbours(centres: np.ndarray) -> tuple[float, float, int]:
    """Mean neighbours of the populated cells within ArcGIS's fallback distance band.

    ArcGIS Optimized Hot Spot Analysis takes the distance of the first peak of incremental
    spatial autocorrelation; without a peak, the average distance to each feature's K nearest
    neighbours, K = 5 % of the features (at least 3, at most 30), as we read Esri's documentation
    of the tool.  Returns (band in degrees, mean neighbours excluding the cell itself, K).
    """
    from scipy.spatial import cKDTree

    k = int(min(30, max(3, round(0.05 * len(centres)))))
    tree = cKDTree(centres)
    d, _ = tree.query(centres, k=k + 1)
    band = float(d[:, k].mean())
    counts = tree.query_ball_point(centres, band, return_length=True) - 1
    return band, float(np.mean(counts)), k


def _band_for(centres: np.ndarray, target: float) -> float:
    """The distance band (degrees) at which the cells have ``target`` neighbours on average."""
    from scipy.optimize import brentq
    from scipy.spatial import cKDTree

    tree = cKDTree(centres)

    def gap(r: float) -> float:
        return float(np.mean(tree.query_ball_point(centres, r, return_length=True) - 1)) - target

    hi = float(np.ptp(centres, axis=0).max())
    return float(brentq(gap, 1e-6, hi, xtol=1e-4)) if gap(hi) > 0 else math.nan


def _bansak_grid(snapshot: pd.DataFrame) -> list[Comparison]:
    m = bansak_periods(snapshot)
    lon = snapshot.geometry.x.to_numpy()
    lat = snapshot.geometry.y.to_numpy()
    out = []
    for period, label, cell, published in (("pre", "before", 0.0427, 629), ("post", "after", 0.0451, 780)):
        x, y = lon[m[period]], lat[m[period]]
        origin = (float(x.min()), float(y.min()))
        cells = populated_cells(x, y, cell, origin)
        shifts = np.linspace(0.0, 1.0, 10, endpoint=False)
        spread = [
            len(populated_cells(x, y, cell, (origin[0] - a * cell, origin[1] - b * cell)))
            for a in shifts
            for b in shifts
        ]
        centres = (cells + 0.5) * cell + np.asarray(origin)
        band, neighbours, k = _arcgis_band_neighbours(centres)
        band_136 = _band_for(centres, 136.0)
        out.append(
            Comparison(
                f"bansak.cells_{period}",
                f"populated hot-spot cells {label} the Secure Fence Act ({cell}° grid)",
                BANSAK_GRID,
                published,
                float(len(cells)),
                tolerance=0.02,
                relative=True,
                unit="cells",
                how=f"the {int(m[period].sum()):,} {period}-period records on a regular lon/lat grid of {cell}° "
                f"cells whose origin is the records' south-west corner (minimum longitude {origin[0]:.4f}, minimum "
                "latitude {:.4f}: ArcGIS builds its fishnet on the extent of the input points); empty cells "
                "dropped".format(origin[1]),
                reason=f"The count depends on the grid origin: over 100 origins shifted by tenths of a cell it runs "
                f"{min(spread)}–{max(spread)} (median {int(np.median(spread))}), so the tolerance is ±2 %; the "
                "paper's exact origin is not published.",
                details={
                    "cell_deg": cell,
                    "origin": origin,
                    "origin_range": [int(min(spread)), int(max(spread))],
                    "records": int(m[period].sum()),
                },
            )
        )
        out.append(
            Comparison(
                f"bansak.neighbours_{period}",
                f"average neighbours per cell in the Gi* distance band, {label}",
                BANSAK_GRID,
                136,
                neighbours,
                tolerance=0.10,
                relative=True,
                unit="cells",
                published_text="about 136",
                how=f"ArcGIS's fallback band (average distance to the {k} nearest populated cells = {band:.3f}°, "
                "planar lon/lat) on the grid above",
                reason=f"The paper's band is not published; ArcGIS takes it from the peak of incremental spatial "
                f"autocorrelation, which we do not reproduce. On this grid 136 neighbours on average needs a band "
                f"of {band_136:.3f}° (about {band_136 * 111.0 * math.cos(math.radians(32)):.0f}–"
                f"{band_136 * 111.0:.0f} km), so their band was far wider than the fallback; the FDR-corrected "
                "hot cells therefore cannot be compared cell by cell.",
                details={"band_deg": band, "k": k, "band_for_136_deg": band_136},
            )
        )
    return out


# -- 3. White et al. case-control directions ----------------------------------------------------------


def _white(terrain: Any, environment: Any) -> list[Comparison]:
    from borderscape.analyses.battery.h2_hardship import _case_control
    from borderscape.analyses.inputs import StudyInputs
    from borderscape.analyses.study import load_study

    layers = {"terrain_covariates": terrain}
    if environment is not None:
        layers["environment"] = environment
    outcomes = {
        o.id: o for o in _case_control(load_study("arizona-sonora"), StudyInputs(layers=layers), {"confidence": 0.95})
    }
    slope = outcomes.get("H2.case_control")
    out = []
    if slope is None or slope.estimate is None:
        why = slope.reason if slope is not None else "H2.case_control did not run"
        return [
            Comparison(
                "white.slope", "remains per degree of slope (%)", WHITE, -1.094, None, kind="direction", reason=why
            )
        ]
    sd = float(slope.parameters["sd"])

    def per_degree(odds_ratio_per_sd: float) -> float:
        return 100.0 * (odds_ratio_per_sd ** (1.0 / sd) - 1.0)

    alone = next((v for v in slope.sensitivity if "alone" in v.name), None)
    lo, hi = (per_degree(v) for v in slope.ci)
    adjusted = ", ".join(slope.parameters.get("adjusted_for", [])) or "nothing"
    how = (
        f"H2.case_control: logit of {slope.parameters['n_cases']:,} body locations against "
        f"{slope.parameters['n_controls']:,} random points (pcome-terrain), slope per SD ({sd:.2f}°) adjusted for "
        f"{adjusted}, as % odds per degree = 100·(OR^(1/SD) − 1); 95 % CI {lo:.2f} to {hi:.2f}"
    )
    out.append(
        Comparison(
            "white.slope_direction",
            "direction of the slope effect (% remains per degree)",
            WHITE,
            -1.094,
            per_degree(slope.estimate),
            kind="direction",
            unit="% per degree",
            how=how,
            details={"ci": [lo, hi], "univariable": None if alone is None else per_degree(alone.estimate)},
        )
    )
    out.append(
        Comparison(
            "white.slope_size",
            "size of the slope effect (% remains per degree)",
            WHITE,
            -1.094,
            per_degree(slope.estimate),
            tolerance=0.5,
            unit="% per degree",
            how=how + (f"; slope alone: {per_degree(alone.estimate):.2f}" if alone is not None else ""),
            reason="Most likely a different model: the table carries elevation, aspect, solar radiation, MSAVI2 "
            "and an aridity index that a fuller model can adjust slope for, whereas H2 adjusts it for July heat "
            "only (Tmax and aridity are never in one model here, r ≈ −0.9); slope alone gives a larger effect "
            "still. The random points' sampling frame is undocumented, so the size depends on it.",
        )
    )
    # PET strongest predictor: rank of the aridity index among the covariates by |log OR per SD|, alone
    strengths = {}
    for id_, o in outcomes.items():
        v = next((v for v in o.sensitivity if "alone" in v.name), None)
        if v is not None and v.estimate:
            strengths[id_.rsplit(".", 1)[-1] if id_ != "H2.case_control" else "slope"] = abs(math.log(v.estimate))
    order = sorted(strengths, key=strengths.get, reverse=True)
    rank = order.index("aridity") + 1 if "aridity" in order else None
    out.append(
        Comparison(
            "white.pet_strongest",
            "rank of PET (aridity) among the predictors (1 = strongest)",
            WHITE,
            1,
            None if rank is None else float(rank),
            kind="rank",
            unit="rank",
            published_text="PET the strongest predictor",
            how="each covariate alone (standardised), ranked by |log odds ratio per SD|: "
            + ", ".join(f"{k} {strengths[k]:.3f}" for k in order),
            reason="The table's TotAveArid is an undocumented index (0.06–0.52, reads as moisture: rises with "
            "elevation), perhaps not the PET White et al. used; alone it barely separates remains from random "
            "points here, while slope and ruggedness do.",
            details={"abs_log_or_per_sd": strengths},
        )
    )
    return out


# -- 4 and 5. IOM -----------------------------------------------------------------------------------


def _iom(monthly: pd.DataFrame) -> list[Comparison]:
    from borderscape.analyses.battery.m1_mortality import mortality_per_crossing

    ours = mortality_per_crossing(monthly, ["central"])
    table = monthly.assign(month=pd.to_datetime(monthly["date"]).dt.strftime("%Y-%m"))
    iom = pd.to_numeric(table["cmr_rate_of_death"], errors="coerce")
    table = table.assign(iom_rate=iom)[iom.notna() & (iom > 0)]
    both = ours.merge(table, on="month")
    rel = (both["rate"] - both["iom_rate"]).abs() / both["iom_rate"]
    tol = 0.001
    off = both[rel > tol]
    # IOM's implied denominator: deaths / rate; is the gap the Tunisian interceptions?
    tunisia = pd.to_numeric(off["interceptions_by_tunisian_coast_guard"], errors="coerce").fillna(0.0)
    implied = off["dead_missing"] / off["iom_rate"]
    explained = int(((off["crossings"] - tunisia - implied).abs() < 1.0).sum())
    years = sorted(set(off["month"].str[:4]))
    worst = both.loc[rel.idxmax()] if len(both) else None
    dup = _duplicate_year(monthly)
    out = [
        Comparison(
            "iom.cmr_rates_months",
            "months whose central-Mediterranean death rate matches IOM's (within 0.1 %)",
            IOM,
            float(len(both)),
            float(len(both) - len(off)),
            unit="months",
            published_text=f"IOM's rate for {len(both)} months",
            how="M1's rate (mortality_per_crossing, route 'central': dead and missing / (Italy + Malta sea "
            "arrivals + Libyan + Tunisian interceptions + dead and missing)) against cmr_rate_of_death, month by "
            "month",
            reason=f"{len(off)} months ({', '.join(years)}) differ by up to {100 * rel.max():.1f} %: in "
            f"{explained} of them IOM's denominator equals ours less the Tunisian coast guard's interceptions "
            "(IOM counts them in its central-Mediterranean rate only from 2017)." + (f" {dup}" if dup else ""),
            details={"months_differing": off["month"].tolist(), "explained_by_tunisia": explained},
        )
    ]
    if worst is not None:
        out.append(
            Comparison(
                "iom.cmr_rate_worst_month",
                f"central-Mediterranean deaths per 1,000 attempted crossings in the month that differs most "
                f"({worst['month']})",
                IOM,
                float(worst["iom_rate"]) * 1000,
                float(worst["rate"]) * 1000,
                tolerance=0.001,
                relative=True,
                unit="deaths per 1,000 attempts",
                how="as above",
                reason="Our denominator adds the Tunisian interceptions IOM leaves out before 2017 "
                f"({int(worst['crossings']):,} attempts against IOM's "
                f"{worst['dead_missing'] / worst['iom_rate']:,.0f}).",
            )
        )
    year = pd.to_datetime(monthly["date"]).dt.year
    libya = pd.to_numeric(monthly["interceptions_by_libyan_coast_guard"], errors="coerce")[year == 2021]
    total = float(libya.sum()) if libya.notna().any() else None
    how = f"sum of interceptions_by_libyan_coast_guard over the {int(libya.notna().sum())} months of 2021"
    out.append(
        Comparison(
            "iom.libya_2021",
            "interceptions by the Libyan coast guard in 2021",
            IOM,
            32425,
            total,
            unit="people",
            how=how,
        )
    )
    out.append(
        Comparison(
            "hrw.libya_2021",
            "interceptions by the Libyan coast guard in 2021",
            HRW,
            32400,
            total,
            kind="at_least",
            unit="people",
            published_text="more than 32,400",
            how=how,
        )
    )
    return out


def _copied_years(monthly: pd.DataFrame) -> list[tuple[int, int]]:
    """(a, b) for every calendar year b whose twelve monthly central-Mediterranean deaths copy year a's."""
    year = pd.to_datetime(monthly["date"]).dt.year
    deaths = pd.to_numeric(monthly["cmr"], errors="coerce")
    series = {y: tuple(deaths[year == y].tolist()) for y in sorted(set(year))}
    full = {y: s for y, s in series.items() if len(s) == 12 and not any(pd.isna(v) for v in s) and any(s)}
    return [(int(a), int(b)) for a in full for b in full if a < b and full[a] == full[b]]


def _duplicate_year(monthly: pd.DataFrame) -> str:
    """Words on any calendar year whose monthly central-Mediterranean deaths copy another year's."""
    pairs = _copied_years(monthly)
    return "; ".join(
        f"The compilation's {b} monthly deaths are an exact copy of {a}'s, so the {b} rates, IOM's and "
        f"ours alike, rest on copied deaths (they agree only because both use them; M1 leaves {b} out)"
        for a, b in pairs
    ) + ("." if pairs else "")


# -- 6. flight activity against interceptions and the death rate (Airborne Complicity) ----------------


def flight_hours_per_month(path: str | os.PathLike[str]) -> tuple[pd.Series, str]:
    """Monthly flight hours over the central-Mediterranean study's sea from a file of flight tracks.

    The tracks are read and checked by :func:`borderscape.layers.flights.read_flights` and counted by
    :func:`~borderscape.layers.flights.flight_hours` inside the ``central-med`` study's box, in its
    working CRS; the ``sea`` rows are taken as M6 takes them
    (:func:`borderscape.analyses.battery.m6_interceptions.flight_activity`).

    Returns
    -------
    tuple
        The hours (index: first day of each month from the first to the last flown month) and a
        sentence on what was read (reports kept and quarantined).
    """
    from borderscape.analyses.battery.m6_interceptions import flight_activity
    from borderscape.analyses.study import load_study, working_crs
    from borderscape.layers.flights import flight_hours, read_flights

    study = load_study("central-med")
    tracks = read_flights(path)
    hours = flight_activity(flight_hours(tracks, study.bbox, crs=working_crs(study)), area="sea")
    words = (
        f"{Path(path).name}: {tracks.kept:,} position reports kept, {tracks.quarantined:,} quarantined with a reason, "
        f"{float(hours.sum()):,.1f} flight hours inside the central-med study's sea ({study.bbox})"
    )
    return hours, words


def _spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from scipy.stats import spearmanr

    result = spearmanr(x, y)
    return float(result.statistic), float(result.pvalue)


def flight_correlations(
    monthly: pd.DataFrame | None, hours: pd.Series | None, *, why: str = NO_TRACKS, read: str = ""
) -> list[Comparison]:
    """Sign and size of the monthly correlation of flight hours with Libyan interceptions and the death rate.

    Spearman's rank correlation (:func:`scipy.stats.spearmanr`) over the months that have both flight
    hours and an IOM figure: flight hours against ``interceptions_by_libyan_coast_guard``, and against
    M1's central-Mediterranean death rate (dead and missing per attempted crossing,
    :func:`~borderscape.analyses.battery.m1_mortality.mortality_per_crossing`), leaving out any year
    whose deaths copy another year's.  Three rows: ``hrw.flights_interceptions_sign`` (positive, as
    published), ``hrw.flights_interceptions_size`` (moderate: rho in :data:`MODERATE`) and
    ``hrw.flights_death_rate`` (no meaningful impact: |rho| <= :data:`NO_EFFECT`).  The p-value is
    reported, not judged: monthly series are autocorrelated, so it is descriptive (M6 in the battery
    is the inferential test).

    Parameters
    ----------
    monthly
        The ``iom-med-monthly`` table; None when it could not be read (rows not computed, ``why``).
    hours
        Monthly flight hours (:func:`flight_hours_per_month`); None without tracks (rows not
        computed with ``why``).
    why
        The reason of the not-computed rows.
    read
        Words on the tracks read, for the rows' ``how``.
    """
    low, high = MODERATE
    centre, half = (low + high) / 2.0, (high - low) / 2.0
    rows = {
        "sign": dict(
            id="hrw.flights_interceptions_sign",
            what="sign of the monthly correlation of flight hours with Libyan interceptions",
            published=centre,
            kind="direction",
            published_text="positive",
        ),
        "size": dict(
            id="hrw.flights_interceptions_size",
            what="size of the monthly correlation of flight hours with Libyan interceptions",
            published=centre,
            tolerance=half,
            published_text=f"moderate, statistically significant (rho {low:g}-{high:g} assumed)",
        ),
        "death": dict(
            id="hrw.flights_death_rate",
            what="monthly correlation of flight hours with the central-Mediterranean death rate",
            published=0.0,
            tolerance=NO_EFFECT,
            published_text=f"no meaningful impact (rho -{NO_EFFECT:g} to {NO_EFFECT:g} assumed)",
        ),
    }

    def row(key: str, ours: float | None, *, how: str = "", reason: str = "", details: Any = None) -> Comparison:
        spec = dict(rows[key])
        return Comparison(
            spec.pop("id"),
            spec.pop("what"),
            HRW_FLIGHTS,
            spec.pop("published"),
            ours,
            unit="Spearman rho",
            how=how,
            reason=reason,
            details=details or {},
            **spec,
        )

    if monthly is None or hours is None:
        return [row(k, None, reason=why) for k in rows]
    from borderscape.analyses.battery.m1_mortality import mortality_per_crossing

    flown = hours.rename("flight_hours").rename_axis("date").reset_index()
    flown["month"] = pd.to_datetime(flown["date"]).dt.strftime("%Y-%m")
    table = pd.DataFrame(
        {
            "month": pd.to_datetime(monthly["date"]).dt.strftime("%Y-%m"),
            "interceptions": pd.to_numeric(monthly["interceptions_by_libyan_coast_guard"], errors="coerce"),
        }
    )
    span = f"{flown['month'].min()} to {flown['month'].max()}" if len(flown) else "no month"
    descriptive = (
        "The p-value is descriptive only: monthly series are autocorrelated (months close in time resemble each "
        "other), so it overstates the evidence; M6 in the battery (M6.flight_hours, its null bootstrap with AR(1) "
        "months) is the inferential test."
    )
    out = []
    both = flown.merge(table[table["interceptions"].notna()], on="month")
    for key in ("sign", "size"):
        how = (
            f"Spearman's rho of monthly flight hours against interceptions_by_libyan_coast_guard (iom-med-monthly) over "
            f"the {len(both)} months with both (tracks {span}); {read}"
        )
        if len(both) < MIN_FLIGHT_MONTHS or both["flight_hours"].nunique() < 2 or both["interceptions"].nunique() < 2:
            out.append(
                row(
                    key,
                    None,
                    how=how,
                    reason=f"not computed: {len(both)} month(s) of the tracks have an IOM figure of Libyan "
                    f"interceptions (at least {MIN_FLIGHT_MONTHS}, not all equal, are needed)",
                )
            )
            continue
        rho, p = _spearman(both["flight_hours"].to_numpy(), both["interceptions"].to_numpy())
        out.append(
            row(
                key,
                rho,
                how=f"{how}; rho {rho:.3f}, p {p:.3g}, n {len(both)} months",
                reason=descriptive
                + (
                    ""
                    if key == "sign"
                    else f" Agreement is judged on the size alone (rho {low:g}-{high:g}); the publication's 'statistically "
                    "significant' is not tested here."
                ),
                details={"n_months": len(both), "p_value": p, "months": [both["month"].min(), both["month"].max()]},
            )
        )
    copied = [b for _, b in _copied_years(monthly)]
    rates = mortality_per_crossing(monthly, ["central"], exclude_years=copied)
    dead = flown.merge(rates[["month", "rate"]], on="month")
    left_out = f"; years left out (deaths copied from another year): {', '.join(map(str, copied))}" if copied else ""
    how = (
        "Spearman's rho of monthly flight hours against M1's central-Mediterranean death rate (dead and missing / "
        f"attempted crossings, iom-med-monthly) over the {len(dead)} months with both{left_out}; {read}"
    )
    if len(dead) < MIN_FLIGHT_MONTHS or dead["flight_hours"].nunique() < 2 or dead["rate"].nunique() < 2:
        out.append(
            row(
                "death",
                None,
                how=how,
                reason=f"not computed: {len(dead)} month(s) of the tracks have a death rate (at least "
                f"{MIN_FLIGHT_MONTHS}, not all equal, are needed){left_out}",
            )
        )
    else:
        rho, p = _spearman(dead["flight_hours"].to_numpy(), dead["rate"].to_numpy())
        out.append(
            row(
                "death",
                rho,
                how=f"{how}; rho {rho:.3f}, p {p:.3g}, n {len(dead)} months",
                reason=descriptive,
                details={"n_months": len(dead), "p_value": p, "years_left_out": copied},
            )
        )
    return out


# -- the whole report --------------------------------------------------------------------------------


def _not_computed(ids: list[tuple[str, str, str, float]], why: str) -> list[Comparison]:
    return [Comparison(id_, what, cite, pub, None, reason=why) for id_, what, cite, pub in ids]


def _covered(compared: tuple[str, ...], sources: Collection[str]) -> bool:
    """Whether every source of a comparison is among ``sources`` (a comparison with none is not)."""
    return bool(compared) and set(compared) <= set(sources)


def has_checks(sources: Collection[str]) -> bool:
    """Whether some check compares data of ``sources`` alone (:func:`about` would find rows).

    >>> has_checks({"pcome", "ibwc-boundary"}), has_checks({"file"})
    (True, False)
    """
    return any(_covered(group, sources) for group in (ARIZONA, TERRAIN, MONTHLY, FLOWN))


def about(comparisons: Iterable[Comparison], sources: Collection[str]) -> list[Comparison]:
    """The comparisons whose data all come from ``sources`` (catalog ids, such as the ``id`` of a
    run's ``results.json`` sources), in their order.

    >>> c = Comparison("x", "x", "c", 1, 1, sources=("iom-med-monthly", "flights"))
    >>> about([c], {"iom-med-monthly"}), len(about([c], {"iom-med-monthly", "flights"}))
    ([], 1)
    """
    return [c for c in comparisons if _covered(c.sources, sources)]


def replicate(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    flights: str | os.PathLike[str] | None = None,
    sources: Collection[str] | None = None,
) -> Replication:
    """Every comparison, from the files of one data folder.

    Parameters
    ----------
    data_dir
        The local mirror (default ``BORDERSCAPE_DATA``).  A source that cannot be found gives
        ``not computed`` rows with the reason instead of an error.
    flights
        A file of aerial flight tracks (docs/flights.md: CSV of position reports or GeoJSON lines
        with times) for the flight-activity correlations (:func:`flight_correlations`); without it
        those rows are ``not computed``.  A file that cannot be read gives ``not computed`` rows
        with the reason.
    sources
        Only the comparisons about these catalog ids (:func:`about`); the other checks are not run.
        Default: every comparison.

    Returns
    -------
    Replication
        The comparisons in a fixed order, each with the catalog ids of the data it compares
        (``pcome`` for the Arizona counts, grid and Pima rows, ``pcome-terrain`` for White's,
        ``iom-med-monthly`` for the IOM and HRW rows, and ``flights`` as well for the flight rows),
        the files read (path and sha256) and the run time.
    """
    from borderscape.layers.catalog import get_source
    from borderscape.layers.fetch import locate, sha256_file
    from borderscape.layers.ingest import ingest

    start = time.perf_counter()
    files: list[dict[str, str]] = []
    comparisons: list[Comparison] = []

    def read(source_id: str, file: Path | None = None) -> Any:
        layer = ingest(source_id, file=file, data_dir=data_dir)
        files.extend({"source": source_id, "path": f["path"], "sha256": f["sha256"]} for f in layer.report.files)
        return layer

    def wanted(compared: tuple[str, ...]) -> bool:
        return sources is None or _covered(compared, sources)

    def step(
        compared: tuple[str, ...], ids: list[tuple[str, str, str, float]], run: Callable[[], list[Comparison]]
    ) -> None:
        if not wanted(compared):
            return
        try:
            found = run()
        except BorderscapeError as exc:
            found = _not_computed(ids, str(exc))
        comparisons.extend(dataclasses.replace(c, sources=compared) for c in found)

    def arizona() -> list[Comparison]:
        found = locate("pcome", data_dir=data_dir)
        candidates = [p for p in (*found.paths, *found.alternatives) if Path(p).name == BANSAK_SNAPSHOT]
        if not candidates:
            from borderscape.geo.errors import SourceNotFound

            raise SourceNotFound(
                f"the Bansak et al. (2025) snapshot {BANSAK_SNAPSHOT} is not beside the {get_source('pcome').id} files",
                remedy="put ogis_deaths_bansak2025_1981_2020-06.csv (see the mirror's PROVENANCE.md) in the data folder",
            )
        snapshot = read("pcome", Path(candidates[0])).frame
        export = None
        newest = [p for p in found.paths if Path(p).name != BANSAK_SNAPSHOT]
        if newest:
            export = read("pcome", Path(newest[0])).frame
        pima = _pima(export, Path(newest[0]).name) if export is not None else []
        return _bansak_counts(snapshot, export) + _bansak_grid(snapshot) + pima

    step(
        ARIZONA,
        [
            ("bansak.pre", "records before the Secure Fence Act", BANSAK, 1215),
            ("bansak.post", "records after the Secure Fence Act", BANSAK, 1826),
            ("bansak.all", "records 2000–2019", BANSAK, 3041),
            ("bansak.cells_pre", "populated hot-spot cells before", BANSAK_GRID, 629),
            ("bansak.cells_post", "populated hot-spot cells after", BANSAK_GRID, 780),
        ],
        arizona,
    )

    def white() -> list[Comparison]:
        terrain = read("pcome-terrain")
        try:
            environment = read("az-env-grid")
        except BorderscapeError:
            environment = None
        return _white(terrain, environment)

    step(TERRAIN, [("white.slope_direction", "direction of the slope effect", WHITE, -1.094)], white)
    monthly: dict[str, pd.DataFrame] = {}

    def iom() -> list[Comparison]:
        monthly["frame"] = read("iom-med-monthly").frame
        return _iom(monthly["frame"])

    step(
        MONTHLY,
        [
            ("iom.cmr_rates_months", "central-Mediterranean monthly death rates", IOM, math.nan),
            ("iom.libya_2021", "Libyan interceptions 2021", IOM, 32425),
            ("hrw.libya_2021", "Libyan interceptions 2021", HRW, 32400),
        ],
        iom,
    )
    if wanted(FLOWN):
        hours, why, words = None, NO_TRACKS, ""
        if flights is not None:
            try:
                hours, words = flight_hours_per_month(flights)
                files.append({"source": "flights", "path": str(flights), "sha256": sha256_file(Path(flights))})
            except BorderscapeError as exc:
                why = f"not computed: the flight tracks {Path(flights).name} could not be used: {exc}"
        if "frame" not in monthly and hours is not None:
            why = "not computed: the IOM monthly table (iom-med-monthly) was not found"
        found = flight_correlations(monthly.get("frame"), hours, why=why, read=words)
        comparisons.extend(dataclasses.replace(c, sources=FLOWN) for c in found)
    return Replication(tuple(comparisons), tuple(files), time.perf_counter() - start)


def _number(value: float | None, unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:.4g}"


def to_markdown(result: Replication) -> str:
    """The replication table and each comparison's method and reason, as Markdown."""
    lines = [
        "# Replication: borderscape beside the published record",
        "",
        "Generated by `borderscape replicate --data-dir ../shared/data --markdown docs/replication.md`; do not edit "
        "by hand. Each published number is set beside the value borderscape computes from the shared data, with the "
        "tolerance that decides agree/differ and, where they differ, by how much and the likely reason.",
        "",
        f"Run time: {result.seconds:.1f} s. Agree: {sum(c.verdict == 'agree' for c in result.comparisons)}, "
        f"differ: {sum(c.verdict == 'differ' for c in result.comparisons)}, "
        f"not computed: {sum(c.verdict == 'not computed' for c in result.comparisons)}.",
        "",
        "| id | what | published | ours | difference | tolerance | verdict |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for c in result.comparisons:
        pub = c.published_text or _number(c.published, c.unit)
        diff = c.difference
        lines.append(
            f"| `{c.id}` | {c.what} ({c.unit}) | {pub} | {_number(c.ours, c.unit)} | "
            f"{'—' if diff is None else f'{diff:+.4g}'} | {c.tolerance_text()} | **{c.verdict}** |"
        )
    lines += ["", "## How each was computed, and why it differs", ""]
    for c in result.comparisons:
        data = ", ".join(f"`{s}`" for s in c.sources) or "—"
        lines.append(f"- `{c.id}` — **{c.verdict}**. Data: {data}. Published: {c.citation}. Ours: {c.how or '—'}.")
        if c.reason:
            lines.append(f"  {'Reason' if c.verdict == 'differ' else 'Note'}: {c.reason}")
    lines += ["", "## Files read", ""]
    lines += [f"- `{Path(f['path']).name}` ({f['source']}), sha256 `{f['sha256'][:16]}…`" for f in result.files]
    return "\n".join(lines) + "\n"
