"""Quality ledger and report: every input row is kept, repaired (with what changed) or
quarantined (with why).  Nothing is dropped silently.

Every ingested layer carries three columns:

``row``
    0-based index of the record in the input file (data rows, header excluded).
``status``
    ``kept``, ``repaired`` or ``quarantined``.
``reason``
    What was repaired and/or why the row is quarantined (``""`` for kept rows), worded
    ``<subject> <predicate>`` by :mod:`borderscape.layers.parse` for every reader
    (``quarantined: dead is negative; repaired: coordinates had latitude and longitude swapped``).

A quarantined row stays in the layer with its reason.  Analyses that need what is wrong
with it (usually the location) leave it out — :func:`usable` — while counts that do not
(totals by year) still include it.  The conservation law
``kept + repaired + quarantined == rows_read`` holds by construction.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from borderscape.geo.files import write_text_atomic

STATUSES = ("kept", "repaired", "quarantined")


class Ledger:
    """Collects the decisions taken on each row while a file is ingested.

    Parameters
    ----------
    n_rows
        Number of records read from the input.
    """

    def __init__(self, n_rows: int) -> None:
        self.n_rows = int(n_rows)
        self._repairs: list[list[str]] = [[] for _ in range(self.n_rows)]
        self._quarantines: list[list[str]] = [[] for _ in range(self.n_rows)]

    def repair(self, mask: np.ndarray | pd.Series, what: str) -> None:
        """Record that the rows where ``mask`` is true were changed, and how."""
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            self._repairs[i].append(what)

    def quarantine(self, mask: np.ndarray | pd.Series, why: str) -> None:
        """Record that the rows where ``mask`` is true are unusable, and why."""
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            if why not in self._quarantines[i]:
                self._quarantines[i].append(why)

    def quarantine_row(self, i: int, why: str) -> None:
        """Quarantine one row by position (for per-row reasons such as 'row is a duplicate of row 12')."""
        self._quarantines[i].append(why)

    @property
    def status(self) -> np.ndarray:
        """Status of every row (``kept``, ``repaired`` or ``quarantined``)."""
        out = np.empty(self.n_rows, dtype=object)
        for i in range(self.n_rows):
            out[i] = "quarantined" if self._quarantines[i] else ("repaired" if self._repairs[i] else "kept")
        return out

    @property
    def reason(self) -> np.ndarray:
        """Reason text of every row: quarantine reasons first, then repairs."""
        out = np.empty(self.n_rows, dtype=object)
        for i in range(self.n_rows):
            parts = [f"quarantined: {q}" for q in self._quarantines[i]] + [f"repaired: {r}" for r in self._repairs[i]]
            out[i] = "; ".join(parts)
        return out

    def annotate(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``frame`` (one row per record, in input order) with ``row``, ``status``, ``reason``."""
        if len(frame) != self.n_rows:
            raise ValueError(f"frame has {len(frame)} rows, ledger {self.n_rows}")
        out = frame.copy()
        out["row"] = np.arange(self.n_rows, dtype=np.int64)
        out["status"] = pd.Categorical(self.status, categories=list(STATUSES))
        out["reason"] = self.reason.astype(str)
        return out

    def report(
        self,
        *,
        source: str,
        files: list[dict[str, Any]],
        removed_columns: list[str] | None = None,
        notes: list[str] | None = None,
    ) -> QualityReport:
        """The quality report of this ledger."""
        status = self.status
        reasons: Counter[str] = Counter()
        repairs: Counter[str] = Counter()
        for i in range(self.n_rows):
            reasons.update(self._quarantines[i])
            repairs.update(self._repairs[i])
        counts = Counter(status.tolist())
        return QualityReport(
            source=source,
            files=files,
            rows_read=self.n_rows,
            kept=counts.get("kept", 0),
            repaired=counts.get("repaired", 0),
            quarantined=counts.get("quarantined", 0),
            reasons=dict(sorted(reasons.items())),
            repairs=dict(sorted(repairs.items())),
            removed_columns=list(removed_columns or []),
            notes=list(notes or []),
        )


@dataclass(frozen=True)
class QualityReport:
    """What happened to every row of an ingested file.

    ``kept + repaired + quarantined == rows_read`` always.  ``reasons`` counts quarantine
    reasons and ``repairs`` counts repairs (a row can carry several of each).
    """

    source: str
    files: list[dict[str, Any]]
    rows_read: int
    kept: int
    repaired: int
    quarantined: int
    reasons: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)
    removed_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kept + self.repaired + self.quarantined != self.rows_read:
            raise AssertionError("conservation law broken: kept + repaired + quarantined != rows_read")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    def write(self, path: str | os.PathLike) -> Path:
        """Write the report as JSON, atomically."""
        return write_text_atomic(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")


def usable(layer: pd.DataFrame) -> pd.DataFrame:
    """The rows of a layer that location analyses may use (not quarantined)."""
    return layer[layer["status"] != "quarantined"]
