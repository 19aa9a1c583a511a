"""The insights stay pure: records in, suggestions out. No click, no SQL, no clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

INSIGHTS = Path(__file__).resolve().parents[1] / "src" / "vault_crm" / "insights"
PURE = ["who.py", "intros.py", "reciprocity.py", "report.py"]
NEVER = {"click", "sqlite3", "jinja2", "vault_crm.cli.app", "vault_crm.cli", "vault_crm.commands"}


def imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("name", [*PURE, "sources.py"])
def test_no_click_sql_templates_or_commands(name: str) -> None:
    tree = ast.parse((INSIGHTS / name).read_text(encoding="utf-8"))
    bad = {m for m in imported(tree) if any(m == n or m.startswith(n + ".") for n in NEVER)}
    assert not bad, f"{name} imports {bad}"


@pytest.mark.parametrize("name", PURE)
def test_pure_insights_never_read_the_index_or_the_clock(name: str) -> None:
    text = (INSIGHTS / name).read_text(encoding="utf-8")
    tree = ast.parse(text)
    assert not {m for m in imported(tree) if m.split(".")[:2] == ["vault_crm", "store"]}
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & {"now", "today", "utcnow", "execute"}, name
