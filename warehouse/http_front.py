"""ClickHouse's HTTP interface in front of the embedded chDB engine, on loopback.

The part clients use, so that clickhouse-connect's HTTP client, Grafana's ClickHouse data source
(the Go driver) and tools like DBeaver connect to the embedded warehouse as to a server: `/ping`;
queries by GET (`?query=`) or POST (body, after any `query` parameter, as ClickHouse reads them);
INSERT with its data in the body (any input format, Native included); `FORMAT` and
`default_format`; `database`; `param_<name>` query parameters; settings as URL parameters;
`query_id` (echoed) and `session_id` (accepted; each request is its own session, so `SET` and
temporary tables do not carry over); gzip/deflate/lz4 compression of the request body and, with
`enable_http_compression=1`, of the response; ClickHouse's own block compression (`compress=1`,
`decompress=1`: the JDBC driver, and so DBeaver, use it by default; warehouse.blocks); Native blocks
of the revision given by `client_protocol_version`; errors with ClickHouse's codes, texts and HTTP
statuses.

Every request but `/ping` and a bare `GET /` is authenticated (warehouse.auth); read-only users
get a read-only session with their limits (warehouse.limits), the system tables a server would
show them (warehouse.visibility), a check of their statement (warehouse.guard) and at most their
number of queries at once (warehouse.admission). A query of a read-only session (a reader's, or
any user's GET) is killed when its client disconnects (warehouse.disconnect), as a server does
with `cancel_http_readonly_queries_on_client_close`. Every request but `/ping` is recorded in the
audit log of queries (warehouse.audit), refused logins included. Not served: external data
(multipart bodies), sessions that keep state: each is refused with a ClickHouse error, never
answered with a 200 that did nothing.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from warehouse import native
from warehouse.admission import RunningQueries
from warehouse.audit import AuditEntry, AuditLog, audit_unavailable
from warehouse.auth import authenticate, request_credentials
from warehouse.blocks import compress_blocks, decompress_blocks
from warehouse.disconnect import cancel_on_disconnect
from warehouse.engine import Engine, Result
from warehouse.errors import SYNTAX_ERROR, ClickHouseError, access_denied, not_implemented, readonly
from warehouse.guard import METADATA_DATABASES
from warehouse.limits import session_settings
from warehouse.protocol import (
    Statement,
    content_type,
    decode_body,
    encode_body,
    output_format,
    query_parameters,
    response_encoding,
    statement,
)
from warehouse.users import User
from warehouse.visibility import filters_setting

DEFAULT_FORMAT = "TabSeparated"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Front:
    """What every request needs: the engine, the users, the platform's database (the default
    database, and the only one besides `system` that read-only users may read), the count of each
    user's running queries, and the audit log (None only in tests of the protocol)."""

    engine: Engine
    users: Mapping[str, User]
    database: str
    # By name only: a caller that passed them by position once put the audit log in `running`.
    running: RunningQueries = field(default_factory=RunningQueries, kw_only=True)
    audit: AuditLog | None = field(default=None, kw_only=True)


def answer(
    front: Front,
    user: User,
    args: Mapping[str, str],
    request: Statement,
    is_get: bool,
    query_id: str,
    client: socket.socket | None,
) -> tuple[Result, str]:
    """Run one authenticated request, as `statement()` read it; its result (Native still in chDB's
    revision) and format. `client` is the connection watched for a disconnect while a read-only
    query runs."""
    fmt = output_format(request.sql, args.get("default_format") or DEFAULT_FORMAT)
    if not request.sql.strip():
        raise ClickHouseError(SYNTAX_ERROR, "SYNTAX_ERROR", "Empty query")
    database = args.get("database") or front.database
    if user.readonly and database != front.database and database.lower() not in METADATA_DATABASES:
        raise access_denied(user.name, f"{user.name} reads only the databases {front.database} and system")
    if user.readonly and request.data is not None:
        raise readonly(user.name)
    settings = session_settings(user, args, front.engine.known_settings)
    if user.readonly:
        settings["additional_table_filters"] = filters_setting(front.database)
    elif is_get:
        settings["readonly"] = "2"  # as a ClickHouse server does: GET never writes
    params = query_parameters(args)
    tag = f"{user.name} {query_id}"
    limit = user.limits.max_concurrent_queries if user.limits else 0
    with (
        front.running.admit(user.name, limit),
        front.engine.session(user, settings, database, tag) as session,
    ):
        if request.data is not None:
            return session.insert(request.sql, request.data_format, request.data), fmt
        if user.readonly:
            session.check(request.sql, params)
        if client is None or not (user.readonly or is_get):
            return session.query(request.sql, fmt, params), fmt
        with cancel_on_disconnect(client, lambda: front.engine.cancel(tag)):
            return session.query(request.sql, fmt, params), fmt


def make_handler(front: Front) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to the front."""

    class ClickHouseHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ioc-warehouse"
        # The headers and the body go out in two writes: with Nagle's algorithm the body waits for
        # the client's delayed ACK of the headers, about 40 ms on every request of a kept-alive
        # connection (seen: ten /ping took 0.42 s; clickhouse-connect and Grafana keep connections).
        disable_nagle_algorithm = True
        timeout = 600  # an idle keep-alive connection gives its thread back after this

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            """Quiet: per-request lines would drown the warehouse log."""

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            self._handle(is_get=True)

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            self._handle(is_get=False)

        def _handle(self, is_get: bool) -> None:
            url = urlparse(self.path)
            args = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            if url.path.rstrip("/") == "/ping" or (is_get and "query" not in args):
                self._reply(200, b"Ok.\n", "text/html; charset=UTF-8")
                return
            started = time.monotonic()
            credentials = request_credentials(self.headers, args)
            query_id = args.get("query_id") or str(uuid.uuid4())
            try:
                user = authenticate(front.users, credentials)
            except ClickHouseError as error:
                log.warning("refused %s from %s: %s", error.name, self.client_address[0], error.message)
                self.close_connection = True  # its body, if any, is left unread
                self._error(error, "")
                self._audit(
                    AuditEntry.start(credentials.user, "", self.client_address[0], query_id),
                    {},
                    error,
                    started,
                )
                return
            entry = AuditEntry.start(user.name, user.role_name, self.client_address[0], query_id)
            summary: dict[str, str] = {}
            failure: ClickHouseError | None = None
            try:
                summary = self._answer(user, args, is_get, query_id, entry)
            except ClickHouseError as error:
                failure = error
                self._error(error, query_id)
            except Exception as exc:  # a bug must still answer as ClickHouse would, and be logged
                log.exception("request failed")
                failure = ClickHouseError(1001, "STD_EXCEPTION", str(exc))
                self._error(failure, query_id)
            self._audit(entry, summary, failure, started)

        def _audit(
            self, entry: AuditEntry, summary: dict[str, str], error: ClickHouseError | None, started: float
        ) -> None:
            if front.audit is not None:
                entry.finish(summary, error, time.monotonic() - started)
                front.audit.record(entry)

        def _answer(
            self, user: User, args: dict[str, str], is_get: bool, query_id: str, entry: AuditEntry
        ) -> dict[str, str]:
            """Answer the request; returns the query's summary. The statement goes into `entry`
            before the query runs, so that a refused one is recorded with its text."""
            raw = self._read_body()  # first, so that a refusal leaves the connection usable
            if self.headers.get("Content-Type", "").startswith("multipart/"):
                raise not_implemented("external data (multipart/form-data)")
            body = decode_body(raw, self.headers.get("Content-Encoding", ""))
            if args.get("decompress") == "1":
                body = decompress_blocks(body)
            request = statement(args.get("query", ""), body)
            entry.query = request.sql
            entry.parameters = query_parameters(args)
            if front.audit is not None and front.audit.full:
                raise audit_unavailable()
            for param, header in (
                ("database", "X-ClickHouse-Database"),
                ("default_format", "X-ClickHouse-Format"),
            ):
                if not args.get(param) and self.headers.get(header):
                    args[param] = self.headers[header]
            result, fmt = answer(front, user, args, request, is_get, query_id, self.connection)
            data = result.data
            revision = args.get("client_protocol_version", "0")
            if fmt == "Native" and revision.isdigit():
                data = native.rewrite(data, int(revision))
            headers = {
                "X-ClickHouse-Format": fmt,
                "X-ClickHouse-Query-Id": query_id,
                "X-ClickHouse-Timezone": front.engine.timezone,
                "X-ClickHouse-Summary": json.dumps(result.summary),
            }
            if args.get("compress") == "1":
                data = compress_blocks(data)
            encoding = response_encoding(self.headers.get("Accept-Encoding", ""))
            if args.get("enable_http_compression") == "1" and encoding and data:
                data = encode_body(data, encoding)
                headers["Content-Encoding"] = encoding
            self._reply(200, data, content_type(fmt), headers)
            return result.summary

        def _read_body(self) -> bytes:
            """The body by Content-Length, or chunk by chunk (clickhouse-connect streams inserts)."""
            if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""
            chunks = []
            while size := int(self.rfile.readline(65537).split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)

        def _error(self, error: ClickHouseError, query_id: str) -> None:
            headers = {"X-ClickHouse-Exception-Code": str(error.code)}
            if query_id:
                headers["X-ClickHouse-Query-Id"] = query_id
            if error.status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="ClickHouse"'
            self._reply(error.status, error.body(), "text/plain; charset=UTF-8", headers)

        def _reply(
            self, status: int, body: bytes, media_type: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            try:
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client left: its query was cancelled
                self.close_connection = True

    return ClickHouseHandler


def serve(front: Front, port: int) -> ThreadingHTTPServer:
    """Start serving on 127.0.0.1:port in a background thread; call `shutdown()` to stop."""
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(front))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="clickhouse-http", daemon=True).start()
    return server
