"""The warehouse schema as code: topic → table mappings against the DDL, the conventions every table
follows, the personal-data rule, the production grants, and the documentation staying complete.

The migrations are parsed here from their text (no ClickHouse needed); the integration test
`tests/integration/test_warehouse_tables.py` proves the same DDL on the real warehouse."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from avro_schemas import SCHEMA_DIR, load_schema
from avro_schemas.json_records import JsonRecordConverter
from ioc.personal_data import COPY, PLATE_READS, VIOLATIONS, plate_mask_sql
from sinks.migrate import available
from sinks.tables import MAPPINGS, TableMapping
from topics.catalog import ALL_TOPICS, DEAD_LETTER_TOPICS, INPUT_TOPICS

ROOT = Path(__file__).resolve().parents[2]
USERS_XML = ROOT / "sinks" / "clickhouse" / "users.d" / "ioc-users.xml"
DOC = ROOT / "docs" / "warehouse.md"
KAFKA_COLUMNS = ["kafka_topic", "kafka_partition", "kafka_offset"]
# Migrations 001-003 are released and predate the conventions checked below; they are not edited.
FIRST_CONVENTION_VERSION = 4

CREATE_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)\s*\((.*)\)\s*ENGINE\s*=\s*(\w+)(.*)", re.DOTALL)
CREATE_VIEW = re.compile(r"CREATE (?:OR REPLACE )?(MATERIALIZED )?VIEW (?:IF NOT EXISTS )?(\w+)")
COLUMN = re.compile(r"^\s*`?(\w+)`?\s+(.+?)(?:\s+DEFAULT\s+\S+)?\s+COMMENT\s+'(.*)',?\s*$")
ADD_COLUMN = re.compile(
    # The column may also join the sorting key in the same ALTER (ClickHouse's rule for key columns).
    r"ALTER TABLE (\w+)\s+ADD COLUMN IF NOT EXISTS (\w+) (.+?)(?: DEFAULT \S+)? COMMENT '(.*)' AFTER (\w+)"
    # A file's last statement keeps its semicolon (Migration.statements splits on ";\n").
    r"(?:,\s+MODIFY ORDER BY \(.*\))?;?$",
    re.DOTALL,
)
MASKED_PLATE = re.compile(r"REPLACE \((.*?)\s+AS plate_number\s*\)", re.DOTALL)


@dataclass(frozen=True)
class Table:
    """One CREATE TABLE of a migration: its columns (name → type, comment) and the clauses after ENGINE."""

    name: str
    version: int
    engine: str
    columns: dict[str, tuple[str, str]]
    clauses: str


def _statements() -> list[tuple[int, str]]:
    return [(m.version, s) for m in available() for s in m.statements()]


def _tables() -> dict[str, Table]:
    found = {}
    for version, statement in _statements():
        match = CREATE_TABLE.match(statement)
        if match:
            name, body, engine, clauses = match.groups()
            columns = {}
            for line in body.splitlines():
                if line.strip():
                    column = COLUMN.match(line)
                    assert column, f"{name}: cannot read column line {line!r}"
                    columns[column.group(1)] = (column.group(2), column.group(3))
            found[name] = Table(name, version, engine, columns, clauses)
        elif added := ADD_COLUMN.match(statement):
            _add_column(found[added.group(1)].columns, *added.groups()[1:])
    return found


def _add_column(columns: dict[str, tuple[str, str]], name: str, kind: str, comment: str, after: str) -> None:
    """A later migration's ALTER TABLE … ADD COLUMN … AFTER, applied where ClickHouse puts the column."""
    ordered = list(columns.items())
    ordered.insert([column for column, _ in ordered].index(after) + 1, (name, (kind, comment)))
    columns.clear()
    columns.update(ordered)


def _views() -> dict[str, bool]:
    """Every view by name, True for a materialized one."""
    return {
        match.group(2): bool(match.group(1))
        for _, statement in _statements()
        if (match := CREATE_VIEW.match(statement))
    }


TABLES = _tables()
SINK_TABLES = {m.table for m in MAPPINGS}


def test_every_topic_is_mapped_exactly_once_and_dead_letters_share_one_table() -> None:
    mapped = [m.topic.name for m in MAPPINGS]
    assert sorted(mapped) == sorted(spec.name for spec in ALL_TOPICS)
    # Their clear copies: the masked ones reach `dead_letters` through a materialized view (090).
    assert {m.table for m in MAPPINGS if m.topic in DEAD_LETTER_TOPICS} == {"restricted_dead_letters"}
    others = [m.table for m in MAPPINGS if m.topic not in DEAD_LETTER_TOPICS]
    assert len(others) == len(set(others)), "two topics write one table"


@pytest.mark.parametrize("mapping", MAPPINGS, ids=lambda m: m.topic.name)
def test_mapped_columns_are_those_of_the_create_table_with_kafka_columns_last(mapping: TableMapping) -> None:
    table = TABLES[mapping.table]
    # 001 (released, not edited) stores its insert time after the Kafka columns, with a DEFAULT.
    columns = [name for name in table.columns if name != "ingested_at"]
    assert columns[-len(KAFKA_COLUMNS) :] == KAFKA_COLUMNS
    assert sorted(mapping.all_columns()) == sorted(columns), "a column no sink writes would stay empty"


@pytest.mark.parametrize("mapping", MAPPINGS, ids=lambda m: m.topic.name)
def test_the_example_of_each_topic_becomes_rows_of_the_mapped_columns(mapping: TableMapping) -> None:
    example = json.loads((SCHEMA_DIR / "examples" / f"{mapping.topic.schema}.json").read_text())
    datum = JsonRecordConverter(load_schema(mapping.topic.schema)).convert(example)
    rows = list(mapping.rows(datum))
    assert len(rows) == len(datum.get("records", [datum]))
    assert all(len(row) == len(mapping.columns) for row in rows)
    if mapping.topic in INPUT_TOPICS:
        assert mapping.columns[0] == "source_id"
        assert {row[0] for row in rows} == {datum["source_id"]}


def test_plate_numbers_are_stored_only_in_restricted_tables() -> None:
    with_plates = {name for name, table in TABLES.items() if "plate_number" in table.columns}
    assert with_plates == {"restricted_camera_plate_reads", "restricted_camera_violations"}


@pytest.mark.parametrize(
    "table",
    [t for t in TABLES.values() if t.version >= FIRST_CONVENTION_VERSION],
    ids=lambda t: t.name,
)
def test_tables_follow_the_warehouse_conventions(table: Table) -> None:
    for name, (column_type, comment) in table.columns.items():
        vietnamese, _, english = comment.partition(" | ")
        assert vietnamese.strip() and english.strip(), f"{name}: COMMENT 'Vietnamese | English'"
        assert "DateTime(" not in column_type, f"{name}: instants are DateTime64(3, 'UTC')"
        if "DateTime64" in column_type:
            assert "DateTime64(3, 'UTC')" in column_type, name
    assert re.search(r"\nCOMMENT '.+ \| .+'", table.clauses)
    if table.name.startswith("dim_"):
        # Dimensions are the province's configuration, not events: small, never expired, and
        # loaded by sinks/dimensions.py rather than by a Kafka sink (no dedup window needed).
        assert table.engine == "ReplacingMergeTree" and "(version, is_deleted)" in table.clauses
        return
    assert re.search(r"PARTITION BY toYYYYMM\(\w+\)", table.clauses)
    # One rule, or (a restricted copy of dead letters or late events) one per kind of personal data.
    assert re.search(r"\nTTL \S.* \+ INTERVAL \d+ DAY(?: DELETE WHERE .*,)?\n", table.clauses)
    assert "SETTINGS non_replicated_deduplication_window = 1000" in table.clauses
    if table.name in SINK_TABLES:
        assert list(table.columns)[-3:] == KAFKA_COLUMNS


@pytest.mark.parametrize("mapping", [m for m in MAPPINGS if m.topic in INPUT_TOPICS], ids=lambda m: m.table)
def test_raw_input_tables_collapse_a_resend_by_event_id(mapping: TableMapping) -> None:
    table = TABLES[mapping.table]
    assert table.engine == "ReplacingMergeTree"
    order_by = re.search(r"ORDER BY \((.*?)\)", table.clauses)
    assert order_by and "event_id" in order_by.group(1).split(", ")


def _order_by(table: Table) -> list[str]:
    match = re.search(r"ORDER BY \((.*?)\)", table.clauses)
    assert match, table.name
    return [column.strip() for column in match.group(1).split(",")]


def _projections() -> dict[str, str]:
    """Each table's `event_keys` projection as written in the migrations (its SELECT … ORDER BY …)."""
    found = {}
    for _, statement in _statements():
        match = re.match(
            r"ALTER TABLE (\w+)\s+ADD PROJECTION IF NOT EXISTS event_keys \((SELECT .*?\))\)",
            statement,
            re.DOTALL,
        )
        if match:
            found[match.group(1)] = " ".join(match.group(2).split())
    return found


KEYED = [m for m in MAPPINGS if m.event_key is not None]


@pytest.mark.parametrize("mapping", KEYED, ids=lambda m: m.table)
def test_an_event_key_is_the_tables_own_sorting_key(mapping: TableMapping) -> None:
    """The sink drops a row only when a stored row has the same key: exactly what the table's
    ReplacingMergeTree collapses, so rollups equal the raw table read with FINAL."""
    assert mapping.event_key is not None
    table = TABLES[mapping.table]
    # Without a version column: the table keeps one copy like the sink, not the highest version.
    assert table.engine == "ReplacingMergeTree" and not table.clauses.startswith("(")
    assert _order_by(table) == list(mapping.event_key.columns)
    assert table.columns[mapping.event_key.time][0] == "DateTime64(3, 'UTC')"
    # The lookup reads every other key column back as a JSON string.
    for column in mapping.event_key.columns:
        if column != mapping.event_key.time:
            assert table.columns[column][0] in ("String", "LowCardinality(String)"), column


def test_every_sink_table_keyed_by_event_id_and_every_rollup_source_has_an_event_key() -> None:
    keyed_by_event_id = {m.table for m in MAPPINGS if "event_id" in _order_by(TABLES[m.table])}
    rollup_sources = {
        match.group(1)
        for _, statement in _statements()
        if statement.startswith("CREATE MATERIALIZED VIEW")
        and "_agg AS\n" in statement  # not the views copying masked dead letters and late events (090)
        and (match := re.search(r"\nFROM (\w+)\n", statement))
    }
    assert rollup_sources >= {
        "camera_vehicle_counts",
        "sensor_air_quality",
        "sensor_rainfall",
        "sensor_water_level",
        "department_dossier_events",
    }
    assert {m.table for m in KEYED} == keyed_by_event_id
    assert rollup_sources <= keyed_by_event_id


@pytest.mark.parametrize("mapping", KEYED, ids=lambda m: m.table)
def test_each_keyed_table_has_the_projection_its_lookup_reads(mapping: TableMapping) -> None:
    """The lookup selects the key columns by time and event id; a projection holding exactly those,
    ordered by them, is what keeps it from reading a granule per camera (migration 070)."""
    assert mapping.event_key is not None
    key = mapping.event_key
    assert _projections()[mapping.table] == (
        f"SELECT {', '.join(key.columns)} ORDER BY ({key.time}, event_id)"
    )
    modes = [
        statement
        for _, statement in _statements()
        if statement.startswith(
            f"ALTER TABLE {mapping.table} MODIFY SETTING deduplicate_merge_projection_mode"
        )
    ]
    assert modes and modes[0].endswith("= 'rebuild'")


def test_retention_of_personal_data_is_bounded() -> None:
    assert "INTERVAL 30 DAY" in TABLES["restricted_camera_plate_reads"].clauses
    assert "INTERVAL 365 DAY" in TABLES["restricted_camera_violations"].clauses


def test_every_masked_view_uses_the_one_masking_rule_the_doc_shows() -> None:
    """005 created the views, 090 replaced them; both write the rule of ioc/personal_data.py."""
    masks = [
        (version, " ".join(match.group(1).split()))
        for version, statement in _statements()
        if re.match(r"CREATE (OR REPLACE )?VIEW (IF NOT EXISTS )?camera_", statement)
        and (match := MASKED_PLATE.search(statement))
    ]
    assert [version for version, _ in masks] == [5, 5, 90, 90]
    assert {mask for _, mask in masks} == {plate_mask_sql("plate_number")}
    assert plate_mask_sql("plate_number") in " ".join(DOC.read_text().split())


def test_the_masked_views_show_no_photo_of_the_plate() -> None:
    latest = {
        match.group(1): statement
        for _, statement in _statements()
        if (match := re.match(r"CREATE (?:OR REPLACE )?VIEW (?:IF NOT EXISTS )?(camera_\w+)", statement))
    }
    assert "SELECT * EXCEPT (image_ref) REPLACE" in latest["camera_plate_reads"]
    assert "SELECT * EXCEPT (evidence_ref) REPLACE" in latest["camera_violations"]


def test_clear_copies_of_personal_data_keep_the_plate_tables_retention() -> None:
    """A restricted copy keeps a plate read's payload as long as the plate reads, a violation's as long
    as the violations; the masked copies of the readers' tables keep their 90 days."""
    plate_reads = re.search(r"INTERVAL (\d+) DAY", TABLES["restricted_camera_plate_reads"].clauses)
    violations = re.search(r"INTERVAL (\d+) DAY", TABLES["restricted_camera_violations"].clauses)
    assert plate_reads and violations
    for table in ("restricted_dead_letters", "restricted_late_events"):
        rules = dict(
            (kinds, int(days))
            for days, kinds in re.findall(
                r"INTERVAL (\d+) DAY DELETE WHERE personal_data (.*?),\n", TABLES[table].clauses
            )
        )
        assert rules == {
            f"IN ('{PLATE_READS.kind}', '{COPY}')": int(plate_reads.group(1)),
            f"= '{VIOLATIONS.kind}'": int(violations.group(1)),
        }
        assert re.search(r"\+ INTERVAL 90 DAY\nSETTINGS", TABLES[table].clauses)


def test_readers_tables_of_restricted_data_are_filled_masked() -> None:
    views = {
        match.group(1): statement
        for _, statement in _statements()
        if (match := re.match(r"CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+_masked_mv) TO", statement))
    }
    assert set(views) == {"dead_letters_masked_mv", "late_events_masked_mv", "camera_incidents_masked_mv"}
    assert "FROM restricted_camera_incidents" in views["camera_incidents_masked_mv"]
    assert "evidence_ref" not in views["camera_incidents_masked_mv"]
    assert "payload_masked AS payload" in views["dead_letters_masked_mv"]
    assert "reason_masked AS reason" in views["dead_letters_masked_mv"]
    assert "FROM restricted_dead_letters" in views["dead_letters_masked_mv"]
    assert "payload_masked AS payload" in views["late_events_masked_mv"]
    assert "FROM restricted_late_events" in views["late_events_masked_mv"]


def test_every_table_view_and_column_for_analysts_is_documented() -> None:
    doc = DOC.read_text()
    internal = re.compile(r"_(agg|mv)$")
    names = [n for n in [*TABLES, *_views()] if not internal.search(n) and n != "schema_migrations"]
    assert [n for n in names if f"`{n}`" not in doc] == []
    undocumented = {
        f"{table}.{column}"
        for table in SINK_TABLES
        for column in TABLES[table].columns
        if f"`{column}`" not in doc
    }
    assert undocumented == set()


def test_users_xml_parses_and_keeps_readers_from_restricted_tables() -> None:
    root = ET.parse(USERS_XML).getroot()  # noqa: S314 - the repository's own file, not untrusted input
    quotas = {quota.tag for quota in root.findall("quotas/*")}
    for reader in ("grafana", "analyst"):
        user = root.find(f"users/{reader}")
        assert user is not None
        grants = [query.text for query in user.findall("grants/query")]
        assert grants == ["GRANT SELECT ON ioc.*", "REVOKE SELECT ON ioc.restricted_*"]
        assert user.findtext("quota") in quotas
        profile = root.find(f"profiles/{user.findtext('profile')}")
        assert profile is not None and profile.findtext("readonly") == "1"
    writer = root.find("users/ioc_writer")
    assert writer is not None
    assert [query.text for query in writer.findall("grants/query")] == ["GRANT ALL ON ioc.*"]
    for quota in root.findall("quotas/*"):
        assert quota.findall("interval"), quota.tag
        for interval in quota.findall("interval"):
            assert int(interval.findtext("duration") or 0) > 0
            assert int(interval.findtext("queries") or 0) > 0
