"""Every wall panel's SQL, with Grafana's macros expanded for a time range, runs on the real warehouse
as the read-only `grafana` user over filled data (the pipeline's own traffic indicators from the
stream worker, plus crafted rows for what the pipeline does not produce yet) and returns the columns
its panel type needs; the dimension tables are loaded at warehouse start and re-synced idempotently."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, timedelta

from clickhouse_connect.driver.client import Client

from ioc.province import load_province
from load_tests.live import kafka_sender
from sinks.dimensions import sync_dimensions
from tests.integration.conftest import RunningStack, WorkerProcess
from tests.integration.helpers import wait_for, warehouse_client
from tests.integration.wall_data import OPEN_ALERTS, crafted
from wall.build import dashboards
from wall.macros import TimeRange, expand
from wall.web.data import Frame
from warehouse.users import WRITER

# The columns each panel type reads (see wall/panels.py for the value/data_age_s convention).
NEEDED = {
    "stat": {"value", "data_age_s"},
    "bargauge": {"name", "value", "data_age_s"},
    "timeseries": {"time", "series", "value"},
    "table": {"data_age_s"},
    "geomap": {"latitude", "longitude", "congestion_level", "data_age_s"},
}


def run(client: Client, sql: str) -> Frame:
    result = client.query(sql)
    return Frame(list(result.column_names), [t.name for t in result.column_types], list(result.result_rows))


def send_vehicle_counts(stack: RunningStack, cameras: list[str], at: datetime) -> int:
    """One record per camera in the minute before `at`; returns the vehicles sent in total."""
    records = [
        {"event_id": f"{cam}-{uuid.uuid4().hex[:6]}", "camera_id": cam, "observed_at": at, "interval_seconds": 60,
         "lane": 1, "vehicle_class": "car", "vehicle_count": 20 + i, "average_speed_kmh": 40.0}
        for i, cam in enumerate(cameras)
    ]  # fmt: skip
    sender = kafka_sender(stack.settings)
    sender.send({"source_id": "SRC-WALL", "sent_at": datetime.now(UTC), "records": records})
    assert sender.flush() == 0
    return sum(r["vehicle_count"] for r in records)


def test_every_panel_runs_on_the_warehouse_and_returns_what_its_panel_needs(
    local_stack: RunningStack, worker: WorkerProcess
) -> None:
    province = load_province(local_stack.settings.province_file)
    writer = warehouse_client(local_stack.endpoints, local_stack.settings, WRITER)
    grafana = warehouse_client(local_stack.endpoints, local_stack.settings, user="grafana")

    # Loaded by the warehouse at start-up; a second sync changes nothing.
    cameras_loaded = writer.query("SELECT count() FROM dim_cameras_current").result_rows[0][0]
    assert cameras_loaded == len(province.cameras)
    assert not sync_dimensions(writer, province).changed

    pipeline_cameras = [c.id for c in province.cameras[40:43]]
    now = datetime.now(UTC)
    sent_at = now - timedelta(seconds=70)
    sent = send_vehicle_counts(local_stack, pipeline_cameras, sent_at)
    # Only this minute's windows: earlier tests of a full session (the simulator) used these cameras too.
    stored = wait_for(
        lambda: writer.query(
            "SELECT count() FROM indicators_current WHERE indicator = 'traffic.volume' "
            "AND entity_id IN {c:Array(String)} AND window_end > {t:DateTime64(3, 'UTC')}",
            parameters={"c": pipeline_cameras, "t": sent_at},
        ).result_rows[0][0],
        lambda n: n >= len(pipeline_cameras),
        240,
    )  # fmt: skip
    assert stored >= len(pipeline_cameras), "the worker did not turn the vehicle counts into indicators"

    # Crafted rows and the time range keep the first `now`: waiting for a slow worker must not age
    # the pipeline's windows past a panel's freshness limit relative to the crafted ones.
    rows = crafted(province, now, skip_cameras=set(pipeline_cameras))
    for table, (columns, values) in rows.items():
        writer.insert(table, values, column_names=columns)

    time_range = TimeRange.last(timedelta(hours=6), now=now + timedelta(seconds=5))
    built = dashboards(province)
    results: dict[str, Frame] = {}
    for uid, model in built.items():
        for panel in model["panels"]:
            frame = run(grafana, expand(panel["targets"][0]["rawSql"], time_range))
            where = f"{uid} / {panel['title']}"
            needed = {"heartbeat"} if "heartbeat" in frame.columns else NEEDED[panel["type"]]
            assert needed <= set(frame.columns), f"{where}: {frame.columns}"
            assert frame.rows, f"{where}: no rows over filled data"
            if panel["type"] == "timeseries":
                assert all(isinstance(t, datetime) for t in frame.column("time")), where
            if panel["type"] in ("stat", "bargauge") and "value" in frame.columns:
                assert any(v is not None for v in frame.column("value")), f"{where}: stale over fresh data"
            results[f"{uid}/{panel['title']}"] = frame

    # The pipeline's own windows are on the wall: crafted latest volumes plus what the worker computed.
    crafted_latest: dict[str, tuple[datetime, float]] = {}
    for row in rows["indicators"][1]:
        if row[0] == "traffic.volume" and row[1] == "camera":
            crafted_latest[row[2]] = max(crafted_latest.get(row[2], (row[4], 0.0)), (row[4], row[6]))
    volume = results["ioc-wall-overview/Lưu lượng xe / phút"].column("value")[0]
    assert volume == sum(v for _, v in crafted_latest.values()) + sent

    # Open alerts: the crafted ones plus whatever the pipeline raised earlier in the session (other
    # tests' data), so each panel is compared with a count of its own, taken together with it.
    def panel_and_count(uid: str, title: str, severity: str | None) -> tuple[list[object], list[int]]:
        panel = next(p for p in built[uid]["panels"] if p["title"] == title)
        shown = run(grafana, expand(panel["targets"][0]["rawSql"], time_range)).column("value")
        where = "state != 'resolved'" + ("" if severity is None else " AND severity = {s:String}")
        counted = writer.query(
            f"SELECT count() FROM alerts_current WHERE {where}",  # noqa: S608 - constants only
            parameters={"s": severity or ""},
        ).result_rows[0][0]
        return shown, [counted]

    for uid, title, severity, crafted_count in (
        ("ioc-wall-overview", "Cảnh báo đang mở", None, sum(OPEN_ALERTS.values())),
        ("ioc-wall-alerts", "Khẩn cấp", "Extreme", 1),
        ("ioc-wall-alerts", "Nghiêm trọng", "Severe", 2),
        ("ioc-wall-alerts", "Nhẹ", "Minor", 0),
    ):
        shown, counted = wait_for(
            functools.partial(panel_and_count, uid, title, severity), lambda pair: pair[0] == pair[1], 30
        )
        assert shown == counted and counted[0] >= crafted_count, (title, shown, counted)

    # The intersection crafted three hours old is shown stale on the map, not with its old level.
    stale_intersection = province.intersections[0].id
    stale_cameras = {c.id for c in province.cameras if c.intersection == stale_intersection}
    camera_map = results["ioc-wall-traffic/Bản đồ ùn tắc theo camera"]
    levels = {
        name.split(" · ")[0]: level
        for name, level in zip(camera_map.column("name"), camera_map.column("congestion_level"), strict=True)
    }
    assert {levels[c] for c in stale_cameras} == {-1}
    assert len(camera_map.rows) == len(province.cameras)
