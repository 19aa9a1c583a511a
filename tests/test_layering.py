"""The package keeps its shape: read every module's imports with `ast` and check the rules
the README's Development section states. A new command that reached into another command,
ran SQL or made the core need click would fail here, not in a user's hands."""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

PACKAGE = "vault_crm"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE
CLI = f"{PACKAGE}.cli"
# The command line's shared parts; every other module under cli/ is a command module.
CLI_SHARED = {CLI, f"{CLI}.main", f"{CLI}.commands", f"{CLI}.app", f"{CLI}.params",
              f"{CLI}.completion"}  # fmt: skip
SQL_CALLS = {"execute", "executemany", "executescript"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, ast.Module]:
    return {
        module_name(p): ast.parse(p.read_text(encoding="utf-8"), str(p))
        for p in sorted(SRC.rglob("*.py"))
    }


def imports(tree: ast.Module) -> list[tuple[str, str | None]]:
    """(module, name) for every import anywhere in the file: top level, inside functions
    and under `if TYPE_CHECKING:` alike. A name that is itself a module becomes the module."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                found.append((sub, None) if sub in modules() else (node.module, a.name))
    return found


@cache
def internal_edges() -> dict[str, set[str]]:
    return {
        name: {m for m, _ in imports(tree) if m in modules() and m != name}
        for name, tree in modules().items()
    }


def in_cli(name: str) -> bool:
    # `python -m vault_crm` is the command line too.
    return name in (CLI, f"{PACKAGE}.__main__") or name.startswith(CLI + ".")


def test_the_rules_see_the_whole_package() -> None:
    assert {f"{PACKAGE}.store.index", f"{CLI}.main", f"{PACKAGE}.daemon"} <= modules().keys()
    assert len([m for m in modules() if in_cli(m) and m not in CLI_SHARED]) >= 8


def test_no_import_cycle_type_only_imports_included() -> None:
    edges = internal_edges()
    state: dict[str, int] = {}  # 1 visiting, 2 done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles: " + "; ".join(" → ".join(c) for c in cycles)


def test_only_the_command_line_imports_click() -> None:
    bad = {
        name: m
        for name, tree in modules().items()
        if not in_cli(name)
        for m, _ in imports(tree)
        if m == "click" or m.startswith("click.")
    }
    assert not bad, f"click outside cli/: {bad}"


def sql_used(name: str, tree: ast.Module) -> set[tuple[str, str]]:
    """(module, what) for each sqlite3 import and SQL call (execute...) in a module."""
    found = {(name, m) for m, _ in imports(tree) if m.split(".")[0] == "sqlite3"}
    return found | {
        (name, node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in SQL_CALLS
    }


def test_the_command_line_runs_no_sql() -> None:
    bad = set()
    for name, tree in modules().items():
        if not in_cli(name):
            continue
        bad |= sql_used(name, tree)
    assert not bad, f"SQL in the command line: {sorted(bad)}"


def test_command_modules_do_not_import_each_other() -> None:
    commands = {m for m in modules() if in_cli(m) and m not in CLI_SHARED}
    bad = {(name, m) for name in commands for m in internal_edges()[name] if m in commands}
    assert not bad, f"command modules importing each other: {sorted(bad)}"
    shared = {m for m in CLI_SHARED - {CLI, f"{CLI}.main", f"{CLI}.commands"} if m in modules()}
    reach = {(s, m) for s in shared for m in internal_edges()[s] if m in commands}
    assert not reach, f"shared command-line parts importing a command: {sorted(reach)}"


def test_no_module_imports_another_modules_private_name() -> None:
    bad = [
        (name, f"{m}.{n}")
        for name, tree in modules().items()
        for m, n in imports(tree)
        if m.startswith(PACKAGE) and n is not None and n.startswith("_") and not n.startswith("__")
    ]
    assert not bad, f"private names imported: {bad}"


def test_every_module_outside_the_command_line_imports_without_click() -> None:
    core = sorted(m for m in modules() if not in_cli(m))
    code = (
        "import sys, importlib, importlib.abc\n"
        "class NoClick(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'click' or name.startswith('click.'):\n"
        "            raise ImportError('click is not available')\n"
        "sys.meta_path.insert(0, NoClick())\n"
        f"for m in {core!r}:\n"
        "    importlib.import_module(m)\n"
        "assert 'click' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=SRC.parent
    )
    assert done.returncode == 0, done.stderr[-2000:]


STORE = f"{PACKAGE}.store"
# What the store builds on: the records it stores, the link rules and the participants'
# pure rules. Never what drives it (refresh, the daemon, the command line) nor what reads it.
STORE_BELOW = {f"{PACKAGE}.{m}" for m in ("config", "errors", "links", "model", "records", "cjk",
                                           "contacts")}  # fmt: skip


def in_store(name: str) -> bool:
    return name == STORE or name.startswith(STORE + ".")


def test_only_the_store_uses_sqlite() -> None:
    assert {f"{STORE}.schema", f"{STORE}.index", f"{STORE}.queries"} <= modules().keys()
    bad = set()
    for name, tree in modules().items():
        if in_store(name):
            continue
        bad |= sql_used(name, tree)
    assert not bad, f"sqlite3 outside store/: {sorted(bad)}"


def test_the_store_imports_nothing_that_drives_or_reads_it() -> None:
    bad = {
        (name, m)
        for name in modules()
        if in_store(name)
        for m in internal_edges()[name]
        if not in_store(m) and m not in STORE_BELOW
    }
    assert not bad, f"store/ importing from above it: {sorted(bad)}"


def test_outside_the_store_only_its_handle_is_imported() -> None:
    """`vault_crm.store` (its `Index`, cache paths and schema version), never its parts."""
    bad = {
        (name, m)
        for name in modules()
        if not in_store(name)
        for m in internal_edges()[name]
        if in_store(m) and m != STORE
    }
    assert not bad, f"reaching into store/: {sorted(bad)}"
    assert STORE in internal_edges()[f"{PACKAGE}.refresh"]
