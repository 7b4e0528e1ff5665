"""The stack itself: schemas survive a registry restart, and status reports every part."""

from __future__ import annotations

import json
import uuid

from confluent_kafka.schema_registry import Schema

from ioc.serde import registry_client
from tests.integration.conftest import RunningStack


def test_registered_schema_survives_a_registry_restart(local_stack: RunningStack) -> None:
    subject = f"restart-check-{uuid.uuid4().hex[:8]}-value"
    schema = Schema(
        json.dumps({"type": "record", "name": "Probe", "fields": [{"name": "a", "type": "int"}]}), "AVRO"
    )
    schema_id = registry_client(local_stack.endpoints).register_schema(subject, schema)

    local_stack.stack.stop_service("registry")
    assert {s.name: s.state for s in local_stack.stack.status()}["registry"] == "stopped"
    local_stack.stack.start_service("registry")

    fresh = registry_client(local_stack.endpoints)  # no client-side cache
    latest = fresh.get_latest_version(subject)
    assert latest.schema_id == schema_id
    assert json.loads(latest.schema.schema_str)["fields"] == [{"name": "a", "type": "int"}]


def test_status_reports_each_service_answering(local_stack: RunningStack) -> None:
    rows = {row.name: row for row in local_stack.stack.status()}
    assert {name: row.state for name, row in rows.items()} == {
        "kafka": "running",
        "registry": "running",
        "warehouse": "running",
    }
    assert rows["kafka"].address == local_stack.endpoints.kafka
    assert rows["warehouse"].address == local_stack.endpoints.clickhouse
