"""The package's layout: no import cycles between planner's modules, no cycle dodged in a function.

Each module's imports of other planner modules are read from its source (``ast``): those at
module level, and those inside functions. A cycle among module-level imports is an error; so is
an import inside a function that would close a cycle (the lazy imports that remain only keep
heavy libraries out of commands that do not need them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "planner"

pytestmark = pytest.mark.unit


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _targets(node: ast.ImportFrom | ast.Import, module: str, is_package: bool) -> list[str]:
    """The planner modules an import statement loads (a package's ``__init__`` included)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        names = [prefix] + [f"{prefix}.{a.name}" for a in node.names]
    out = []
    for name in names:
        if name != "planner" and not name.startswith("planner."):
            continue
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
            out.append(".".join(parts[:i]))
    return out


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    top: dict[str, set[str]] = {m: set() for m in modules}
    inner: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                # a module's own packages are already being imported when it runs: not an edge
                deps = {
                    t
                    for t in _targets(node, mod, is_package)
                    if t in modules and t != mod and not mod.startswith(t + ".")
                }
                live = _at_top(tree, node)
                if live is not None:
                    (top if live else inner)[mod] |= deps
    return top, inner


def _typing_only(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:``: imports that only the type checker follows."""
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )


def _at_top(tree: ast.Module, node: ast.AST) -> bool | None:
    """Whether ``node`` runs when the module is imported (not inside a function); ``None`` for a
    typing-only import, which never runs."""
    stack: list[tuple[ast.AST, bool | None]] = [(tree, True)]
    while stack:
        cur, live = stack.pop()
        if cur is node:
            return live
        for child in ast.iter_child_nodes(cur):
            if live is None or _typing_only(cur):
                stack.append((child, None))
            else:
                stack.append(
                    (
                        child,
                        live
                        and not isinstance(
                            cur, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
                        ),
                    )
                )
    return False


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        cur = todo.pop()
        if cur == goal:
            return True
        if cur in seen:
            continue
        seen.add(cur)
        todo.extend(graph.get(cur, ()))
    return False


def test_no_import_cycles() -> None:
    top, _ = _graph()
    cycles = sorted(
        f"{a} → {b} → … → {a}" for a, deps in top.items() for b in deps if _reaches(top, b, a)
    )
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_import_inside_a_function_closes_a_cycle() -> None:
    top, inner = _graph()
    dodged = sorted(
        f"{a} imports {b} inside a function, and {b} imports {a}"
        for a, deps in inner.items()
        for b in deps
        if _reaches(top, b, a)
    )
    assert not dodged, "\n".join(dodged)


def test_the_graph_sees_imports() -> None:
    """The checker reads relative imports: the pipeline's known dependencies are found."""
    top, inner = _graph()
    assert "planner" not in top["planner.pipeline"]  # its own package is not an edge
    assert {"planner.plan", "planner.horizon.planning", "planner.studies.network_value"} <= top[
        "planner.pipeline"
    ]
    assert "planner.pipeline" in inner["planner.studies.sweep"]
