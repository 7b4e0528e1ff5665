"""What an insert's failure means for its rows, and the dead letter of a row ClickHouse will not store.

An insert fails in one of three ways, and the sink answers each differently (`sink.py`):

- `REFUSED`: ClickHouse, or the client encoding for it, refused the data itself (a constraint, a value
  its column's type cannot hold). Retrying the same rows can never succeed, so the sink splits the
  refused message until each refused row stands alone, stores the others, and dead-letters each refused
  row at once with this reason.
- `WAITS`: the warehouse cannot take any insert now, whatever the rows: unreachable, overloaded, out of
  memory or disk, timed out, read-only, or misconfigured in a way an operator fixes (a wrong password,
  a missing grant, a migration not applied). The sink pauses and retries for as long as it takes,
  which is how nothing accepted is lost while the warehouse is down; dead-lettering here would empty
  whole topics into the dead letters during an outage.
- `UNKNOWN`: anything else (an error code listed in neither set, an unexpected exception while
  encoding). It may be a fault of the moment or a poison message that fails every time; the sink
  retries it `insert_max_tries` times (`IOC_SINK_INSERT_MAX_TRIES`) with backoff, then treats it as a
  refusal of the rows that still fail, so one such message cannot stop its topic for good.

This module is pure (no Kafka, no ClickHouse connection): the sink calls it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date
from enum import Enum
from typing import Any

from clickhouse_connect.driver.exceptions import DatabaseError, DataError, OperationalError, ProgrammingError

# Errors about the rows themselves: CANNOT_PARSE_TEXT, CANNOT_PARSE_INPUT_ASSERTION_FAILED,
# ATTEMPT_TO_READ_AFTER_EOF, CANNOT_PARSE_DATE, CANNOT_PARSE_DATETIME, TYPE_MISMATCH,
# ARGUMENT_OUT_OF_BOUND, CANNOT_CONVERT_TYPE, CANNOT_PARSE_NUMBER, VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE,
# VIOLATED_CONSTRAINT.
REFUSED_CODES = frozenset({6, 27, 32, 38, 41, 53, 69, 70, 72, 321, 469})
# The warehouse cannot take inserts now, whatever the rows (names as `errorCodeToName` gives them):
# UNEXPECTED_END_OF_FILE (a connection cut), NO_SUCH_COLUMN_IN_TABLE, UNKNOWN_TABLE, UNKNOWN_DATABASE
# (a migration not applied), TIMEOUT_EXCEEDED, TOO_SLOW, READONLY, UNKNOWN_USER, WRONG_PASSWORD,
# REQUIRED_PASSWORD, IP_ADDRESS_NOT_ALLOWED, QUOTA_EXCEEDED, TOO_MANY_SIMULTANEOUS_QUERIES,
# NO_FREE_CONNECTION, SOCKET_TIMEOUT, NETWORK_ERROR, NO_ZOOKEEPER, ABORTED, MEMORY_LIMIT_EXCEEDED,
# TABLE_IS_READ_ONLY, NOT_ENOUGH_SPACE, TOO_MANY_PARTS, ALL_CONNECTION_TRIES_FAILED,
# TOO_FEW_LIVE_REPLICAS, UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE, UNKNOWN_STATUS_OF_INSERT,
# QUERY_WAS_CANCELLED, SYSTEM_ERROR, DEADLOCK_AVOIDED, ACCESS_DENIED, AUTHENTICATION_FAILED,
# KEEPER_EXCEPTION, POCO_EXCEPTION.
WAIT_CODES = frozenset(
    {3, 16, 60, 81, 159, 160, 164, 192, 193, 194, 195, 201, 202, 203, 209, 210, 225, 236, 241, 242, 243}
    | {252, 279, 285, 286, 319, 394, 425, 473, 497, 516, 999, 1000}
)
# Python's own refusals of a value while the client encodes a column (`int('x')`, a number too big
# for its column): nothing reached ClickHouse, and the same row always fails the same way.
ENCODING_ERRORS = (DataError, ProgrammingError, ValueError, TypeError, OverflowError)
REASON_MAX_CHARS = 600
_CODE = re.compile(r"Code: (\d+)\. (?:DB::Exception: )?(.*)", re.DOTALL)
_NOISE = (
    re.compile(r"\s*\(for url [^)]*\)"),
    re.compile(r"\s*\(version [^()]*(?:\([^()]*\))?[^()]*\)"),  # "(version 25.8.2.29 (official build))"
    re.compile(r"\s*Stack trace.*", re.DOTALL),
    re.compile(r"\s*\([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\)"),  # a table's uuid
)
_COLUMN = (
    re.compile(r"Column values: `?(\w+)`? ="),  # a violated constraint
    re.compile(r"\bcolumn [`'\"](\w+)[`'\"]", re.IGNORECASE),  # quoted: "column count" is prose
)


class Failure(Enum):
    REFUSED = "refused"
    WAITS = "waits"
    UNKNOWN = "unknown"


def failure_of(exc: BaseException) -> Failure:
    """Which of the three failures `exc` is (see the module's docstring)."""
    code = getattr(exc, "code", None)
    if isinstance(exc, DatabaseError) and code is not None:
        if code in REFUSED_CODES:
            return Failure.REFUSED
        if code in WAIT_CODES:
            return Failure.WAITS
        return Failure.UNKNOWN
    if isinstance(exc, OperationalError | OSError):  # the connection: refused, reset, timed out
        return Failure.WAITS
    if isinstance(exc, ENCODING_ERRORS):
        return Failure.REFUSED
    if isinstance(exc, DatabaseError):  # an HTTP error without a ClickHouse code: a proxy's 502, 503
        return Failure.WAITS
    return Failure.UNKNOWN


def why(exc: BaseException) -> tuple[str, str]:
    """ClickHouse's reason for `exc` (its code and message, without the URL, version, table uuid or
    stack trace, at most `REASON_MAX_CHARS`), and the column it names ('' when it names none)."""
    text = str(exc)
    found = _CODE.search(text)
    if found is not None:
        text = f"code {found.group(1)}: {found.group(2)}"
    elif not isinstance(exc, DatabaseError):
        text = f"the client could not encode the row ({type(exc).__name__}: {text})"
    for noise in _NOISE:
        text = noise.sub("", text)
    text = " ".join(text.split())
    if len(text) > REASON_MAX_CHARS:
        text = text[: REASON_MAX_CHARS - 1] + "…"
    column = next((m.group(1) for pattern in _COLUMN if (m := pattern.search(text)) is not None), "")
    return text, column


def row_payload(columns: Sequence[str], row: Sequence[Any]) -> bytes:
    """The row as UTF-8 JSON, column → value (instants in ISO 8601), readable without the table."""
    return json.dumps(dict(zip(columns, row, strict=False)), default=_jsonable, ensure_ascii=False).encode()


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)  # a Decimal, a UUID: as ClickHouse would print it
