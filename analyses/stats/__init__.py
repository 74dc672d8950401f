"""Statistical building blocks: each formula once, with its reference in its docstring.

* :mod:`~borderscape.analyses.stats.seeds` — the one conversion of a seed into a
  :class:`numpy.random.Generator`;
* :mod:`~borderscape.analyses.stats.intervals` — confidence intervals: Wilson, Clopper–Pearson,
  Garwood, percentile bootstrap, Newcombe, Katz;
* :mod:`~borderscape.analyses.stats.tests` — tests: two proportions (difference and ratio of
  shares), Poisson-binomial, the stratified rank test, permutation tests of locations and
  paired differences;
* :mod:`~borderscape.analyses.stats.trends` — Mann–Kendall/Theil–Sen, interrupted time series,
  two-sample comparisons;
* :mod:`~borderscape.analyses.stats.models` — count regression, Moran's I, case–control logit;
* :mod:`~borderscape.analyses.stats.pointpattern` — K, L and G functions and their envelopes;
* :mod:`~borderscape.analyses.stats.hotspots` — grids, spatial weights, Getis–Ord Gi*, FDR.

They know nothing of studies or layers: arrays, frames and geometries in, result records
(:class:`~borderscape.analyses.results.StatResult` and small frozen dataclasses) out.  Every
function that draws random numbers takes ``seed`` (an integer or a
:class:`numpy.random.Generator`) and refuses to run without one.
"""

from borderscape.geo.lazy import submodules

__getattr__ = submodules(__name__)
