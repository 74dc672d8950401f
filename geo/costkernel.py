"""The numba kernels of walking cost: one move's cost, and Dijkstra over a grid.

They live together in one file on purpose: numba's on-disk cache (``cache=True``) is keyed on
the file that holds a function, and :func:`move_cost` is inlined into :func:`accumulate`;
kept in one file, any edit to a cost model invalidates every cached kernel that uses it.
The models themselves (formulas, units, references, parameters) are documented in
:mod:`borderscape.geo.costmodels`; accumulated cost is documented in
:mod:`borderscape.geo.costdistance`.
"""

from __future__ import annotations

import numba
import numpy as np

TOBLER, PANDOLF, NAISMITH, IRMISCHER, RWALK, WATER = 0, 1, 2, 3, 4, 5
NPARAMS = 14  # the most parameters of any model; kernels take them as a tuple of this length

# neighbour offsets (row, col) in r.walk's order
DR = np.array([0, 0, -1, 1, -1, -1, 1, 1, -2, -2, 2, 2, -1, -1, 1, 1], dtype=np.int64)
DC = np.array([-1, 1, 0, 0, -1, 1, 1, -1, -1, 1, 1, -1, -2, 2, 2, -2], dtype=np.int64)


@numba.njit(cache=True, inline="always", error_model="numpy")
def pandolf_rate(w: float, load: float, v: float, eta: float, santee: float, continuous: float, g: float) -> float:
    """Pandolf (1977) metabolic rate, watts, with the Santee (2001) downhill correction (numba).

    ``g`` is the grade in percent; see :mod:`borderscape.geo.costmodels` for the formula and
    the ``continuous`` option.  Floored at the standing rate.
    """
    stand = 1.5 * w + 2.0 * (w + load) * (load / w) ** 2
    level = stand + eta * (w + load) * 1.5 * v * v
    m = level + eta * (w + load) * 0.35 * v * g
    if santee == 1.0 and g < 0.0:
        m -= eta * (g * (w + load) * v / 3.5 - (w + load) * (g + 6.0) ** 2 / w + (25.0 - v * v))
        # continuous at zero grade: between 0 % and the grade where the corrected rate is least,
        # g_min = −b/(2a) of the quadratic (M − level)/η = a·g² + b·g + c, no dearer than level walking
        if continuous == 1.0 and m > level:
            a = (w + load) / w
            b = (w + load) * (0.35 * v - v / 3.5 + 12.0 / w)
            if g > -b / (2.0 * a):
                m = level
    if m < stand:
        m = stand
    return m


@numba.njit(cache=True, inline="always", error_model="numpy")
def water_rate(p: tuple, s: float, cell: float) -> float:
    """Sweat rate, litres per hour, of the ``water`` model (numba); formulas in :mod:`borderscape.geo.water`.

    ``p`` holds W, L, V, η, santee, continuous, air temperature (K, the cell parameter's
    default), RH, T_sk, I_cl, i_m, wind, solar, A_D; ``s`` is the slope dz/d and ``cell`` the
    move's air temperature in kelvin.
    """
    w, load, v = p[0], p[1], p[2]
    m = pandolf_rate(w, load, v, p[3], p[4], p[5], 100.0 * s)
    ta = cell - 273.15
    rh, tsk, icl, im, wind, solar, area = p[7], p[8], p[9], p[10], p[11], p[12], p[13]
    wext = (w + load) * 9.81 * v * s if s > 0.0 else 0.0  # power against gravity, W; 0 downhill
    va = np.sqrt(wind * wind + v * v)  # air speed relative to the walker, m/s
    it = icl + 1.0 / (0.155 * (12.1 * np.sqrt(va) + 4.7)) / (1.0 + 0.31 * icl)  # total insulation, clo
    rt = 0.155 * it  # dry resistance, m²·K/W
    psk = 0.61078 * np.exp(17.27 * tsk / (tsk + 237.3))  # kPa
    pa = rh * 0.61078 * np.exp(17.27 * ta / (ta + 237.3))
    emax = 16.5 * im * (psk - pa) / rt
    if emax < 0.0:
        emax = 0.0
    ereq = (m - wext) / area + (ta - tsk) / rt + solar
    msw = 147.0 + 1.527 * ereq - 0.87 * emax  # g·m⁻²·h⁻¹, Gonzalez et al. (2009) PW
    if msw < 0.0:
        msw = 0.0
    return msw * area / 1000.0


@numba.njit(cache=True, inline="always", error_model="numpy")
def move_cost(model_id: int, p: tuple, dz: float, d: float, cell: float) -> float:
    """Cost of one move (numba).

    Parameters
    ----------
    model_id
        :attr:`CostModel.model_id`.
    p
        Parameters from :meth:`CostModel.pack` as a tuple of :data:`NPARAMS` floats, padded
        with zeros (a tuple is passed by value: no reference counting in the inner loop).
    dz
        Elevation difference target − origin, metres.
    d
        Horizontal distance, metres.
    cell
        Value of the model's cell parameter for this move (η for Pandolf, friction for r.walk,
        air temperature in kelvin for water);
        ignored by models without one.

    Returns
    -------
    float
        Cost in the model's units (s, kJ or L), ≥ 0.
    """
    s = dz / d
    if model_id == TOBLER:
        v = 6.0 * np.exp(-3.5 * abs(s + 0.05)) / 3.6
        if p[0] == 1.0:
            v *= 0.6
        cost = d / v
    elif model_id == PANDOLF:
        m = pandolf_rate(p[0], p[1], p[2], cell, p[4], p[5], 100.0 * s)
        cost = m * (d / p[2]) / 1000.0
    elif model_id == WATER:
        cost = water_rate(p, s, cell) * (d / p[2]) / 3600.0
    elif model_id == NAISMITH:
        cost = d / (p[0] / 3.6)
        if dz > 0.0:
            cost += dz * 3600.0 / p[1]
        elif dz < 0.0 and p[2] == 1.0:
            angle = np.degrees(np.arctan(-s))
            if angle > 12.0:
                cost += -dz * 2.0
            elif angle >= 5.0:
                cost -= -dz * 2.0
    elif model_id == IRMISCHER:
        x = 100.0 * s
        if p[0] == 1.0:
            v = 0.11 + 0.67 * np.exp(-((x + 2.0) ** 2) / 1800.0)
        else:
            v = 0.11 + np.exp(-((x + 5.0) ** 2) / 1800.0)
        cost = d / v
    else:  # RWALK
        if s >= 0.0:
            climb = p[1] * dz
        elif s < p[4]:
            climb = p[3] * dz
        else:
            climb = p[2] * dz
        cost = p[0] * d + climb + p[5] * cell * d
    return cost if cost > 0.0 else 0.0


def padded(p: np.ndarray) -> np.ndarray:
    """Packed parameters padded with zeros to :data:`NPARAMS` values, for the kernels."""
    out = np.zeros(NPARAMS)
    out[: p.shape[0]] = p
    return out


@numba.njit(cache=True, inline="always")
def as_tuple(p: np.ndarray) -> tuple:
    """The :data:`NPARAMS` padded parameters as a tuple (numba)."""
    return (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13])


@numba.njit(cache=True)
def cost_many(model_id: int, p: np.ndarray, dz: np.ndarray, d: np.ndarray, cell: np.ndarray) -> np.ndarray:
    pt = as_tuple(p)
    out = np.empty(dz.shape[0])
    for i in range(dz.shape[0]):
        out[i] = move_cost(model_id, pt, dz[i], d[i], cell[i])
    return out


# -- the kernel ---------------------------------------------------------------------------
# An indexed 4-ary min-heap: parallel arrays of keys (cost) and flat cell indices, and
# pos[cell] = the cell's place in the heap (−1 never queued, −2 settled, −3 impassable).  A
# cell whose cost improves moves up in place (decrease-key), so each cell is popped once.
SETTLED, BLOCKED = -2, -3


@numba.njit(cache=True, inline="always")
def _sift_up(keys, vals, pos, i, key, val):
    while i > 0:
        parent = (i - 1) >> 2
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        vals[i] = vals[parent]
        pos[vals[i]] = i
        i = parent
    keys[i] = key
    vals[i] = val
    pos[val] = i


@numba.njit(cache=True, inline="always")
def _sift_down(keys, vals, pos, n, key, val):
    i = 0
    while True:
        first = 4 * i + 1
        if first >= n:
            break
        child = first
        best = keys[first]
        last = min(first + 4, n)
        for j in range(first + 1, last):
            if keys[j] < best:
                best = keys[j]
                child = j
        if best >= key:
            break
        keys[i] = best
        vals[i] = vals[child]
        pos[vals[i]] = i
        i = child
    keys[i] = key
    vals[i] = val
    pos[val] = i


@numba.njit(cache=True)
def _grow(a):
    out = np.empty(2 * a.shape[0], dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


@numba.njit(cache=True, error_model="numpy", nogil=True)
def accumulate(z, width, xres, yres, cellv, mult, pos, src, model_id, p, nmoves, max_cost, reverse):
    """Dijkstra on flat arrays of a grid padded with 2 impassable cells on every side.

    ``z``, ``pos`` and (unless of length 1, a constant) ``cellv`` and ``mult`` are the padded
    grid raveled, ``width`` its number of columns and ``src`` flat indices of sources.
    ``pos`` comes in as −1 (passable) or −3 (impassable) and is used as the heap's index.
    """
    pt = as_tuple(p)
    size = z.shape[0]
    acc = np.full(size, np.inf)
    back = np.full(size, -1, dtype=np.int8)
    const_cell = cellv.shape[0] == 1
    const_mult = mult.shape[0] == 1
    off = np.empty(16, dtype=np.int64)
    off1 = np.zeros(16, dtype=np.int64)  # the two cells a knight's move passes between
    off2 = np.zeros(16, dtype=np.int64)
    dist = np.empty(16)
    for k in range(16):
        off[k] = DR[k] * width + DC[k]
        dist[k] = np.sqrt((DC[k] * xres) ** 2 + (DR[k] * yres) ** 2)
        if DR[k] == 2 or DR[k] == -2:
            off1[k] = (DR[k] // 2) * width
            off2[k] = (DR[k] // 2) * width + DC[k]
        elif DC[k] == 2 or DC[k] == -2:
            off1[k] = DC[k] // 2
            off2[k] = DR[k] * width + DC[k] // 2
    keys = np.empty(max(1024, 4 * src.shape[0]))
    vals = np.empty(keys.shape[0], dtype=np.int64)
    n = 0
    for i in range(src.shape[0]):
        j = src[i]
        if pos[j] == BLOCKED or acc[j] == 0.0:
            continue
        acc[j] = 0.0
        back[j] = 0
        if n == keys.shape[0]:
            keys = _grow(keys)
            vals = _grow(vals)
        _sift_up(keys, vals, pos, n, 0.0, j)
        n += 1
    while n > 0:
        key = keys[0]
        idx = vals[0]
        n -= 1
        if n > 0:
            _sift_down(keys, vals, pos, n, keys[n], vals[n])
        pos[idx] = SETTLED
        if key > max_cost:
            break
        z0 = np.float64(z[idx])
        for k in range(nmoves):
            j = idx + off[k]
            if pos[j] < -1 or acc[j] <= key:  # settled or impassable, or no move makes it cheaper
                continue
            if k >= 8:
                j1 = idx + off1[k]
                j2 = idx + off2[k]
                if pos[j1] == BLOCKED or pos[j2] == BLOCKED:
                    continue
                cv = cellv[0] if const_cell else (cellv[idx] / 4.0 + cellv[j] / 4.0 + cellv[j1] / 4.0 + cellv[j2] / 4.0)
                mv = mult[0] if const_mult else (mult[idx] / 4.0 + mult[j] / 4.0 + mult[j1] / 4.0 + mult[j2] / 4.0)
            else:
                cv = cellv[0] if const_cell else cellv[idx] / 2.0 + cellv[j] / 2.0
                mv = mult[0] if const_mult else mult[idx] / 2.0 + mult[j] / 2.0
            dz = np.float64(z[j]) - z0
            if reverse:
                dz = -dz
            new = key + move_cost(model_id, pt, dz, dist[k], cv) * mv
            if new < acc[j]:
                acc[j] = new
                back[j] = k + 1
                if pos[j] >= 0:
                    _sift_up(keys, vals, pos, pos[j], new, j)
                else:
                    if n == keys.shape[0]:
                        keys = _grow(keys)
                        vals = _grow(vals)
                    _sift_up(keys, vals, pos, n, new, j)
                    n += 1
    for i in range(size):
        if acc[i] > max_cost:
            acc[i] = np.nan
            back[i] = -1
        elif acc[i] == np.inf:
            acc[i] = np.nan
    return acc, back


@numba.njit(cache=True)
def trace(back, r, c):
    """Cells (row, col) from a cell back to its source, following backlinks."""
    out_r = [r]
    out_c = [c]
    while back[r, c] > 0:
        k = back[r, c] - 1
        r -= DR[k]
        c -= DC[k]
        out_r.append(r)
        out_c.append(c)
    return np.array(out_r), np.array(out_c)


# -- helpers --------------------------------------------------------------------------------
