"""The platform CLI's shape: modules import each other without cycles, at the top, and stay small."""

from __future__ import annotations

import ast
from pathlib import Path

from bookstore.components import BY_NAME, COMPONENTS
from bookstore.config import ROOT

PACKAGE = ROOT / "bookstore"
MAX_LINES = 300


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(tree: ast.Module, known: set[str]) -> set[str]:
    """The bookstore modules a module imports (`from bookstore import tls` counts as bookstore.tls)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found & known


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [*path, nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


class TestLayout:
    def test_no_module_imports_itself_back_through_others(self) -> None:
        modules = _modules()
        # A package's __init__ may re-export its submodules; a submodule importing the package back is a cycle.
        graph = {
            name: {dep for dep in _imports(tree, set(modules)) if dep != name and not name.startswith(dep + ".")}
            for name, tree in modules.items()
        }
        assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph) or [])}"

    def test_cycle_finder_finds_a_cycle(self) -> None:
        assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
        assert _cycle({"a": {"b"}, "b": set()}) is None

    def test_imports_are_at_module_level(self) -> None:
        nested = []
        for name, tree in _modules().items():
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    nested += [
                        f"{name}:{inner.lineno}"
                        for inner in ast.walk(node)
                        if isinstance(inner, ast.Import | ast.ImportFrom)
                    ]
        assert nested == []

    def test_modules_stay_small(self) -> None:
        large = {
            str(p.relative_to(ROOT)): n
            for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES
        }
        assert large == {}

    def test_every_component_has_its_own_module(self) -> None:
        for comp in COMPONENTS:
            module = type(comp).__module__
            assert module.startswith("bookstore.components.") and module.count(".") == 2, (comp.name, module)
            assert module not in ("bookstore.components.base", "bookstore.components.registry")

    def test_dependencies_name_earlier_components(self) -> None:
        order = [c.name for c in COMPONENTS]
        for comp in COMPONENTS:
            for dep in comp.depends:
                assert dep in BY_NAME, f"{comp.name} depends on unknown {dep}"
                assert order.index(dep) < order.index(comp.name), f"{comp.name} is listed before {dep}"
