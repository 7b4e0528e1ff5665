"""The shipped migrations in the form a ClickHouse cluster needs: `ON CLUSTER`, Replicated engines,
Distributed tables. Pure text in, text out; no server.

One server runs `migrations/*.sql` as written. A cluster of shards, each kept by several replicas that
agree through Keeper, needs every DDL statement sent to every node (`ON CLUSTER`), every MergeTree
table in its Replicated form, and a Distributed table to read and write across the shards. The
migrations stay written for one server (that is what runs here and what the tests exercise); this
module derives the cluster form from them, so there is one schema, not two.

Naming. A sharded table keeps its name for its Distributed table and stores its rows in
`<name>_local` on every shard: the sinks, the views, Grafana and the analysts use the same names on
one server and on a cluster, with no code change. Materialized views are the exception that must see
the local tables: a materialized view fires on the insert into the local table of the shard that
received the rows and writes that shard's rollup (`<rollup>_agg_local`); the rollup's Distributed
table merges the shards' partial states when a view reads it.

Sharding key. All versions of one row of a ReplacingMergeTree must land on the same shard, or FINAL
and background merges cannot collapse them: the key hashes the sorting key's leading columns up to
its first time column (the entity: camera, device, indicator series, alert), without the engine's
version columns. A plain MergeTree (dead letters, late events) has nothing to collapse and spreads
its rows with rand().

Dimension tables (`dim_*`) and the migration ledger are small and joined with everything: each is
replicated whole to every node (its Keeper path has no `{shard}`), never sharded, so a join with a
fact table never crosses shards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sinks.migrate applies the rendered statements, so it imports this module
    from sinks.migrate import Migration

LOCAL_SUFFIX = "_local"
KEEPER_ROOT = "/clickhouse/tables"
LEDGER_TABLE = "schema_migrations"
# Settings that only a non-replicated MergeTree knows: a Replicated table deduplicates inserts through
# Keeper (replicated_deduplication_window) and refuses them.
NON_REPLICATED_SETTINGS = frozenset({"non_replicated_deduplication_window"})
COLUMN_COMMANDS = frozenset({"COLUMN"})

_HEAD = re.compile(
    r"^(?P<verb>CREATE\s+(?:OR\s+REPLACE\s+)?(?P<kind>TABLE|MATERIALIZED\s+VIEW|VIEW|DATABASE)|ALTER\s+TABLE)"
    r"\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?`?(?P<name>\w+)`?",
    re.IGNORECASE,
)
_ENGINE = re.compile(r"\bENGINE\s*=\s*(?P<engine>\w*MergeTree)\b(?:\s*\((?P<args>[^()]*)\))?", re.IGNORECASE)
_COLUMNS = re.compile(r"^\s*\((?P<body>.*?)\)\s*ENGINE\b", re.DOTALL)
_ORDER_BY = re.compile(r"^ORDER\s+BY\s+(?P<key>\(.*?\)|\S+)\s*$", re.IGNORECASE | re.MULTILINE)
_SETTINGS = re.compile(r"^SETTINGS\s+(?P<items>.*)$", re.IGNORECASE | re.MULTILINE)
_COMMENT = re.compile(r"^COMMENT\s+'(?:[^'\\]|\\.)*'\s*$", re.IGNORECASE | re.MULTILINE)
_MV_TARGET = re.compile(r"\bTO\s+`?(?P<name>\w+)`?", re.IGNORECASE)
_SOURCE = re.compile(r"\b(?P<keyword>FROM|JOIN)\s+`?(?P<name>\w+)`?", re.IGNORECASE)
_ALTER_COMMAND = re.compile(
    r"\b(?:ADD|DROP|MODIFY|RENAME|COMMENT|CLEAR|MATERIALIZE)\s+"
    r"(?P<what>COLUMN|PROJECTION|CONSTRAINT|INDEX|SETTING|TTL|STATISTICS|ORDER\s+BY)\b"
    # A mutation of stored rows (migration 090 withholds personal data stored before it): the local
    # tables hold the rows, so it goes to them only, like a projection.
    r"|^\s*(?P<mutation>UPDATE)\b",
    re.IGNORECASE,
)
_COPY = re.compile(r"^INSERT\s+INTO\s+`?\w+`?\s+SELECT\b", re.IGNORECASE)
_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'")
_CLUSTER_NAME = re.compile(r"^[\w.-]+$")
_TIME_TYPE = re.compile(r"^(?:Nullable\()?(?:DateTime64|DateTime|Date32|Date)\b")


class ClusterDDLError(ValueError):
    """A statement whose shape the renderer does not know: better refused than rendered wrong."""


def replicated_everywhere(table: str) -> bool:
    """Whether a table is copied whole to every node instead of sharded (dimensions, the ledger)."""
    return table.startswith("dim_") or table == LEDGER_TABLE


def local_name(table: str) -> str:
    """Where a table's rows live on each node: `<name>_local` when sharded, the name itself otherwise."""
    return table if replicated_everywhere(table) else f"{table}{LOCAL_SUFFIX}"


def keeper_path(table: str) -> str:
    """The table's Keeper path: one per shard, or one for the whole cluster when replicated everywhere."""
    shard = "all" if replicated_everywhere(table) else "{shard}"
    return f"{KEEPER_ROOT}/{shard}/{{database}}/{table}"


class ClusterRenderer:
    """Renders statements written for one server into their form for the cluster `cluster`."""

    def __init__(self, cluster: str) -> None:
        if not _CLUSTER_NAME.match(cluster):
            raise ClusterDDLError(f"cluster name {cluster!r}: letters, digits, '_', '-' and '.' only")
        self.cluster = cluster
        self.on_cluster = f"ON CLUSTER '{cluster}'"

    def render(self, statements: Iterable[str]) -> list[str]:
        """Every statement's cluster form, in order (one statement may become two)."""
        return [out for statement in statements for out in self.render_statement(statement)]

    def render_migration(self, migration: Migration) -> list[str]:
        """A migration file's statements in their cluster form."""
        return self.render(statement.rstrip(";") for statement in migration.statements())

    def render_statement(self, statement: str) -> list[str]:
        """One statement's cluster form."""
        statement = statement.strip().rstrip(";").strip()
        if _COPY.match(statement):
            # A copy of stored rows (migration 100 moves incidents to a restricted table) runs once,
            # as written: between the Distributed tables, which read every shard and send each row
            # to its shard by the target's sharding key.
            return [statement]
        head = _HEAD.match(statement)
        if head is None:
            raise ClusterDDLError(f"not a CREATE or ALTER statement: {statement[:60]!r}")
        kind = re.sub(r"\s+", " ", (head["kind"] or "ALTER").upper())
        name, rest = head["name"], statement[head.end() :]
        if kind == "TABLE":
            return self._table(head["verb"], head["exists"] or "", name, rest)
        if kind == "MATERIALIZED VIEW":
            return [self._prefix(head, name) + self._materialized_view_body(rest)]
        if kind == "ALTER":
            return self._alter(name, rest)
        return [self._prefix(head, name) + rest]  # a plain view or a database: the same on every node

    def _prefix(self, head: re.Match[str], name: str) -> str:
        return f"{head['verb']} {head['exists'] or ''}{name} {self.on_cluster}"

    def _table(self, verb: str, exists: str, name: str, rest: str) -> list[str]:
        engine = _ENGINE.search(rest)
        if engine is None:
            raise ClusterDDLError(f"table {name}: no MergeTree-family engine to replicate")
        if engine["engine"].lower().startswith("replicated"):
            raise ClusterDDLError(
                f"table {name}: already {engine['engine']}; migrations are written for one server"
            )
        local = local_name(name)
        args = ", ".join(
            a for a in (f"'{keeper_path(local)}'", "'{replica}'", (engine["args"] or "").strip()) if a
        )
        replicated = f"ENGINE = Replicated{engine['engine']}({args})"
        body = _without_non_replicated_settings(rest[: engine.start()] + replicated + rest[engine.end() :])
        created = [f"{verb} {exists}{local} {self.on_cluster}{body}"]
        if replicated_everywhere(name):
            return created
        key = sharding_key(rest, engine["engine"], engine["args"] or "")
        comment = _COMMENT.search(rest)
        created.append(
            f"{verb} {exists}{name} {self.on_cluster} AS {local}\n"
            f"ENGINE = Distributed('{self.cluster}', currentDatabase(), '{local}', {key})"
            + (f"\n{comment.group(0)}" if comment else "")
        )
        return created

    def _materialized_view_body(self, rest: str) -> str:
        """Point the view at the local tables: it must fire on the shard's insert and write the shard's rollup."""
        target = _MV_TARGET.search(rest)
        if target is None:
            raise ClusterDDLError("materialized view without TO: its hidden inner table cannot be sharded")
        rest = rest[: target.start("name")] + local_name(target["name"]) + rest[target.end("name") :]
        return _outside_literals(
            rest, lambda code: _SOURCE.sub(lambda m: f"{m['keyword']} {local_name(m['name'])}", code)
        )

    def _alter(self, name: str, rest: str) -> list[str]:
        """Column changes go to the local and the Distributed table; the rest (projections, constraints,
        settings) only to the local table, which holds the data."""
        if replicated_everywhere(name):
            return [f"ALTER TABLE {name} {self.on_cluster}{rest}"]
        kinds = {_kind(m) for m in _ALTER_COMMAND.finditer(_LITERAL.sub("''", rest))}
        if not kinds:
            raise ClusterDDLError(f"ALTER TABLE {name}: no command the renderer knows")
        local = [f"ALTER TABLE {local_name(name)} {self.on_cluster}{rest}"]
        if kinds <= COLUMN_COMMANDS:
            return [*local, f"ALTER TABLE {name} {self.on_cluster}{rest}"]
        if not kinds & COLUMN_COMMANDS:
            return local
        # A column added to the sorting key must be added by the same ALTER (ClickHouse's rule): the
        # local table takes both, the Distributed table only the column.
        if kinds != COLUMN_COMMANDS | {"ORDER BY"}:
            raise ClusterDDLError(f"ALTER TABLE {name}: split column changes from other changes")
        columns = [c for c in _commands(rest) if _kind_of(c) in COLUMN_COMMANDS]
        return [*local, f"ALTER TABLE {name} {self.on_cluster} {', '.join(columns)}"]


def _kind(match: re.Match[str]) -> str:
    return " ".join((match["what"] or match["mutation"]).upper().split())


def _kind_of(command: str) -> str:
    match = _ALTER_COMMAND.search(_LITERAL.sub("''", command))
    return _kind(match) if match else ""


def _commands(rest: str) -> list[str]:
    """An ALTER's commands: its text split at the commas outside parentheses and string literals."""
    commands, depth, current, at = [], 0, [], 0
    for literal in [*_LITERAL.finditer(rest), None]:
        end = literal.start() if literal else len(rest)
        for char in rest[at:end]:
            if char == "," and depth == 0:
                commands.append("".join(current).strip())
                current = []
                continue
            depth += {"(": 1, ")": -1}.get(char, 0)
            current.append(char)
        if literal:
            current.append(literal.group(0))
            at = literal.end()
    commands.append("".join(current).strip())
    return [c for c in commands if c]


def sharding_key(rest: str, engine: str, engine_args: str) -> str:
    """The Distributed table's sharding key (see the module docstring for why)."""
    if engine.lower() == "mergetree":
        return "rand()"
    order = _ORDER_BY.search(rest)
    columns = _COLUMNS.match(rest)
    if order is None or columns is None:
        raise ClusterDDLError("a sharded table needs its columns and ORDER BY to choose a sharding key")
    types = {}
    for line in columns["body"].splitlines():
        parts = line.split()
        if len(parts) >= 2:
            types[parts[0].strip("`")] = parts[1]
    versions = {a.strip() for a in engine_args.split(",") if a.strip()}
    entity = []
    for column in (c.strip().strip("`") for c in order["key"].strip("()").split(",")):
        if _TIME_TYPE.match(types.get(column, "")):
            break
        if column not in versions:
            entity.append(column)
    if not entity:
        raise ClusterDDLError(f"ORDER BY {order['key']}: no entity column before its time column")
    return f"cityHash64({', '.join(entity)})"


def _outside_literals(text: str, change: Callable[[str], str]) -> str:
    """`change` applied to the SQL between string literals: a comment's words are not identifiers."""
    pieces, at = [], 0
    for literal in _LITERAL.finditer(text):
        pieces += [change(text[at : literal.start()]), literal.group(0)]
        at = literal.end()
    return "".join([*pieces, change(text[at:])])


def _without_non_replicated_settings(text: str) -> str:
    def keep(match: re.Match[str]) -> str:
        items = [i.strip() for i in match["items"].split(",")]
        kept = [i for i in items if i.split("=")[0].strip() not in NON_REPLICATED_SETTINGS]
        return f"SETTINGS {', '.join(kept)}" if kept else ""

    return re.sub(r"\n\s*\n", "\n", _SETTINGS.sub(keep, text)).rstrip()


def render_all(migrations: Iterable[Migration], cluster: str) -> dict[Migration, list[str]]:
    """Every migration's statements in their cluster form, in order."""
    renderer = ClusterRenderer(cluster)
    return {migration: renderer.render_migration(migration) for migration in migrations}


def as_sql_file(migration: Migration, statements: list[str], cluster: str) -> str:
    """A rendered migration as a file a DBA can read and run with `clickhouse-client --multiquery`."""
    header = f"-- {migration.path.name} for cluster '{cluster}', rendered by `ioc db render` (sinks/cluster_ddl.py)."
    return "\n\n".join([header, *(f"{s};" for s in statements)]) + "\n"
