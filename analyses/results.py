"""Result records: small frozen dataclasses, never bare tuples or dicts.

* :class:`StatResult` — the outcome of one statistical test or estimate (the building blocks of
  :mod:`borderscape.analyses.stats` return it);
* :class:`Outcome` — one line of ``results.json``'s ``tests`` list: a result of the battery
  (:mod:`borderscape.analyses.battery`) with its id, or the reason it was skipped, its role
  (``primary``, ``secondary``, ``descriptive``), its adjusted p-value, and for a primary result the
  :class:`Variant` s of its sensitivity analysis and the :class:`CompositionRow` s of what else
  changed between the two sides of a comparison.
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


#: What a result is for (``role`` in ``results.json``): the one pre-specified ``primary`` endpoint of a
#: question, whose p-value is adjusted across the battery (Holm); a ``secondary`` test, adjusted within
#: its hypothesis (Benjamini–Hochberg); a ``descriptive`` number, never read as a test.
ROLES = ("primary", "secondary", "descriptive")


@dataclass(frozen=True)
class Variant:
    """One named variant of a sensitivity analysis: the same estimate on other records or assumptions.

    Attributes
    ----------
    name
        What changed, in plain words (``GPS-located records only``, ``split at 2010-01-01 (placebo)``).
    estimate, ci, n
        The estimate of the variant, its interval and the observations it rests on.
    p_value
        Its p-value when it is a test (None otherwise); never adjusted, never a headline.
    note
        Why the variant matters, or why it could not be computed (then ``estimate`` is None).
    """

    name: str
    estimate: float | None
    ci: tuple[float, float] | None = None
    n: int | None = None
    p_value: float | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite numbers become None)."""
        return {
            "name": self.name,
            "estimate": _num(self.estimate),
            "ci": None if self.ci is None else [_num(self.ci[0]), _num(self.ci[1])],
            "n": None if self.n is None else int(self.n),
            "p_value": _num(self.p_value),
            "note": self.note,
        }


@dataclass(frozen=True)
class CompositionRow:
    """The share of one level of one variable on each side of a before/after comparison.

    ``variable`` is what is described (``location precision``, ``corridor``), ``level`` one of its
    values; ``before``/``after`` the shares (0–1) among the ``n_before``/``n_after`` records of each
    side whose variable is known.
    """

    variable: str
    level: str
    before: float
    after: float
    n_before: int
    n_after: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "variable": self.variable,
            "level": self.level,
            "before": _num(self.before),
            "after": _num(self.after),
            "n_before": int(self.n_before),
            "n_after": int(self.n_after),
        }


def _num(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


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
    role
        ``primary``, ``secondary`` or ``descriptive`` (:data:`ROLES`).  A hypothesis module sets
        ``secondary`` or ``descriptive``; :func:`~borderscape.analyses.battery.run_battery` makes the
        study's declared endpoint ``primary`` (``[endpoints.<H>]``) and demotes nothing else.
    p_adjusted
        The p-value adjusted for multiplicity (set by :func:`~borderscape.analyses.battery.run_battery`):
        Holm across the primary results of the battery, Benjamini–Hochberg among the secondary results
        of a hypothesis; None for a descriptive result.  Every sentence a reader sees is decided by it.
    null_value
        The estimate under no effect (0 for a difference, 1 for a ratio): the side of it the estimate
        falls on is its direction.
    direction
        For a primary result: the direction declared in the study before the data were read
        (``increase``, ``decrease`` or ``either``).
    sensitivity
        Named variants of the estimate (other records, other assumptions): :class:`Variant`.
    composition
        What else differs between the two sides of a before/after comparison: :class:`CompositionRow`.
    caveats
        Limits of this result in words (co-occurring shocks, a variant of the other sign, …).
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
    role: str = "secondary"
    p_adjusted: float | None = None
    null_value: float = 0.0
    direction: str | None = None
    sensitivity: tuple[Variant, ...] = ()
    composition: tuple[CompositionRow, ...] = ()
    caveats: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"Outcome {self.id}: role must be one of {ROLES}, got {self.role!r}")

    @classmethod
    def ran(cls, id: str, result: StatResult, *, name: str | None = None, reason: str = "", **extra: Any) -> Outcome:
        """An outcome from a statistical result record; ``extra``: other fields (``role``, ``sensitivity`` …)."""
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
            **extra,
        )

    @classmethod
    def skipped(cls, id: str, name: str, reason: str, *, role: str = "secondary") -> Outcome:
        """An outcome for a test that could not run, with the reason and the remedy."""
        return cls(id=id, name=name, status="skipped", reason=reason, role=role)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite numbers become None)."""

        num = _num
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
            "role": self.role,
            "p_adjusted": num(self.p_adjusted),
            "null_value": self.null_value,
            "direction": self.direction,
            "caveats": list(self.caveats),
            "sensitivity": [v.to_dict() for v in self.sensitivity],
            "composition": [r.to_dict() for r in self.composition],
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
