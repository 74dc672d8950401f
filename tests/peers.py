"""The peer tools the conformance tests compare against (GDAL, GRASS GIS).

Without a tool the test is skipped, unless ``BORDERSCAPE_REQUIRE_PEERS=1`` (set by
``.ci/run``), in which case it fails: CI must not pass by skipping every comparison.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def require_peer(tool: str) -> str:
    """The path of ``tool``; skips (or fails under BORDERSCAPE_REQUIRE_PEERS=1) without it."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("BORDERSCAPE_REQUIRE_PEERS") == "1":
            pytest.fail(f"{tool} is required (BORDERSCAPE_REQUIRE_PEERS=1) but not installed")
        pytest.skip(f"{tool} not installed")
    return path


def run_grass(workdir: Path, script: str, *, crs: str = "EPSG:32612", timeout: float = 300) -> None:
    """Run a bash ``script`` of GRASS commands in a temporary GRASS location of ``crs``."""
    grass = require_peer("grass")
    (workdir / "run.sh").write_text("set -e\n" + script)
    proc = subprocess.run(
        [grass, "--tmp-location", crs, "--exec", "bash", "run.sh"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
