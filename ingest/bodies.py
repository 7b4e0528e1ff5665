"""Reading an HTTP request's body safely and turning it into an envelope, or a clear refusal.

Everything a hostile client can send is bounded or caught here: the size (before and while
reading), the content type, invalid UTF-8, invalid or absurdly nested JSON, and envelopes of the
wrong shape. Each refusal is a `Refusal` with a status, a stable code and a message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import ClientDisconnect, Request

from avro_schemas.json_records import RecordError
from ingest.validation import parse_sent_at

ENVELOPE_FIELDS = {"source_id", "sent_at", "records"}


class Refusal(Exception):  # noqa: N818 - a refusal is an answer, not a failure of the service
    """A request answered with a 4xx: status, stable code, message, and the field when there is one."""

    def __init__(
        self, status: int, code: str, message: str, field: str = "", rule: str = "", retry_after: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.rule = rule
        self.retry_after = retry_after  # the Retry-After header of a 429

    def body(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message, "field": self.field, "rule": self.rule}


@dataclass(frozen=True)
class Envelope:
    source_id: str
    sent_at: datetime | None
    records: list[Any]


def require_media_type(request: Request, expected: str) -> None:
    """415 unless the Content-Type is `expected` (a UTF-8 charset parameter is allowed)."""
    value = request.headers.get("content-type", "")
    media, *params = value.split(";")
    charset = "utf-8"
    for param in params:
        name, _, given = param.strip().partition("=")
        if name.lower() == "charset":
            charset = given.strip('"').lower()
    if media.strip().lower() != expected or charset not in ("utf-8", "utf8"):
        raise Refusal(
            415,
            "unsupported-media-type",
            f"Sai kiểu nội dung — unsupported Content-Type {value!r:.60}; send {expected} (UTF-8)",
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to pass `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Refusal(413, "body-too-large", f"Nội dung quá lớn — body over {limit} bytes; split it")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Refusal(413, "body-too-large", f"Nội dung quá lớn — body over {limit} bytes; split it")
            chunks.append(chunk)
    except ClientDisconnect:
        # Nobody will read the answer; refusing keeps a half-sent body from ever being processed.
        raise Refusal(
            400, "client-disconnected", "Kết nối bị ngắt — the client left before sending the body"
        ) from None
    return b"".join(chunks)


def parse_json(body: bytes) -> Any:
    """JSON from UTF-8 bytes, or 400 saying which of the two is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal(
            400, "invalid-utf8", f"Nội dung không phải UTF-8 — body is not valid UTF-8 ({exc})"
        ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise Refusal(400, "invalid-json", "JSON lồng quá sâu — JSON nested too deeply") from None
    except ValueError as exc:
        raise Refusal(400, "invalid-json", f"JSON không hợp lệ — invalid JSON: {exc}") from None


def parse_envelope(document: Any, max_records: int) -> Envelope:
    """`{source_id, records, sent_at?}`, or 422/413 naming the field."""
    if not isinstance(document, dict):
        raise Refusal(422, "invalid-envelope", "Cần một đối tượng JSON — expected a JSON object", "", "type")
    unknown = sorted(set(document) - ENVELOPE_FIELDS)
    if unknown:
        raise Refusal(
            422,
            "invalid-envelope",
            "Trường không có trong hợp đồng — unknown field",
            unknown[0],
            "unknown-field",
        )
    source_id = document.get("source_id")
    if not isinstance(source_id, str) or not source_id:
        raise Refusal(
            422,
            "invalid-envelope",
            "source_id phải là chuỗi khác rỗng — must be a non-empty string",
            "source_id",
            "required",
        )
    records = document.get("records")
    if not isinstance(records, list) or not records:
        raise Refusal(
            422,
            "invalid-envelope",
            "records phải là danh sách khác rỗng — must be a non-empty list",
            "records",
            "required",
        )
    if len(records) > max_records:
        raise Refusal(
            413,
            "too-many-records",
            f"Quá nhiều bản ghi — more than {max_records} records; split the batch",
            "records",
            "max-records",
        )
    sent_at = None
    if document.get("sent_at") is not None:
        try:
            sent_at = parse_sent_at(document["sent_at"])
        except RecordError as exc:
            raise Refusal(422, "invalid-envelope", exc.message, exc.path, exc.rule) from None
    return Envelope(source_id, sent_at, records)
