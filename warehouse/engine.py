"""The embedded chDB engine as the HTTP front uses it: one fresh session per request.

chDB keeps settings per connection, and `SET readonly=1` is permanent for a connection, so each
request gets a connection of its own (about half a millisecond to open, seen): its settings,
then, for a read-only user, its limits and `readonly=1`, then its database. Nothing a request
sets can leak into the next one, and the sinks' own connections are never touched.

Every connection is the same engine user (`default` in `system.processes`), so each request's
session carries a tag in `log_comment` (`<user> <query_id>`): it tells the writer, who may read
`system.processes`, whose query is whose, and it is how `cancel` finds a request's query
(`KILL QUERY WHERE Settings['log_comment'] = …`; seen to stop a running query within a block).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import chdb

from warehouse.errors import ClickHouseError
from warehouse.guard import check_statement
from warehouse.quoting import quote_identifier, quote_literal
from warehouse.users import User


@dataclass
class Result:
    """A query's output and what ClickHouse reports about it in `X-ClickHouse-Summary`."""

    data: bytes
    summary: dict[str, str]


def _execute(conn: Any, sql: str, fmt: str = "TabSeparatedRaw", params: dict[str, str] | None = None) -> Any:
    try:
        return conn.query(sql, fmt, params=params) if params else conn.query(sql, fmt)
    except Exception as exc:  # chDB raises its errors as text carrying the ClickHouse code
        raise ClickHouseError.from_engine(exc) from exc


class Session:
    """One request's connection, already configured for its user."""

    def __init__(self, conn: Any, user: User, database: str) -> None:
        self._conn = conn
        self.user = user
        self.database = database

    def check(self, sql: str, params: dict[str, str]) -> None:
        """For a read-only user: refuse what `readonly=1` lets through (see warehouse.guard)."""
        check_statement(
            self.user.name,
            sql,
            params,
            self.database,
            lambda text, values: bytes(_execute(self._conn, text, params=values).bytes()).decode(),
            self.user.may_read,
        )

    def query(self, sql: str, fmt: str, params: dict[str, str]) -> Result:
        """Run a statement; the whole result is returned (a read-only user's size is limited)."""
        result = _execute(self._conn, sql, fmt, params)
        # chDB's rows_read()/bytes_read() count the result's rows (seen with chDB 4.4: 1 for
        # `SELECT sum(number) FROM numbers(1234)`); ClickHouse's read_rows is what storage_* count.
        summary = {
            "read_rows": str(result.storage_rows_read()),
            "read_bytes": str(result.storage_bytes_read()),
            "written_rows": "0",
            "written_bytes": "0",
            "elapsed_ns": str(int(result.elapsed() * 1e9)),
        }
        return Result(bytes(result.bytes()), summary)

    def insert(self, statement: str, fmt: str, data: bytes) -> Result:
        """INSERT with its data in the request body, in any input format chDB reads (Native, the
        binary format clickhouse-connect sends, included): streamed to the engine as they came."""
        try:
            inserter = self._conn.send_insert(statement, fmt)
            inserter.append(data)
            written = inserter.finish()
        except Exception as exc:
            raise ClickHouseError.from_engine(exc) from exc
        summary = {
            "read_rows": "0",
            "read_bytes": "0",
            "written_rows": str(written.rows_written),
            "written_bytes": str(written.bytes_written),
            "elapsed_ns": str(int(written.elapsed * 1e9)),
        }
        return Result(b"", summary)


class Engine:
    """The warehouse's data folder, opened once by this process."""

    def __init__(self, path: str) -> None:
        self.path = path
        # chDB shuts the engine down when its last connection closes; this one keeps it up.
        self._anchor = chdb.connect(path)
        names = bytes(_execute(self._anchor, "SELECT name FROM system.settings").bytes())
        self.known_settings = frozenset(names.decode().split())
        self.timezone = bytes(_execute(self._anchor, "SELECT timezone()").bytes()).decode().strip()

    @contextmanager
    def session(self, user: User, settings: dict[str, str], database: str, tag: str) -> Iterator[Session]:
        """A connection with the request's settings and tag, read-only from the start for read-only
        users."""
        conn = chdb.connect(self.path)
        try:
            for name, value in (settings | {"log_comment": tag}).items():
                _execute(conn, f"SET {name} = {quote_literal(value)}")
            if user.readonly:
                _execute(conn, "SET readonly = 1")
            _execute(conn, f"USE {quote_identifier(database)}")
            yield Session(conn, user, database)
        finally:
            conn.close()

    def cancel(self, tag: str) -> None:
        """Stop the query of the session tagged `tag`, if it runs (on a connection of its own: the
        request's is blocked in that query)."""
        conn = chdb.connect(self.path)
        try:
            _execute(conn, f"KILL QUERY WHERE Settings['log_comment'] = {quote_literal(tag)} ASYNC")
        finally:
            conn.close()
