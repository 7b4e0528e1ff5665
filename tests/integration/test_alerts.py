"""Alerts end to end on the real stack: an incident event opens one alert at once with its CAP
fields, and after the worker is SIGKILLed and restarted a repeat of it updates that alert instead of
opening a second one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Consumer, Producer

from avro_schemas import load_schema
from ioc.serde import AvroDecoder, AvroEncoder, registry_client
from tests.integration.conftest import RunningStack, WorkerProcess
from tests.integration.helpers import wait_for
from topics.catalog import ALERTS, CAMERA_INCIDENTS


def send_accident(stack: RunningStack, camera: str, event_id: str) -> None:
    registry = registry_client(stack.endpoints)
    spec = CAMERA_INCIDENTS
    encoder = AvroEncoder.for_subject(registry, spec.subject(), load_schema(spec.schema))
    batch = {
        "source_id": "SRC-ALERT-TEST",
        "sent_at": datetime.now(UTC),
        "records": [
            {
                "event_id": event_id,
                "camera_id": camera,
                "observed_at": datetime.now(UTC),
                "incident_type": "accident",
                "confidence": 0.93,
                "severity_hint": "severe",
                "description": "Va chạm giữa xe tải và xe máy",
                "latitude": None,
                "longitude": None,
                "evidence_ref": "",
            }
        ],
    }
    producer = Producer(stack.endpoints.kafka_client() | {"enable.idempotence": True})
    producer.produce(spec.full_name(), key=b"SRC-ALERT-TEST", value=encoder.encode(batch))
    assert producer.flush(30) == 0


class AlertReader:
    """Reads the alerts topic from the start, keeping the changes of one camera and noting whether
    an alert of `marker` (another camera) came out."""

    def __init__(self, stack: RunningStack, camera: str, marker: str = "") -> None:
        self.camera = camera
        self.marker = marker
        self.marker_seen = False
        self.decoder = AvroDecoder(
            registry_client(stack.endpoints),
            load_schema(ALERTS.schema),
        )
        self.consumer = Consumer(
            {
                "bootstrap.servers": stack.endpoints.kafka,
                "group.id": f"alerts-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",  # the worker writes in transactions
            }
        )
        self.consumer.subscribe([ALERTS.full_name()])
        self.changes: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        for message in self.consumer.consume(num_messages=500, timeout=1.0):
            if message.error() is None:
                change = self.decoder.decode(message.value())
                if change["entity_id"] == self.camera:
                    self.changes.append(change)
                elif self.marker and change["entity_id"] == self.marker:
                    self.marker_seen = True
        return self.changes


def test_incident_opens_one_alert_that_survives_a_worker_restart(
    local_stack: RunningStack, worker: WorkerProcess
) -> None:
    camera = f"CAM-INC-{uuid.uuid4().hex[:6]}"
    marker = f"CAM-MRK-{uuid.uuid4().hex[:6]}"
    reader = AlertReader(local_stack, camera, marker)
    send_accident(local_stack, camera, f"{camera}-1")
    changes = wait_for(reader.poll, lambda found: len(found) >= 1, 90)
    assert len(changes) == 1
    opened = changes[0]
    assert (opened["state"], opened["msg_type"], opened["revision"]) == ("open", "Alert", 0)
    assert (opened["severity"], opened["urgency"], opened["cap_category"]) == (
        "Severe",
        "Immediate",
        "Transport",
    )
    assert opened["rule_id"] == "incident.accident"
    assert opened["event"] == "Tai nạn giao thông"
    assert camera in opened["headline_vi"]
    assert opened["sender"] and opened["identifier"]

    worker.kill()
    worker.start()
    send_accident(local_stack, camera, f"{camera}-2")
    # An accident at another camera after it, on the same partition (one source): once its alert is
    # out, the worker has processed the repeat (instead of waiting out a timeout for an update that
    # the update interval may hold back).
    send_accident(local_stack, marker, f"{marker}-1")
    wait_for(reader.poll, lambda _: reader.marker_seen, 60)
    assert reader.marker_seen, "the worker processed nothing after its restart"
    # The repeat lands in the restored state: at most an update of the same alert, never a second one.
    later = reader.poll()
    assert {change["alert_id"] for change in later} == {opened["alert_id"]}
    assert [change["state"] for change in later].count("open") == 1
    reader.consumer.close()
