"""The OpenAPI description of the HTTP door: request bodies derived from the Avro contracts.

The JSON Schema of each feed's body is generated from its `.avsc`, so the description cannot drift
from the contract. It is never stricter than the gateway (a body it allows may still be refused,
for example a time outside the accepted window, but nothing it forbids is ever accepted), which is
what schemathesis checks both ways.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from avro_schemas.json_records import INT_RANGE, LONG_RANGE
from ingest.feeds import Feed

TIME_DOC = "ISO 8601 time WITH a zone (2026-11-25T07:30:00Z, 2026-11-25T14:30:00+07:00) or epoch milliseconds"


class RejectedRecord(BaseModel):
    """One record that broke its contract."""

    index: int = Field(description="Vị trí bản ghi trong `records` — position in `records`, from 0")
    event_id: str = Field(description="event_id của bản ghi nếu đọc được — its event_id when readable")
    field: str = Field(description="Đường dẫn trường — field path, e.g. records[3].vehicle_count")
    rule: str = Field(description="Quy tắc bị vi phạm — the rule broken, e.g. required, type, enum")
    message: str = Field(description="Giải thích — explanation")


class IngestReply(BaseModel):
    """What happened to the records of a request."""

    feed: str
    source_id: str
    sandbox: bool = Field(description="Khóa thử nghiệm: không lưu gì — sandbox key: nothing stored")
    stored: bool = Field(
        description="Bản ghi hợp lệ đã được Kafka xác nhận — valid records acknowledged by Kafka"
    )
    received: int
    accepted: int = Field(description="Bản ghi mới đã nhận — new records accepted")
    duplicates: int = Field(description="Bản ghi đã nhận trước đó (cùng event_id) — resends, stored once")
    rejected: list[RejectedRecord]


class ErrorReply(BaseModel):
    """A refused request: a stable code, a message in Vietnamese then English, and where."""

    error: str = Field(description="Mã lỗi ổn định — stable error code")
    message: str
    field: str = ""
    rule: str = ""


def _schema(avro: Any, named: dict[str, Any]) -> dict[str, Any]:
    if isinstance(avro, str) and avro in named:
        avro = named[avro]
    if isinstance(avro, list):
        branches = [_schema(branch, named) for branch in avro if branch != "null"]
        options = branches + ([{"type": "null"}] if "null" in avro else [])
        return options[0] if len(options) == 1 else {"anyOf": options}
    if isinstance(avro, dict):
        kind = avro["type"]
        if avro.get("logicalType") == "timestamp-millis":
            return {"anyOf": [{"type": "string"}, {"type": "integer"}], "description": TIME_DOC}
        if avro.get("logicalType") == "date":
            return {"type": "string", "description": "YYYY-MM-DD"}
        if kind == "record":
            named[avro["name"]] = avro
            return _record(avro, named)
        if kind == "enum":
            named[avro["name"]] = avro
            return {"type": "string", "enum": list(avro["symbols"])}
        if kind == "array":
            return {"type": "array", "items": _schema(avro["items"], named)}
        return _schema(kind, named)
    ranges = {"int": INT_RANGE, "long": LONG_RANGE}
    if avro in ranges:
        low, high = ranges[avro]
        return {"type": "integer", "minimum": low, "maximum": high}
    return {"type": {"string": "string", "double": "number", "float": "number", "boolean": "boolean"}[avro]}


def _record(avro: dict[str, Any], named: dict[str, Any]) -> dict[str, Any]:
    properties = {}
    for field in avro["fields"]:
        schema = _schema(field["type"], named)
        if field.get("doc"):
            schema = {**schema, "description": field["doc"]}
        properties[field["name"]] = schema
    properties["event_id"] = {**properties["event_id"], "minLength": 1}
    return {
        "type": "object",
        "properties": properties,
        "required": [field["name"] for field in avro["fields"] if "default" not in field],
        "additionalProperties": False,
    }


def request_schema(feed: Feed, max_records: int) -> dict[str, Any]:
    """The JSON body of a feed's route: `source_id`, optional `sent_at`, and `records`."""
    return {
        "type": "object",
        "properties": {
            "source_id": {
                "type": "string",
                "minLength": 1,
                "description": "Mã hệ thống gửi — sending system id",
            },
            "sent_at": {
                "anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}],
                "description": TIME_DOC,
            },
            "records": {
                "type": "array",
                "minItems": 1,
                "maxItems": max_records,
                "items": _schema(feed.record_schema, {}),
            },
        },
        "required": ["source_id", "records"],
        "additionalProperties": False,
    }
