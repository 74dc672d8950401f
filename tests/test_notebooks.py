"""The notebooks of notebooks/ run from start to end against the data mirror, show what they
promise, never show a name of the dead, and are committed without outputs.

Each notebook is executed once (nbclient, the ``python3`` kernel of this environment, 300 s per
cell) in a temporary working directory, with ``BORDERSCAPE_DATA`` pointing at the mirror and
``BORDERSCAPE_NOTEBOOK_OUT`` at a temporary folder for the files it writes.  Name checks reuse
the helpers of ``test_no_names.py`` (names read from the PCOME files into memory only; failure
messages give counts, never a name).
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import nbformat
import pytest
from test_no_names import count_names, name_forms

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
EXPECTED = ("arizona-sonora.ipynb", "central-med.ipynb", "map-for-embedding.ipynb")
TEXT_SUFFIXES = (".json", ".csv", ".html", ".svg", ".toml", ".txt")
MAX_MAP_BYTES = 5_000_000


def committed() -> list[str]:
    return sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


# -- committed notebooks ------------------------------------------------------------------------


def test_expected_notebooks_exist():
    assert set(EXPECTED) <= set(committed()), f"missing: {sorted(set(EXPECTED) - set(committed()))}"


@pytest.mark.parametrize("name", committed())
def test_committed_notebook_is_stripped(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    assert [i for i, c in enumerate(code) if c.outputs] == [], "code cells with outputs are committed"
    assert [i for i, c in enumerate(code) if c.execution_count is not None] == [], "execution counts are committed"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


# -- execution ------------------------------------------------------------------------------------


class Executed:
    """An executed notebook: its cells, the text of its outputs and the folder it wrote to."""

    def __init__(self, nb: nbformat.NotebookNode, out: Path):
        self.nb = nb
        self.out = out

    def outputs(self) -> list[dict]:
        return [o for c in self.nb.cells if c.cell_type == "code" for o in c.outputs]

    def text(self) -> str:
        """Every stream and text output (images left out)."""
        parts = []
        for o in self.outputs():
            if o.output_type == "stream":
                parts.append(o.text)
            elif o.output_type in ("execute_result", "display_data"):
                parts += [v for k, v in o.data.items() if k.startswith("text/")]
            elif o.output_type == "error":
                parts.append(o.ename + ": " + o.evalue)
        return "\n".join(parts)

    def line(self, pattern: str) -> list[str]:
        """Output lines matching ``pattern`` (a regular expression, from the line's start)."""
        return [ln for ln in self.text().splitlines() if re.match(pattern, ln)]


@pytest.fixture(scope="module")
def executed(data_dir, tmp_path_factory):
    """name -> Executed; each notebook runs at most once per test module."""
    from nbclient import NotebookClient

    cache: dict[str, Executed] = {}

    def run(name: str) -> Executed:
        if name not in cache:
            work = tmp_path_factory.mktemp(name.removesuffix(".ipynb"))
            out = work / "out"
            nb = nbformat.read(NOTEBOOKS / name, as_version=4)
            env = dict(
                os.environ, BORDERSCAPE_DATA=str(data_dir), BORDERSCAPE_NOTEBOOK_OUT=str(out), BORDERSCAPE_PROGRESS="0"
            )
            client = NotebookClient(
                nb, timeout=300, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(work)}}
            )
            client.execute(env=env)
            cache[name] = Executed(nb, out)
        return cache[name]

    return run


def _results(path: Path) -> dict[str, dict]:
    return {t["id"]: t for t in json.loads(path.read_text(encoding="utf-8"))["tests"]}


def _check_arizona(ex: Executed) -> None:
    # the table printed from the real records (the tests that ran, with their role): H2 and H4 ran, H1 and H3
    # were skipped with a reason
    assert ex.line(r"\s*H2\.road_distance\s+primary\s"), "H2.road_distance is not in the printed table as primary"
    assert ex.line(r"\s*H4\.trend\s+primary\s"), "H4.trend is not in the printed table as primary"
    assert ex.line(r"\s*H4\s+descriptive\s"), "H4 is not in the printed table as descriptive"
    assert ex.line(r"H1 \(skipped\): No towers layer"), "H1 is not reported as skipped for want of towers"
    assert ex.line(r"H3 \(skipped\): No dem layer"), "H3 is not reported as skipped for want of a DEM"
    real = _results(ex.out / "arizona-sonora" / "results.json")
    road = real["H2.road_distance"]
    assert road["status"] == "ran" and road["n"] > 1000
    assert road["ci"][0] <= road["estimate"] <= road["ci"][1] and 0 <= road["p_value"] <= 1
    # the simulated step: H1 and H3 ran on the generated towers and DEM, and say SIMULATED
    assert ex.line(r"\s*H1\s+primary\s") and ex.line(r"\s*H3\s+descriptive\s"), (
        "H1/H3 did not run on the simulated inputs"
    )
    assert "SIMULATED towers and DEM" in ex.text()
    simulated = _results(ex.out / "SIMULATED-towers-and-dem" / "results.json")
    for test_id in ("H1", "H3"):
        t = simulated[test_id]
        assert t["status"] == "ran" and t["n"] > 0 and math.isfinite(t["estimate"]) and t["method"]
    # the study was edited in Python (study.with_), not by rewriting TOML text
    assert ex.line(r"arizona-sonora-2010s: period 2010-01-01 to 2019-12-31")
    assert not list(ex.out.glob("*.toml"))


def _check_central_med(ex: Executed) -> None:
    assert ex.line(r"\s*M1\.central\s+descriptive\s"), "M1.central is not in the printed table as descriptive"
    assert ex.line(r"\s*M1\.change\s+primary\s"), "M1.change is not in the printed table as primary"
    results = _results(ex.out / "central-med" / "results.json")
    m1 = results["M1.central"]
    assert m1["ci"][0] <= m1["estimate"] <= m1["ci"][1] and 0 < m1["estimate"] < 1
    assert {t["id"][:2] for t in results.values() if t["status"] == "ran"} >= {"M1", "M2", "M3", "M4", "M5"}
    assert (ex.out / "central-med" / "figures" / "mortality_per_crossing.png").stat().st_size > 10_000
    assert any("image/png" in o.get("data", {}) for o in ex.outputs()), "no figure shown"
    assert "Caveats:" in ex.text() and "Sources:" in ex.text()


def _check_map(ex: Executed) -> None:
    for name in ("arizona-sonora-map.html", "iom-mmp-map.html", "iom-mmp-osm.html"):
        size = (ex.out / name).stat().st_size
        assert 10_000 < size < MAX_MAP_BYTES, f"{name}: {size} bytes"
    assert ex.line(r"scripts, styles or images loaded from the internet: 0$")
    decimals = ex.line(r"most decimals in a position of remains: \d+$")
    assert decimals and int(decimals[0].rsplit(" ", 1)[1]) <= 3
    assert len(ex.line(r"<div style=\"position:relative;width:100%;aspect-ratio:4 / 3;\"><iframe ")) == 2
    assert ex.line(r"tiles of the default map: none$") and ex.line(r"tiles with --tiles osm: osm$")


CHECKS = {
    "arizona-sonora.ipynb": _check_arizona,
    "central-med.ipynb": _check_central_med,
    "map-for-embedding.ipynb": _check_map,
}


@pytest.mark.parametrize("name", committed())
def test_notebook_runs(name, executed):
    ex = executed(name)
    errors = [f"{o.ename}: {o.evalue}" for o in ex.outputs() if o.output_type == "error"]
    assert errors == [], f"{name} raised in a cell: {errors}"
    assert all(c.execution_count is not None for c in ex.nb.cells if c.cell_type == "code")
    check = CHECKS.get(name)
    if check is not None:
        check(ex)


@pytest.mark.parametrize("name", committed())
def test_no_names_in_notebook_outputs(name, executed, data_dir):
    forms = name_forms(data_dir)
    assert len(forms) > 100  # the name list was read
    ex = executed(name)
    found = {"outputs": count_names(ex.text(), forms)}
    for path in sorted(ex.out.rglob("*")):
        if path.suffix in TEXT_SUFFIXES:
            found[str(path.relative_to(ex.out))] = count_names(
                path.read_text(encoding="utf-8", errors="replace"), forms
            )
    assert {k: v for k, v in found.items() if v} == {}, "names of the dead in notebook outputs (counts per place)"
