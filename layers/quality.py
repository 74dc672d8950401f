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

The report also shows, per reason, up to :data:`SAMPLE_SIZE` distinct raw values of the cell
that broke the rule (``samples``: a date, a coordinate, a count — never a whole row, never a
cell of a personal column; a reader passes only the failed cell), the ``warnings`` about the
file as a whole (every coordinate a whole number, a repair refused because it would touch
most rows), and the ``likely_duplicates`` (row, earlier row) pairs, kept but flagged.

A quarantined row stays in the layer with its reason.  Analyses that need what is wrong
with it (usually the location) leave it out — :func:`usable` — while counts that do not
(totals by year) still include it.  The conservation law
``kept + repaired + quarantined == rows_read`` holds by construction.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from borderscape.geo.files import write_text_atomic

STATUSES = ("kept", "repaired", "quarantined")
#: Distinct raw values shown per reason in a report, and the longest shown (characters).
SAMPLE_SIZE = 3
SAMPLE_CHARS = 40


def _sample_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    text = str(value).strip()
    return text if len(text) <= SAMPLE_CHARS else text[: SAMPLE_CHARS - 1] + "…"


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
        self._samples: dict[str, list[str]] = {}
        self.warnings: list[str] = []
        self.likely_duplicates: list[tuple[int, int]] = []
        #: Row → the earlier row it repeats exactly.
        self.duplicate_of: dict[int, int] = {}
        #: Set once exact duplicate rows were looked for (:func:`borderscape.layers.parse.exact_duplicates`).
        self.duplicates_checked = False

    def _sample(self, reason: str, rows: np.ndarray, values: object) -> None:
        """Keep up to :data:`SAMPLE_SIZE` distinct raw values of ``values`` at ``rows`` for ``reason``."""
        if values is None or not len(rows):
            return
        seen = self._samples.setdefault(reason, [])
        vals = values.tolist() if hasattr(values, "tolist") else list(values)  # type: ignore[arg-type]
        for i in rows:
            if len(seen) >= SAMPLE_SIZE:
                return
            text = _sample_text(vals[int(i)])
            if text is not None and text not in seen:
                seen.append(text)

    def repair(self, mask: np.ndarray | pd.Series, what: str, values: object = None) -> None:
        """Record that the rows where ``mask`` is true were changed, and how.

        ``values`` (one per row: the raw cell that was repaired) feeds the report's samples.
        """
        rows = np.flatnonzero(np.asarray(mask, dtype=bool))
        for i in rows:
            self._repairs[i].append(what)
        self._sample(what, rows, values)

    def quarantine(self, mask: np.ndarray | pd.Series, why: str, values: object = None) -> None:
        """Record that the rows where ``mask`` is true are unusable, and why.

        ``values`` (one per row: the raw cell that broke the rule, never a personal column)
        feeds the report's samples.
        """
        rows = np.flatnonzero(np.asarray(mask, dtype=bool))
        for i in rows:
            if why not in self._quarantines[i]:
                self._quarantines[i].append(why)
        self._sample(why, rows, values)

    def quarantine_row(self, i: int, why: str) -> None:
        """Quarantine one row by position (for per-row reasons such as 'row is a duplicate of row 12')."""
        self._quarantines[i].append(why)

    def warn(self, text: str) -> None:
        """Record a warning about the file as a whole (shown in the report's notes and warnings)."""
        if text not in self.warnings:
            self.warnings.append(text)

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
            notes=list(notes or []) + [f"warning: {w}" for w in self.warnings],
            samples={k: list(v) for k, v in sorted(self._samples.items()) if v and (k in reasons or k in repairs)},
            warnings=list(self.warnings),
            likely_duplicates=[[int(a), int(b)] for a, b in self.likely_duplicates],
        )


@dataclass(frozen=True)
class QualityReport:
    """What happened to every row of an ingested file.

    ``kept + repaired + quarantined == rows_read`` always.  ``reasons`` counts quarantine
    reasons and ``repairs`` counts repairs (a row can carry several of each).  ``samples``
    holds, per reason or repair, up to three distinct raw values of the failed cell;
    ``warnings`` what is wrong with the file as a whole; ``likely_duplicates`` the
    [row, earlier row] pairs with the same date and position but other fields differing
    (kept).
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
    samples: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    likely_duplicates: list[list[int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kept + self.repaired + self.quarantined != self.rows_read:
            raise AssertionError("conservation law broken: kept + repaired + quarantined != rows_read")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    def text(self) -> str:
        """The report in words: counts, each reason with its count and samples, warnings."""
        lines = [
            f"{self.source}: {self.rows_read} rows read, {self.kept} kept, {self.repaired} repaired, "
            f"{self.quarantined} quarantined"
        ]
        for title, table in (("quarantined", self.reasons), ("repaired", self.repairs)):
            repeats: dict[str, list[str]] = {}  # "… of row N" reasons, one line per wording
            for why, n in table.items():
                m = _OF_ROW.fullmatch(why)
                if m:
                    repeats.setdefault(m.group(1), []).extend([m.group(2)] * n)
                    continue
                shown = self.samples.get(why)
                lines.append(f"  {title} {n}: {why}" + (f" (e.g. {', '.join(map(repr, shown))})" if shown else ""))
            for what, rows in repeats.items():
                more = ", …" if len(rows) > 5 else ""
                lines.append(f"  {title} {len(rows)}: {what} an earlier row (rows {', '.join(rows[:5])}{more})")
        if self.removed_columns:
            lines.append(f"  personal columns removed: {', '.join(self.removed_columns)}")
        if self.likely_duplicates:
            lines.append(f"  likely duplicates (kept, flagged): {len(self.likely_duplicates)}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def write(self, path: str | os.PathLike) -> Path:
        """Write the report as JSON, atomically."""
        return write_text_atomic(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")


#: A reason that names the earlier row it repeats (``row is a duplicate of row 12``): grouped in :meth:`QualityReport.text`.
_OF_ROW = re.compile(r"(.*\bof) row (\d+)")


def usable(layer: pd.DataFrame) -> pd.DataFrame:
    """The rows of a layer that location analyses may use (not quarantined)."""
    return layer[layer["status"] != "quarantined"]
