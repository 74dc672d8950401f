"""Shared fixtures.

``data_dir``: the real-data mirror (env ``BORDERSCAPE_DATA``, else ``<repo>/../shared/data``);
tests that use it are skipped where the mirror is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def mirror_path() -> Path:
    """Where the real-data mirror is expected."""
    return Path(os.environ.get("BORDERSCAPE_DATA", REPO / ".." / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real-data mirror folder; skips the test when it is absent."""
    path = mirror_path()
    if not path.is_dir():
        pytest.skip(f"real-data mirror not found at {path} (set BORDERSCAPE_DATA)")
    return path
