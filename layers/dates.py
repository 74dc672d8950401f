"""Parsing the date formats the sources use.

Seen in the sources: ISO ``YYYY-MM-DD`` (PCOME 2024, IOM API), US ``M/D/YYYY`` (PCOME 2020
snapshot), IOM's export ``Thu, 01/01/2026 - 12:00`` (month first), ``YYYY-MM`` months
(CBP, Frontex) and ISO timestamps.  Each value is matched against these layouts (slashed
dates are month first, as in every source seen); what cannot be parsed is reported, never
guessed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# (regex the text must match, strptime format, precision)
_FORMATS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d", "day"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"), "ISO8601", "day"),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"), "%m/%d/%Y", "day"),
    (re.compile(r"^[A-Za-z]{3}, \d{2}/\d{2}/\d{4} - \d{2}:\d{2}$"), "%a, %m/%d/%Y - %H:%M", "day"),
    (re.compile(r"^\d{4}-\d{2}$"), "%Y-%m", "month"),
    (re.compile(r"^\d{4}/\d{2}/\d{2}$"), "%Y/%m/%d", "day"),
    (re.compile(r"^\d{4}$"), "%Y", "year"),
)


def parse_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse a column of date texts.

    Parameters
    ----------
    values
        Date texts (None or empty for missing).

    Returns
    -------
    dates : Series of datetime64[ns]
        NaT where missing or unparseable; time of day dropped.
    precision : ndarray of object
        ``day``, ``month``, ``year`` or None.
    errors : ndarray of object
        None where the value parsed or was empty, else the reason.
    """
    texts = values.astype(object).where(values.notna(), None)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    precision = np.full(len(values), None, dtype=object)
    errors = np.full(len(values), None, dtype=object)
    for i, raw in enumerate(texts.tolist()):
        if raw is None:
            continue
        text = str(raw).strip()
        if not text:
            continue
        for pattern, fmt, prec in _FORMATS:
            if pattern.match(text):
                try:
                    if fmt == "ISO8601":
                        ts = pd.Timestamp(text)
                        if ts.tzinfo is not None:
                            ts = ts.tz_convert("UTC").tz_localize(None)
                    else:
                        ts = pd.to_datetime(text, format=fmt)
                    ts = ts.as_unit("ns")  # years outside 1677–2262 raise OutOfBoundsDatetime (a ValueError)
                except (ValueError, OverflowError):
                    errors[i] = f"invalid date {text[:30]!r}"
                    break
                out.iloc[i] = ts.normalize()
                precision[i] = prec
                break
        else:
            errors[i] = f"unrecognised date format {text[:30]!r}"
    return out, precision, errors
