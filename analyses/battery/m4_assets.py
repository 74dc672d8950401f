"""M4 deaths by detecting asset: are boats first seen by some assets more often boats with deaths?

Frontex incidents (``incidents``): the share of boats with deaths by the class of the detecting
asset against vessel-detected boats, a risk ratio from a modified Poisson regression with a
cluster-robust variance by month (boats of one month, and of one shipwreck, are not independent;
the Katz interval and a month-block bootstrap as sensitivity variants); deaths per 1000
people on board in the table (a negative-binomial model of deaths per person does not converge
on these heavy-tailed counts).  Incidents are counted inside the study's region and period (the one rule,
:func:`borderscape.analyses.region.select`); incidents without a position (most Frontex records) are
counted, said in the note; those left out are counted under ``excluded_records``.

References
----------
Katz, D., Baptista, J., Azen, S. P. & Pike, M. C. (1978). Biometrics 34, 469–474.
Zou, G. (2004). A modified Poisson regression approach to prospective studies with binary data.
Am. J. Epidemiol. 159, 702–706.
Liang, K.-Y. & Zeger, S. L. (1986). Longitudinal data analysis using generalized linear models.
Biometrika 73, 13–22.
Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference. J. Human
Resources 50, 317–372.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from borderscape.analyses import region
from borderscape.analyses.battery.common import (
    Section,
    missing,
    reason,
    sea_settings,
    with_excluded,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult, Variant
from borderscape.analyses.stats.resampling import cluster_bootstrap
from borderscape.analyses.stats.tests import risk_ratio
from borderscape.analyses.study import Study
from borderscape.geo.errors import BorderscapeError

__all__ = ["DETECTOR_CLASS", "first_seen_from_the_air", "m4_detection_assets"]

#: Detector classes of Frontex incidents (``detector_type`` → class); others are dropped.
DETECTOR_CLASS = {
    "Aerial": "aerial",
    "EU_Coast_Guard": "vessel",
    "EU_ops": "vessel",
    "Ita_ops": "vessel",
    "Commercial": "commercial",
    "NGO": "ngo",
    "Call_Ext_report": "distress_call",
    "Coastal_surv": "coastal_surveillance",
    "Land_patrol": "none_at_sea",
}


def first_seen_from_the_air(detector_type: pd.Series) -> np.ndarray:
    """Whether each Frontex record's detecting asset is of the ``aerial`` class of :data:`DETECTOR_CLASS`
    (boolean array; an unknown or missing asset is not aerial).  The map's layer of aerial detections
    uses it, as M4 and M6 use the class."""
    return (detector_type.map(DETECTOR_CLASS) == "aerial").fillna(False).to_numpy(dtype=bool)


def m4_detection_assets(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M4: the share of boats with deaths by the class of the detecting asset (Frontex incidents).

    Classes (:data:`DETECTOR_CLASS`): ``aerial`` (fixed-wing, helicopter, multipurpose
    aerial surveillance, drones), ``vessel`` (coast guard, navy and EU operation vessels; the
    reference), ``ngo``, ``commercial``, ``distress_call``, ``coastal_surveillance`` and
    ``none_at_sea`` (first seen by a land patrol on arrival). Outcome ``M4.<class>``: risk
    ratio of a boat having at least one death against vessel-detected boats (modified Poisson
    regression, cluster-robust by month; variants: Katz, month-block bootstrap drawn from ``rng``).
    Table ``deaths_by_detector`` (boats, boats with deaths, deaths, persons, deaths per 1000 persons).
    """
    s = sea_settings(study)
    name = "share of boats with deaths by detecting asset class, against vessels"
    why = missing(study, inputs, "incidents")
    if why:
        return Section([Outcome.skipped("M4", name, why)])
    f = inputs.get("incidents").frame
    if "detector_type" not in f.columns or "num_deaths" not in f.columns:
        return Section(
            [
                Outcome.skipped(
                    "M4",
                    name,
                    "The incidents layer has no detector_type / num_deaths columns: "
                    "give the Frontex incidents (catalog id frontex-incidents).",
                )
            ]
        )
    # inside the study's region and period (the one rule); incidents without a position (most Frontex
    # records) are counted: which asset saw a boat does not need where
    chosen = region.select(study, f, unlocated="keep")
    excluded = chosen.excluded
    no_position = int((chosen.keep & ~region.located_inside(f, study.bbox)[0]).sum())
    f = f[chosen.keep]
    d = pd.DataFrame(
        {
            "cls": f["detector_type"].map(DETECTOR_CLASS),
            "deaths": pd.to_numeric(f["num_deaths"], errors="coerce"),
            "persons": pd.to_numeric(f["num_persons"], errors="coerce"),
            "month": pd.to_datetime(f["date"]).dt.strftime("%Y-%m"),
        }
    ).dropna(subset=["cls", "deaths", "month"])
    d["dead"] = (d["deaths"] > 0).astype(int)
    note = (
        f"{len(f) - len(d)} of {len(f)} incident(s) without a known detector class or death count are left out; "
        f"{no_position} of the {len(f)} have no position and are counted; "
        f"{excluded['outside the study region']} outside the study region are left out. "
        "Deaths are those Frontex recorded at the incident, a minimum; detection is not random, so the "
        "ratios describe, they do not prove that an asset type causes deaths."
    )
    summary = (
        d.groupby("cls")
        .agg(
            boats=("deaths", "size"),
            with_deaths=("deaths", lambda v: int((v > 0).sum())),
            deaths=("deaths", "sum"),
            persons=("persons", "sum"),
        )
        .reset_index()
    )
    summary["deaths_per_1000_persons"] = 1000 * summary["deaths"] / summary["persons"]
    summary = summary.rename(columns={"cls": "detector_class"})
    if "vessel" not in set(d["cls"]):
        return Section(
            [Outcome.skipped("M4", name, "No incidents detected by vessels (the reference class). " + note)],
            tables={"deaths_by_detector": summary},
        )
    outcomes = []
    fits = _cluster_poisson(d, s["confidence"])
    for c, child in zip(sorted(set(d["cls"]) - {"vessel"}), rng.spawn(len(set(d["cls"])) - 1)):
        g, ref = d[d["cls"] == c], d[d["cls"] == "vessel"]
        oid, oname = f"M4.{c}", f"share of boats with deaths, detected by {c} / by vessel (risk ratio)"
        k1, n1, k0, n0 = int(g["dead"].sum()), len(g), int(ref["dead"].sum()), len(ref)
        if k1 == 0 or k0 == 0:
            outcomes.append(
                Outcome.skipped(oid, oname, f"{k1} of {n1} boats with deaths against {k0} of {n0}: no ratio. " + note)
            )
            continue
        est, ci, p = fits[c]
        variants = []
        try:
            katz = risk_ratio(k1, n1, k0, n0, s["confidence"])
            variants.append(
                Variant(
                    "Katz interval, every boat independent (shown for comparison)",
                    katz.estimate,
                    katz.ci,
                    n1 + n0,
                    katz.p_value,
                )
            )
        except BorderscapeError as exc:
            variants.append(Variant("Katz interval, every boat independent", None, note=reason(exc)))
        sub = pd.concat([g, ref])
        y, a = sub["dead"].to_numpy(float), (sub["cls"] == c).to_numpy()

        def ratio(idx: np.ndarray, y: np.ndarray = y, a: np.ndarray = a) -> float:
            sel = a[idx]
            if not sel.any() or sel.all() or y[idx][~sel].sum() == 0:
                return math.nan
            return float(y[idx][sel].mean() / y[idx][~sel].mean())

        boot = cluster_bootstrap(
            sub["month"].to_numpy(), ratio, seed=child, resamples=s["permutations"], confidence=s["confidence"]
        )
        variants.append(
            Variant(
                "month-block bootstrap, percentile interval",
                boot.estimate,
                boot.ci,
                n1 + n0,
                note=f"{boot.finite} of {s['permutations']} resamples defined.",
            )
        )
        outcomes.append(
            Outcome.ran(
                oid,
                StatResult(
                    oname,
                    est,
                    ci,
                    p,
                    n1 + n0,
                    "risk ratio of a boat having at least one death, from a Poisson regression of the 0/1 outcome "
                    "on the detector class (the modified Poisson regression of Zou 2004) with a cluster-robust "
                    "(sandwich) variance by month of the incident (Liang & Zeger 1986; Cameron & Miller 2015): boats "
                    "of one month and one shipwreck are not independent; Wald interval and p-value",
                    parameters={
                        "boats": n1,
                        "boats_with_deaths": k1,
                        "reference_boats": n0,
                        "reference_boats_with_deaths": k0,
                        "months": int(sub["month"].nunique()),
                        "confidence": s["confidence"],
                        "resamples": s["permutations"],
                    },
                ),
                reason=note,
                role="secondary",
                null_value=1.0,
                sensitivity=tuple(variants),
                caveats=(
                    "Detection is not random: where and when each asset patrols differ, so the ratio describes which "
                    "boats each asset first saw; it does not show that an asset type causes deaths.",
                ),
            )
        )
    return Section(with_excluded(outcomes, excluded), tables={"deaths_by_detector": summary})


def _cluster_poisson(d: pd.DataFrame, confidence: float) -> dict[str, tuple[float, tuple[float, float], float]]:
    """Risk ratios of every class against ``vessel``: a Poisson GLM of the 0/1 outcome on class indicators
    with a cluster-robust covariance by month (statsmodels ``cov_type="cluster"``)."""
    import statsmodels.api as sm

    classes = sorted(set(d["cls"]) - {"vessel"})
    x = pd.DataFrame({"const": 1.0}, index=d.index)
    for c in classes:
        x[c] = (d["cls"] == c).astype(float)
    groups = pd.factorize(d["month"])[0]
    fit = sm.GLM(d["dead"].to_numpy(float), x, family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    ci = np.asarray(fit.conf_int(alpha=1 - confidence))
    return {
        c: (
            float(np.exp(fit.params[c])),
            (float(np.exp(ci[i + 1, 0])), float(np.exp(ci[i + 1, 1]))),
            float(fit.pvalues[c]),
        )
        for i, c in enumerate(classes)
    }
