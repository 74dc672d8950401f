"""A run folder is always the old complete run or the new complete run (issue 16).

A real ``borderscape run`` is rerun into a complete run folder in a child process that kills
itself (SIGKILL, no clean-up of any kind) at points of its write phase: after the first file,
in the middle of the tables, after the figures, just before the swap, right after the swap,
and — with the two-rename fallback forced — between the two renames.  The patches live in the
child only (``python -c``); production code has no test hook.  To keep it quick the study is
Arizona–Sonora with only the remains, encounters and border layers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from borderscape.runfolder import RUN_FILES

STUDY = Path(__file__).resolve().parents[1] / "analyses" / "studies" / "arizona-sonora.toml"

# The child: counts the file operations of write_run and SIGKILLs itself at the chosen one.
CHILD = r"""
import os, shutil, signal, sys
from pathlib import Path
import borderscape.output as output
from borderscape.cli import main

point, study, data_dir, out = sys.argv[1:5]
out = Path(out).resolve()
state = {"writing": False, "tables": 0}
real_replace, real_exchange, real_rmtree, real_write_run = os.replace, output._exchange, shutil.rmtree, output.write_run

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def replace(src, dst, *args, **kwargs):
    src, dst = Path(src).resolve(), Path(dst).resolve()
    if state["writing"]:
        if point == "after-figures" and dst.parent.name == "map":
            die()
        if point == "before-swap" and src == out:
            die()
    real_replace(src, dst, *args, **kwargs)
    if state["writing"]:
        if point == "first-file" and dst.name == "results.json":
            die()
        if dst.parent.name == "tables":
            state["tables"] += 1
            if point == "mid-tables" and state["tables"] == 2:
                die()
        if point == "between-renames" and src == out:
            die()

def exchange(a, b):
    if point == "between-renames":
        return False  # force the two-rename fallback
    if point == "before-swap":
        die()
    done = real_exchange(a, b)
    if point == "after-swap":
        die()
    return done

def write_run(*args, **kwargs):
    state["writing"] = True
    return real_write_run(*args, **kwargs)

os.replace = replace
output._exchange = exchange
output.write_run = write_run
sys.exit(main(["run", study, "--data-dir", data_dir, "--out", str(out)]))
"""

KILL_POINTS = ("first-file", "mid-tables", "after-figures", "before-swap", "between-renames", "after-swap")


def _study(tmp: Path) -> Path:
    text = STUDY.read_text(encoding="utf-8")
    start = text.index("[layers]")
    end = text.index("\n[", start + 1)
    small = '[layers]\ndeaths = "pcome"\nencounters = "cbp-encounters"\nborder = "ibwc-boundary"\n'
    path = tmp / "az-small.toml"
    path.write_text(text[:start] + small + text[end:], encoding="utf-8")
    return path


def _child(point: str, study: Path, data_dir: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, point, str(study), str(data_dir), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TERM": "dumb", "COLUMNS": "200"},
    )


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


@pytest.fixture(scope="module")
def data_dir() -> Path:
    path = Path(os.environ.get("BORDERSCAPE_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    if not (path.is_dir() and any(path.iterdir())):
        pytest.skip("the real data folder is not available (set BORDERSCAPE_DATA)")
    return path


def test_killed_rerun_leaves_old_or_new_complete_run(tmp_path, data_dir):
    study = _study(tmp_path)
    first = tmp_path / "first"
    done = _child("none", study, data_dir, first)
    assert done.returncode == 0, done.stdout + done.stderr
    old = _snapshot(first)
    assert set(RUN_FILES) <= set(old) and any(k.startswith("tables/") for k in old)
    assert any(k.startswith("figures/") for k in old) and "map/layers.json" in old

    folders = {point: tmp_path / point / "F" for point in KILL_POINTS}
    for folder in folders.values():
        shutil.copytree(first, folder)
    with ThreadPoolExecutor(max_workers=2) as pool:
        killed = dict(zip(KILL_POINTS, pool.map(lambda p: _child(p, study, data_dir, folders[p]), KILL_POINTS)))

    for point, proc in killed.items():
        assert proc.returncode == -9, f"{point}: the child was not killed\n{proc.stdout}{proc.stderr}"
        folder = folders[point]
        if point == "after-swap":  # the new run is in place, whole; the old one waits to be removed
            new = _snapshot(folder)
            assert new.keys() == old.keys() and new["results.json"] == old["results.json"]
            assert new["provenance.json"] != old["provenance.json"]  # a new run, not the old one
            assert _siblings(folder) and all(".partial-" in s for s in _siblings(folder))
        elif point == "between-renames":  # no folder: the old run, whole, under its hidden name
            assert not folder.exists()
            (aside,) = [s for s in _siblings(folder) if ".old-" in s]
            assert _snapshot(folder.parent / aside) == old
            assert all(".old-" in s or ".partial-" in s for s in _siblings(folder))
        else:
            assert _snapshot(folder) == old, point  # exactly the old complete run
            assert all(".partial-" in s for s in _siblings(folder)), _siblings(folder)

    # the next rerun into the folder left without a run puts the old one back before anything
    # else: killed at its first file, the folder is exactly the old run
    folder = folders["between-renames"]
    again = _child("first-file", study, data_dir, folder)
    assert again.returncode == -9, again.stdout + again.stderr
    assert _snapshot(folder) == old
    assert not any(".old-" in s for s in _siblings(folder))

    # a rerun that finishes leaves a complete folder and no hidden sibling
    assert _siblings(folder)  # the partial folder of the run killed just now
    done = _child("none", study, data_dir, folder)
    assert done.returncode == 0, done.stdout + done.stderr
    new = _snapshot(folder)
    assert new.keys() == old.keys() and new["results.json"] == old["results.json"]
    assert new["provenance.json"] != old["provenance.json"]
    assert _siblings(folder) == []
