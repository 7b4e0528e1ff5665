"""Bảng cảnh báo: every alert not yet resolved, most severe first, with counts by severity on top."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from wall.frame import HEADER_HEIGHT, screen
from wall.levels import ALERT_CATEGORY, ALERT_STATE, CAP_SEVERITY, vi_names
from wall.panels import big_stat, board, value_texts
from wall.sql import pipeline_age

UID = "ioc-wall-alerts"
Y = HEADER_HEIGHT
BOARD_PANEL_TITLE = "Cảnh báo chưa kết thúc"
PIPELINE_MAX_AGE_S = 600
SEVERITY_RANK = "indexOf(['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown'], severity)"


def count_sql(severity: str) -> str:
    return f"""
SELECT if(age IS NULL OR age > {PIPELINE_MAX_AGE_S}, NULL, open_alerts) AS value, age AS data_age_s
FROM (
    SELECT countIf(state != 'resolved' AND severity = '{severity}') AS open_alerts, {pipeline_age()} AS age
    FROM alerts_current
)
"""  # noqa: S608 - assembled from code constants, never from input


def board_sql() -> str:
    """Open, updated and acknowledged alerts, with who took each one and when (so the room sees an
    alert is in hand); kept on screen even if the pipeline goes quiet, with the age column turning
    red so nobody mistakes them for current."""
    return f"""
SELECT formatDateTime(opened_at, '%H:%i %d/%m', 'Asia/Ho_Chi_Minh') AS `Mở lúc`,
       severity AS `Mức độ`,
       {vi_names(ALERT_CATEGORY, "category")} AS `Lĩnh vực`,
       area_desc AS `Địa bàn`,
       headline_vi AS `Nội dung`,
       state AS `Trạng thái`,
       if(acknowledged_by = '', '',
          concat(acknowledged_by, ' · ', formatDateTime(acknowledged_at, '%H:%i', 'Asia/Ho_Chi_Minh')))
           AS `Người tiếp nhận`,
       {pipeline_age()} AS data_age_s
FROM alerts_current
WHERE state != 'resolved'
ORDER BY {SEVERITY_RANK}, opened_at DESC
LIMIT 40
"""  # noqa: S608 - assembled from code constants, never from input


def build() -> dashboard.Dashboard:
    """The alerts board."""
    screen_dashboard = screen(UID, "Bảng cảnh báo", "Cảnh báo đang mở theo mức độ nghiêm trọng.")
    for index, severity in enumerate(("Extreme", "Severe", "Moderate", "Minor")):
        name, color = CAP_SEVERITY[severity]
        screen_dashboard.with_panel(
            big_stat(
                name,
                count_sql(severity),
                unit="suffix: cảnh báo",
                steps=((None, "green"), (1, color)),
                pos=(index * 6, Y, 6, 6),
                decimals=0,
            )
        )
    return screen_dashboard.with_panel(
        board(
            BOARD_PANEL_TITLE,
            board_sql(),
            pos=(0, Y + 6, 24, 22),
            max_age_s=PIPELINE_MAX_AGE_S,
            column_mappings={"Mức độ": [value_texts(CAP_SEVERITY)], "Trạng thái": [value_texts(ALERT_STATE)]},
        )
    )
