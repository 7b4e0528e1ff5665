"""ClickHouse's errors as its HTTP interface reports them.

Clients (clickhouse-connect, the Go driver behind Grafana, JDBC) read the code from the
`X-ClickHouse-Exception-Code` header and show the `Code: N. DB::Exception: … (NAME)` body, so the
front answers every refusal, its own or the engine's, in that shape and with the HTTP status a
ClickHouse server would use for that code.
"""

from __future__ import annotations

import re

ENGINE_CODE = re.compile(r"Code: (\d+)\.")
ENGINE_NAME = re.compile(r"\(([A-Z][A-Z0-9_]+)\)(?:\s*\(version [^)]*\))?\.?\s*$")

UNKNOWN_SETTING = 115
READONLY = 164
NOT_IMPLEMENTED = 48
SYNTAX_ERROR = 62
ACCESS_DENIED = 497
AUTHENTICATION_FAILED = 516
UNKNOWN_FORMAT = 73

# The statuses ClickHouse gives these codes (its src/Server/HTTP/exceptionCodeToHTTPStatus.cpp,
# the codes this front meets); every other code, READONLY included, is a 500 there too.
HTTP_STATUS = {
    AUTHENTICATION_FAILED: 403,
    ACCESS_DENIED: 403,
    SYNTAX_ERROR: 400,
    36: 400,  # BAD_ARGUMENTS
    27: 400,  # CANNOT_PARSE_INPUT_ASSERTION_FAILED
    117: 400,  # INCORRECT_DATA
    53: 400,  # TYPE_MISMATCH
    60: 404,  # UNKNOWN_TABLE
    81: 404,  # UNKNOWN_DATABASE
    46: 404,  # UNKNOWN_FUNCTION
    47: 404,  # UNKNOWN_IDENTIFIER
    UNKNOWN_SETTING: 404,
    UNKNOWN_FORMAT: 404,
    NOT_IMPLEMENTED: 501,
    159: 408,  # TIMEOUT_EXCEEDED
}


class ClickHouseError(Exception):
    """A refusal with ClickHouse's code and name, rendered as a ClickHouse server renders it."""

    def __init__(self, code: int, name: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.name = name
        self.message = message
        self.status = status or HTTP_STATUS.get(code, 500)

    def body(self) -> bytes:
        """The response body: the engine's own text when it came from the engine."""
        text = self.message if self.message.startswith("Code: ") else self._formatted()
        return (text.rstrip() + "\n").encode()

    def _formatted(self) -> str:
        return f"Code: {self.code}. DB::Exception: {self.message}. ({self.name})"

    @classmethod
    def from_engine(cls, exc: Exception) -> ClickHouseError:
        """chDB raises its errors as text; the code and name are read back from it."""
        text = str(exc).strip()
        code = ENGINE_CODE.search(text)
        name = ENGINE_NAME.search(text)
        if not code:
            return cls(1001, "STD_EXCEPTION", text)
        # chDB's Python layer may prefix its own words ("Streaming insert finish failed: …").
        return cls(int(code.group(1)), name.group(1) if name else "", text[code.start() :])


def authentication_failed(user: str) -> ClickHouseError:
    """ClickHouse's wording, which never says whether the user or the password was wrong."""
    return ClickHouseError(
        AUTHENTICATION_FAILED,
        "AUTHENTICATION_FAILED",
        f"{user}: Authentication failed: password is incorrect, or there is no user with such name",
    )


def readonly(user: str, what: str = "Cannot execute query in readonly mode") -> ClickHouseError:
    """The engine's own wording for a refused write, so both sources of refusal read the same."""
    return ClickHouseError(READONLY, "READONLY", f"{user}: {what}")


def access_denied(user: str, what: str) -> ClickHouseError:
    """A read that this user may not do (restricted tables, files, other databases)."""
    return ClickHouseError(ACCESS_DENIED, "ACCESS_DENIED", f"{user}: Not enough privileges: {what}")


def not_implemented(what: str) -> ClickHouseError:
    """Something a ClickHouse server does that the embedded front does not: refused, never faked."""
    return ClickHouseError(
        NOT_IMPLEMENTED, "NOT_IMPLEMENTED", f"the embedded warehouse does not support {what}"
    )
