"""Personal data stays where it belongs, on the real stack (issue 19 item 3).

One run sends plate reads, violations and incidents the way they reach the platform: valid and invalid ones
through the real HTTP gateway, a message that is not Avro straight to the plate-reads topic (refused
by the warehouse's sink), a record an agent refuses and late records, both built by the stream
engine's own code (`Intake.refuse`, `LateEvents.record`), and the router's audit events for every
contact of the duty roster. Once the warehouse holds all of it, each reader (`analyst`, `grafana`)
finds the `restricted_` tables the writer lists hidden from its own list and refused, and searches every
String column of all the others for the clear plates, the photos' links and the roster's phone
numbers, e-mails and chat ids: none is there, while the masked forms are, and the restricted tables
hold the clear copies.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError
from confluent_kafka import Producer

from avro_schemas import load_schema
from ingest.keys import KeyStore
from ingest.server import BackgroundServer
from ingest.wiring import connect_gateway
from ioc.personal_data import mask_address, mask_plate
from ioc.serde import registry_client
from ioc.stack.ports import free_port
from routing.audit import event
from streams.engine.inputs import Intake, MillisDecoder, Origin, millis_encoder
from streams.engine.late import LateEvents
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from tests.integration.test_ingest_http import gateway_settings
from tests.integration.test_warehouse_tables import client_as, produce
from topics.catalog import (
    CAMERA_PLATE_READS,
    CAMERA_VIOLATIONS,
    DLQ_CAMERA,
    LATE_EVENTS,
    NOTIFICATIONS,
)
from warehouse.users import ANALYST, GRAFANA, WRITER

ROOT = Path(__file__).resolve().parents[2]
RUN = uuid.uuid4().hex[:6]
DIGITS = str(int(RUN, 16) % 10**5).zfill(5)
SOURCE = f"IT-PII-{RUN}"
CAMERA = f"CAM-PII-{RUN}"
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)


def plate(series: str, n: int) -> str:
    """A plate of this run only, e.g. 30A-123.45, so the search cannot meet another run's rows."""
    digits = str((int(DIGITS) + 7919 * n) % 10**5).zfill(5)
    return f"{series}-{digits[:3]}.{digits[3:]}"


# What each route carries, by the name the checks below use.
PLATES = {
    "valid_read": plate("30A", 1),
    "valid_violation": plate("51LD", 2),
    "gateway_read": plate("29B", 3),
    "gateway_violation": plate("30K", 4),
    "gateway_misspelt": plate("30E", 5),
    "not_avro": plate("43C", 6),
    "agent_violation": plate("60A", 7),
    "late_read": plate("36A", 8),
    "late_violation": plate("37K", 9),
}
PHOTOS = {name: f"https://anpr.example.vn/{RUN}/{name}.jpg" for name in PLATES}
# Incidents carry no plate, but their evidence (a photo or clip) may show faces and plates.
INCIDENT_EVIDENCE = {name: f"https://vms.example.vn/{RUN}/{name}.mp4" for name in ("valid", "gateway")}


def roster_contacts() -> list[dict[str, str]]:
    """Every officer's contacts in config/duty_roster.yaml, with the officer's id."""
    roster = yaml.safe_load((ROOT / "config" / "duty_roster.yaml").read_text(encoding="utf-8"))
    return [
        {"officer": officer["id"], **contact}
        for officer in roster["officers"]
        for contact in officer.get("contacts", [])
    ]


CONTACTS = roster_contacts()


def plate_read(name: str, **changes: Any) -> dict[str, Any]:
    return {
        "event_id": f"PR-{RUN}-{name}",
        "camera_id": CAMERA,
        "observed_at": NOW.isoformat(),
        "lane": 1,
        "plate_number": PLATES[name],
        "vehicle_class": "car",
        "direction": "forward",
        "confidence": 0.9,
        "image_ref": PHOTOS[name],
    } | changes


def violation(name: str, **changes: Any) -> dict[str, Any]:
    return {
        "event_id": f"VL-{RUN}-{name}",
        "camera_id": CAMERA,
        "observed_at": NOW.isoformat(),
        "lane": 2,
        "violation_type": "speeding",
        "vehicle_class": "car",
        "plate_number": PLATES[name],
        "speed_kmh": 80.0,
        "speed_limit_kmh": 60.0,
        "confidence": 0.95,
        "evidence_ref": PHOTOS[name],
    } | changes


def incident(name: str, **changes: Any) -> dict[str, Any]:
    return {
        "event_id": f"IN-{RUN}-{name}",
        "camera_id": CAMERA,
        "observed_at": NOW.isoformat(),
        "incident_type": "accident",
        "severity_hint": "moderate",
        "description": "Va chạm giữa hai xe máy",
        "evidence_ref": INCIDENT_EVIDENCE[name],
    } | changes


# --- sending ---------------------------------------------------------------------------------------


def send_through_the_gateway(stack: RunningStack, folder: Path) -> None:
    """Valid and invalid records as a vendor sends them; the gateway dead-letters the invalid ones."""
    settings = gateway_settings(stack, folder, rate_per_key_per_s=1e6)
    keys = KeyStore([])
    secret = keys.add(f"pii-{RUN}", ["camera.*"], ["IT-*"])
    server = BackgroundServer(connect_gateway(settings), keys, settings, port=free_port()).start()
    try:
        headers = {"X-API-Key": secret}
        reads = [
            plate_read("valid_read"),
            plate_read("gateway_read", lane="one"),  # wrong type: the record is refused, plate and all
            {  # the plate under a misspelt key: refused for the missing plate_number
                k: v
                for k, v in plate_read("gateway_misspelt", plate=PLATES["gateway_misspelt"]).items()
                if k != "plate_number"
            },
        ]
        violations = [violation("valid_violation"), violation("gateway_violation", speed_kmh="fast")]
        incidents = [incident("valid"), incident("gateway", incident_type="meteor")]
        for feed, records in (("plate-reads", reads), ("violations", violations), ("incidents", incidents)):
            answer = httpx.post(
                f"{server.url}/v1/feeds/camera/{feed}",
                json={"source_id": SOURCE, "records": records},
                headers=headers,
                timeout=30,
            )
            assert answer.status_code == 207, answer.text
            assert answer.json()["accepted"] == 1
    finally:
        server.stop()


def send_what_the_stream_engine_builds(stack: RunningStack) -> None:
    """A violation an agent refuses and a late plate read and violation, built by the engine's own
    code (no worker needed: only what it writes to the topics matters here)."""
    prefix = stack.settings.topic_prefix
    registry = registry_client(stack.endpoints)
    now_ms = int(time.time() * 1000)
    observed_ms = int(NOW.timestamp() * 1000)

    def as_record(datum: dict[str, Any]) -> dict[str, Any]:
        return datum | {"observed_at": observed_ms}

    decoder = MillisDecoder(registry, load_schema(CAMERA_VIOLATIONS.schema))
    dead = millis_encoder(registry, DLQ_CAMERA.subject(prefix), load_schema(DLQ_CAMERA.schema))
    intake = Intake(decoder, dead, lambda record: None)
    origin = Origin(CAMERA_VIOLATIONS.full_name(prefix), 0, 0, SOURCE)
    refused = intake.refuse(origin, 0, as_record(violation("agent_violation")), "plate_number", "pattern")

    late = LateEvents(
        millis_encoder(registry, LATE_EVENTS.subject(prefix), load_schema(LATE_EVENTS.schema)), 1000
    )
    lates = [
        late.record(
            Origin(spec.full_name(prefix), 0, 0, SOURCE),
            as_record(datum),
            processor=f"pii-test/{spec.name}",
            event_ms=observed_ms,
            window_end_ms=observed_ms + 1,
            watermark_ms=now_ms,
            now_ms=now_ms,
            timestamp_fields={"observed_at"},
        )
        for spec, datum in (
            (CAMERA_PLATE_READS, plate_read("late_read")),
            (CAMERA_VIOLATIONS, violation("late_violation")),
        )
    ]
    producer = Producer(stack.endpoints.kafka_client() | {"enable.idempotence": True})
    producer.produce(DLQ_CAMERA.full_name(prefix), key=refused[0], value=refused[1])
    for key, value in lates:
        producer.produce(LATE_EVENTS.full_name(prefix), key=key, value=value)
    # Not Avro at all: the warehouse's plate-reads sink refuses it and dead-letters it whole.
    body = json.dumps({"source_id": SOURCE, "records": [plate_read("not_avro")]}).encode()
    producer.produce(CAMERA_PLATE_READS.full_name(prefix), key=SOURCE.encode(), value=body)
    assert producer.flush(30) == 0


def send_audit_events(stack: RunningStack) -> None:
    """The router's audit trail for a message to every contact of the roster, one failing with the
    channel quoting the address."""
    alert = {
        "alert_id": f"ALERT-PII-{RUN}",
        "revision": 0,
        "category": "traffic",
        "severity": "Minor",
        "area_code": "75",
    }
    events = [
        event(
            "failed",
            alert,
            NOW,
            officer=contact["officer"],
            channel=contact["channel"],
            address=contact["address"],
            kind="new",
            message_id=f"m-{RUN}-{index}",
            attempt=1,
            detail=f"the channel refused {contact['address']}",
        )
        | {"event_id": f"EV-{RUN}-{index}"}
        for index, contact in enumerate(CONTACTS)
    ]
    produce(stack, NOTIFICATIONS, events)


@pytest.fixture(scope="module")
def sent(local_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> None:
    send_through_the_gateway(local_stack, tmp_path_factory.mktemp("pii-gateway"))
    send_what_the_stream_engine_builds(local_stack)
    send_audit_events(local_stack)


@pytest.fixture(scope="module")
def clients(local_stack: RunningStack) -> Iterator[dict[str, Client]]:
    made = {user: client_as(local_stack, user) for user in (WRITER, ANALYST, GRAFANA)}
    yield made
    for client in made.values():
        client.close()


# --- checking --------------------------------------------------------------------------------------

# Where the clear copy of each plate must be, for the platform only.
CLEAR_IN = {
    "valid_read": ("restricted_camera_plate_reads", "plate_number"),
    "valid_violation": ("restricted_camera_violations", "plate_number"),
    "gateway_read": ("restricted_dead_letters", "payload"),
    "gateway_violation": ("restricted_dead_letters", "payload"),
    "gateway_misspelt": ("restricted_dead_letters", "payload"),
    "not_avro": ("restricted_dead_letters", "payload"),
    "agent_violation": ("restricted_dead_letters", "payload"),
    "late_read": ("restricted_late_events", "payload"),
    "late_violation": ("restricted_late_events", "payload"),
}


def holds(client: Client, table: str, column: str, needle: str) -> bool:
    sql = f"SELECT count() FROM {table} WHERE position({column}, {{n:String}}) > 0"  # noqa: S608 - names from code
    return bool(client.query(sql, parameters={"n": needle}).result_rows[0][0])


@pytest.fixture(scope="module")
def stored(sent: None, clients: dict[str, Client]) -> None:
    """Waits until the warehouse holds every clear copy and every audit event of the run."""
    writer = clients[WRITER]

    def missing() -> list[str]:
        absent = [
            name
            for name, (table, column) in CLEAR_IN.items()
            if not holds(writer, table, column, PLATES[name])
        ]
        absent += [
            f"incident {name}"
            for name, table in (
                ("valid", "restricted_camera_incidents"),
                ("gateway", "restricted_dead_letters"),
            )
            if not holds(
                writer, table, "evidence_ref" if name == "valid" else "payload", INCIDENT_EVIDENCE[name]
            )
        ]
        audit = writer.query(
            "SELECT count() FROM notifications WHERE alert_id = {a:String}",
            parameters={"a": f"ALERT-PII-{RUN}"},
        ).result_rows[0][0]
        return absent + (["notifications"] if audit < len(CONTACTS) else [])

    assert wait_for(missing, lambda left: not left, 60) == []


def needles() -> dict[str, str]:
    """What no reader may find: every clear plate, every photo link, every roster address."""
    found = {f"plate {name}": value for name, value in PLATES.items()}
    found |= {f"photo {name}": value for name, value in PHOTOS.items()}
    found |= {f"evidence of incident {name}": value for name, value in INCIDENT_EVIDENCE.items()}
    found |= {f"{c['channel']} of {c['officer']}": c["address"] for c in CONTACTS}
    return found


def visible_tables(reader: Client, writer: Client) -> tuple[list[str], list[str]]:
    """(tables and views the reader can query, those refused to it), of every one the writer sees:
    the reader's own list hides what it may not read, as a ClickHouse server's does."""
    listed = "SELECT name FROM system.tables WHERE database = 'ioc' ORDER BY name"
    names = [row[0] for row in writer.query(listed).result_rows]
    hidden = set(names) - {row[0] for row in reader.query(listed).result_rows}
    assert hidden == {name for name in names if name.startswith("restricted_")}
    visible, refused = [], []
    for name in names:
        try:
            reader.query(f"SELECT 1 FROM `{name}` LIMIT 0")  # noqa: S608 - a name the warehouse listed
            visible.append(name)
        except DatabaseError:
            refused.append(name)
    return visible, refused


def leaks(reader: Client, table: str, search: dict[str, str]) -> list[str]:
    """`column: what` for every String column of the table holding one of the searched values."""
    columns = [
        name
        for name, kind in reader.query(
            "SELECT name, type FROM system.columns WHERE database = 'ioc' AND table = {t:String}",
            parameters={"t": table},
        ).result_rows
        if "String" in kind and not kind.startswith("AggregateFunction")
    ]
    if not columns:
        return []
    values = list(search.values())
    # Per column, how many rows hold each searched value (sumForEach adds the arrays element-wise).
    probes = ", ".join(
        f"sumForEach(arrayMap(p -> toUInt64(p > 0), multiSearchAllPositions(toString(`{c}`), {{v:Array(String)}})))"
        for c in columns
    )
    (row,) = reader.query(f"SELECT {probes} FROM `{table}`", parameters={"v": values}).result_rows  # noqa: S608 - names the warehouse listed
    labels = list(search)
    return [
        f"{column}: {labels[index]}"
        for column, counts in zip(columns, row, strict=True)
        for index, count in enumerate(counts)
        if count
    ]


@pytest.mark.parametrize("user", [ANALYST, GRAFANA])
def test_no_reader_finds_a_clear_plate_photo_or_officer_address_anywhere(
    stored: None, clients: dict[str, Client], user: str
) -> None:
    reader = clients[user]
    visible, refused = visible_tables(reader, clients[WRITER])
    assert refused and all(name.startswith("restricted_") for name in refused)
    assert {
        "dead_letters",
        "late_events",
        "notifications",
        "camera_plate_reads",
        "camera_violations",
        "camera_incidents",
    } <= set(visible)
    search = needles()
    found = {table: hits for table in visible if (hits := leaks(reader, table, search))}
    assert found == {}


def test_readers_see_the_masked_forms_and_the_restricted_tables_the_clear_ones(
    stored: None, clients: dict[str, Client]
) -> None:
    analyst, writer = clients[ANALYST], clients[WRITER]
    # The plate views and the sinks mask with the one rule (ioc/personal_data.py).
    shown = dict(
        analyst.query(
            "SELECT plate_number, 1 FROM camera_plate_reads WHERE camera_id = {c:String} "
            "UNION ALL SELECT plate_number, 2 FROM camera_violations WHERE camera_id = {c:String}",
            parameters={"c": CAMERA},
        ).result_rows
    )
    assert shown == {mask_plate(PLATES["valid_read"]): 1, mask_plate(PLATES["valid_violation"]): 2}
    for name in ("gateway_read", "gateway_violation", "agent_violation"):
        assert holds(analyst, "dead_letters", "payload", mask_plate(PLATES[name])), name
    for name in ("late_read", "late_violation"):
        assert holds(analyst, "late_events", "payload", mask_plate(PLATES[name])), name
    assert holds(analyst, "dead_letters", "reason", f"(got '{mask_plate(PLATES['agent_violation'])}')")
    addresses = analyst.query(
        "SELECT address, detail FROM notifications FINAL WHERE alert_id = {a:String}",
        parameters={"a": f"ALERT-PII-{RUN}"},
    ).result_rows
    assert sorted(addresses) == sorted(
        (mask_address(c["address"]), f"the channel refused {mask_address(c['address'])}") for c in CONTACTS
    )
    # The clear copies, for the platform only (waited for by `stored`), with the photos.
    for name, (table, column) in CLEAR_IN.items():
        assert holds(writer, table, column, PLATES[name]), name
    assert holds(writer, "restricted_camera_plate_reads", "image_ref", PHOTOS["valid_read"])
    # The valid incident reaches the readers' table without its evidence link (migration 100).
    incidents = analyst.query(
        "SELECT event_id, description FROM camera_incidents FINAL WHERE camera_id = {c:String}",
        parameters={"c": CAMERA},
    ).result_rows
    assert incidents == [(f"IN-{RUN}-valid", "Va chạm giữa hai xe máy")]
    kinds = dict(
        writer.query(
            "SELECT record_ref, personal_data FROM restricted_dead_letters WHERE source_id = {s:String}",
            parameters={"s": SOURCE},
        ).result_rows
    )
    assert set(kinds.values()) == {"plate_read", "violation", "incident"}
