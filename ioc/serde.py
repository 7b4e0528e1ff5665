"""Avro in the standard Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro body.

Any Kafka client with schema registry support reads what the platform writes, and the platform
reads what they write. Encoding and decoding use fastavro with schemas parsed once; the registry
is asked for a writer schema only the first time its id is seen.
"""

from __future__ import annotations

import io
import json
import struct
import urllib.request
from typing import TYPE_CHECKING, Any

import fastavro
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from fastavro.types import Schema as ParsedSchema

if TYPE_CHECKING:
    from ioc.endpoints import Endpoints

MAGIC_BYTE = 0
HEADER = struct.Struct(">BI")


class SerdeError(Exception):
    """A message that is not a valid Confluent-framed Avro record for its topic."""


class RegistryUnavailableError(Exception):
    """The registry could not be asked for a writer's schema (down, unreachable, refusing the
    login): nothing is wrong with the message, so it must be read again later, never rejected (the
    chaos run's registry outage dead-lettered a valid record before this existed)."""


class RegistryClient(SchemaRegistryClient):
    """The Confluent client, and the registry's readiness probe if it has one.

    Apicurio with KafkaSQL storage answers its API while it is still replaying its journal after a
    restart, and says "not found" for schemas it has (seen: 18 s of 404s for a known id after
    "started", before "KafkaSQL storage bootstrapped"; a sink dead-lettered two valid messages).
    Its readiness probe is down until the journal is loaded, so a 404 is believed only when the
    probe says ready; without a probe (a registry that has no such gap) it is believed at once."""

    def __init__(self, conf: dict[str, Any], ready_url: str = "") -> None:
        super().__init__(conf)
        self.ready_url = ready_url

    def is_ready(self) -> bool:
        """Whether the registry has loaded every schema it has (unreachable means not ready)."""
        if not self.ready_url:
            return True
        try:
            with urllib.request.urlopen(self.ready_url, timeout=5) as answer:  # noqa: S310 - configured URL
                return bool(answer.status == 200)
        except OSError:  # refused, timed out, or an HTTP error status (503 while loading)
            return False


def registry_client(endpoints: Endpoints) -> RegistryClient:
    """A client for the registry's Confluent-compatible API, with its credentials if it asks for
    any and its readiness probe if it has one."""
    return RegistryClient(
        {"url": endpoints.registry} | endpoints.registry_auth.registry_config(), endpoints.registry_ready
    )


def _not_found_is_final(client: SchemaRegistryClient) -> bool:
    """Whether the registry's "not found" can be believed now (see RegistryClient); a client
    without a probe (the unit tests' in-memory registry) is always believed."""
    return not isinstance(client, RegistryClient) or client.is_ready()


class AvroEncoder:
    """Writes records of one schema, already registered under one id."""

    def __init__(self, schema: dict[str, Any], schema_id: int) -> None:
        self.parsed: ParsedSchema = fastavro.parse_schema(schema)
        self.schema_id = schema_id
        self._header = HEADER.pack(MAGIC_BYTE, schema_id)

    @classmethod
    def for_subject(cls, client: SchemaRegistryClient, subject: str, schema: dict[str, Any]) -> AvroEncoder:
        """Look up the id this exact schema has under the subject; it must have been registered
        by `ioc schemas register` (producers never register on their own: that is governance's job)."""
        try:
            registered = client.lookup_schema(subject, Schema(json.dumps(schema), "AVRO"))
        except SchemaRegistryError as exc:
            if exc.http_status_code != 404:
                raise RegistryUnavailableError(
                    f"the registry refused the lookup of {subject}: {exc}"
                ) from exc
            if not _not_found_is_final(client):
                raise RegistryUnavailableError(
                    f"the registry is still loading its schemas ({subject})"
                ) from exc
            raise SerdeError(
                f"schema for subject {subject} is not registered ({exc}); run `ioc schemas register`"
            ) from exc
        except Exception as exc:
            raise RegistryUnavailableError(f"the registry did not answer for {subject}: {exc}") from exc
        assert registered.schema_id is not None  # noqa: S101 - the registry always returns an id
        return cls(schema, registered.schema_id)

    def encode(self, record: dict[str, Any]) -> bytes:
        """One record as framed Avro bytes."""
        out = io.BytesIO()
        out.write(self._header)
        fastavro.schemaless_writer(out, self.parsed, record)
        return out.getvalue()


class AvroDecoder:
    """Reads framed Avro written with any registered version, resolved to the reader's schema."""

    def __init__(self, client: SchemaRegistryClient, reader_schema: dict[str, Any]) -> None:
        self.client = client
        self.reader: ParsedSchema = fastavro.parse_schema(self.prepare(reader_schema))
        # Schema id -> (writer, reader to resolve to, or None when they are the same schema).
        self._writers: dict[int, tuple[ParsedSchema, ParsedSchema | None]] = {}

    def prepare(self, schema: dict[str, Any]) -> dict[str, Any]:
        """A schema (reader's or writer's) as this decoder reads it: as written here; a subclass may
        read some types differently (streams/engine/inputs.py reads instants as epoch ms)."""
        return schema

    def _writer(self, schema_id: int) -> tuple[ParsedSchema, ParsedSchema | None]:
        """The writer's schema, and the reader's only when it differs: fastavro compares the two
        whole schemas on every call otherwise, which is a tenth of decoding a 100-record batch."""
        known = self._writers.get(schema_id)
        if known is None:
            try:
                schema = self.client.get_schema(schema_id)
            except SchemaRegistryError as exc:
                if exc.http_status_code != 404:
                    raise RegistryUnavailableError(
                        f"the registry refused schema id {schema_id}: {exc}"
                    ) from exc
                if not _not_found_is_final(self.client):
                    raise RegistryUnavailableError(
                        f"the registry is still loading its schemas (schema id {schema_id})"
                    ) from exc
                raise SerdeError(f"unknown schema id {schema_id}: {exc}") from exc
            except Exception as exc:
                raise RegistryUnavailableError(
                    f"the registry did not answer for schema id {schema_id}: {exc}"
                ) from exc
            writer = fastavro.parse_schema(self.prepare(json.loads(schema.schema_str or "{}")))
            known = self._writers[schema_id] = (writer, None if writer == self.reader else self.reader)
        return known

    def decode(self, data: bytes | None) -> dict[str, Any]:
        """The record, or SerdeError saying what is wrong with the bytes."""
        if not data or len(data) < HEADER.size:
            raise SerdeError("message is empty or shorter than the 5-byte Confluent header")
        magic, schema_id = HEADER.unpack_from(data)
        if magic != MAGIC_BYTE:
            raise SerdeError(f"message does not start with the Avro magic byte 0 (found {magic})")
        writer, reader = self._writer(schema_id)
        try:
            record: dict[str, Any] = fastavro.schemaless_reader(
                io.BytesIO(data[HEADER.size :]), writer, reader
            )
        except Exception as exc:
            raise SerdeError(f"Avro body does not match schema id {schema_id}: {exc}") from exc
        return record
