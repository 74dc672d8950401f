"""Randomness: the one way a seed becomes a :class:`numpy.random.Generator`.

Every function of :mod:`borderscape.analyses` that draws random numbers takes ``seed`` — an
integer or a :class:`numpy.random.Generator` — and turns it into a generator with
:func:`generator`, which refuses ``None``: nothing here runs unseeded.  A generator passed in is
used (and advanced) as it is, so a caller that spawns children in a fixed order gets the same
numbers whatever runs the work.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from borderscape.geo.errors import InputError

#: What a function that draws random numbers accepts as ``seed``.
Seed = int | np.random.Generator


def generator(seed: Seed | None, *, what: str = "this computation") -> np.random.Generator:
    """The generator of ``seed``: ``numpy.random.default_rng(seed)``, never unseeded.

    Parameters
    ----------
    seed
        An integer (a new generator seeded with it) or a :class:`numpy.random.Generator`
        (returned as it is).
    what
        What needs the random numbers, for the error message.

    Raises
    ------
    InputError
        When ``seed`` is None or neither an integer nor a generator.
    """
    if seed is None:
        raise InputError(
            f"{what} draws random numbers and needs a seed",
            remedy="pass seed=<int> (recorded in the result) or seed=numpy.random.default_rng(...)",
        )
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise InputError(f"seed must be an integer or a numpy.random.Generator, got {seed!r}")
    return np.random.default_rng(seed)


def recorded(seed: Seed | None) -> Any:
    """How ``seed`` is recorded in a result's parameters: the integer, ``"generator"`` for a
    generator passed in, None when there was none."""
    return "generator" if isinstance(seed, np.random.Generator) else seed
