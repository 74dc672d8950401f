"""Result records of statistical tests: small frozen dataclasses, never bare tuples or dicts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping


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
