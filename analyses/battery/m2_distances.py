"""M2 distances: how far from the departure coasts and from coverage did deaths and detections lie, over time?

Geodesic distances (WGS84; :mod:`borderscape.analyses.sea`) of the precise IOM incidents
(``deaths``) and of the Frontex detections (``incidents``) from the departure coasts (GSHHG
shorelines, ``coastline``, clipped to ``[[parameters.maritime.departure_coasts]]`` boxes) and
from the operational areas active on each event's date (``operational_areas``); a trend over
time (Mann–Kendall / Theil–Sen, km per year) and the change at each intervention (difference
of medians within ``window_months``).  The coverage of each epoch (coastal stations, aerial
tracks, operational areas: :func:`~borderscape.analyses.sensors.sea_coverage`) is returned as
rasters.

References
----------
Karney, C. F. F. (2013). Algorithms for geodesics. J. Geodesy 87, 43–55.
Sen, P. K. (1968). Estimates of the regression coefficient based on Kendall's tau. JASA 63, 1379–1389.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from borderscape.analyses.battery.common import (
    Section,
    intervention_windows,
    missing,
    precise_deaths,
    reason,
    records,
    sea_settings,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult
from borderscape.analyses.sea import (
    departure_coast,
    distance_to_active_areas,
    geodesic_distance_to_lines,
)
from borderscape.analyses.sensors import sea_coverage, study_grid
from borderscape.analyses.stats.trends import compare_samples, mann_kendall
from borderscape.analyses.study import Study, working_crs
from borderscape.geo.errors import BorderscapeError
from borderscape.geo.raster import Raster
from borderscape.layers.quality import usable

__all__ = ["m2_distances"]


def _detections(study: Study, inputs: StudyInputs) -> gpd.GeoDataFrame:
    """The Frontex incidents that count for the study (:func:`~borderscape.analyses.battery.common.records`)."""
    return records(study, inputs.get("incidents"))[0]


def m2_distances(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M2: distance of deaths and detections from the departure coasts and from coverage, over time.

    Outcomes ``M2.<deaths|detections>.<coast|coverage>`` (Theil–Sen slope in km per year with
    Sen's CI and the Mann–Kendall p-value) and ``….<date>`` (difference of medians after −
    before each intervention within ``window_months``, permutation p-value, bootstrap CI).
    Tables ``m2_distances`` (one row per event) and rasters ``coverage_<date>`` per epoch
    (:func:`~borderscape.analyses.sensors.sea_coverage`).
    """
    s = sea_settings(study)
    crs = working_crs(study)
    outcomes: list[Outcome] = []
    rows = []
    series = []
    for what, role in (("deaths", "deaths"), ("detections", "incidents")):
        if inputs.get(role) is None:
            why = missing(study, inputs, role)
            for target in ("coast", "coverage"):
                outcomes.append(Outcome.skipped(f"M2.{what}.{target}", f"distance of {what} from the {target}", why))
            continue
        if role == "deaths":
            pts, note = precise_deaths(study, inputs, s["iom_routes"])
        else:
            pts = _detections(study, inputs)
            note = "Frontex detection positions (incidents without coordinates are left out)."
        for target in ("coast", "coverage"):
            name = f"distance of {what} from the {'departure coast' if target == 'coast' else 'operational areas active at the date'}"
            need = "coastline" if target == "coast" else "operational_areas"
            why = missing(study, inputs, need)
            if target == "coast" and not why and not s["departure_coasts"]:
                why = (
                    "No departure coasts: add [[parameters.maritime.departure_coasts]] tables "
                    '{ name = "Libya", bbox = [w, s, e, n] } to the study file.'
                )
            if why:
                outcomes.append(Outcome.skipped(f"M2.{what}.{target}", name, why))
                continue
            if len(pts) < 10:
                outcomes.append(
                    Outcome.skipped(
                        f"M2.{what}.{target}",
                        name,
                        f"Only {len(pts)} located, dated {what} in the study box and period. {note}",
                    )
                )
                continue
            lon, lat = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
            if target == "coast":
                coast = departure_coast(inputs.get("coastline").frame, s["departure_coasts"])
                if coast.empty:
                    outcomes.append(
                        Outcome.skipped(
                            f"M2.{what}.{target}",
                            name,
                            "The departure-coast boxes hold no GSHHG shoreline: check their bbox.",
                        )
                    )
                    continue
                d = geodesic_distance_to_lines(lon, lat, coast, crs=crs)[0]
            else:
                d = distance_to_active_areas(pts, usable(inputs.get("operational_areas").frame), crs=crs)
            km = d / 1000.0
            ok = np.isfinite(km)
            series.append((what, target, name, note, pts["date"].to_numpy()[ok], km[ok]))
            rows.append(
                pd.DataFrame(
                    {
                        "kind": what,
                        "target": target,
                        "date": pd.to_datetime(pts["date"]).to_numpy(),
                        "lon": lon,
                        "lat": lat,
                        "distance_km": km,
                    }
                )
            )
    for (what, target, name, note, dates, km), child in zip(series, rng.spawn(max(len(series), 1))):
        base = f"M2.{what}.{target}"
        if target == "coverage":
            note += (
                " Outside the active areas' dates the distance is undefined and the event is left out; inside = 0 km."
            )
        if len(km) < 10:
            outcomes.append(Outcome.skipped(base, name, f"Only {len(km)} event(s) with a distance. {note}"))
            continue
        order = np.argsort(dates, kind="stable")
        mk = mann_kendall(km[order], pd.to_datetime(dates[order]), confidence=s["confidence"])
        outcomes.append(
            Outcome.ran(
                base,
                StatResult(
                    name=f"{name}: trend (km per year)",
                    estimate=mk.estimate,
                    ci=mk.ci,
                    p_value=mk.p_value,
                    n=mk.n,
                    method=mk.method,
                    statistic=mk.statistic,
                    parameters=dict(mk.parameters),
                ),
                reason=note,
            )
        )
        when = pd.Series(pd.to_datetime(dates))
        wins = intervention_windows(study, when, s["window_months"])
        for (label, start, t0, end), g in zip(wins, child.spawn(max(len(wins), 1))):
            before = km[((when >= start) & (when < t0)).to_numpy()]
            after = km[((when >= t0) & (when < end)).to_numpy()]
            oid = f"{base}.{label}"
            oname = f"{name}: median after − before {label} (km)"
            if before.size < 5 or after.size < 5:
                outcomes.append(
                    Outcome.skipped(
                        oid,
                        oname,
                        f"Only {before.size} event(s) before and {after.size} after "
                        f"{label} within {s['window_months']} months. {note}",
                    )
                )
                continue
            comp = compare_samples(
                after,
                before,
                statistic="median",
                permutations=s["permutations"],
                resamples=s["permutations"],
                ci_method="percentile",
                confidence=s["confidence"],
                seed=g,
            )
            r = comp.difference
            outcomes.append(
                Outcome.ran(
                    oid,
                    StatResult(
                        name=oname,
                        estimate=r.estimate,
                        ci=r.ci,
                        p_value=r.p_value,
                        n=r.n,
                        method=r.method,
                        statistic=r.statistic,
                        parameters={
                            **r.parameters,
                            "before": int(before.size),
                            "after": int(after.size),
                            "window_months": s["window_months"],
                        },
                    ),
                    reason=note,
                )
            )
    tables = {"m2_distances": pd.concat(rows, ignore_index=True)} if rows else {}
    rasters, cov_note = _epoch_coverage(study, inputs, crs, s)
    if cov_note:
        for i, o in enumerate(outcomes):
            if o.id.endswith(".coverage") and o.status == "ran":
                outcomes[i] = dataclasses.replace(o, reason=(o.reason + " " + cov_note).strip())
    return Section(outcomes, tables=tables, rasters=rasters)


def _epoch_coverage(study: Study, inputs: StudyInputs, crs: CRS, s: dict[str, Any]) -> tuple[dict[str, Raster], str]:
    """Coverage at sea on the study's start and each intervention inside the period
    (:func:`~borderscape.analyses.sensors.sea_coverage`): rasters ``coverage_<date>`` and a note."""
    areas = inputs.get("operational_areas")
    stations = inputs.get("coastal_stations")
    tracks = inputs.get("aerial_tracks")
    if areas is None and stations is None and tracks is None:
        return {}, ""
    dem = inputs.dem()
    grid = dem if (stations is not None and dem is not None) else study_grid(study, crs)
    epochs = [study.start] + [i.date for i in study.interventions if study.start < i.date <= study.end]
    try:
        cov = sea_coverage(
            sorted(set(epochs)),
            grid,
            stations=None if stations is None else usable(stations.frame),
            tracks=None if tracks is None else usable(tracks.frame),
            areas=None if areas is None else usable(areas.frame),
            dem=dem,
            target_height=s["target_height_m"],
        )
    except BorderscapeError as exc:
        return {}, "Coverage rasters not built: " + reason(exc)
    return {f"coverage_{c.date.date().isoformat()}": c.count for c in cov}, f"Coverage per epoch: {cov[-1].note}."
