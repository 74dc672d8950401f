"""Parsing the date formats the sources use.

Seen in the sources: ISO ``YYYY-MM-DD`` (PCOME 2024, IOM API), US ``M/D/YYYY`` (PCOME 2020
snapshot), IOM's export ``Thu, 01/01/2026 - 12:00`` (month first), ``YYYY-MM`` months
(CBP, Frontex) and ISO timestamps; in tables researchers bring: a time after the date
(``05/07/2013 13:12:00``, ``2013-05-07 13:12``, ``2013-05-07T13:12:00Z``) and two-digit
years (``06/25/17``, ``06/25/17 22:10:00``).  Each value is matched against these layouts
(slashed dates are month first, as in every source seen); what cannot be parsed is
reported, never guessed.  A time of day is read and dropped: dates are days.

Two-digit years (:func:`pivot_year`): ``YY`` is 20YY unless that is after the current
year, then 19YY (in 2026, ``26`` is 2026 and ``27`` is 1927): records are of the past.

A ``date_format`` (a :func:`time.strptime` pattern, e.g. ``%d.%m.%Y %H:%M``) replaces the
layouts: every value must match it exactly, else the value is an error.
"""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

_TIME = r"( \d{1,2}:\d{2}(:\d{2}(\.\d+)?)?( ?[AaPp][Mm])?)?"

# (regex the text must match, strptime format, precision); "US" = month/day/year with an
# optional time, two- or four-digit year (read by _us_date)
_FORMATS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d", "day"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"), "ISO8601", "day"),
    (re.compile(r"^\d{1,2}/\d{1,2}/(\d{4}|\d{2})" + _TIME + "$"), "US", "day"),
    (re.compile(r"^[A-Za-z]{3}, \d{2}/\d{2}/\d{4} - \d{2}:\d{2}$"), "%a, %m/%d/%Y - %H:%M", "day"),
    (re.compile(r"^\d{4}-\d{2}$"), "%Y-%m", "month"),
    (re.compile(r"^\d{4}/\d{2}/\d{2}$"), "%Y/%m/%d", "day"),
    (re.compile(r"^\d{4}$"), "%Y", "year"),
)
_US = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?: (\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?: ?([AaPp][Mm]))?)?$"
)


def pivot_year(yy: int, today: _dt.date | None = None) -> int:
    """The four-digit year of a two-digit year ``yy``: 20YY, or 19YY when 20YY is after this year.

    >>> pivot_year(17, _dt.date(2026, 1, 1)), pivot_year(26, _dt.date(2026, 1, 1)), pivot_year(27, _dt.date(2026, 1, 1))
    (2017, 2026, 1927)
    """
    this_year = (today or _dt.date.today()).year
    year = 2000 + int(yy) % 100
    return year if year <= this_year else year - 100


def _us_date(text: str) -> pd.Timestamp:
    m = _US.match(text)
    if m is None:  # pragma: no cover - guarded by the layout's regex
        raise ValueError("not a month/day/year date")
    month, day, year = int(m.group(1)), int(m.group(2)), m.group(3)
    y = pivot_year(int(year)) if len(year) == 2 else int(year)
    if m.group(4) is not None:
        hour, minute, second = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
        ampm = (m.group(7) or "").lower()
        if ampm and not 1 <= hour <= 12:
            raise ValueError("hour out of range")
        hour = hour % 12 + (12 if ampm == "pm" else 0) if ampm else hour
        _dt.time(hour, minute, second)  # raises ValueError for 25:00 or 12:61
    return pd.Timestamp(_dt.date(y, month, day))


def _with_format(text: str, fmt: str) -> tuple[pd.Timestamp, str]:
    parsed = _dt.datetime.strptime(text, fmt)
    if "%y" in fmt:
        parsed = parsed.replace(year=pivot_year(parsed.year % 100))
    precision = (
        "day" if ("%d" in fmt or "%j" in fmt) else ("month" if ("%m" in fmt or "%b" in fmt or "%B" in fmt) else "year")
    )
    return pd.Timestamp(parsed), precision


def parse_dates(values: pd.Series, date_format: str | None = None) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse a column of date texts.

    Parameters
    ----------
    values
        Date texts (None or empty for missing).
    date_format
        A strptime pattern every value must match (``%m/%d/%Y %H:%M:%S``); None: the
        layouts of this module.

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
        if date_format is not None:
            try:
                ts, prec = _with_format(text, date_format)
                out.iloc[i] = ts.as_unit("ns").normalize()
                precision[i] = prec
            except (ValueError, OverflowError):
                errors[i] = f"does not match the date format {date_format!r}"
            continue
        for pattern, fmt, prec in _FORMATS:
            if pattern.match(text):
                try:
                    if fmt == "ISO8601":
                        ts = pd.Timestamp(text)
                        if ts.tzinfo is not None:
                            ts = ts.tz_convert("UTC").tz_localize(None)
                    elif fmt == "US":
                        ts = _us_date(text)
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
