"""The daily brief's own SQL: day totals the wall does not show (the wall shows the latest state).

Every query takes the local day as the parameters `{start:DateTime64(3)}` and `{end:DateTime64(3)}`
(UTC instants, end exclusive) and reads only stored rows, so a brief for a past day comes out the
same whenever it is generated. Figures the wall also shows are not here: the brief runs the wall's
own SQL for them (reports/daily.py). Identifiers come from code constants, never from input.
"""

from __future__ import annotations

from streams.model.indicators import (
    ENVIRONMENT_AQI_DAILY,
    ENVIRONMENT_AQI_HOURLY,
    ENVIRONMENT_WATER_ALARM_LEVEL,
    INPUT_HEALTH_CAMERA_ONLINE_RATIO,
    PUBLIC_ORDER_CROWD_LEVEL,
    PUBLIC_SERVICE_DOSSIERS_OVERDUE,
    PUBLIC_SERVICE_DOSSIERS_RECEIVED,
    PUBLIC_SERVICE_DOSSIERS_RESOLVED_LATE,
    PUBLIC_SERVICE_DOSSIERS_RESOLVED_ON_TIME,
    TRAFFIC_CONGESTION_LEVEL,
    TRAFFIC_VIOLATIONS,
    TRAFFIC_VOLUME,
    CongestionLevel,
    CrowdLevel,
)
from wall.levels import INCIDENT_TYPE, VIOLATION_TYPE, vi_names

DAY = "{start:DateTime64(3)}"
DAY_END = "{end:DateTime64(3)}"
IN_DAY = f"window_start >= {DAY} AND window_start < {DAY_END}"

VIOLATIONS_BY_TYPE = f"""
SELECT {vi_names(VIOLATION_TYPE, "replaceOne(indicator, '" + TRAFFIC_VIOLATIONS + ".', '')")} AS name,
       sum(value) AS value
FROM indicators_current
WHERE startsWith(indicator, '{TRAFFIC_VIOLATIONS}.') AND entity_type = 'area' AND {IN_DAY}
GROUP BY name ORDER BY value DESC, name
"""  # noqa: S608 - assembled from code constants, never from input

CONGESTED_INTERSECTIONS = f"""
SELECT if(i.name_vi = '', c.entity_id, i.name_vi) AS name, c.minutes AS value
FROM (
    SELECT entity_id, countIf(ifNull(value, -1) >= {int(CongestionLevel.CONGESTED)}) AS minutes
    FROM indicators_current
    WHERE indicator = '{TRAFFIC_CONGESTION_LEVEL}' AND entity_type = 'intersection' AND {IN_DAY}
      AND dateDiff('second', window_start, window_end) = 60
    GROUP BY entity_id
) AS c
LEFT JOIN dim_intersections_current AS i ON i.id = c.entity_id
WHERE c.minutes > 0
ORDER BY value DESC, name LIMIT 10
"""  # noqa: S608 - assembled from code constants, never from input

SILENT_CAMERAS = f"""
SELECT c.id AS id
FROM dim_cameras_current AS c
LEFT JOIN (
    SELECT DISTINCT entity_id FROM indicators_current
    WHERE indicator = '{TRAFFIC_VOLUME}' AND entity_type = 'camera' AND {IN_DAY}
) AS v ON v.entity_id = c.id
WHERE v.entity_id = ''
ORDER BY id
"""  # noqa: S608 - assembled from code constants, never from input

INCIDENTS_BY_TYPE = f"""
SELECT {vi_names(INCIDENT_TYPE, "incident_type")} AS name, count() AS value
FROM camera_incidents FINAL
WHERE observed_at >= {DAY} AND observed_at < {DAY_END}
GROUP BY name ORDER BY value DESC, name
"""  # noqa: S608 - assembled from code constants, never from input

OVERLOADED_ZONES = f"""
SELECT if(z.name_vi = '', c.entity_id, z.name_vi) AS name, c.minutes AS value
FROM (
    SELECT entity_id, countIf(ifNull(value, -1) >= {int(CrowdLevel.OVERLOADED)}) AS minutes
    FROM indicators_current
    WHERE indicator = '{PUBLIC_ORDER_CROWD_LEVEL}' AND entity_type = 'zone' AND {IN_DAY}
    GROUP BY entity_id
) AS c
LEFT JOIN dim_crowd_zones_current AS z ON z.id = c.entity_id
WHERE c.minutes > 0
ORDER BY value DESC, name LIMIT 10
"""  # noqa: S608 - assembled from code constants, never from input

# The daily VN_AQI window reports the local day and ends where it ends (streams/model/environment.py).
AIR_STATIONS = f"""
SELECT s.id AS id, if(s.name_vi = '', s.id, s.name_vi) AS name,
       d.value AS daily_aqi, d.label AS dominant, h.peak AS peak_hourly_aqi
FROM dim_stations_current AS s
LEFT JOIN (
    SELECT entity_id, argMax(value, window_start) AS value, argMax(label, window_start) AS label
    FROM indicators_current
    WHERE indicator = '{ENVIRONMENT_AQI_DAILY}' AND entity_type = 'station' AND window_end = {DAY_END}
    GROUP BY entity_id
) AS d ON d.entity_id = s.id
LEFT JOIN (
    SELECT entity_id, max(value) AS peak
    FROM indicators_current
    WHERE indicator = '{ENVIRONMENT_AQI_HOURLY}' AND entity_type = 'station' AND {IN_DAY}
    GROUP BY entity_id
) AS h ON h.entity_id = s.id
WHERE s.kind = 'air_quality'
ORDER BY isNull(daily_aqi), daily_aqi DESC, name
"""  # noqa: S608 - assembled from code constants, never from input

WATER_ALARMS = f"""
SELECT if(s.name_vi = '', w.entity_id, s.name_vi) AS name, w.peak AS value
FROM (
    SELECT entity_id, max(value) AS peak
    FROM indicators_current
    WHERE indicator = '{ENVIRONMENT_WATER_ALARM_LEVEL}' AND entity_type = 'station' AND {IN_DAY}
    GROUP BY entity_id
) AS w
LEFT JOIN dim_stations_current AS s ON s.id = w.entity_id
ORDER BY value DESC, name
"""  # noqa: S608 - assembled from code constants, never from input

# Day windows only: they start at local midnight and last one day (the month-to-date ones are longer).
DOSSIERS_BY_DEPARTMENT = f"""
SELECT if(u.name_vi = '', d.entity_id, u.name_vi) AS name, d.received AS received, d.on_time AS on_time,
       d.late AS late, d.overdue AS overdue,
       if(d.on_time + d.late = 0, NULL, 100 * d.on_time / (d.on_time + d.late)) AS on_time_rate
FROM (
    SELECT entity_id,
           sumIf(ifNull(value, 0), indicator = '{PUBLIC_SERVICE_DOSSIERS_RECEIVED}') AS received,
           sumIf(ifNull(value, 0), indicator = '{PUBLIC_SERVICE_DOSSIERS_RESOLVED_ON_TIME}') AS on_time,
           sumIf(ifNull(value, 0), indicator = '{PUBLIC_SERVICE_DOSSIERS_RESOLVED_LATE}') AS late,
           sumIf(ifNull(value, 0), indicator = '{PUBLIC_SERVICE_DOSSIERS_OVERDUE}') AS overdue
    FROM indicators_current
    WHERE entity_type = 'department' AND window_start = {DAY} AND window_end = {DAY_END}
      AND indicator IN ('{PUBLIC_SERVICE_DOSSIERS_RECEIVED}', '{PUBLIC_SERVICE_DOSSIERS_RESOLVED_ON_TIME}',
                        '{PUBLIC_SERVICE_DOSSIERS_RESOLVED_LATE}', '{PUBLIC_SERVICE_DOSSIERS_OVERDUE}')
    GROUP BY entity_id
) AS d
LEFT JOIN dim_reporting_units_current AS u ON u.code = d.entity_id
ORDER BY overdue DESC, received DESC, name
"""  # noqa: S608 - assembled from code constants, never from input

CAMERAS_ONLINE = f"""
SELECT avg(value) AS average, min(value) AS lowest, count() AS minutes
FROM indicators_current
WHERE indicator = '{INPUT_HEALTH_CAMERA_ONLINE_RATIO}' AND entity_type = 'province' AND {IN_DAY}
"""  # noqa: S608 - assembled from code constants, never from input

REJECTED_AND_LATE = f"""
SELECT (SELECT count() FROM dead_letters WHERE rejected_at >= {DAY} AND rejected_at < {DAY_END}) AS rejected,
       (SELECT count() FROM late_events WHERE detected_at >= {DAY} AND detected_at < {DAY_END}) AS late
"""  # noqa: S608 - assembled from code constants, never from input

# Alerts opened in the day, each in its state at the day's end (revisions after it are ignored, so the
# figures do not change when the brief is generated again later), with the units it was routed to
# (whenever the router did it: an alert opened at 23:59 is routed after midnight, and stays that unit's).
ALERTS_BY_UNIT = f"""
SELECT if(r.unit = '', '(chưa định tuyến)', r.unit) AS unit,
       count() AS opened,
       countIf(a.acked IS NOT NULL) AS acknowledged,
       countIf(a.resolved IS NOT NULL) AS resolved,
       avgIf(dateDiff('second', a.opened, a.acked), a.acked IS NOT NULL) / 60 AS ack_avg_min,
       quantileIf(0.5)(dateDiff('second', a.opened, a.acked), a.acked IS NOT NULL) / 60 AS ack_median_min,
       avgIf(dateDiff('second', a.opened, a.resolved), a.resolved IS NOT NULL) / 60 AS resolve_avg_min,
       quantileIf(0.5)(dateDiff('second', a.opened, a.resolved), a.resolved IS NOT NULL) / 60
           AS resolve_median_min
FROM (
    SELECT alert_id, min(opened_at) AS opened,
           argMax(acknowledged_at, revision) AS acked, argMax(resolved_at, revision) AS resolved
    FROM alerts
    WHERE opened_at >= {DAY} AND opened_at < {DAY_END} AND updated_at < {DAY_END}
    GROUP BY alert_id
) AS a
LEFT JOIN (
    SELECT alert_id, arrayJoin(groupUniqArray(unit_code)) AS unit
    FROM notifications
    WHERE action = 'routed' AND unit_code != ''
    GROUP BY alert_id
) AS r ON r.alert_id = a.alert_id
GROUP BY unit ORDER BY opened DESC, unit
"""  # noqa: S608 - assembled from code constants, never from input

ALERTS_BY_SEVERITY = f"""
SELECT severity, count() AS value
FROM (SELECT alert_id, any(severity) AS severity FROM alerts
      WHERE opened_at >= {DAY} AND opened_at < {DAY_END} AND updated_at < {DAY_END} GROUP BY alert_id)
GROUP BY severity
"""  # noqa: S608 - assembled from code constants, never from input

# Hotline (1022) tickets: each ticket's latest update before the day's end.
_TICKETS = f"""(
    SELECT ticket_id, min(reported_at) AS reported, argMax(ticket_status, observed_at) AS status,
           argMax(category, observed_at) AS category,
           minIf(observed_at, ticket_status IN ('resolved', 'closed')) AS first_resolved
    FROM department_hotline_reports FINAL
    WHERE observed_at < {DAY_END}
    GROUP BY ticket_id
)"""  # noqa: S608 - assembled from code constants, never from input
_DONE = "('resolved', 'closed', 'cancelled')"

HOTLINE_BY_CATEGORY = f"""
SELECT if(category = '', '(chưa phân loại)', category) AS name,
       countIf(reported >= {DAY}) AS received,
       countIf(status IN ('resolved', 'closed') AND first_resolved >= {DAY}) AS resolved,
       countIf(status NOT IN {_DONE}) AS open,
       avgIf(dateDiff('second', reported, first_resolved),
             status IN ('resolved', 'closed') AND first_resolved >= {DAY}) / 3600 AS resolve_avg_h
FROM {_TICKETS}
GROUP BY name
HAVING received + resolved + open > 0
ORDER BY received DESC, name
"""  # noqa: S608 - assembled from code constants, never from input
