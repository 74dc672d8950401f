"""Resampling that respects how the data were made: records come in clusters (years of search
effort, shipwrecks in a month, neighbouring grid cells), not one by one.

:func:`cluster_bootstrap` resamples whole clusters with replacement (the cluster bootstrap of
Davison & Hinkley 1997, §3.8; Cameron, Gelbach & Miller 2008 for why ignoring clusters makes
intervals too narrow) and returns the percentile interval of any statistic.  A month-block
bootstrap of a monthly series, a year-block bootstrap of records and a spatial-block bootstrap of
cells are this one function with different cluster labels.

References
----------
Davison, A. C. & Hinkley, D. V. (1997). Bootstrap Methods and their Application. Cambridge UP.
Cameron, A. C., Gelbach, J. B. & Miller, D. L. (2008). Bootstrap-based improvements for inference
with clustered errors. Review of Economics and Statistics 90(3), 414–427.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from borderscape.analyses.stats.intervals import percentile_ci
from borderscape.analyses.stats.seeds import generator

__all__ = ["ClusterBootstrap", "cluster_bootstrap"]


@dataclass(frozen=True)
class ClusterBootstrap:
    """The result of :func:`cluster_bootstrap`: the statistic on the data, its percentile interval,
    the draws, the number of clusters and the resamples that gave a finite value."""

    estimate: float
    ci: tuple[float, float]
    draws: np.ndarray
    clusters: int
    finite: int


def cluster_bootstrap(
    clusters: Any,
    statistic: Callable[[np.ndarray], float],
    *,
    seed: int | np.random.Generator,
    resamples: int = 999,
    confidence: float = 0.95,
    strata: Any = None,
) -> ClusterBootstrap:
    """Percentile interval of ``statistic`` under resampling of whole clusters.

    Parameters
    ----------
    clusters
        One label per record (a year, a month, a spatial block); records with the same label are
        drawn together.
    statistic
        Takes an array of record indices (with repeats) and returns a number; NaN for a resample
        on which it is undefined (those are left out of the interval and counted).
    seed
        An integer or a generator (the study's, spawned per hypothesis).
    resamples
        Bootstrap resamples.
    confidence
        Level of the interval.
    strata
        Optional label per record: clusters are resampled within each stratum (e.g. before and
        after a split, so that each side keeps its number of clusters).  A cluster must lie in one
        stratum; labels that cross strata are split by stratum.

    Returns
    -------
    ClusterBootstrap
    """
    rng = generator(seed, what="the cluster bootstrap")
    labels = np.asarray(clusters)
    n = labels.size
    keys = labels if strata is None else np.array([f"{s}\x1f{c}" for s, c in zip(np.asarray(strata), labels)])
    groups: dict[Any, list[int]] = {}
    for i, k in enumerate(keys.tolist()):
        groups.setdefault(k, []).append(i)
    members = [np.asarray(v, dtype=np.int64) for v in groups.values()]
    stratum_of = [0] * len(members) if strata is None else [str(k).split("\x1f", 1)[0] for k in groups]
    by_stratum: dict[Any, list[int]] = {}
    for g, s in enumerate(stratum_of):
        by_stratum.setdefault(s, []).append(g)
    estimate = float(statistic(np.arange(n)))
    draws = np.empty(resamples, dtype=np.float64)
    for b in range(resamples):
        picked: list[np.ndarray] = []
        for gs in by_stratum.values():
            take = rng.integers(0, len(gs), size=len(gs))
            picked.extend(members[gs[t]] for t in take)
        idx = np.concatenate(picked) if picked else np.empty(0, dtype=np.int64)
        draws[b] = float(statistic(idx))
    ci = percentile_ci(draws, confidence)
    return ClusterBootstrap(estimate, ci, draws, len(members), int(np.isfinite(draws).sum()))
