"""The frame every wall screen shares: dark theme, Vietnam time, 10 s refresh, and a header row
with the screen's heartbeat and the age of the newest data, so a frozen display or a stopped
pipeline is noticed from across the room."""

from __future__ import annotations

from grafana_foundation_sdk.builders import common, dashboard, stat
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models.dashboard import GridPos

from wall.panels import MISSING_TEXT, big_stat, rising_severity
from wall.query import DATASOURCE, ClickHouseQueryBuilder
from wall.sql import pipeline_age

TIMEZONE = "Asia/Ho_Chi_Minh"
REFRESH = "10s"
HEADER_HEIGHT = 4
# Indicators are recomputed at least every minute; two minutes without one is worth a look, ten an alarm.
PIPELINE_ORANGE_S, PIPELINE_RED_S = 120, 600


def heartbeat() -> stat.Panel:
    """The clock as the warehouse sees it at each refresh: if it stops moving, the screen is frozen."""
    return (
        stat.Panel()
        .title("Nhịp màn hình (giờ cập nhật)")
        .description("Đổi mỗi lần làm mới; đứng yên nghĩa là màn hình đã treo hoặc mất kết nối.")
        .datasource(DATASOURCE)
        .with_target(
            ClickHouseQueryBuilder(
                "SELECT formatDateTime(now(), '%H:%i:%S', 'Asia/Ho_Chi_Minh') AS heartbeat"
            )
        )
        .no_value("Mất kết nối")
        .color_mode(common_models.BigValueColorMode.NONE)
        .graph_mode(common_models.BigValueGraphMode.NONE)
        .text_mode(common_models.BigValueTextMode.VALUE)
        .text(common.VizTextDisplayOptions().value_size(48).title_size(20))
        .reduce_options(common.ReduceDataOptions().calcs(["last"]).fields("/^heartbeat$/").values(False))
        .grid_pos(GridPos(h=HEADER_HEIGHT, w=6, x=18, y=0))
    )


def data_age() -> stat.Panel:
    """Seconds since any indicator was computed: the pipeline's proof of life on every screen."""
    sql = f"SELECT age AS value, age AS data_age_s FROM (SELECT {pipeline_age()} AS age)"  # noqa: S608 - names from code, never from input
    return big_stat(
        "Độ trễ dữ liệu",
        sql,
        unit="s",
        steps=rising_severity(PIPELINE_ORANGE_S, PIPELINE_RED_S),
        pos=(12, 0, 6, HEADER_HEIGHT),
        description=f"Thời gian từ lần tính chỉ tiêu gần nhất. Trống: {MISSING_TEXT}.",
    )


def screen(uid: str, title: str, description: str) -> dashboard.Dashboard:
    """A wall dashboard with the shared settings and header; screens add panels below y=HEADER_HEIGHT."""
    return (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["ioc", "video-wall"])
        .style("dark")
        .timezone(TIMEZONE)
        .week_start("monday")
        .refresh(REFRESH)
        .time("now-6h", "now")
        .timepicker(dashboard.TimePicker().hidden(True).refresh_intervals(["5s", "10s", "30s", "1m"]))
        .readonly()
        .with_panel(data_age())
        .with_panel(heartbeat())
    )
