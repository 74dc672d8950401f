"""Date parsing for every layout the sources use."""

import pandas as pd

from borderscape.layers.dates import parse_dates


def test_every_source_layout():
    texts = pd.Series(["2024-09-30", "1/15/2001", "Thu, 01/01/2026 - 12:00", "2017-10", "2014-01-01T10:00:00Z", "2019"])
    dates, precision, errors = parse_dates(texts)
    assert dates.tolist() == [
        pd.Timestamp(x) for x in ("2024-09-30", "2001-01-15", "2026-01-01", "2017-10-01", "2014-01-01", "2019-01-01")
    ]
    assert precision.tolist() == ["day", "day", "day", "month", "day", "year"]
    assert errors.tolist() == [None] * 6


def test_bad_dates_are_reported_not_guessed():
    dates, precision, errors = parse_dates(pd.Series(["2019-02-30", "yesterday", None, ""]))
    assert dates.isna().all()
    assert errors[0].startswith("invalid date") and errors[1].startswith("unrecognised date format")
    assert errors[2] is None and errors[3] is None and precision.tolist() == [None] * 4
