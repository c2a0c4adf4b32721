"""The house's floor plan holds: rooms by subject, small modules and functions, imports that
flow one way. Read from the source with `ast`; nothing is imported or run."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "bot" / "core"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60


def modules() -> dict[str, Path]:
    """Every module of bot/ and cogs/, by dotted name."""
    found = {}
    for top in ("bot", "cogs"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imported(path: Path, known: dict[str, Path] | None = None) -> set[str]:
    """The modules `path` imports at run time (`if TYPE_CHECKING:` blocks left out): of the
    project's `known` modules, or every absolute import when `known` is None."""
    tree = ast.parse(path.read_text("utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if known is None or a.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and not known:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if f"{node.module}.{alias.name}" in known
            )
            if node.module in known:
                found.add(node.module)
    return found


def test_no_module_or_function_is_too_long_to_read_at_once() -> None:
    long_modules, long_functions = [], []
    for name, path in modules().items():
        source = path.read_text("utf-8")
        if len(source.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(name)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    long_functions.append(f"{name}.{node.name}")
    assert long_modules == [], f"modules over {MAX_MODULE_LINES} lines"
    assert long_functions == [], f"functions over {MAX_FUNCTION_LINES} lines"


def test_no_import_cycle() -> None:
    known = modules()
    graph = {name: imported(path, known) - {name} for name, path in known.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_core_is_rooms_by_subject_and_knows_nothing_of_discord() -> None:
    subpackages = sorted(p.name for p in CORE.iterdir() if (p / "__init__.py").exists())
    assert {"hf", "matching", "store", "delivery"} <= set(subpackages)
    own = sorted(p.name for p in CORE.glob("*.py") if p.name != "__init__.py")
    assert len(own) <= 13, own  # the features beside the rooms, and a few helpers
    known = modules()
    for name, path in known.items():
        if name.startswith("bot.core"):
            discord = {m for m in imported(path) if m.split(".")[0] == "discord"}
            assert discord == set(), name


def test_matching_and_learning_import_nothing_of_the_store_or_delivery() -> None:
    known = modules()
    for name, path in known.items():
        if name.startswith(("bot.core.matching", "bot.core.learning")):
            wrong = {
                m
                for m in imported(path, known)
                if m.startswith(("bot.core.store", "bot.core.delivery"))
            }
            assert wrong == set(), name
