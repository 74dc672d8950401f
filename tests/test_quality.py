"""The quality ledger: the conservation law and the reasons."""

import json

import numpy as np
import pandas as pd
import pytest

from borderscape.layers.quality import Ledger, QualityReport, usable


def test_statuses_reasons_and_conservation(tmp_path):
    ledger = Ledger(5)
    ledger.repair(np.array([1, 1, 0, 0, 0], bool), "county case normalised")
    ledger.quarantine(np.array([0, 1, 0, 1, 0], bool), "coordinates are the medical examiner's office")
    ledger.quarantine_row(4, "duplicate of row 2")
    frame = ledger.annotate(pd.DataFrame({"x": range(5)}))
    assert frame["status"].tolist() == ["repaired", "quarantined", "kept", "quarantined", "quarantined"]
    assert (
        frame["reason"][1]
        == "quarantined: coordinates are the medical examiner's office; repaired: county case normalised"
    )
    assert usable(frame)["x"].tolist() == [0, 2]
    report = ledger.report(source="t", files=[{"path": "a.csv"}], removed_columns=["Name"])
    assert (report.kept, report.repaired, report.quarantined, report.rows_read) == (1, 1, 3, 5)
    assert report.reasons == {"coordinates are the medical examiner's office": 2, "duplicate of row 2": 1}
    assert report.repairs == {"county case normalised": 2}
    path = report.write(tmp_path / "r.json")
    data = json.loads(path.read_text())
    assert {"rows_read", "kept", "repaired", "quarantined", "reasons"} <= set(data)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_a_report_that_breaks_conservation_cannot_exist():
    with pytest.raises(AssertionError):
        QualityReport(source="t", files=[], rows_read=3, kept=1, repaired=1, quarantined=0)
