"""The examples in docstrings run: every module of the package, imported by its package name
(``borderscape.geo.files``, not ``geo.files``), through :mod:`doctest`."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest
from test_package import _modules

ROOT = Path(__file__).resolve().parents[1]
WITH_EXAMPLES = sorted(name for name, path in _modules(ROOT).items() if ">>> " in path.read_text(encoding="utf-8"))


def test_some_modules_have_examples():
    assert len(WITH_EXAMPLES) >= 3, WITH_EXAMPLES


@pytest.mark.parametrize("module", WITH_EXAMPLES)
def test_docstring_examples(module, data_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    monkeypatch.setenv("BORDERSCAPE_DATA", str(data_dir))
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0, f"{module} has '>>> ' in its source but no example ran"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {module} failed"
