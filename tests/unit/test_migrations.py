"""Unit tests for sinks.migrate's file handling: ordering, statement splitting, and what the DDL promises.

The migration files are read and parsed here independently of the module, so new migrations are checked
without editing this test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sinks.migrate import MIGRATIONS_DIR, Migration, available
from sinks.tables import MAPPINGS

SQL_FILES = sorted(MIGRATIONS_DIR.glob("*.sql"))
# `CREATE TABLE [IF NOT EXISTS] name ( columns ) ENGINE`: the column list ends at the ')' before ENGINE.
TABLE = re.compile(
    r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?`?([\w.]+)`?\s*\((.*?)\)\s*ENGINE", re.IGNORECASE | re.DOTALL
)
CREATE_TABLE = re.compile(r"CREATE\s+TABLE\b", re.IGNORECASE)


def without_comment_lines(path: Path) -> str:
    """The file with whole-line `--` comments removed (they mention column names in prose)."""
    return "\n".join(line for line in path.read_text().splitlines() if not line.strip().startswith("--"))


def tables(path: Path) -> dict[str, list[str]]:
    """Each table the file creates, with the names of its columns (first word of each column line)."""
    found: dict[str, list[str]] = {}
    for name, body in TABLE.findall(without_comment_lines(path)):
        found[name] = [line.split()[0].strip("`") for line in body.splitlines() if line.strip()]
    return found


def test_there_are_migrations() -> None:
    """A packaging mistake that drops the .sql files must not make every other test here pass vacuously."""
    assert SQL_FILES
    assert [m.path for m in available()] == SQL_FILES


def test_available_is_ordered_by_version_with_unique_versions() -> None:
    """Migrations run in this order, once each per version; a duplicate version would be skipped silently."""
    versions = [m.version for m in available()]
    assert len(versions) == len(set(versions))
    assert versions == sorted(versions)


def test_available_parses_version_and_name_from_the_file_name() -> None:
    """The ledger records version and name from `NNN_name.sql`."""
    for migration in available():
        prefix, _, name = migration.path.stem.partition("_")
        assert prefix.isdigit()
        assert migration.version == int(prefix)
        assert migration.name == name
        assert name


@pytest.mark.parametrize("migration", available(), ids=lambda m: m.path.name)
def test_statements_are_non_empty_and_comment_free(migration: Migration) -> None:
    """Each statement goes to ClickHouse on its own; an empty one or a stray comment line is an error there."""
    statements = migration.statements()
    assert statements
    for statement in statements:
        assert statement.strip().rstrip(";").strip()
        assert not any(line.strip().startswith("--") for line in statement.splitlines())
        # Splitting happens at ';' + newline, so no statement still holds one.
        assert ";\n" not in statement


@pytest.mark.parametrize("migration", available(), ids=lambda m: m.path.name)
def test_statements_match_the_files_terminators(migration: Migration) -> None:
    """Splitting must neither merge nor lose statements: one per line-ending ';' in the file, each ending
    where the file's statement ends (the DDL verb that opens it is kept)."""
    terminators = [
        line for line in without_comment_lines(migration.path).splitlines() if line.rstrip().endswith(";")
    ]
    statements = migration.statements()
    assert len(statements) == len(terminators)
    for statement, terminator in zip(statements, terminators, strict=True):
        assert statement.rstrip(";").endswith(terminator.strip().rstrip(";"))
        assert re.match(r"(CREATE|ALTER|DROP|INSERT|RENAME)\b", statement, re.IGNORECASE), statement[:80]


def _created(table: str) -> str:
    """The shipped CREATE TABLE statement of a table."""
    return next(
        statement
        for migration in available()
        for statement in migration.statements()
        if re.match(rf"CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+{table}\b", statement)
    )


@pytest.mark.parametrize("migration", available(), ids=lambda m: m.path.name)
def test_statements_are_safe_to_run_again(migration: Migration) -> None:
    """The module promises a crash half-way is mended by running migrate again, which needs IF NOT EXISTS
    (or CREATE OR REPLACE, the one way to give a plain view new columns, and as safe to repeat; or
    ALTER TABLE … MODIFY SETTING, which sets the same value again; or, in migration 090, ALTER TABLE …
    UPDATE that withholds personal data: run again, it withholds again and never reveals; or, in
    migration 100, a copy of rows into a ReplacingMergeTree, where a second copy collapses with the
    first; or DROP COLUMN IF EXISTS)."""
    for statement in migration.statements():
        copy = re.match(r"^INSERT\s+INTO\s+(\w+)\s+SELECT\b", statement, re.IGNORECASE)
        if copy:
            assert "ReplacingMergeTree" in _created(copy.group(1)), statement[:80]
            continue
        safe = (
            r"\bIF\s+NOT\s+EXISTS\b|^CREATE\s+OR\s+REPLACE\s+VIEW\b|\bDROP\s+COLUMN\s+IF\s+EXISTS\b"
            r"|^ALTER\s+TABLE\s+\w+\s+MODIFY\s+SETTING\s+\w+\s*=\s*'?\w+'?$"
            r"|^ALTER\s+TABLE\s+\w+\s+UPDATE\s+.*'\*\*\*[^']*'"
        )
        assert re.search(safe, statement, re.IGNORECASE), statement[:80]


def test_statements_of_a_hand_written_file(tmp_path: Path) -> None:
    """Splitting checked against a file whose statements are known: comments out, both statements kept."""
    path = tmp_path / "900_example.sql"
    path.write_text(
        "-- leading comment\n"
        "CREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = Memory;\n"
        "  -- indented comment\n"
        "\n"
        "CREATE VIEW IF NOT EXISTS b AS SELECT x FROM a;\n"
    )
    # migrate() sends each statement with its trailing ';' stripped; compare what it sends.
    assert [stmt.rstrip(";") for stmt in Migration(900, "example", path).statements()] == [
        "CREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = Memory",
        "CREATE VIEW IF NOT EXISTS b AS SELECT x FROM a",
    ]


def test_every_sink_table_records_its_kafka_position() -> None:
    """The sinks resume from the partition and offset ClickHouse already holds, so every table a sink
    writes needs both (rollup tables are filled by materialized views, not by sinks)."""
    all_tables: dict[str, list[str]] = {}
    for path in SQL_FILES:
        found = tables(path)
        # The pattern must have understood every CREATE TABLE in the file, or a table would escape the check.
        assert len(found) == len(CREATE_TABLE.findall(without_comment_lines(path))), path.name
        all_tables.update(found)
    assert all_tables
    sink_tables = {mapping.table for mapping in MAPPINGS}
    assert sink_tables <= set(all_tables)
    missing = {
        name: sorted({"kafka_partition", "kafka_offset"} - set(columns))
        for name, columns in all_tables.items()
        if name in sink_tables and not {"kafka_partition", "kafka_offset"} <= set(columns)
    }
    assert missing == {}


def test_table_parser_sees_columns_not_comments(tmp_path: Path) -> None:
    """The check above must fail for a table whose kafka columns are only mentioned in a comment."""
    path = tmp_path / "901_bad.sql"
    path.write_text(
        "-- kafka_partition/kafka_offset let the sink resume\n"
        "CREATE TABLE IF NOT EXISTS bad\n(\n    a DateTime64(3, 'UTC') COMMENT 'x',\n    kafka_offset UInt64\n)\n"
        "ENGINE = MergeTree ORDER BY a;\n"
        "CREATE VIEW IF NOT EXISTS v AS SELECT a FROM bad;\n"
    )
    assert tables(path) == {"bad": ["a", "kafka_offset"]}
