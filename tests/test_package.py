"""The package's shape: one import namespace, floors that only import downwards, and a CI
that runs the README's test command."""

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOORS = {"geo": 0, "layers": 1, "analyses": 2, "borderscape": 3}


def test_no_generic_top_level_modules_are_installed():
    for name in ("geo", "layers", "analyses"):
        assert importlib.util.find_spec(name) is None or not str(importlib.util.find_spec(name).origin).startswith(
            str(ROOT)
        ), name
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


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("").parts
    parts = rel[1:] if rel[0] == "borderscape" else rel
    name = ".".join(("borderscape",) + tuple(parts))
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def _modules(root: Path) -> dict[str, Path]:
    return {
        _module_name(p, root): p
        for folder in ("borderscape", "geo", "layers", "analyses")
        for p in (root / folder).rglob("*.py")
    }


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the package modules it imports, at module level or inside functions (every
    ``import`` statement anywhere in the file, relative ones resolved)."""
    modules = _modules(root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # ``from pkg import sub`` imports the module pkg.sub; ``from pkg import name`` imports pkg
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for t in targets:
                # the longest package module the target names (a module, or a name inside one)
                while t and t not in modules:
                    t = t.rsplit(".", 1)[0] if "." in t else ""
                if t and t != name and t != "borderscape":
                    edges.add(t)
        graph[name] = edges
    return graph


def _floor_of(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "borderscape" or len(parts) == 1:
        return None
    return FLOORS.get(parts[1], 3)


def test_imports_only_go_down():
    offenders = [
        f"{a} imports {b}"
        for a, targets in import_graph().items()
        for b in targets
        if _floor_of(b) is not None and _floor_of(a) is not None and _floor_of(b) > _floor_of(a)
    ]
    assert not offenders, offenders


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    cycles: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_no_import_cycles():
    """No module imports another that imports it back, directly or through others, not even inside a function."""
    assert not find_cycles(import_graph())


def test_import_graph_sees_imports_inside_functions_and_relative_ones(tmp_path):
    """A cycle hidden by an import inside a function, or written relatively, is found; so is a
    floor broken inside a function."""
    (tmp_path / "borderscape").mkdir()
    (tmp_path / "analyses" / "battery").mkdir(parents=True)
    (tmp_path / "geo").mkdir()
    (tmp_path / "layers").mkdir()
    for folder in ("borderscape", "analyses", "analyses/battery", "geo", "layers"):
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "analyses" / "battery" / "a.py").write_text("def f():\n    from . import b\n")
    (tmp_path / "analyses" / "battery" / "b.py").write_text("from borderscape.analyses.battery.a import f\n")
    (tmp_path / "geo" / "x.py").write_text("def g():\n    import borderscape.output\n")
    (tmp_path / "borderscape" / "output.py").write_text("")
    graph = import_graph(tmp_path)
    assert graph["borderscape.analyses.battery.a"] == {"borderscape.analyses.battery.b"}
    assert find_cycles(graph) == [["borderscape.analyses.battery.a", "borderscape.analyses.battery.b"]]
    assert _floor_of("borderscape.output") > _floor_of("borderscape.geo.x")
    assert "borderscape.output" in graph["borderscape.geo.x"]


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
