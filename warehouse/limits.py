"""Which URL parameters become settings of the query's session, and the limits no query can lift.

ClickHouse's HTTP interface treats every URL parameter that is not one of its own (query,
database, user, …) or a `param_*` value as a setting. The same is done here, with the engine's
own list of settings deciding what is unknown (refused with UNKNOWN_SETTING, as a server does).

A read-only user's session gets its limits before `SET readonly=1`; from then on chDB refuses to
change any setting, from a `SETTINGS` clause or a `SET` (seen: Code 164 READONLY). A limit sent
in the URL, as Grafana sends `max_execution_time` with every query, is applied when it is lower
and clamped to the user's limit when it is higher or 0 (unlimited), so dashboards keep working
and nothing gets past the limit. (A ClickHouse server with settings constraints refuses such a
value instead; clamping is the friendlier answer for the same guarantee.)
"""

from __future__ import annotations

from collections.abc import Mapping

from warehouse.errors import UNKNOWN_SETTING, ClickHouseError, readonly
from warehouse.users import User

# The HTTP interface's own parameters, never settings (ClickHouse's HTTPHandler reserved names).
INTERFACE_PARAMS = frozenset(
    {
        "query",
        "database",
        "default_format",
        "user",
        "password",
        "quota_key",
        "query_id",
        "session_id",
        "session_timeout",
        "session_check",
        "close_session",
        "stacktrace",
        "role",
        "buffer_size",
        "wait_end_of_query",
        "compress",
        "decompress",
        "client_protocol_version",
    }
)
# Settings that shape the HTTP response, not the query: the front honours or ignores them itself
# (it always waits for the end of the query and sends no progress headers).
HTTP_ONLY_SETTINGS = frozenset(
    {
        "enable_http_compression",
        "send_progress_in_http_headers",
        "cancel_http_readonly_queries_on_client_close",
        "add_http_cors_header",
    }
)
LIMIT_SETTINGS = frozenset({"max_execution_time", "max_memory_usage", "max_result_rows", "max_result_bytes"})
# Read-only sessions keep these as their limits set them: a request may not turn a refused
# overflow into a silently truncated answer, nor leave read-only mode.
LOCKED_SETTINGS = frozenset({"readonly", "result_overflow_mode", "timeout_overflow_mode"})


def is_setting_param(name: str) -> bool:
    """Whether a URL parameter is meant as a setting (everything ClickHouse does not reserve)."""
    return not (
        name in INTERFACE_PARAMS
        or name in HTTP_ONLY_SETTINGS
        or name.startswith("param_")
        or name.startswith("http_")
    )


def clamp(name: str, requested: str, limit: str) -> str:
    """The lower of the requested value and the user's limit; 0 means unlimited, so it is the limit."""
    try:
        value = float(requested)
    except ValueError:
        raise ClickHouseError(
            36, "BAD_ARGUMENTS", f"Cannot parse {requested!r} as the value of {name}"
        ) from None
    ceiling = float(limit)
    return requested if 0 < value <= ceiling else limit


def session_settings(user: User, args: Mapping[str, str], known: frozenset[str]) -> dict[str, str]:
    """The settings to apply to this request's session, in order; for a read-only user they end
    with its limits, which the caller applies before `SET readonly=1`."""
    requested = {name: value for name, value in args.items() if is_setting_param(name)}
    for name in requested:
        if name not in known:
            raise ClickHouseError(UNKNOWN_SETTING, "UNKNOWN_SETTING", f"Unknown setting '{name}'")
    if user.limits is None:
        return requested
    limits = user.limits.as_settings()
    for name, value in requested.items():
        if name in LOCKED_SETTINGS and value != limits.get(name, "1"):
            raise readonly(user.name, f"Cannot modify '{name}' setting in readonly mode")
    # The limits come last, so that no setting applied after them could touch them.
    chosen = {
        name: value
        for name, value in requested.items()
        if name not in LOCKED_SETTINGS and name not in LIMIT_SETTINGS
    }
    for name in sorted(LIMIT_SETTINGS):
        chosen[name] = clamp(name, requested[name], limits[name]) if name in requested else limits[name]
    chosen["result_overflow_mode"] = limits["result_overflow_mode"]
    chosen["timeout_overflow_mode"] = limits["timeout_overflow_mode"]
    return chosen
