"""Generated terrain for tests, benchmarks and simulated worlds (never real data)."""

from __future__ import annotations

import numpy as np
from affine import Affine
from pyproj import CRS

from borderscape.geo.raster import Raster


def fractal_dem(
    shape: tuple[int, int],
    *,
    res: float = 30.0,
    relief: float = 600.0,
    base: float = 500.0,
    beta: float = 3.2,
    rng: np.random.Generator,
    origin: tuple[float, float] = (500_000.0, 3_600_000.0),
    crs: str = "EPSG:32612",
) -> Raster:
    """A realistic-looking DEM by spectral synthesis (fractional Brownian surface).

    White noise is filtered in the Fourier domain with amplitude ∝ f^(−β/2), which gives a
    surface with power spectrum ∝ f^(−β) (β ≈ 3 resembles natural terrain; Turcotte 1997,
    *Fractals and Chaos in Geology and Geophysics*).  The surface is scaled to span
    ``relief`` metres above ``base``.

    Parameters
    ----------
    shape
        (rows, columns).
    res
        Cell size in metres.
    relief
        Elevation range in metres.
    base
        Lowest elevation in metres.
    beta
        Spectral exponent (dimensionless).
    rng
        Source of randomness; the same generator state gives the same DEM.
    origin
        Map coordinates (x, y) of the upper-left corner, metres.
    crs
        Projected CRS of the grid (default UTM 12N, southern Arizona).

    Returns
    -------
    Raster
        float32 elevations in metres.
    """
    rows, cols = shape
    noise = rng.standard_normal((rows, cols))
    fy = np.fft.fftfreq(rows)[:, None]
    fx = np.fft.rfftfreq(cols)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = np.inf
    spectrum = np.fft.rfft2(noise) * f ** (-beta / 2.0)
    z = np.fft.irfft2(spectrum, s=(rows, cols))
    z = (z - z.min()) / max(float(np.ptp(z)), 1e-12)
    z = (base + relief * z).astype(np.float32)
    transform = Affine(res, 0.0, origin[0], 0.0, -res, origin[1])
    return Raster(z, transform, CRS.from_user_input(crs), None)
