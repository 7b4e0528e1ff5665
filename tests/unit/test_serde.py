"""Unit tests for ioc.serde against confluent-kafka's in-memory schema registry and the real indicators schema.

The registry is `mock://`, so nothing leaves the process. Wire-format bytes are written out by hand.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from avro_schemas import load_schema
from ioc.serde import AvroDecoder, AvroEncoder, RegistryUnavailableError, SerdeError

SUBJECT = "ioc.derived.indicators-value"
# Fields of indicators.avsc that have defaults, and those defaults as the schema file states them.
DEFAULTED = {"area_code": "", "unit": "", "sample_count": 0, "revision": 0, "is_final": False, "label": ""}


@pytest.fixture
def schema() -> dict[str, Any]:
    """The real indicators schema, as the producers load it."""
    return load_schema("derived/indicators")


@pytest.fixture
def registry() -> SchemaRegistryClient:
    """A fresh in-memory registry per test (each mock client has its own store)."""
    # `new_client` is how this confluent-kafka version hands out the mock for `mock://` URLs;
    # the plain constructor would try to speak HTTP to it.
    return SchemaRegistryClient.new_client({"url": "mock://test"})


def register(registry: SchemaRegistryClient, schema: dict[str, Any], subject: str = SUBJECT) -> int:
    """Register the schema as `ioc schemas register` would, returning its id."""
    return registry.register_schema(subject, Schema(json.dumps(schema), "AVRO"))


def indicator() -> dict[str, Any]:
    """One indicator record as the stream engine emits it (timestamps as epoch ms)."""
    return {
        "indicator": "traffic.average_speed",
        "entity_type": "camera",
        "entity_id": "HN|Q1|CAM-7",
        "area_code": "00001",
        # 2024-01-01T00:00:00Z and one minute later.
        "window_start": 1_704_067_200_000,
        "window_end": 1_704_067_260_000,
        "value": 41.5,
        "unit": "km/h",
        "sample_count": 12,
        "revision": 4,
        "is_final": True,
        # 2024-01-01T00:01:35Z.
        "computed_at": 1_704_067_295_000,
        "label": "",
    }


def test_round_trip(registry: SchemaRegistryClient, schema: dict[str, Any]) -> None:
    """What the platform writes, it reads back field for field (timestamps as aware UTC datetimes)."""
    register(registry, schema)
    data = AvroEncoder.for_subject(registry, SUBJECT, schema).encode(indicator())
    decoded = AvroDecoder(registry, schema).decode(data)
    assert decoded == indicator() | {
        "window_start": datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
        "window_end": datetime(2024, 1, 1, 0, 1, tzinfo=UTC),
        "computed_at": datetime(2024, 1, 1, 0, 1, 35, tzinfo=UTC),
    }


def test_round_trip_of_a_null_value(registry: SchemaRegistryClient, schema: dict[str, Any]) -> None:
    """A window without speed data carries value null; it must not come back as 0."""
    register(registry, schema)
    data = AvroEncoder.for_subject(registry, SUBJECT, schema).encode(indicator() | {"value": None})
    assert AvroDecoder(registry, schema).decode(data)["value"] is None


def test_header_is_magic_zero_and_big_endian_id(
    registry: SchemaRegistryClient, schema: dict[str, Any]
) -> None:
    """The Confluent frame lets any registry-aware client read the message: 0, then the id in 4 bytes."""
    schema_id = register(registry, schema)
    encoder = AvroEncoder.for_subject(registry, SUBJECT, schema)
    assert encoder.schema_id == schema_id
    data = encoder.encode(indicator())
    assert data[0] == 0
    assert int.from_bytes(data[1:5], "big") == schema_id


def test_header_bytes_for_a_multi_byte_id(schema: dict[str, Any]) -> None:
    """Id 0x01020304 must appear as 01 02 03 04 (big-endian), not 04 03 02 01."""
    data = AvroEncoder(schema, 0x01020304).encode(indicator())
    assert data[:5] == b"\x00\x01\x02\x03\x04"
    # The body starts with the first field, the string "traffic.average_speed" (21 chars):
    # Avro length prefix zigzag(21) = 42 = 0x2a.
    assert data[5:8] == b"\x2atr"


@pytest.mark.parametrize("data", [b"", None, b"\x00", b"\x00\x00\x00\x01"])
def test_decode_rejects_messages_shorter_than_the_header(
    registry: SchemaRegistryClient, schema: dict[str, Any], data: bytes | None
) -> None:
    """A tombstone or a truncated frame is reported, not decoded as garbage."""
    with pytest.raises(SerdeError, match=r"empty or shorter than the 5-byte"):
        AvroDecoder(registry, schema).decode(data)


def test_decode_rejects_a_wrong_magic_byte(registry: SchemaRegistryClient, schema: dict[str, Any]) -> None:
    """Non-Avro payloads (JSON, another framing) are named as such."""
    register(registry, schema)
    data = AvroEncoder.for_subject(registry, SUBJECT, schema).encode(indicator())
    with pytest.raises(SerdeError, match=r"magic byte 0 \(found 1\)"):
        AvroDecoder(registry, schema).decode(b"\x01" + data[1:])


def test_decode_rejects_plain_json(registry: SchemaRegistryClient, schema: dict[str, Any]) -> None:
    """A producer that forgot the serializer sends JSON: '{' is 0x7b = 123."""
    with pytest.raises(SerdeError, match=r"found 123"):
        AvroDecoder(registry, schema).decode(b'{"indicator": "x"}')


def test_decode_rejects_an_unknown_schema_id(registry: SchemaRegistryClient, schema: dict[str, Any]) -> None:
    """An id the registry does not know (another registry's message) is named in the error."""
    register(registry, schema)
    body = AvroEncoder.for_subject(registry, SUBJECT, schema).encode(indicator())[5:]
    # Id 999 = 0x000003e7.
    with pytest.raises(SerdeError, match=r"unknown schema id 999"):
        AvroDecoder(registry, schema).decode(b"\x00\x00\x00\x03\xe7" + body)


def test_a_registry_that_does_not_answer_is_not_a_bad_message(
    registry: SchemaRegistryClient, schema: dict[str, Any]
) -> None:
    """A registry that is down says nothing about the message: the readers must read it again later
    (a SerdeError would send a valid record to the dead letters for good)."""
    register(registry, schema)
    message = AvroEncoder.for_subject(registry, SUBJECT, schema).encode(indicator())
    unreachable = SchemaRegistryClient({"url": "http://127.0.0.1:9", "timeout": 2})
    with pytest.raises(RegistryUnavailableError, match=r"did not answer for schema id 1"):
        AvroDecoder(unreachable, schema).decode(message)


def test_a_producer_whose_registry_is_down_is_not_told_to_register_its_schema(schema: dict[str, Any]) -> None:
    """A worker starting while the registry is away was told `run ioc schemas register`."""
    unreachable = SchemaRegistryClient({"url": "http://127.0.0.1:9", "timeout": 2})
    with pytest.raises(RegistryUnavailableError, match=r"did not answer for " + SUBJECT):
        AvroEncoder.for_subject(unreachable, SUBJECT, schema)


@pytest.mark.parametrize("cut", [1, 6, 20])
def test_decode_rejects_a_truncated_body(
    registry: SchemaRegistryClient, schema: dict[str, Any], cut: int
) -> None:
    """A body cut short is reported against its schema id instead of yielding a partial record."""
    schema_id = register(registry, schema)
    data = AvroEncoder.for_subject(registry, SUBJECT, schema).encode(indicator())
    with pytest.raises(SerdeError, match=rf"Avro body does not match schema id {schema_id}"):
        AvroDecoder(registry, schema).decode(data[:-cut])


def test_decode_rejects_a_header_without_body(registry: SchemaRegistryClient, schema: dict[str, Any]) -> None:
    """Five bytes of header and nothing else is a truncated body, not an empty record."""
    schema_id = register(registry, schema)
    header = b"\x00" + schema_id.to_bytes(4, "big")
    with pytest.raises(SerdeError, match=r"Avro body does not match"):
        AvroDecoder(registry, schema).decode(header)


def test_for_subject_requires_registration(registry: SchemaRegistryClient, schema: dict[str, Any]) -> None:
    """Producers never register schemas; the error tells the operator which command does."""
    with pytest.raises(SerdeError, match=r"ioc schemas register") as info:
        AvroEncoder.for_subject(registry, SUBJECT, schema)
    assert SUBJECT in str(info.value)


def test_for_subject_requires_the_exact_schema(
    registry: SchemaRegistryClient, schema: dict[str, Any]
) -> None:
    """A schema registered under another subject, or a different schema under this one, is not enough."""
    register(registry, schema, subject="other-value")
    with pytest.raises(SerdeError, match=r"ioc schemas register"):
        AvroEncoder.for_subject(registry, SUBJECT, schema)
    changed = copy.deepcopy(schema)
    changed["doc"] = "edited"
    register(registry, changed)
    with pytest.raises(SerdeError, match=r"ioc schemas register"):
        AvroEncoder.for_subject(registry, SUBJECT, schema)


def older(schema: dict[str, Any]) -> dict[str, Any]:
    """The indicators schema as it might have been before the defaulted fields were added."""
    old = copy.deepcopy(schema)
    old["fields"] = [field for field in old["fields"] if field["name"] not in DEFAULTED]
    return old


def test_older_writer_decodes_with_the_readers_defaults(
    registry: SchemaRegistryClient, schema: dict[str, Any]
) -> None:
    """Messages written before a field existed still decode, with the field's default."""
    old = older(schema)
    assert len(old["fields"]) == len(schema["fields"]) - len(DEFAULTED)
    old_id = register(registry, old)
    new_id = register(registry, schema)
    assert old_id != new_id
    old_record = {key: value for key, value in indicator().items() if key not in DEFAULTED}
    old_data = AvroEncoder.for_subject(registry, SUBJECT, old).encode(old_record)
    new_data = AvroEncoder.for_subject(registry, SUBJECT, schema).encode(indicator())
    decoder = AvroDecoder(registry, schema)
    decoded_old = decoder.decode(old_data)
    assert decoded_old == {
        "indicator": "traffic.average_speed",
        "entity_type": "camera",
        "entity_id": "HN|Q1|CAM-7",
        "area_code": "",
        "window_start": datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
        "window_end": datetime(2024, 1, 1, 0, 1, tzinfo=UTC),
        "value": 41.5,
        "unit": "",
        "sample_count": 0,
        "revision": 0,
        "is_final": False,
        "computed_at": datetime(2024, 1, 1, 0, 1, 35, tzinfo=UTC),
        "label": "",
    }
    # The same decoder then reads the new version without mixing up the cached writer schemas.
    assert decoder.decode(new_data)["revision"] == 4
    assert decoder.decode(old_data)["revision"] == 0


def test_newer_writer_decodes_with_an_older_reader(
    registry: SchemaRegistryClient, schema: dict[str, Any]
) -> None:
    """A consumer not yet upgraded drops the fields it does not know (forward compatibility)."""
    register(registry, schema)
    data = AvroEncoder.for_subject(registry, SUBJECT, schema).encode(indicator())
    decoded = AvroDecoder(registry, older(schema)).decode(data)
    assert set(decoded) == {
        "indicator",
        "entity_type",
        "entity_id",
        "window_start",
        "window_end",
        "value",
        "computed_at",
    }
    assert decoded["value"] == 41.5
