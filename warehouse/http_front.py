"""ClickHouse's HTTP interface in front of the embedded chDB engine.

The part clients use: `/ping`; queries by GET (`?query=`) or POST (body, after any `query`
parameter, as ClickHouse concatenates them); `default_format`; `database`; `param_<name>` query
parameters; errors as HTTP 500 with ClickHouse's `Code: N. DB::Exception: …` text and the
`X-ClickHouse-Exception-Code` header. Each server thread has its own chDB connection on the same
path, which chDB runs on one shared engine.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import chdb

ERROR_CODE = re.compile(r"Code: (\d+)\.")
DEFAULT_FORMAT = "TabSeparated"


class EngineConnections:
    """One chDB connection per thread, all on the warehouse's data folder."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()

    def get(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = chdb.connect(self.path)
            self._local.conn = conn
            self._local.database = ""
        return conn

    def query(self, sql: str, fmt: str, params: dict[str, str], database: str) -> bytes:
        conn = self.get()
        if database and database != self._local.database:
            conn.query(f"USE {quote_identifier(database)}")
            self._local.database = database
        result = conn.query(sql, fmt, params=params) if params else conn.query(sql, fmt)
        return bytes(result.bytes())


def quote_identifier(name: str) -> str:
    """A backquoted identifier, so a database name from a URL cannot inject SQL."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def make_handler(engine: EngineConnections) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to the engine."""

    class ClickHouseHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ioc-warehouse"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            """Quiet: per-request lines would drown the warehouse log."""

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            url = urlparse(self.path)
            if url.path in ("/ping", "/ping/"):
                self._reply(200, b"Ok.\n")
                return
            self._run(parse_qs(url.query), b"")

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            self._run(parse_qs(urlparse(self.path).query), body)

        def _run(self, query_string: dict[str, list[str]], body: bytes) -> None:
            args = {k: v[-1] for k, v in query_string.items()}
            if args.get("query") and body:
                # ClickHouse reads such a body as the INSERT's data. chDB cannot take it that way, and
                # gluing it to the query text would store nothing while answering 200: refuse clearly.
                message = (
                    "Code: 48. DB::Exception: the embedded warehouse does not take INSERT data in the "
                    "request body; send INSERT ... VALUES in the query text. (NOT_IMPLEMENTED)\n"
                )
                self._reply(501, message.encode(), {"X-ClickHouse-Exception-Code": "48"})
                return
            sql = " ".join(
                part for part in (args.get("query", ""), body.decode("utf-8", "replace")) if part
            ).strip()
            if not sql:
                self._reply(200, b"Ok.\n")
                return
            params = {k.removeprefix("param_"): v for k, v in args.items() if k.startswith("param_")}
            try:
                out = engine.query(
                    sql, args.get("default_format", DEFAULT_FORMAT), params, args.get("database", "")
                )
            except Exception as exc:
                message = str(exc)
                match = ERROR_CODE.search(message)
                code = match.group(1) if match else "1000"
                self._reply(500, (message.rstrip() + "\n").encode(), {"X-ClickHouse-Exception-Code": code})
                return
            self._reply(200, out)

        def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    return ClickHouseHandler


def serve(engine: EngineConnections, port: int) -> ThreadingHTTPServer:
    """Start serving on 127.0.0.1:port in a background thread; call `shutdown()` to stop."""
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(engine))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="clickhouse-http", daemon=True).start()
    return server
