"""The migrations' cluster form (sinks/cluster_ddl.py), checked on every shipped migration without a server.

No ClickHouse cluster runs here, so what is checked is the rendered text, read back through ClickHouse's
own parser: chDB's `formatQuerySingleLine` parses a statement without running it (ON CLUSTER and the
Replicated engines need Keeper only to run, not to parse) and prints it in one canonical form, which
the checks below read instead of the renderer's own layout.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import chdb
import pytest
from typer.testing import CliRunner

from ioc.cli import app
from sinks.cluster_ddl import ClusterDDLError, ClusterRenderer, render_all
from sinks.migrate import LEDGER_DDL, available, migrate

CLUSTER = "ioc_national"
ON_CLUSTER = f" ON CLUSTER {CLUSTER} "
CREATE_TABLE = re.compile(r"^CREATE TABLE (?:IF NOT EXISTS )?(\w+) ON CLUSTER")
ENGINE = re.compile(r" ENGINE = (\w+)\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
DISTRIBUTED = re.compile(
    r" AS (\w+) ENGINE = Distributed\('(\w+)', currentDatabase\(\), '(\w+)', (.+?)\)(?: COMMENT|$)"
)
MATERIALIZED_VIEW = re.compile(
    r"^CREATE MATERIALIZED VIEW (?:IF NOT EXISTS )?\w+ ON CLUSTER \w+ TO (\w+) .* FROM (\w+)"
)


def literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def canonical(statement: str) -> str:
    """The statement as ClickHouse's parser reads it, on one line (raises on a syntax error)."""
    return str(chdb.query(f"SELECT formatQuerySingleLine({literal(statement)})", "TSVRaw")).strip()


@cache
def rendered() -> tuple[str, ...]:
    """Every shipped migration's cluster form, each statement as ClickHouse's parser reads it (in one
    query; when it fails, one query per statement names the one the parser refuses)."""
    statements = [s for rendered in render_all(available(), CLUSTER).values() for s in rendered]
    query = f"SELECT formatQuerySingleLine(arrayJoin([{', '.join(map(literal, statements))}]))"
    try:
        return tuple(str(chdb.query(query, "TSVRaw")).strip().split("\n"))
    except RuntimeError:
        return tuple(canonical(s) for s in statements)


def created_tables() -> dict[str, str]:
    return {m[1]: s for s in rendered() if (m := CREATE_TABLE.match(s))}


def test_every_shipped_migration_renders_and_parses() -> None:
    """A new migration of a shape the renderer does not know fails here, not on a cluster's first deploy."""
    statements = sum(len(s) for s in render_all(available(), CLUSTER).values())
    assert len(rendered()) == statements > len(available())


def test_every_statement_but_a_copy_of_rows_runs_on_the_cluster() -> None:
    for statement in rendered():
        assert ON_CLUSTER in statement or statement.startswith("INSERT INTO"), statement[:120]


def test_a_copy_of_stored_rows_runs_once_between_the_distributed_tables() -> None:
    """Migration 100 copies the incidents into their restricted table: sent ON CLUSTER, every node
    would copy the whole cluster's rows again; as written, the Distributed tables route each row."""
    copy = "INSERT INTO restricted_camera_incidents SELECT event_id FROM camera_incidents"
    assert ClusterRenderer(CLUSTER).render_statement(copy) == [copy]
    copies = [s for s in rendered() if s.startswith("INSERT INTO")]
    assert [s.split()[2] for s in copies] == ["restricted_camera_incidents"]
    assert "FROM camera_incidents" in copies[0]


def test_no_plain_merge_tree_remains_and_settings_for_one_server_are_gone() -> None:
    engines = [ENGINE.search(s) for s in created_tables().values()]
    names = {e[1] for e in engines if e}
    assert names <= {
        "ReplicatedMergeTree",
        "ReplicatedReplacingMergeTree",
        "ReplicatedAggregatingMergeTree",
        "Distributed",
    }, names
    assert not any("non_replicated_deduplication_window" in s for s in rendered())


def test_each_replicated_table_has_its_own_keeper_path_with_the_replica_macro() -> None:
    paths = {}
    for table, statement in created_tables().items():
        engine = ENGINE.search(statement)
        assert engine is not None, table
        if engine[1] == "Distributed":
            continue
        path, replica, *rest = [a.strip() for a in engine[2].split(",")]
        assert replica == "'{replica}'"
        assert path.endswith(f"/{{database}}/{table}'"), path
        expected_shard = "all" if table.startswith("dim_") or table == "schema_migrations" else "{shard}"
        assert f"/clickhouse/tables/{expected_shard}/" in path
        paths[table] = path
    assert len(set(paths.values())) == len(paths)


def test_engine_arguments_are_kept_after_the_keeper_path() -> None:
    tables = created_tables()
    assert "'{replica}', revision)" in tables["indicators_local"]
    assert "'{replica}', revision)" in tables["alerts_local"]
    assert "'{replica}', version, is_deleted)" in tables["dim_areas"]


def test_every_distributed_table_reads_an_existing_local_table_of_its_name() -> None:
    tables = created_tables()
    distributed = {name: DISTRIBUTED.search(s) for name, s in tables.items() if "ENGINE = Distributed" in s}
    assert distributed
    for name, match in distributed.items():
        assert match is not None, tables[name]
        structure, cluster, local, key = match.groups()
        assert (structure, local, cluster) == (f"{name}_local", f"{name}_local", CLUSTER)
        assert local in tables and "ENGINE = Replicated" in tables[local]
        assert key == "rand()" or key.startswith("cityHash64(")
    # Every sharded local table has its Distributed table, under the name analysts and sinks use.
    assert {n for n in tables if n.endswith("_local")} == {f"{n}_local" for n in distributed}


def test_sharding_keeps_every_version_of_a_row_on_one_shard() -> None:
    """The sharding key is the entity, never a time or version column, so FINAL can collapse a row's
    versions; plain MergeTree tables have nothing to collapse."""
    keys = {name: m[4] for name, s in created_tables().items() if (m := DISTRIBUTED.search(s))}
    assert keys["camera_vehicle_counts"] == "cityHash64(camera_id)"
    assert keys["camera_crowd_density"] == "cityHash64(camera_id, zone_id)"
    assert keys["indicators"] == "cityHash64(indicator, entity_type, entity_id)"
    assert keys["alerts"] == "cityHash64(alert_id)"
    assert keys["dead_letters"] == keys["late_events"] == "rand()"
    for key in keys.values():
        assert not re.search(r"observed_at|_start|revision|event_id|\bday\b", key), key


def test_materialized_views_read_and_write_local_tables() -> None:
    tables = created_tables()
    views = [m.groups() for s in rendered() if (m := MATERIALIZED_VIEW.match(s))]
    assert views
    for target, source in views:
        # A rollup, or the masked copy of a restricted table: dead letters and late events (migration
        # 090, MergeTree), incidents (migration 100, a ReplacingMergeTree like its source).
        if source.startswith("restricted_"):
            engine = ENGINE.search(tables[source])
            assert engine is not None
            expected = engine[1]
        else:
            expected = "ReplicatedAggregatingMergeTree"
        assert target.endswith("_local") and f"ENGINE = {expected}(" in tables[target]
        assert source.endswith("_local") and source in tables


def test_plain_views_read_the_distributed_tables() -> None:
    view = next(s for s in rendered() if s.startswith("CREATE VIEW IF NOT EXISTS camera_vehicle_counts_1m "))
    assert "FROM camera_vehicle_counts_1m_agg GROUP BY" in view


def test_column_changes_reach_both_tables_and_the_rest_only_the_local_one() -> None:
    alters = [s for s in rendered() if s.startswith("ALTER TABLE")]
    label = [s.split()[2] for s in alters if "ADD COLUMN IF NOT EXISTS `label`" in s]
    assert label == ["indicators_local", "indicators"]
    for statement in alters:
        if "PROJECTION" in statement or "CONSTRAINT" in statement or "MODIFY SETTING" in statement:
            assert statement.split()[2].endswith("_local"), statement[:80]


def test_a_mutation_of_stored_rows_goes_to_the_local_tables_that_hold_them() -> None:
    """Migration 090 withholds personal data stored before it, on every shard."""
    (update,) = ClusterRenderer(CLUSTER).render_statement(
        "ALTER TABLE dead_letters\n    UPDATE payload = 'x' WHERE source_topic = 'ADD COLUMN'"
    )
    assert update.startswith(f"ALTER TABLE dead_letters_local ON CLUSTER '{CLUSTER}'")
    mutations = [s for s in rendered() if re.match(r"ALTER TABLE \w+ ON CLUSTER \S+ \(UPDATE ", s)]
    assert [s.split()[2] for s in mutations] == [
        "dead_letters_local",
        "late_events_local",
        "notifications_local",
    ]


def test_the_ledger_is_replicated_to_every_node() -> None:
    (ledger,) = ClusterRenderer(CLUSTER).render_statement(LEDGER_DDL)
    assert (
        "ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/schema_migrations', '{replica}')"
        in (canonical(ledger))
    )


def test_a_column_added_to_the_sorting_key_goes_whole_to_the_local_table_and_as_a_column_to_the_distributed() -> (
    None
):
    local, distributed = ClusterRenderer(CLUSTER).render_statement(
        "ALTER TABLE indicators ADD COLUMN IF NOT EXISTS w UInt32 COMMENT 'a, b' AFTER x, MODIFY ORDER BY (k, w)"
    )
    assert local.startswith(f"ALTER TABLE indicators_local ON CLUSTER '{CLUSTER}'")
    assert "MODIFY ORDER BY (k, w)" in local
    assert distributed == (
        f"ALTER TABLE indicators ON CLUSTER '{CLUSTER}' ADD COLUMN IF NOT EXISTS w UInt32 COMMENT 'a, b' AFTER x"
    )


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO t VALUES (1)",
        "CREATE TABLE t (a UInt8) ENGINE = Memory",
        "CREATE TABLE t (a UInt8) ENGINE = ReplicatedMergeTree('/p', '{replica}') ORDER BY a",
        "CREATE MATERIALIZED VIEW v ENGINE = MergeTree ORDER BY a AS SELECT a FROM t",
        "ALTER TABLE t ADD COLUMN b UInt8, ADD PROJECTION p (SELECT a ORDER BY a)",
    ],
)
def test_a_statement_of_unknown_shape_is_refused(statement: str) -> None:
    with pytest.raises(ClusterDDLError):
        ClusterRenderer(CLUSTER).render_statement(statement)


def test_a_cluster_name_that_would_break_the_sql_is_refused() -> None:
    with pytest.raises(ClusterDDLError):
        ClusterRenderer("ioc'; DROP TABLE alerts")


class RecordingClient:
    """Stands in for a clickhouse-connect client: keeps what migrate sends, holds an empty ledger."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.inserts: list[tuple[str, Any]] = []
        self.database = ""

    def command(self, statement: str) -> None:
        self.commands.append(statement)

    def query(self, statement: str) -> Any:
        return type("Result", (), {"result_rows": []})()

    def insert(self, table: str, rows: Any, column_names: list[str]) -> None:
        self.inserts.append((table, rows))


def test_migrate_on_a_cluster_sends_the_rendered_statements_and_records_each_migration() -> None:
    client = RecordingClient()
    ran = migrate(client, "ioc", CLUSTER)  # type: ignore[arg-type]

    assert ran == available()
    assert client.commands[0] == f"CREATE DATABASE IF NOT EXISTS `ioc` ON CLUSTER '{CLUSTER}'"
    assert all(f"ON CLUSTER '{CLUSTER}'" in c or c.startswith("INSERT INTO") for c in client.commands)
    assert [table for table, _ in client.inserts] == ["schema_migrations"] * len(available())


def test_ioc_db_render_writes_one_file_per_migration(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["db", "render", "--cluster", CLUSTER, "--out", str(tmp_path)])

    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.glob("*.sql"))
    assert written == [m.path.name for m in available()]
    assert "ENGINE = Distributed('ioc_national'" in (tmp_path / "001_camera_vehicle_counts.sql").read_text()
