"""The warehouse schema on the real stack: every input example (and the alert and late-event examples)
produced to its topic in the Confluent wire format lands in its table through the real sinks, with its
values and types; rollups equal the raw aggregates; plate numbers are masked for analysts; alerts_current
shows the latest revision; and every example query of docs/warehouse.md runs.

Each run makes its ids unique (event ids, alert id, camera and device ids), so the rows it checks are
its own even though other tests produce the same examples to the same topics. Example times are kept
as written while they are recent; once the examples are older than a day, every time in them moves
forward by whole days, so TTLs (plate reads keep 30 days) never delete what a later run checks.
"""

from __future__ import annotations

import copy
import json
import math
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError
from confluent_kafka import Producer

from avro_schemas import SCHEMA_DIR, load_schema
from avro_schemas.json_records import JsonRecordConverter
from ioc.serde import AvroEncoder, registry_client
from sinks.tables import MAPPINGS, TableMapping
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from topics.catalog import (
    ALERTS,
    CAMERA_VEHICLE_COUNTS,
    DEPARTMENT_DOSSIER_EVENTS,
    INDICATORS,
    INPUT_TOPICS,
    LATE_EVENTS,
    SENSOR_AIR_QUALITY,
    SENSOR_RAINFALL,
    SENSOR_WATER_LEVEL,
    TopicSpec,
)
from warehouse.users import password_for

RUN = uuid.uuid4().hex[:8]
FED = (*INPUT_TOPICS, ALERTS, LATE_EVENTS)
MAPPING = {m.topic.name: m for m in MAPPINGS}
DOC = Path(__file__).resolve().parents[2] / "docs" / "warehouse.md"
DOC_QUERIES = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


# --- clients --------------------------------------------------------------------------------------


def client_as(stack: RunningStack, user: str) -> Client:
    """A client of the warehouse's HTTP interface as `user` (`ioc_writer` reads everything, `analyst`
    what analysts may), with the password the warehouse generated for the stack."""
    return clickhouse_connect.get_client(
        dsn=stack.endpoints.clickhouse,
        username=user,
        password=password_for(stack.settings, user),
        database="ioc",
    )


@pytest.fixture(scope="module")
def writer(local_stack: RunningStack) -> Iterator[Client]:
    client = client_as(local_stack, "ioc_writer")
    yield client
    client.close()


@pytest.fixture(scope="module")
def analyst(local_stack: RunningStack) -> Iterator[Client]:
    client = client_as(local_stack, "analyst")
    yield client
    client.close()


# --- producing ------------------------------------------------------------------------------------


def shift_times(value: Any, delta: timedelta) -> Any:
    """The datum with every instant moved by `delta` (dates stay: they are calendar facts)."""
    if isinstance(value, datetime):
        return value + delta
    if isinstance(value, dict):
        return {k: shift_times(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [shift_times(v, delta) for v in value]
    return value


def instants(value: Any) -> list[datetime]:
    """Every instant in a datum, to tell how old an example is."""
    if isinstance(value, datetime):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in instants(v)]
    if isinstance(value, list):
        return [t for v in value for t in instants(v)]
    return []


def example(spec: TopicSpec) -> dict[str, Any]:
    """The topic's example as an Avro datum, with this run's unique ids, kept recent (see module doc)."""
    raw = json.loads((SCHEMA_DIR / "examples" / f"{spec.schema}.json").read_text(encoding="utf-8"))
    datum: dict[str, Any] = JsonRecordConverter(load_schema(spec.schema)).convert(raw)
    for record in datum.get("records", []):
        record["event_id"] = f"{record['event_id']}-{RUN}"
    if spec is ALERTS:
        for key in ("alert_id", "identifier", "dedup_key"):
            datum[key] = f"{datum[key]}-{RUN}"
    if spec is LATE_EVENTS:
        datum["record_ref"] = f"{datum['record_ref']}-{RUN}"
    age = datetime.now(UTC) - max(instants(datum))
    shifted: dict[str, Any] = shift_times(datum, timedelta(days=age.days)) if age.days >= 1 else datum
    return shifted


@dataclass(frozen=True)
class Produced:
    """A message on its topic: what was sent, and where it is (the sink stores that position)."""

    spec: TopicSpec
    datum: dict[str, Any]
    topic: str
    partition: int
    offset: int


def produce(stack: RunningStack, spec: TopicSpec, data: list[dict[str, Any]]) -> list[Produced]:
    """Each datum as one message, encoded with the registered schema (Confluent framing), in order."""
    prefix = stack.settings.topic_prefix
    encoder = AvroEncoder.for_subject(
        registry_client(stack.endpoints),
        spec.subject(prefix),
        load_schema(spec.schema),
    )
    producer = Producer(stack.endpoints.kafka_client() | {"enable.idempotence": True})
    delivered: list[Any] = []
    for datum in data:
        key = datum.get("source_id") or datum.get("alert_id") or datum.get("source_topic") or ""
        producer.produce(
            spec.full_name(prefix),
            key=str(key).encode(),
            value=encoder.encode(datum),
            on_delivery=lambda error, message: delivered.append((error, message)),
        )
    assert producer.flush(30) == 0
    assert [error for error, _ in delivered] == [None] * len(data)
    return [
        Produced(spec, datum, message.topic(), message.partition(), message.offset())
        for datum, (_, message) in zip(data, delivered, strict=True)
    ]


@pytest.fixture(scope="module")
def produced(local_stack: RunningStack) -> dict[str, Produced]:
    """Every fed topic's example, produced once for the module."""
    return {spec.name: produce(local_stack, spec, [example(spec)])[0] for spec in FED}


def stored_rows(client: Client, message: Produced) -> list[dict[str, Any]]:
    """The rows the sink stored from one message, found by its Kafka position."""
    mapping = MAPPING[message.spec.name]
    result = client.query(
        f"SELECT {', '.join(f'`{c}`' for c in mapping.columns)} FROM {mapping.table} "  # noqa: S608 - names from code
        "WHERE kafka_topic = {t:String} AND kafka_partition = {p:UInt16} AND kafka_offset = {o:UInt64}",
        parameters={"t": message.topic, "p": message.partition, "o": message.offset},
    )
    return [dict(zip(mapping.columns, row, strict=True)) for row in result.result_rows]


def wait_stored(client: Client, message: Produced, count: int) -> list[dict[str, Any]]:
    """The message's rows once the sink has stored all `count` of them (it flushes about every second)."""
    rows = wait_for(lambda: stored_rows(client, message), lambda found: len(found) >= count)
    assert len(rows) == count, f"{message.spec.name}: {len(rows)} of {count} rows stored"
    return rows


# --- values and types -----------------------------------------------------------------------------


def expected_rows(message: Produced) -> list[dict[str, Any]]:
    """What the table must hold, written from the contract's field names, independently of sinks.tables."""
    datum = message.datum
    if "records" in datum:
        return [{"source_id": datum["source_id"], **record} for record in datum["records"]]
    if message.spec is LATE_EVENTS:
        late = dict(datum, source_partition=datum["partition"], source_offset=datum["offset"])
        # The example is a rain gauge's record: no personal data, so readers see it as it came.
        payload = datum["payload"].decode()
        return [late | {"payload": payload, "payload_masked": payload, "personal_data": ""}]
    return [datum]


def as_utc(value: Any) -> Any:
    """An instant read back from ClickHouse as an aware UTC datetime (the client returns naive UTC
    for a column in the server's own zone, aware otherwise)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def expected_type(avro: Any, named: dict[str, Any]) -> str:
    """The ClickHouse column type an Avro field must have (LowCardinality aside for plain strings)."""
    nullable = isinstance(avro, list) and "null" in avro
    if isinstance(avro, list):
        avro = next(branch for branch in avro if branch != "null")
    if isinstance(avro, str):
        avro = named.get(avro, avro)
    if isinstance(avro, dict) and avro.get("logicalType") == "timestamp-millis":
        return "Nullable(DateTime64(3, 'UTC'))" if nullable else "DateTime64(3, 'UTC')"
    if isinstance(avro, dict) and avro.get("logicalType") == "date":
        return "Date"
    if isinstance(avro, dict) and avro["type"] == "enum":
        return "LowCardinality(Nullable(String))" if nullable else "LowCardinality(String)"
    if isinstance(avro, dict) and avro["type"] == "map":
        return "Map(String, Float64)"
    if isinstance(avro, dict) and avro["type"] == "array":
        return "Array(LowCardinality(String))"
    base = {"double": "Float64", "boolean": "Bool", "string": "String", "bytes": "String"}.get(avro)
    if base is None:
        return ""  # int or long: an integer type that fits the values the contract allows
    return f"Nullable({base})" if nullable else base


def contract_fields(spec: TopicSpec) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The fields of one record of the topic's schema, and its named types."""
    schema = load_schema(spec.schema)
    records = next((f for f in schema["fields"] if f["name"] == "records"), None)
    record = records["type"]["items"] if records else schema
    named = {
        t["name"]: t
        for f in record["fields"]
        for t in (f["type"] if isinstance(f["type"], list) else [f["type"]])
        if isinstance(t, dict) and "name" in t
    }
    return record["fields"], named


def check_types(client: Client, spec: TopicSpec, mapping: TableMapping) -> None:
    types = dict(
        client.query(
            "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String}",
            parameters={"t": mapping.table},
        ).result_rows
    )
    renamed = {"partition": "source_partition", "offset": "source_offset"}
    fields, named = contract_fields(spec)
    for field in fields:
        column = renamed.get(field["name"], field["name"])
        want, have = expected_type(field["type"], named), types[column]
        if want in ("String", "Nullable(String)"):
            assert have in (want, f"LowCardinality({want})"), f"{mapping.table}.{column}: {have}"
        elif want:
            assert have == want, f"{mapping.table}.{column}: {have}, expected {want}"
        else:
            assert re.fullmatch(r"(Nullable\()?U?Int(16|32|64)\)?", have), f"{mapping.table}.{column}: {have}"
            assert have.startswith("Nullable(") == (isinstance(field["type"], list)), column
    assert types["kafka_topic"] == "LowCardinality(String)"
    assert (types["kafka_partition"], types["kafka_offset"]) == ("UInt16", "UInt64")
    if "records" in [f["name"] for f in load_schema(spec.schema)["fields"]]:
        assert types["source_id"] == "LowCardinality(String)"


@pytest.mark.parametrize("spec", FED, ids=lambda s: s.name)
def test_each_example_lands_in_its_table_with_its_values_and_types(
    writer: Client, produced: dict[str, Produced], spec: TopicSpec
) -> None:
    message = produced[spec.name]
    mapping = MAPPING[spec.name]
    expected = expected_rows(message)
    stored = wait_stored(writer, message, len(expected))
    order = "event_id" if "records" in message.datum else mapping.columns[0]
    stored.sort(key=lambda row: row[order])
    expected.sort(key=lambda row: row[order])
    for want, have in zip(expected, stored, strict=True):
        assert {c: as_utc(have[c]) for c in mapping.columns} == {c: want[c] for c in mapping.columns}
    check_types(writer, spec, mapping)


def test_instants_are_stored_as_the_examples_utc_instants(
    writer: Client, produced: dict[str, Produced]
) -> None:
    """Compared in epoch milliseconds inside ClickHouse, so no client time-zone handling is involved:
    '2026-11-25T07:30:00Z' in the contract is 07:30 UTC in the table (14:30 in Vietnam)."""
    message = produced[SENSOR_WATER_LEVEL.name]
    rows = writer.query(
        "SELECT event_id, toUnixTimestamp64Milli(observed_at), "
        "formatDateTime(toTimeZone(observed_at, 'Asia/Ho_Chi_Minh'), '%H:%i') "
        "FROM sensor_water_level WHERE kafka_topic = {t:String} AND kafka_partition = {p:UInt16} "
        "AND kafka_offset = {o:UInt64} ORDER BY event_id",
        parameters={"t": message.topic, "p": message.partition, "o": message.offset},
    ).result_rows
    records = sorted(message.datum["records"], key=lambda r: r["event_id"])
    assert [(r[0], r[1]) for r in rows] == [
        (r["event_id"], int(r["observed_at"].timestamp() * 1000)) for r in records
    ]
    local = [(r["observed_at"] + timedelta(hours=7)).strftime("%H:%M") for r in records]
    assert [r[2] for r in rows] == local


def test_report_periods_are_dates(writer: Client, produced: dict[str, Produced]) -> None:
    message = produced["ioc.department.report-values"]
    rows = wait_stored(writer, message, len(message.datum["records"]))
    # The published example's periods: Decree 09's monthly and quarterly periods (cut-off the 14th).
    assert {(row["period_start"], row["period_end"]) for row in rows} == {
        (date(2026, 10, 15), date(2026, 11, 14)),
        (date(2026, 6, 15), date(2026, 9, 14)),
    }


# --- personal data --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("feed", "view", "table", "masked"),
    [
        (
            "ioc.camera.plate-reads",
            "camera_plate_reads",
            "restricted_camera_plate_reads",
            {"30A-123.45": "30A-***.**", "29-B1 234.56": "29-B* ***.**"},
        ),
        (
            "ioc.camera.violations",
            "camera_violations",
            "restricted_camera_violations",
            {"29-B1 234.56": "29-B* ***.**", "30K-678.90": "30K-***.**"},
        ),
    ],
)
def test_analysts_see_plates_masked_and_only_the_restricted_table_holds_them_clear(
    writer: Client,
    analyst: Client,
    produced: dict[str, Produced],
    feed: str,
    view: str,
    table: str,
    masked: dict[str, str],
) -> None:
    message = produced[feed]
    wait_stored(writer, message, len(message.datum["records"]))
    ids = [r["event_id"] for r in message.datum["records"]]
    sql = "SELECT event_id, plate_number FROM {} WHERE event_id IN {{ids:Array(String)}}"
    clear = dict(writer.query(sql.format(table), parameters={"ids": ids}).result_rows)
    shown = dict(analyst.query(sql.format(view), parameters={"ids": ids}).result_rows)
    plates = {r["event_id"]: r["plate_number"] for r in message.datum["records"]}
    assert clear == plates
    assert shown == {event_id: masked[plate] for event_id, plate in plates.items()}
    view_columns = analyst.query(f"SELECT * FROM {view} LIMIT 0").column_names  # noqa: S608 - name from code
    table_columns = writer.query(f"SELECT * FROM {table} LIMIT 0").column_names  # noqa: S608 - name from code
    photo = "image_ref" if feed.endswith("plate-reads") else "evidence_ref"  # the plate's photo (090)
    assert view_columns == tuple(c for c in table_columns if c != photo)
    with pytest.raises(DatabaseError, match="restricted"):
        analyst.query(f"SELECT plate_number FROM {table} LIMIT 1")  # noqa: S608 - name from code


# --- alerts ---------------------------------------------------------------------------------------


def test_an_areas_minute_and_its_hour_starting_together_are_both_kept(
    local_stack: RunningStack, writer: Client
) -> None:
    # Found by the chaos run: with the key ending at window_start, one row replaced the other.
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    area = f"A-{RUN}"
    base = example(INDICATORS) | {"entity_type": "area", "entity_id": area, "window_start": start}
    minute = base | {"window_end": start + timedelta(minutes=1), "value": 40.0, "revision": 3}
    hour = base | {"window_end": start + timedelta(hours=1), "value": 2400.0, "revision": 9}
    wait_stored(writer, produce(local_stack, INDICATORS, [minute, hour])[-1], 1)
    rows = writer.query(
        "SELECT dateDiff('second', window_start, window_end), window_seconds, value FROM indicators_current "
        "WHERE entity_id = {a:String} ORDER BY window_seconds",
        parameters={"a": area},
    ).result_rows
    assert rows == [(60, 60, 40.0), (3600, 3600, 2400.0)]


def test_alerts_keep_every_change_and_alerts_current_the_latest(
    local_stack: RunningStack, writer: Client, produced: dict[str, Produced]
) -> None:
    opened = produced[ALERTS.name].datum
    acknowledged = copy.deepcopy(opened) | {
        "identifier": opened["identifier"].replace("-r0", "-r1"),
        "msg_type": "Update",
        "state": "acknowledged",
        "revision": 1,
        "updated_at": opened["updated_at"] + timedelta(minutes=3),
        "acknowledged_at": opened["updated_at"] + timedelta(minutes=3),
        "acknowledged_by": "canbo.truc.phuong-hadong",
        "values": {"water_level_cm": 518.5, "alarm_level_ii_cm": 500.0},
    }
    # The acknowledgement twice, as a retrying producer would send it: one row after FINAL.
    last = produce(local_stack, ALERTS, [acknowledged, acknowledged])[-1]
    wait_stored(writer, last, 1)
    alert = {"a": opened["alert_id"]}
    revisions = writer.query(
        "SELECT revision, state FROM alerts FINAL WHERE alert_id = {a:String} ORDER BY revision",
        parameters=alert,
    ).result_rows
    assert revisions == [(0, "open"), (1, "acknowledged")]
    current = writer.query(
        "SELECT revision, state, acknowledged_at, acknowledged_by, `values` FROM alerts_current "
        "WHERE alert_id = {a:String}",
        parameters=alert,
    ).result_rows
    assert len(current) == 1
    revision, state, acknowledged_at, by, values = current[0]
    assert (revision, state, by, values) == (
        1,
        "acknowledged",
        "canbo.truc.phuong-hadong",
        acknowledged["values"],
    )
    assert as_utc(acknowledged_at) == acknowledged["acknowledged_at"]


# --- rollups --------------------------------------------------------------------------------------

# Around midnight in Vietnam (17:00 UTC) yesterday: the records span several minutes, three hours and
# two Vietnamese calendar days, recent enough for every rollup's TTL.
BASE = datetime.now(UTC).replace(hour=16, minute=58, second=0, microsecond=0) - timedelta(days=1)
OFFSETS_S = [10, 40, 95, 125, 200, 3700, 5400]
TIMES = [BASE + timedelta(seconds=s) for s in OFFSETS_S]


@dataclass(frozen=True)
class Rollup:
    """A rollup family: its raw table, the keys, and each view column with the raw aggregate it equals."""

    name: str
    spec: TopicSpec
    keys: tuple[str, ...]
    measures: dict[str, str]
    records: list[dict[str, Any]]


def _vehicle_counts(cameras: list[str], tag: str) -> list[dict[str, Any]]:
    return [
        {
            "event_id": f"{tag}-{c}-{i}",
            "camera_id": camera,
            "observed_at": at,
            "interval_seconds": 60,
            "lane": 1 + i % 2,
            "vehicle_class": ("car", "motorbike", "bus")[i % 3],
            "vehicle_count": 5 + 7 * i + c,
            "average_speed_kmh": None if i % 3 == 2 else 20.0 + 3.5 * i + c,
        }
        for c, camera in enumerate(cameras)
        for i, at in enumerate(TIMES)
    ]


def _rollups() -> list[Rollup]:
    pollutants = ("pm25", "pm10", "o3", "no2", "so2", "co")
    aq_measures = {"readings": "count()"}
    for p in pollutants:
        aq_measures |= {f"{p}_avg_ugm3": f"avg({p}_ugm3)", f"{p}_max_ugm3": f"max({p}_ugm3)"}
    devices = [f"DEV-{RUN}-{n}" for n in range(2)]
    return [
        Rollup(
            "camera_vehicle_counts",
            CAMERA_VEHICLE_COUNTS,
            ("camera_id",),
            {
                "vehicles": "sum(vehicle_count)",
                "records": "count()",
                "speed_weighted_sum": "sum(ifNull(vehicle_count * average_speed_kmh, 0))",
                "speed_weight": "sum(if(average_speed_kmh IS NULL, 0, vehicle_count))",
                "average_speed_kmh": "sum(vehicle_count * average_speed_kmh) "
                "/ nullIf(sumIf(vehicle_count, average_speed_kmh IS NOT NULL), 0)",
            },
            _vehicle_counts([f"CAM-RU-{RUN}-{n}" for n in range(3)], f"VC-{RUN}"),
        ),
        Rollup(
            "sensor_air_quality",
            SENSOR_AIR_QUALITY,
            ("device_id",),
            aq_measures,
            [
                {
                    "event_id": f"AQ-{RUN}-{d}-{i}",
                    "device_id": device,
                    "observed_at": at,
                    "station_id": "",
                    "interval_seconds": 60,
                    **{
                        f"{p}_ugm3": None if (i + k) % 4 == 3 else 10.0 * (k + 1) + i + d
                        for k, p in enumerate(pollutants)
                    },
                    "temperature_c": 24.0,
                    "relative_humidity_pct": None,
                }
                for d, device in enumerate(devices)
                for i, at in enumerate(TIMES)
            ],
        ),
        Rollup(
            "sensor_rainfall",
            SENSOR_RAINFALL,
            ("device_id",),
            {"readings": "count()", "rainfall_mm": "sum(rainfall_mm)"},
            [
                {
                    "event_id": f"RG-{RUN}-{d}-{i}",
                    "device_id": device,
                    "observed_at": at,
                    "station_id": "",
                    "interval_seconds": 60,
                    "rainfall_mm": 0.2 * i + d,
                }
                for d, device in enumerate(devices)
                for i, at in enumerate(TIMES)
            ],
        ),
        Rollup(
            "sensor_water_level",
            SENSOR_WATER_LEVEL,
            ("station_id",),
            {
                "readings": "count()",
                "water_level_min_cm": "min(water_level_cm)",
                "water_level_max_cm": "max(water_level_cm)",
                "water_level_avg_cm": "avg(water_level_cm)",
                "water_level_last_cm": "argMax(water_level_cm, observed_at)",
            },
            [
                {
                    "event_id": f"WL-{RUN}-{s}-{i}",
                    "station_id": f"ST-{RUN}-{s}",
                    "observed_at": at,
                    "device_id": "",
                    "water_level_cm": 480.0 + 7.0 * ((i * 5) % 7) + s,
                    "flow_m3s": None,
                }
                for s in range(2)
                for i, at in enumerate(TIMES)
            ],
        ),
        Rollup(
            "department_dossier_events",
            DEPARTMENT_DOSSIER_EVENTS,
            ("department_code", "event_type"),
            {"events": "count()"},
            [
                {
                    "event_id": f"DVC-{RUN}-{d}-{i}",
                    "dossier_id": f"DOSSIER-{RUN}-{i}",
                    "observed_at": at,
                    "event_type": ("received", "resolved")[i % 2],
                    "department_code": f"SO-{RUN}-{d}",
                    "procedure_code": "1.004227",
                    "received_at": BASE - timedelta(days=3),
                    "due_at": BASE,
                    "resolved_at": at if i % 2 else None,
                    "channel": "online",
                    "area_code": "",
                }
                for d in range(2)
                for i, at in enumerate(TIMES)
            ],
        ),
    ]


ROLLUPS = _rollups()
GRAINS = {
    "1m": ("bucket_start", "toStartOfMinute(observed_at)"),
    "1h": ("bucket_start", "toStartOfHour(observed_at)"),
    "1d": ("day", "toDate(observed_at, 'Asia/Ho_Chi_Minh')"),
}


def same_values(found: tuple[Any, ...], expected: tuple[Any, ...]) -> bool:
    """Equal, floats up to summation order (a rollup adds in another order than a GROUP BY)."""
    return len(found) == len(expected) and all(
        f == e or (isinstance(f, float) and isinstance(e, float) and math.isclose(f, e, rel_tol=1e-9))
        for f, e in zip(found, expected, strict=True)
    )


def _keyed(rows: list[tuple[Any, ...]], width: int) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Result rows by their first `width` values (keys and bucket), instants made comparable."""
    return {tuple(as_utc(v) for v in row[:width]): row[width:] for row in rows}


@pytest.mark.parametrize("rollup", ROLLUPS, ids=lambda r: r.name)
def test_rollups_equal_the_raw_aggregates(local_stack: RunningStack, writer: Client, rollup: Rollup) -> None:
    batch = {"source_id": f"SRC-{RUN}", "sent_at": datetime.now(UTC), "records": rollup.records}
    wait_stored(writer, produce(local_stack, rollup.spec, [batch])[0], len(rollup.records))
    first_key = rollup.keys[0]
    ids = sorted({r[first_key] for r in rollup.records})
    keys, measures = ", ".join(rollup.keys), list(rollup.measures)
    for grain, (bucket, bucket_sql) in GRAINS.items():
        raw = writer.query(
            f"SELECT {keys}, {bucket_sql} AS b, {', '.join(rollup.measures.values())} "  # noqa: S608 - from code
            f"FROM {rollup.name} FINAL WHERE {first_key} IN {{ids:Array(String)}} GROUP BY {keys}, b",
            parameters={"ids": ids},
        ).result_rows
        view = writer.query(
            f"SELECT {keys}, {bucket}, {', '.join(measures)} FROM {rollup.name}_{grain} "  # noqa: S608 - from code
            f"WHERE {first_key} IN {{ids:Array(String)}}",
            parameters={"ids": ids},
        ).result_rows
        width = len(rollup.keys) + 1
        expected, found = _keyed(raw, width), _keyed(view, width)
        assert found.keys() == expected.keys(), f"{rollup.name}_{grain}: buckets differ"
        for key, values in expected.items():
            assert same_values(found[key], values), f"{rollup.name}_{grain} {key}: {found[key]} != {values}"
    days = {row[len(rollup.keys)] for row in view}  # the last grain checked is 1d
    assert len(days) == 2, "the records should span two Vietnamese calendar days"


# --- the documentation's queries ------------------------------------------------------------------


def test_the_doc_has_the_example_queries_it_promises() -> None:
    assert len(DOC_QUERIES) >= 6


@pytest.mark.parametrize("sql", DOC_QUERIES, ids=lambda q: " ".join(q.split())[:60])
def test_every_example_query_of_the_doc_runs_for_an_analyst(
    analyst: Client, produced: dict[str, Produced], sql: str
) -> None:
    analyst.query(sql)  # raises with ClickHouse's message if the query does not run
