"""A panel's data as Grafana would fetch it: the panel's own SQL from the generated dashboard JSON,
the plugin's macros expanded by `wall.macros` for the dashboard's time range, run on the warehouse's
HTTP interface as the read-only `grafana` user.

The browser never sends SQL: it names a dashboard and a panel, and the SQL comes from the dashboard.
Results go to the page as JSON: times as Unix milliseconds (UTC; the page shows them in Vietnam
time), numbers as numbers, NULL as null, everything else as text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from ioc.endpoints import Endpoints
from ioc.settings import Settings
from wall.macros import TimeRange, expand
from warehouse.users import password_for

WALL_USER = "grafana"
Json = dict[str, Any]
_RELATIVE = re.compile(r"^now-(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class PanelNotFoundError(LookupError):
    """No such dashboard or panel (a stale link, or a typo in a screen's address)."""


@dataclass(frozen=True)
class Frame:
    """One panel's query result: column names, their ClickHouse types, and the rows."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]

    def column(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def to_json(self) -> Json:
        return {
            "columns": self.columns,
            "types": self.types,
            "rows": [[_json_value(value) for value in row] for row in self.rows],
        }


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp() * 1000)
    return str(value)


def dashboard_range(dashboard: Json, now: datetime | None = None) -> TimeRange:
    """The dashboard's `time` (the wall's are all `now-<n><unit>` to `now`) as a range ending now."""
    start, end = dashboard["time"]["from"], dashboard["time"]["to"]
    match = _RELATIVE.match(start)
    if match is None or end != "now":
        raise ValueError(f"dashboard {dashboard['uid']}: time {start}..{end} is not now-<n><unit>..now")
    return TimeRange.last(timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}), now=now)


def panel_sql(dashboard: Json, panel_id: int) -> str:
    """The raw (unexpanded) SQL of the dashboard's panel with this id."""
    for panel in dashboard["panels"]:
        if panel["id"] == panel_id:
            return str(panel["targets"][0]["rawSql"])
    raise PanelNotFoundError(f"dashboard {dashboard['uid']} has no panel {panel_id}")


def wall_client(settings: Settings, endpoints: Endpoints) -> Client:
    """clickhouse-connect on the warehouse's HTTP interface as `grafana`, whatever user the
    configured address carries (a server's `CLICKHOUSE_URL` names the writer). No session, so one
    client serves the panels' queries from several threads at once."""
    parts = urlsplit(endpoints.clickhouse)
    netloc = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return clickhouse_connect.get_client(
        dsn=urlunsplit((parts.scheme, netloc, parts.path, "", "")),
        username=WALL_USER,
        password=password_for(settings, WALL_USER),
        database=settings.clickhouse.database,
        autogenerate_session_id=False,
    )


def run_panel(client: Client, dashboard: Json, panel_id: int, now: datetime | None = None) -> Frame:
    """The panel's SQL, expanded for the dashboard's range ending `now`, run as the wall's user."""
    sql = expand(panel_sql(dashboard, panel_id), dashboard_range(dashboard, now))
    result = client.query(sql)
    return Frame(list(result.column_names), [t.name for t in result.column_types], list(result.result_rows))
