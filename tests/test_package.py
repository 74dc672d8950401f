"""The package's shape: one import namespace, floors that only import downwards, and a CI
that runs the README's test command."""

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLOORS = {"geo": 0, "layers": 1, "analyses": 2, "borderscape": 3}


def test_no_generic_top_level_modules_are_installed():
    for name in ("geo", "layers", "analyses"):
        assert importlib.util.find_spec(name) is None or not str(importlib.util.find_spec(name).origin).startswith(str(ROOT)), name
    import borderscape.analyses
    import borderscape.geo
    import borderscape.layers

    assert Path(borderscape.geo.__file__).parent == ROOT / "geo"
    assert Path(borderscape.layers.__file__).parent == ROOT / "layers"
    assert Path(borderscape.analyses.__file__).parent == ROOT / "analyses"


def test_every_package_folder_is_listed_in_pyproject():
    text = (ROOT / "pyproject.toml").read_text()
    for folder in ("borderscape", "geo", "layers", "analyses"):
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT).parts
            name = ".".join(("borderscape",) + (rel[1:] if rel[0] == "borderscape" else rel))
            assert f'"{name}"' in text, f"{name} is not listed in pyproject.toml [tool.setuptools] packages"


def _floor_of(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "borderscape" or len(parts) == 1:
        return None
    return FLOORS.get(parts[1], 3)


@pytest.mark.parametrize("folder", ["geo", "layers", "analyses"])
def test_imports_only_go_down(folder):
    offenders = []
    for path in (ROOT / folder).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] if node.module != "borderscape" else [f"borderscape.{a.name}" for a in node.names]
            for name in names:
                floor = _floor_of(name)
                if floor is not None and floor > FLOORS[folder]:
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, offenders


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^python3 -m venv .*$", readme, flags=re.M)
    assert len(commands) == 2, "the quick start has exactly two commands"
    assert "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_readme_lists_every_catalog_source():
    from borderscape.layers.catalog import CATALOG

    readme = (ROOT / "README.md").read_text()
    missing = [sid for sid in CATALOG if f"`{sid}`" not in readme]
    assert not missing, f"README's source table lacks {missing}"


def test_cli_help_is_fast_and_lists_commands():
    out = subprocess.run([sys.executable, "-m", "borderscape", "--help"], capture_output=True, text=True, check=True)
    for command in ("sources", "fetch", "ingest", "terrain", "run", "demo"):
        assert command in out.stdout
    # --help must not import the heavy floors (numba kernels, geopandas)
    probe = "import sys; from borderscape.cli import cli; print('numba' in sys.modules, 'geopandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
