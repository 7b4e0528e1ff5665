"""Which URL parameters become settings of the query's session, and the limits no query can lift.

ClickHouse's HTTP interface treats every URL parameter that is not one of its own (query,
database, user, …) or a `param_*` value as a setting. The same is done here, with the engine's
own list of settings deciding what is unknown (refused with UNKNOWN_SETTING, as a server does).

A read-only user may change only the settings of an allow-list: how results are formatted and a
few that change no cost (`READER_SETTINGS`), and its limits (`LIMIT_SETTINGS`), which a request
may lower but never raise. Anything else, `allow_introspection_functions` for one, is refused
with the engine's own READONLY wording, which names the setting; sending a setting at the value
the reader has anyway is accepted, as clients send some out of habit.

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
LIMIT_SETTINGS = frozenset(
    {
        "max_execution_time",
        "max_memory_usage",
        "max_result_rows",
        "max_result_bytes",
        "max_rows_to_read",
        "max_bytes_to_read",
        "max_threads",
    }
)
# Enforced by the front, not the engine: in chDB every connection is the same engine user, so the
# engine's own per-user count would add the writer's inserts to a reader's queries.
FRONT_SETTINGS = frozenset({"max_concurrent_queries_for_user"})
# What a reader may set to any value: the shape of its answer, never its cost or its rights. The
# file-naming format settings (format_schema, format_template_*, output_format_schema) are left
# out on purpose: they read or write files.
READER_SETTINGS = frozenset(
    {
        "date_time_input_format",
        "date_time_output_format",
        "session_timezone",
        "extremes",
        "join_use_nulls",
        "aggregate_functions_null_for_empty",
        "union_default_mode",
        "output_format_arrow_string_as_string",
        "output_format_decimal_trailing_zeros",
        "output_format_json_quote_64bit_integers",
        "output_format_json_quote_64bit_floats",
        "output_format_json_quote_decimals",
        "output_format_json_quote_denormals",
        "output_format_json_named_tuples_as_objects",
        "output_format_write_statistics",
        "output_format_csv_crlf_end_of_line",
        "output_format_tsv_crlf_end_of_line",
        "output_format_pretty_color",
        "output_format_pretty_grid_charset",
        "output_format_pretty_max_rows",
        "format_csv_delimiter",
        "format_csv_null_representation",
        "format_tsv_null_representation",
    }
)


def is_setting_param(name: str) -> bool:
    """Whether a URL parameter is meant as a setting (everything ClickHouse does not reserve)."""
    return not (
        name in INTERFACE_PARAMS
        or name in HTTP_ONLY_SETTINGS
        or name.startswith("param_")
        or name.startswith("http_")
    )


def clamp(name: str, requested: str, limit: str) -> str:
    """The lower of the requested value and the user's limit; 0 means unlimited on either side."""
    try:
        value = float(requested)
    except ValueError:
        raise ClickHouseError(
            36, "BAD_ARGUMENTS", f"Cannot parse {requested!r} as the value of {name}"
        ) from None
    ceiling = float(limit)
    return requested if 0 < value and (value <= ceiling or ceiling == 0) else limit


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
    fixed = limits | {"readonly": "1"}
    for name, value in requested.items():
        if name not in READER_SETTINGS and name not in LIMIT_SETTINGS and value != fixed.get(name):
            raise readonly(user.name, f"Cannot modify '{name}' setting in readonly mode")
    # The limits come last, so that no setting applied after them could touch them.
    chosen = {name: value for name, value in requested.items() if name in READER_SETTINGS}
    for name, value in limits.items():
        if name in FRONT_SETTINGS:
            continue
        lowered = name in LIMIT_SETTINGS and name in requested
        chosen[name] = clamp(name, requested[name], value) if lowered else value
    return chosen
