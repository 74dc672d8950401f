"""M4 deaths by detecting asset: are boats first seen by some assets more often boats with deaths?

Frontex incidents (``incidents``): the share of boats with deaths by the class of the detecting
asset against vessel-detected boats, a risk ratio with the Katz interval; deaths per 1000
people on board in the table (a negative-binomial model of deaths per person does not converge
on these heavy-tailed counts).  Incidents are counted in the study period
(:func:`~borderscape.analyses.battery.common.in_period`), wherever they lie.

References
----------
Katz, D., Baptista, J., Azen, S. P. & Pike, M. C. (1978). Biometrics 34, 469–474.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from borderscape.analyses.battery.common import (
    Section,
    in_period,
    missing,
    reason,
    sea_settings,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult
from borderscape.analyses.stats.tests import risk_ratio
from borderscape.analyses.study import Study
from borderscape.geo.errors import BorderscapeError
from borderscape.layers.quality import usable

__all__ = ["DETECTOR_CLASS", "m4_detection_assets"]

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


def m4_detection_assets(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M4: the share of boats with deaths by the class of the detecting asset (Frontex incidents).

    Classes (:data:`DETECTOR_CLASS`): ``aerial`` (fixed-wing, helicopter, multipurpose
    aerial surveillance, drones), ``vessel`` (coast guard, navy and EU operation vessels; the
    reference), ``ngo``, ``commercial``, ``distress_call``, ``coastal_surveillance`` and
    ``none_at_sea`` (first seen by a land patrol on arrival). Outcome ``M4.<class>``: risk
    ratio of a boat having at least one death against vessel-detected boats
    (:func:`~borderscape.analyses.stats.tests.risk_ratio`). Table ``deaths_by_detector`` (boats, boats with deaths, deaths,
    persons, deaths per 1000 persons). ``rng`` is unused (closed-form inference).
    """
    s = sea_settings(study)
    name = "share of boats with deaths by detecting asset class, against vessels"
    why = missing(study, inputs, "incidents")
    if why:
        return Section([Outcome.skipped("M4", name, why)])
    f = usable(inputs.get("incidents").frame)
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
    f = f[in_period(f["date"], study)]
    d = pd.DataFrame(
        {
            "cls": f["detector_type"].map(DETECTOR_CLASS),
            "deaths": pd.to_numeric(f["num_deaths"], errors="coerce"),
            "persons": pd.to_numeric(f["num_persons"], errors="coerce"),
        }
    ).dropna(subset=["cls", "deaths"])
    note = (
        f"{len(f) - len(d)} of {len(f)} incident(s) without a known detector class or death count are left out. "
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
    ref = d[d["cls"] == "vessel"]
    k0, n0 = int((ref["deaths"] > 0).sum()), len(ref)
    outcomes = []
    for c in sorted(set(d["cls"]) - {"vessel"}):
        g = d[d["cls"] == c]
        oid, oname = f"M4.{c}", f"share of boats with deaths, detected by {c} / by vessel (risk ratio)"
        try:
            r = risk_ratio(int((g["deaths"] > 0).sum()), len(g), k0, n0, s["confidence"])
        except BorderscapeError as exc:
            outcomes.append(Outcome.skipped(oid, oname, reason(exc) + " " + note))
            continue
        outcomes.append(
            Outcome.ran(
                oid,
                StatResult(oname, r.estimate, r.ci, r.p_value, r.n, r.method, r.statistic, dict(r.parameters)),
                reason=note,
            )
        )
    return Section(outcomes, tables={"deaths_by_detector": summary})
