"""The layering, checked over every import in the product's code (module level and inside functions alike):

    supplychain                         the command line alone (cli.py, and the package's version): nothing imports it
    orchestration                       the pipeline: above the stages, below the CLI
    ingestion, forecasting, optimization, sample_data, analyst
                                        the stages (the sample generator and the analysts' docs site and report
                                        included): each imports only the ground floor (and third-party code)
    foundation                          the ground floor (foundation.testing, the tests' PostgreSQL server,
                                        included): imports nothing of the project's above it

and no import cycle anywhere, between packages or between modules. Every top-level package is on the map, in the
wheel and in the pipeline image.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "orchestration" / "docker" / "Dockerfile"
STAGES = ("ingestion", "forecasting", "optimization", "sample_data", "analyst")
PACKAGES = ("foundation", *STAGES, "orchestration", "supplychain")
# The layer each component may import (besides itself and third-party code).
ALLOWED = {
    "foundation": set(),
    **{stage: {"foundation"} for stage in STAGES},
    "orchestration": {"foundation", *STAGES},
    "supplychain.cli": {"foundation", "orchestration", *STAGES},
    "supplychain": set(),  # the package's own __init__ (its version)
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "node_modules" in path.parts or "__pycache__" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports, resolved to the longest known module name."""
    found = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import module` imports the module; `from module import name` imports the module.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for target in targets:
            parts = target.split(".")
            while parts and ".".join(parts) not in known:
                parts.pop()
            if parts and ".".join(parts) != name:
                found.add(".".join(parts))
    return found


def component(module: str) -> str:
    for name in sorted(ALLOWED, key=len, reverse=True):
        if module == name or module.startswith(name + "."):
            return name
    return module.split(".")[0]


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports(name, path, known) - {name} for name, path in found.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_every_package_imports_only_the_layers_below_it():
    broken = sorted(
        f"{module} imports {target} ({component(module)} may import only "
        f"{', '.join(sorted(ALLOWED.get(component(module), ()))) or 'itself'})"
        for module, targets in graph().items()
        for target in targets
        if component(target) != component(module)
        and component(target) not in ALLOWED.get(component(module), set())
    )
    assert not broken, "\n".join(broken)


def test_nothing_imports_the_command_line():
    importers = sorted(module for module, targets in graph().items() if "supplychain.cli" in targets)
    assert not importers, importers


def test_no_import_cycles_between_packages_or_modules():
    edges = graph()
    packages: dict[str, set[str]] = {}
    for module, targets in edges.items():
        packages.setdefault(component(module), set()).update(component(t) for t in targets)
    packages = {name: targets - {name} for name, targets in packages.items()}
    assert cycle(packages) is None, " -> ".join(cycle(packages))
    assert cycle(edges) is None, " -> ".join(cycle(edges))


def test_the_checker_sees_a_layering_break_and_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert component("supplychain.cli") == "supplychain.cli"
    assert component("sample_data.generate") == "sample_data"
    assert component("foundation.testing.postgres_server") == "foundation"
    assert "foundation" not in ALLOWED["foundation"] and "orchestration" not in ALLOWED["forecasting"]
    assert "supplychain.cli" not in ALLOWED["orchestration"] and "analyst" not in ALLOWED["sample_data"]


def test_the_command_line_package_holds_the_command_line_alone():
    """The generator and the analysts' outputs are stages of their own, beside the others, not inside the CLI."""
    inside = sorted(module for module in modules() if module.split(".")[0] == "supplychain")
    assert inside == ["supplychain", "supplychain.cli"], inside


def test_every_top_level_package_is_on_the_map_in_the_wheel_and_in_the_image():
    tomllib = pytest.importorskip("tomllib")
    found = sorted(path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file() and path.name != "tests")
    assert found == sorted(PACKAGES), found
    included = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    for package in PACKAGES:
        assert f"{package}*" in included["include"], f"{package} is not packaged (pyproject.toml packages.find)"
    # The pipeline image runs every stage (orchestration/docker/Dockerfile copies the packages one by one).
    copied = {line.split()[1].rstrip("/") for line in DOCKERFILE.read_text().splitlines() if line.startswith("COPY ")}
    assert set(PACKAGES) <= copied, sorted(set(PACKAGES) - copied)
