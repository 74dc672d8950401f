"""A run folder read back: what the renderers need (``borderscape map --from``, ``borderscape brief
--from``), with nothing recomputed and without importing the analysis stack.

:mod:`borderscape.output` writes run folders; this module only reads them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from borderscape import webmap
from borderscape.analyses.needs import Notice, check_run_folder, notices
from borderscape.errors import InputError

#: The files that make a folder a run folder (checked by :func:`read_run`).
RUN_FILES = ("results.json", "study.json", "provenance.json")


def _read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def study_map_data(
    layers: Sequence[webmap.MapLayer],
    *,
    title: str,
    bbox: Sequence[float],
    results: Mapping[str, Any],
    notices: Sequence[str] = (),
) -> webmap.StudyMap:
    """What the interactive map of a run draws: its layers, title and extent, from
    ``results.json`` the sources, caveats and outcomes, and the first-screen ``notices``
    (:func:`borderscape.analyses.needs.notices`)."""
    west, south, east, north = (float(v) for v in bbox)
    return webmap.StudyMap(
        tuple(layers),
        title,
        tuple(results["sources"]),
        tuple(results["caveats"]),
        bool(results["simulated"]),
        (west, south, east, north),
        tuple(results["tests"]),
        tuple(notices),
    )


def read_map_layers(folder: Path) -> list[webmap.MapLayer]:
    """The map layers written by :func:`write_map_layers`."""
    meta = json.loads((folder / "layers.json").read_text(encoding="utf-8"))["layers"]
    out = []
    for m in meta:
        frame = gpd.read_parquet(folder / m["file"])
        out.append(
            webmap.MapLayer(
                name=m["name"],
                group=m["group"],
                kind=m["kind"],
                frame=frame,
                fields=tuple(m["fields"]),
                colour=m["colour"],
                years=None if m["years"] is None else tuple(m["years"]),
                cluster=m["cluster"],
                decimals=m["decimals"],
                visible=m["visible"],
                note=m["note"],
                source=m["source"],
                fill=m["fill"],
            )
        )
    return out


@dataclass(frozen=True, eq=False)
class RunFolder:
    """A run folder read back (:func:`read_run`): what the renderers need, nothing recomputed.

    Attributes
    ----------
    path
        The folder.
    results
        The content of ``results.json``.
    study
        The content of ``study.json`` (:meth:`~borderscape.analyses.study.Study.to_dict`).
    """

    path: Path
    results: Mapping[str, Any]
    study: Mapping[str, Any]

    @property
    def figures(self) -> Path:
        """The ``figures/`` folder."""
        return self.path / "figures"

    def map_layers(self) -> list[webmap.MapLayer]:
        """The interactive map's layers (``map/``)."""
        return read_map_layers(self.path / "map")

    @property
    def missing(self) -> dict[str, str]:
        """Role → why the run had no such layer and what to do (``provenance.json`` ``missing``)."""
        path = self.path / "provenance.json"
        found = _read_json(path).get("missing") if path.is_file() else None
        return dict(found) if isinstance(found, Mapping) else {}

    def notices(self) -> list[Notice]:
        """The run's first-screen lines (:func:`borderscape.analyses.needs.notices`)."""
        options = _read_json(self.path / "provenance.json").get("options") or {}
        given = [r for r in ("towers", "dem") if isinstance(options, Mapping) and options.get(r)]
        return notices(self.results, self.study, self.missing, given=given)

    def check(self) -> RunFolder:
        """This folder, after refusing a run that had no primary layer
        (:func:`borderscape.analyses.needs.check_run_folder`, a :class:`~borderscape.errors.NoDataError`)."""
        check_run_folder(self.path, self.results, self.study, self.missing)
        return self

    def map_data(self) -> webmap.StudyMap:
        """What the run's interactive map draws (the same as its ``map.html``)."""
        return study_map_data(
            self.map_layers(),
            title=self.study["study"]["title"],
            bbox=self.study["region"]["bbox"],
            results=self.results,
            notices=[n.text for n in self.notices()],
        )


def read_run(folder: str | os.PathLike[str]) -> RunFolder:
    """Read a run folder written by ``borderscape run`` (or :meth:`borderscape.Result.write`).

    Raises
    ------
    InputError
        The folder does not exist or is not a complete run folder.
    """
    path = Path(folder)
    if not path.is_dir():
        raise InputError(
            f"the run folder {path} does not exist",
            remedy="give the folder `borderscape run` wrote (default out/<study name>)",
        )
    absent = [f for f in (*RUN_FILES, "map/layers.json") if not (path / f).is_file()]
    if absent:
        raise InputError(
            f"{path} is not a complete run folder of this version of borderscape: {', '.join(absent)} missing",
            remedy=f"run the study again into this folder (`borderscape run STUDY --out {path}`), then render from it",
        )
    return RunFolder(path, _read_json(path / "results.json"), _read_json(path / "study.json"))
