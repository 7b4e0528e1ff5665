"""What a read-only user's statement may do, decided from the engine's own parse of it.

`SET readonly=1` alone is not enough in chDB (seen with chDB 4.4 / ClickHouse 26.9): on such a
session `KILL QUERY` still runs (and would kill the sinks' inserts), `SELECT … INTO OUTFILE`
writes a file, the scalar `file()` function reads any file of the machine (the credentials
included), and one request may carry several statements. So before a read-only user's query
runs, the engine parses it, with `formatQuery()` (which refuses multi-statements) and
`EXPLAIN AST`, and the query runs only if:

- it is one statement, and a SELECT, EXPLAIN, SHOW, DESCRIBE or EXISTS;
- it writes no file (`INTO OUTFILE`);
- its table functions are ones that read no table and nothing outside (numbers, values, …), and
  it calls none of the functions that read files, dictionaries or Join tables by name;
- every table it names is in the platform's database or is one of the system tables a ClickHouse
  server lets every user read (warehouse.visibility: `system.processes`, `system.query_log` and
  `information_schema` are refused, naming the grant), it is no SHOW statement that reads another
  system table (SHOW PROCESSLIST, …), and no name it uses starts with `restricted_` unless the
  user's role has a grant on that table (warehouse.roles: auditors read the audit log). That prefix
  is how a table is kept from readers: a view with another name may read a restricted table and
  show a masked form of it, because only the names written in the query are checked, not what a
  view reads.

This is a check of names in the parsed query, not ClickHouse's grants (chDB has none): it is
conservative (a column called `restricted_x` is refused too) and documented as such.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from warehouse.errors import access_denied, readonly
from warehouse.quoting import quote_literal
from warehouse.roles import RESTRICTED_PREFIX
from warehouse.visibility import SYSTEM_DATABASE, check_show, check_system_table

ALLOWED_STATEMENTS = (
    "SelectWithUnionQuery",
    "SelectIntersectExceptQuery",
    "Explain",
    "Show",
    "Describe",
    "Exists",
)
SAFE_TABLE_FUNCTIONS = frozenset(
    {
        "numbers",
        "numbers_mt",
        "zeros",
        "zeros_mt",
        "generate_series",
        "generateseries",
        "values",
        "null",
        "view",
    }
)
UNSAFE_FUNCTIONS = frozenset({"file", "joinget", "joingetornull"})
UNSAFE_FUNCTION_PREFIXES = ("dict",)
METADATA_DATABASES = frozenset({SYSTEM_DATABASE})


@dataclass(frozen=True)
class Node:
    """One line of `EXPLAIN AST`: its depth, kind (`Function`, `TableIdentifier`, …) and argument."""

    depth: int
    kind: str
    argument: str


def parse_ast(text: str) -> list[Node]:
    """`EXPLAIN AST` output (one node a line, indented one space a level) as nodes."""
    nodes = []
    for line in text.splitlines():
        if not line.strip():
            continue
        body = line.lstrip(" ")
        head = body.split(" (children ")[0].split(" (alias ")[0]
        kind, _, argument = head.partition(" ")
        nodes.append(Node(len(line) - len(body), kind, argument.strip()))
    return nodes


def check_formatted(user: str, formatted: str) -> None:
    """`formatQuery()` puts each clause of the top-level statement on a line of its own."""
    if any(line.lstrip().upper().startswith("INTO OUTFILE") for line in formatted.splitlines()):
        raise readonly(user, "Cannot write files (INTO OUTFILE) in readonly mode")
    check_show(user, formatted)


def not_restricted(name: str) -> bool:
    """The grants of a reader without any grant on a restricted table."""
    return not name.startswith(RESTRICTED_PREFIX)


def check_ast(
    user: str, nodes: list[Node], database: str, may_read: Callable[[str], bool] = not_restricted
) -> None:
    """Refuse what the module's docstring lists; returns quietly when the statement may run.
    `may_read(name)` tells whether the user's role has a grant on a restricted name."""
    if not nodes or not nodes[0].kind.startswith(ALLOWED_STATEMENTS):
        raise readonly(user)
    for index, node in enumerate(nodes):
        name = node.argument.lower()
        if node.kind == "Function":
            parent = _parent(nodes, index)
            if parent is not None and parent.kind == "TableExpression" and name not in SAFE_TABLE_FUNCTIONS:
                raise access_denied(user, f"table function {node.argument}() is not allowed for {user}")
            if name in UNSAFE_FUNCTIONS or name.startswith(UNSAFE_FUNCTION_PREFIXES):
                raise access_denied(user, f"function {node.argument}() is not allowed for {user}")
        if node.kind in ("TableIdentifier", "Identifier") or node.kind.endswith("Query"):
            for part in re.split(r"[.\s]+", node.argument):
                word = part.strip('`"').lower()
                if word.startswith(RESTRICTED_PREFIX) and not may_read(word):
                    raise access_denied(
                        user, f"{node.argument} is restricted: it needs the grant SELECT ON {database}.{word}"
                    )
        if node.kind == "TableIdentifier":
            db, _, table = node.argument.rpartition(".")
            check_system_table(user, db or database, table)
            if db and db != database and db.lower() not in METADATA_DATABASES:
                raise access_denied(user, f"{user} reads only the databases {database} and system")
        if node.kind.endswith("Query") and len(node.argument.split()) == 2:
            check_system_table(user, *node.argument.split())  # SHOW CREATE, EXISTS: `db table`


def _parent(nodes: list[Node], index: int) -> Node | None:
    depth = nodes[index].depth
    for earlier in reversed(nodes[:index]):
        if earlier.depth < depth:
            return earlier
    return None


Run = Callable[[str, dict[str, str]], str]


def check_statement(
    user: str,
    sql: str,
    params: dict[str, str],
    database: str,
    run: Run,
    may_read: Callable[[str], bool] = not_restricted,
) -> None:
    """Parse with the engine (`run(sql, params)` returns text) and refuse what is not allowed.
    `formatQuery` goes first: `EXPLAIN AST a; b` would run `b`."""
    check_formatted(user, run(f"SELECT formatQuery({quote_literal(sql)})", {}))
    check_ast(user, parse_ast(run(f"EXPLAIN AST {sql}", params)), database, may_read)
