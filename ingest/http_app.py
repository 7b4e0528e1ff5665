"""The HTTP door: one route per input feed, an upload route per department feed, an OpenAPI description.

`POST /v1/feeds/{family}/{feed}` takes `{source_id, records: [...], sent_at?}` as JSON;
`POST /v1/uploads/department/{feed}` takes a CSV or .xlsx report as multipart form data. Each
request is checked in the order a client can act on: key (401), scope (403), rate (429), content
type (415), size (413), body (400/422), then every record. Replies: 200 all stored, 207 some records
rejected (listed, sent to dead letters), 422 nothing accepted, 503 + Retry-After when Kafka did not
acknowledge. The body of every refusal is `{error, message, field, rule}`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.formparsers import MultiPartException, MultiPartParser

from ingest.batch_upload import located, read_upload, with_file_defaults
from ingest.bodies import Refusal, parse_envelope, parse_json, read_body, require_media_type
from ingest.errors import KafkaUnavailableError
from ingest.feeds import Feed
from ingest.gateway import Gateway, Outcome
from ingest.keys import ApiKey, KeyStore
from ingest.limits import RateLimiter, retry_after_header
from ingest.openapi import ErrorReply, IngestReply, request_schema
from ioc.settings import IngestSettings

KEY_HEADER = "X-API-Key"
UPLOAD_FAMILIES = ("department",)
RETRY_AFTER = {"Retry-After": {"description": "Số giây chờ — seconds to wait", "schema": {"type": "string"}}}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"model": ErrorReply, "description": description} | ({"headers": headers} if headers else {})


def _responses(upload: bool) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"model": IngestReply, "description": "Mọi bản ghi đã lưu — every record stored (or a resend)"},
        207: {
            "model": IngestReply,
            "description": "Một phần bị từ chối — some records rejected, the rest stored",
        },
        400: _error("Nội dung không đọc được — invalid UTF-8, JSON or file"),
        401: _error("Thiếu, sai hoặc đã thu hồi khóa API — missing, unknown or revoked API key"),
        403: _error("Khóa không được phép — feed or source id outside the key's scope"),
        413: _error("Quá lớn — body or record count over the limit"),
        415: _error("Sai kiểu nội dung — wrong Content-Type" + (" or file type" if upload else "")),
        422: {
            "description": "Không bản ghi nào được nhận — nothing accepted: every record rejected, or the envelope",
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/IngestReply"},
                            {"$ref": "#/components/schemas/ErrorReply"},
                        ]
                    }
                }
            },
        },
        429: _error("Quá nhanh — over the key's request rate", RETRY_AFTER),
        503: _error(
            "Kafka chưa xác nhận — Kafka unavailable; nothing more was stored, retry later", RETRY_AFTER
        ),
    }


def _upload_body() -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": ".csv (UTF-8) or .xlsx",
                        },
                        "source_id": {"type": "string", "minLength": 1},
                        "valid_only": {
                            "type": "boolean",
                            "description": "Lưu các dòng hợp lệ — store the valid rows",
                        },
                    },
                    "required": ["file", "source_id"],
                }
            }
        },
    }


def reply(outcome: Outcome) -> JSONResponse:
    """200 all stored, 207 some rejected, 422 none accepted."""
    if not outcome.rejected:
        status = 200
    elif outcome.accepted + outcome.duplicates:
        status = 207
    else:
        status = 422
    return JSONResponse(outcome.as_dict(), status_code=status)


class HttpDoor:
    """The request checks shared by every route, around one gateway."""

    def __init__(
        self,
        gateway: Gateway,
        keys: KeyStore,
        settings: IngestSettings,
        members: Callable[[], int] | None = None,
    ) -> None:
        self.gateway = gateway
        self.keys = keys
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_burst)
        self.members = members or (lambda: 1)

    def admit(self, request: Request, feed: Feed) -> ApiKey:
        """The caller's key, if it may send to this feed now; otherwise a Refusal."""
        secret = request.headers.get(KEY_HEADER, "")
        if not secret:
            raise Refusal(
                401, "missing-key", f"Thiếu khóa API — send your API key in the {KEY_HEADER} header"
            )
        key = self.keys.identify(secret)
        if key is None:
            revoked = self.keys.revocation(secret)
            if revoked is not None:
                raise Refusal(
                    401,
                    "revoked-key",
                    f"Khóa API {revoked.key_id} đã bị thu hồi lúc {revoked.revoked_at} — this API key was "
                    "revoked; nothing was stored. Ask the IOC operators for a new key",
                )
            raise Refusal(401, "invalid-key", "Khóa API không hợp lệ — unknown API key; nothing was stored")
        if not key.allows_feed(feed.name):
            raise Refusal(
                403,
                "feed-not-allowed",
                f"Khóa {key.key_id} không được gửi {feed.name} — key may not send this feed",
            )
        # Each of the live gateway instances allows its share of the key's rate (ingest/members.py).
        share = max(1, self.members())
        rate = (key.rate_per_s or self.settings.rate_per_key_per_s) / share
        wait = self.limiter.acquire(key.key_id, rate, max(1.0, self.settings.rate_burst / share))
        if wait > 0:
            raise Refusal(
                429,
                "rate-limited",
                f"Gửi quá nhanh — too many requests; retry in {wait:.1f} s",
                retry_after=retry_after_header(wait),
            )
        return key

    def check_source(self, key: ApiKey, source_id: str) -> None:
        if not key.allows_source(source_id):
            raise Refusal(
                403,
                "source-not-allowed",
                f"Khóa {key.key_id} không được gửi thay {source_id!r:.60} — source id outside the key's scope",
                "source_id",
                "scope",
            )

    async def ingest(self, request: Request, feed: Feed) -> JSONResponse:
        key = self.admit(request, feed)
        require_media_type(request, "application/json")
        document = parse_json(await read_body(request, self.settings.max_body_bytes))
        envelope = parse_envelope(document, self.settings.max_records_per_request)
        self.check_source(key, envelope.source_id)
        outcome = await run_in_threadpool(
            self.gateway.submit,
            feed,
            envelope.source_id,
            envelope.records,
            door="http",
            sandbox=key.sandbox,
            sent_at=envelope.sent_at,
        )
        return reply(outcome)

    async def upload(self, request: Request, feed: Feed) -> JSONResponse:
        key = self.admit(request, feed)
        require_media_type(request, "multipart/form-data")
        body = await read_body(request, self.settings.max_upload_bytes)

        async def stream() -> AsyncGenerator[bytes, None]:
            yield body

        try:
            form = await MultiPartParser(
                request.headers,
                stream(),
                max_files=1,
                max_fields=5,
                max_part_size=self.settings.max_upload_bytes,
            ).parse()
        except (MultiPartException, ValueError) as exc:
            raise Refusal(
                400, "invalid-form", f"Biểu mẫu không hợp lệ — invalid multipart form: {exc}"
            ) from None
        upload, source_id = form.get("file"), form.get("source_id")
        if upload is None or isinstance(upload, str):
            raise Refusal(
                422,
                "missing-file",
                "Thiếu tệp — attach the report as the form field 'file'",
                "file",
                "required",
            )
        if not isinstance(source_id, str) or not source_id:
            raise Refusal(
                422,
                "invalid-envelope",
                "Thiếu source_id — form field 'source_id' is required",
                "source_id",
                "required",
            )
        self.check_source(key, source_id)
        valid_only = str(form.get("valid_only", "false")).lower() in ("true", "1", "yes")
        records, places = read_upload(feed, upload.filename or "", await upload.read())
        outcome = await run_in_threadpool(
            self.gateway.submit,
            feed,
            source_id,
            with_file_defaults(records),
            door=f"upload:{upload.filename}",
            sandbox=key.sandbox,
            all_or_nothing=not valid_only,
        )
        outcome.rejected = located(outcome.rejected, places)
        return reply(outcome)


def _guarded(handler: Callable[[Request, Feed], Awaitable[JSONResponse]], feed: Feed) -> Callable[..., Any]:
    async def endpoint(request: Request) -> JSONResponse:
        try:
            return await handler(request, feed)
        except Refusal as refusal:
            headers = {"Retry-After": refusal.retry_after} if refusal.retry_after else None
            return JSONResponse(refusal.body(), status_code=refusal.status, headers=headers)
        except KafkaUnavailableError as exc:
            body = {
                "error": "kafka-unavailable",
                "message": f"Kafka tạm thời không sẵn sàng — {exc}",
                "field": "",
                "rule": "",
            }
            return JSONResponse(body, status_code=503, headers={"Retry-After": str(exc.retry_after_s)})

    return endpoint


def build_app(
    gateway: Gateway,
    keys: KeyStore,
    settings: IngestSettings,
    members: Callable[[], int] | None = None,
) -> FastAPI:
    """The FastAPI application with a route per feed and its OpenAPI description."""
    app = FastAPI(
        title="IOC — cổng tiếp nhận dữ liệu / ingestion gateway",
        version="1",
        description="JSON records per feed, checked against the feed's Avro contract (docs/catalog). "
        "See docs/integrators.md.",
    )
    door = HttpDoor(gateway, keys, settings, members)
    security = [{"ApiKey": []}]
    for feed in gateway.feeds.values():
        app.add_api_route(
            f"/v1/feeds/{feed.route}",
            _guarded(door.ingest, feed),
            methods=["POST"],
            name=f"ingest {feed.name}",
            operation_id=f"ingest_{feed.name.replace('.', '_').replace('-', '_')}",
            summary=f"Gửi bản ghi {feed.name} — send {feed.name} records",
            tags=[feed.family],
            responses=_responses(upload=False),
            openapi_extra={
                "security": security,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": request_schema(feed, settings.max_records_per_request)}
                    },
                },
            },
        )
        if feed.family in UPLOAD_FAMILIES:
            app.add_api_route(
                f"/v1/uploads/{feed.route}",
                _guarded(door.upload, feed),
                methods=["POST"],
                name=f"upload {feed.name}",
                operation_id=f"upload_{feed.name.replace('.', '_').replace('-', '_')}",
                summary=f"Tải tệp báo cáo {feed.name} — upload a CSV/.xlsx report",
                tags=["uploads"],
                responses=_responses(upload=True),
                openapi_extra={"security": security, "requestBody": _upload_body()},
            )

    @app.get("/health", tags=["health"], summary="Cổng đang chạy — the gateway is up")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {})
            components.setdefault("securitySchemes", {})["ApiKey"] = {
                "type": "apiKey",
                "in": "header",
                "name": KEY_HEADER,
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
