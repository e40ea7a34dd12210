"""The house as drawn from the imports: each package imports only from its own layer or the ones below.

Layers, lowest first. A package may import from packages in lower layers and from its own package; an
import reaching up (or sideways into another package of the same layer) is a cycle in the making, the
kind that once hid behind ``importlib`` "optional libraries". The README's layout table names every
package, so a new one cannot appear without a place in both.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "zdt"

LAYERS: list[set[str]] = [
    {"discovery", "db", "sessions", "load", "examples"},
    {"schema", "migrations"},
    {"analysis"},
    {"policy", "config"},
    {"plan"},
    {"rollout"},
    {"reports", "recipes", "executor"},
    {"compat", "monitor"},
    {"rehearsal", "tools", "collect"},
    {"agents"},
    {"record"},
    {"graph"},
    {"cli"},
    {"__main__"},
]


def _layer_of(name: str) -> int:
    for number, layer in enumerate(LAYERS):
        if name in layer:
            return number
    raise AssertionError(f"zdt.{name} has no layer in tests/test_layers.py: give it one")


def _top_level_units() -> set[str]:
    units = {path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    return units | {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}


def _imports(path: Path) -> set[str]:
    """The zdt packages a module imports (absolute imports; zdt uses no relative ones)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        modules: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import"
            modules = [node.module]
            if node.module == "zdt":  # from zdt import __version__ is the root package, not a layer
                modules = [f"zdt.{alias.name}" for alias in node.names if alias.name in _top_level_units()]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        found |= {module.split(".")[1] for module in modules if module.startswith("zdt.")}
    return found


def test_every_package_has_a_layer() -> None:
    units = _top_level_units()
    for unit in units:
        _layer_of(unit)
    assert set().union(*LAYERS) == units, "a layer names a package that no longer exists"


def test_no_package_imports_from_a_higher_layer_or_a_sibling() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        unit = relative.parts[0].removesuffix(".py")
        if unit == "__init__":
            continue
        for imported in _imports(path) - {unit}:
            if _layer_of(imported) >= _layer_of(unit):
                wrong.append(f"zdt/{relative} imports zdt.{imported}")
    assert wrong == []


def test_the_readme_layout_names_every_package() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`zdt/(\w+)/`", table))
    packages = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}
    assert packages - named == set(), "README's layout table misses these packages"
