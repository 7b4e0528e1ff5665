"""The wall names no indicator code in a string: it imports the code from the catalog, so renaming an
indicator in streams/model/indicators.py cannot leave a screen querying a code nobody emits."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import wall
from streams.model.indicators import FAMILIES, LIVENESS_SIGNALS, emitted_codes

WALL = Path(wall.__file__).parent
# Longest first, so a family member is reported whole rather than as its family's prefix.
KNOWN = sorted({*emitted_codes(), *FAMILIES, *LIVENESS_SIGNALS}, key=len, reverse=True)
CODES = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, KNOWN)) + r")(?!\w)")


def literals(tree: ast.AST) -> list[ast.Constant]:
    """Every string constant of the code, f-string parts included, docstrings left out (prose may
    name a code)."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


@pytest.mark.parametrize("path", sorted(WALL.rglob("*.py")), ids=lambda path: str(path.relative_to(WALL)))
def test_no_indicator_code_is_written_as_a_string(path: Path) -> None:
    found = [
        f"line {node.lineno}: {match}"
        for node in literals(ast.parse(path.read_text(encoding="utf-8")))
        for match in CODES.findall(node.value)
    ]
    assert found == [], f"import these codes from streams.model.indicators instead: {found}"


def test_the_check_sees_codes_inside_sql_and_f_strings() -> None:
    tree = ast.parse("SQL = f\"WHERE indicator = 'traffic.volume' AND {x}\"\nP = 'traffic.violations.'")
    found = sorted(match for node in literals(tree) for match in CODES.findall(node.value))
    assert found == ["traffic.violations", "traffic.volume"]
