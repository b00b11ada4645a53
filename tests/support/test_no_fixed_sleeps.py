"""Tests wait for a signal, never for a fixed time: outside tests/support, no test module
sleeps for a constant number of seconds. (`sleep(0)` yields to the event loop: allowed.)"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent.parent
SUPPORT = Path(__file__).parent


def constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level names bound once to an expression: `QUIET = 0.3` makes `sleep(QUIET)` fixed."""
    bound: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if isinstance(node.targets[0], ast.Name):
                bound[node.targets[0].id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            bound[node.target.id] = node.value
    return bound


def fixed(value: ast.expr, bound: dict[str, ast.expr]) -> bool:
    """Whether `value` is the same number at every run."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, int | float)
    if isinstance(value, ast.Name):
        return value.id in bound and fixed(bound[value.id], {})
    if isinstance(value, ast.UnaryOp):
        return fixed(value.operand, bound)
    if isinstance(value, ast.BinOp):
        return fixed(value.left, bound) and fixed(value.right, bound)
    return False


def sleep_names(tree: ast.Module) -> set[str]:
    """How this module calls a sleep: `time.sleep`, `asyncio.sleep`, or a name imported."""
    names = {"time.sleep", "asyncio.sleep"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("time", "asyncio"):
            names.update(
                alias.asname or alias.name for alias in node.names if alias.name == "sleep"
            )
    return names


def fixed_sleeps(source: str) -> list[tuple[int, str]]:
    """The line and text of each call in `source` that sleeps for a fixed time."""
    tree = ast.parse(source)
    bound, names = constants(tree), sleep_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or ast.unparse(node.func) not in names:
            continue
        delay = node.args[0] if node.args else next((k.value for k in node.keywords), None)
        if delay is None or not fixed(delay, bound):
            continue
        if isinstance(delay, ast.Constant) and delay.value == 0:
            continue
        found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_no_test_module_sleeps_for_a_fixed_time() -> None:
    modules = sorted(p for p in TESTS.rglob("*.py") if SUPPORT not in p.parents)
    assert len(modules) > 50
    found = [
        f"{path.relative_to(TESTS.parent)}:{line}: {call}"
        for path in modules
        for line, call in fixed_sleeps(path.read_text(encoding="utf-8"))
    ]
    assert not found, "wait for a signal (tests/support/waiting.py) instead of:\n" + "\n".join(
        found
    )


def test_the_check_sees_each_form_of_a_fixed_sleep() -> None:
    source = (
        "import asyncio, time\n"
        "from time import sleep as pause\n"
        "QUIET = 0.3\n"
        "def test(gap):\n"
        "    time.sleep(1)\n"
        "    time.sleep(QUIET)\n"
        "    pause(0.5 * 2)\n"
        "    time.sleep(gap)\n"
        "    time.sleep(max(0.0, gap - time.time()))\n"
        "async def test_async():\n"
        "    await asyncio.sleep(delay=0.05)\n"
        "    await asyncio.sleep(0)\n"
    )
    assert [call for _, call in fixed_sleeps(source)] == [
        "time.sleep(1)",
        "time.sleep(QUIET)",
        "pause(0.5 * 2)",
        "asyncio.sleep(delay=0.05)",
    ]
