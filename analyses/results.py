"""Result records: small frozen dataclasses, never bare tuples or dicts.

* :class:`StatResult` — the outcome of one statistical test or estimate (the building blocks of
  :mod:`borderscape.analyses.stats` return it);
* :class:`Outcome` — one line of ``results.json``'s ``tests`` list: a result of the battery
  (:mod:`borderscape.analyses.battery`) with its id, or the reason it was skipped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class StatResult:
    """The outcome of one statistical test or estimate.

    Attributes
    ----------
    name
        What was estimated, in plain words.
    estimate
        The effect size (in the units stated by ``method``/``parameters``).
    ci
        Confidence interval (low, high) of the estimate at ``parameters['confidence']``
        (0.95 unless stated).
    p_value
        p-value of the test of no effect (two-sided unless ``method`` says otherwise).
    n
        Number of observations the result rests on.
    method
        The test or estimator, with its reference.
    statistic
        The test statistic (z, t, Kendall's S, ...), when there is one.
    parameters
        Everything needed to reproduce the result (seed, permutations, radii, ...).
    """

    name: str
    estimate: float
    ci: tuple[float, float]
    p_value: float
    n: int
    method: str
    statistic: float | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        d = asdict(self)
        d["ci"] = [float(self.ci[0]), float(self.ci[1])]
        d["parameters"] = dict(self.parameters)
        return d


@dataclass(frozen=True)
class Outcome:
    """One line of ``results.json``'s ``tests`` list.

    Attributes
    ----------
    id
        ``H1`` … ``H5`` or ``M1`` … ``M5``, with a sub-id after a dot (``H2.road_distance``).
    name
        What is tested, in plain words.
    status
        ``ran`` or ``skipped``.
    reason
        For a skipped test: why, and what to supply; for a test that ran: notes (or ``""``).
    estimate, ci, p_value, n
        The effect size, its confidence interval, the p-value and the number of observations
        (``None`` when skipped).
    method
        The test or estimator, with its reference.
    parameters
        What is needed to reproduce the number (periods, permutations, seed …).
    tier
        ``primary``, ``secondary`` or ``context``: what the result is for
        (:func:`borderscape.analyses.battery.tier`, set by
        :func:`~borderscape.analyses.battery.run_battery`); None outside the desert battery.
    """

    id: str
    name: str
    status: str
    reason: str = ""
    estimate: float | None = None
    ci: tuple[float, float] | None = None
    p_value: float | None = None
    n: int | None = None
    method: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    tier: str | None = None

    @classmethod
    def ran(cls, id: str, result: StatResult, *, name: str | None = None, reason: str = "") -> Outcome:
        """An outcome from a statistical result record."""
        return cls(
            id=id,
            name=name or result.name,
            status="ran",
            reason=reason,
            estimate=float(result.estimate),
            ci=(float(result.ci[0]), float(result.ci[1])),
            p_value=float(result.p_value),
            n=int(result.n),
            method=result.method,
            parameters=dict(result.parameters),
        )

    @classmethod
    def skipped(cls, id: str, name: str, reason: str) -> Outcome:
        """An outcome for a test that could not run, with the reason and the remedy."""
        return cls(id=id, name=name, status="skipped", reason=reason)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite numbers become None)."""

        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else float(v)

        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "estimate": num(self.estimate),
            "ci": None if self.ci is None else [num(self.ci[0]), num(self.ci[1])],
            "p_value": num(self.p_value),
            "n": self.n,
            "method": self.method,
            "tier": self.tier,
            "parameters": _jsonable(dict(self.parameters)),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    return value
