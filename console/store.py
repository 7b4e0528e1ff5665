"""What the console reads from the warehouse: the open alerts, one alert's history, incidents'
evidence links and the search of past alerts.

Alerts and their audit trail are read as `grafana`, the wall's read-only login, whose limits suit
short queries made every few seconds. An incident's evidence link is kept in
`restricted_camera_incidents`, which only the platform's writer login may read (migration 100); the
console reads it with that login for the roles console.roles allows, and audits each showing. A
client that failed is dropped and made again on the next call, so the console keeps working (and
says so) while the warehouse restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from clickhouse_connect.driver.client import Client

log = logging.getLogger(__name__)

Row = dict[str, Any]
SEVERITY_ORDER = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
SEARCH_LIMIT = 200

# Open alerts, the most severe and oldest first, with the highest escalation level reached and the
# last acknowledgement the router recorded (alerts_current carries it once the alert is updated).
OPEN_SQL = """
SELECT a.alert_id AS alert_id, a.severity AS severity, a.area_code AS area_code, a.area_desc AS area_desc,
       a.category AS category, a.headline_vi AS headline_vi, a.state AS state, a.opened_at AS opened_at,
       a.updated_at AS updated_at, a.entity_id AS entity_id,
       if(a.acknowledged_by != '', a.acknowledged_by, n.acked_by) AS acknowledged_by,
       if(n.alert_id = '', -1, n.level) AS level
FROM alerts_current AS a
LEFT JOIN (
    SELECT alert_id, maxIf(level, action IN ('routed', 'escalated')) AS level,
           argMaxIf(officer_id, occurred_at, action = 'acknowledged') AS acked_by
    FROM notifications
    WHERE alert_id IN (SELECT alert_id FROM alerts_current WHERE state != 'resolved')
    GROUP BY alert_id
) AS n ON n.alert_id = a.alert_id
WHERE a.state != 'resolved' AND a.msg_type != 'Cancel'
ORDER BY indexOf({order:Array(String)}, a.severity), a.opened_at
LIMIT 1000
"""
CURRENT_SQL = "SELECT * FROM alerts_current WHERE alert_id = {id:String}"
REVISIONS_SQL = """
SELECT revision, msg_type, state, severity, updated_at, acknowledged_by, headline_vi, description_vi
FROM alerts FINAL WHERE alert_id = {id:String} ORDER BY revision
"""
TRAIL_SQL = """
SELECT occurred_at, action, unit_code, officer_id, level, channel, kind, attempt, detail
FROM notifications FINAL WHERE alert_id = {id:String} ORDER BY occurred_at, event_id
"""
EVIDENCE_SQL = """
SELECT observed_at, incident_type, evidence_ref FROM restricted_camera_incidents FINAL
WHERE camera_id = {camera:String} AND evidence_ref != ''
  AND observed_at >= {start:DateTime64(3, 'UTC')} AND observed_at <= {end:DateTime64(3, 'UTC')}
ORDER BY observed_at LIMIT 20
"""
SEARCH_SQL = """
SELECT alert_id, severity, area_code, area_desc, category, entity_id, headline_vi, state, opened_at,
       resolved_at, acknowledged_by
FROM alerts_current
"""


class WarehouseDownError(RuntimeError):
    """The warehouse did not answer; the message is shown to the person as it is (Vietnamese)."""


def utc(value: datetime | None) -> datetime | None:
    """A warehouse time as an aware UTC datetime (clickhouse-connect may hand back naive ones)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _param(value: datetime) -> datetime:
    """A time as a query parameter: naive UTC, as the DateTime64(3, 'UTC') parameters read it."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


class _Lazy:
    """A client made on first use and made again after a failure."""

    def __init__(self, connect: Callable[[], Client]) -> None:
        self._connect = connect
        self._client: Client | None = None

    def rows(self, sql: str, parameters: dict[str, Any]) -> list[Row]:
        try:
            if self._client is None:
                self._client = self._connect()
            result = self._client.query(sql, parameters=parameters)
        except Exception as error:  # connection refused, a restart in progress: say so, try again later
            self._client = None
            log.warning("warehouse query failed: %s", error)
            raise WarehouseDownError(
                "Kho dữ liệu không trả lời; bảng điều hành đang thử kết nối lại."
            ) from error
        return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


class AlertStore:
    """Reads through the reader login, and the writer login for evidence links only."""

    def __init__(self, reader: Callable[[], Client], writer: Callable[[], Client]) -> None:
        self._reader, self._writer = _Lazy(reader), _Lazy(writer)

    def open_alerts(self) -> list[Row]:
        return self._reader.rows(OPEN_SQL, {"order": list(SEVERITY_ORDER)})

    def alert(self, alert_id: str) -> Row | None:
        rows = self._reader.rows(CURRENT_SQL, {"id": alert_id})
        return rows[0] if rows else None

    def revisions(self, alert_id: str) -> list[Row]:
        return self._reader.rows(REVISIONS_SQL, {"id": alert_id})

    def trail(self, alert_id: str) -> list[Row]:
        return self._reader.rows(TRAIL_SQL, {"id": alert_id})

    def evidence(self, alert: Row) -> list[Row]:
        """The vendor's evidence links of the camera incidents behind an alert on a camera."""
        if alert.get("entity_type") != "camera":
            return []
        start = utc(alert["opened_at"]) or datetime.now(UTC)
        end = utc(alert.get("resolved_at")) or datetime.now(UTC)
        parameters = {"camera": alert["entity_id"], "start": _param(start), "end": _param(end)}
        return self._writer.rows(EVIDENCE_SQL, parameters)

    def search(
        self,
        *,
        areas: Sequence[str] = (),
        category: str = "",
        severity: str = "",
        entity: str = "",
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Row]:
        """Past and present alerts (their latest state) matching every given criterion, newest first."""
        where: list[str] = ["1"]
        parameters: dict[str, Any] = {}
        if areas:
            where.append("area_code IN {areas:Array(String)}")
            parameters["areas"] = list(areas)
        for column, value in (("category", category), ("severity", severity)):
            if value:
                where.append(f"{column} = {{{column}:String}}")
                parameters[column] = value
        if entity:
            where.append("positionCaseInsensitiveUTF8(entity_id, {entity:String}) > 0")
            parameters["entity"] = entity
        if since is not None:
            where.append("opened_at >= {since:DateTime64(3, 'UTC')}")
            parameters["since"] = _param(since)
        if until is not None:
            where.append("opened_at < {until:DateTime64(3, 'UTC')}")
            parameters["until"] = _param(until)
        # The conditions are code; every value is a bound parameter.
        conditions = " AND ".join(where)
        sql = f"{SEARCH_SQL} WHERE {conditions} ORDER BY opened_at DESC LIMIT {SEARCH_LIMIT}"  # noqa: S608
        return self._reader.rows(sql, parameters)
