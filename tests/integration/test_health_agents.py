"""The input-health agent on the real broker: camera online ratio from heartbeats, sensor staleness
on the wall clock, and report lateness against Decree 09/2019 periods."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from ioc.forms import province_forms
from ioc.province import load_province
from streams.model import reporting_periods
from tests.integration.conftest import RunningStack, WorkerProcess
from tests.integration.helpers import wait_for
from tests.integration.indicator_topic import IndicatorReader, TopicReader, send_batch
from topics.catalog import CAMERA_HEARTBEATS, DEPARTMENT_REPORT_VALUES, DLQ_DEPARTMENT, SENSOR_RAINFALL

# Minutes before now: later than anything earlier tests of the session sent (the contracts' examples
# move the heartbeat watermark to their own dates), yet long enough ago that the minute closes at once.
T0 = (datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)


def beat(event_id: str, camera: str, at: datetime, status: str) -> dict[str, Any]:
    return {"event_id": event_id, "camera_id": camera, "observed_at": at, "status": status, "status_reason": "",
            "uptime_seconds": None, "firmware_version": "", "stream_fps": None}  # fmt: skip


def test_camera_online_ratio_counts_silent_configured_cameras(
    local_stack: RunningStack, worker: WorkerProcess
) -> None:
    province = load_province(local_stack.settings.province_file)
    area = "26001"
    cameras = sorted(c.id for c in province.cameras if province.intersection_of(c.id).area == area)
    reader = IndicatorReader(local_stack, {area})
    run = uuid.uuid4().hex[:6]
    records = [
        beat(f"{run}-1", cameras[0], T0 + timedelta(seconds=5), "offline"),
        beat(f"{run}-2", cameras[0], T0 + timedelta(seconds=50), "online"),  # latest in the minute wins
        beat(f"{run}-3", cameras[1], T0 + timedelta(seconds=30), "online"),
        beat(f"{run}-3", cameras[1], T0 + timedelta(seconds=30), "online"),  # resend
        beat(f"{run}-4", cameras[2], T0 + timedelta(seconds=40), "degraded"),
    ]
    send_batch(local_stack, CAMERA_HEARTBEATS, f"SRC-{run}", records)
    key = ("input_health.camera_online_ratio", area, T0)
    finals = wait_for(reader.finals, lambda found: key in found, 90)
    # 2 online of every camera configured in the area (the silent ones count as not online)
    assert finals[key]["value"] == 100.0 * 2 / len(cameras)
    assert finals[key]["sample_count"] == 3
    reader.close()


def test_sensor_staleness_is_seconds_since_the_newest_reading(
    local_stack: RunningStack, worker: WorkerProcess
) -> None:
    station = f"RF-STALE-{uuid.uuid4().hex[:6]}"
    reader = IndicatorReader(local_stack, {station})
    newest = datetime.fromtimestamp(int(time.time()) - 90, UTC)
    records = [
        {"event_id": f"{station}-2", "device_id": "", "observed_at": newest, "station_id": station,
         "interval_seconds": 600, "rainfall_mm": 0.0},
        {"event_id": f"{station}-1", "device_id": "", "observed_at": newest - timedelta(minutes=10),
         "station_id": station, "interval_seconds": 600, "rainfall_mm": 0.0},
    ]  # fmt: skip
    send_batch(local_stack, SENSOR_RAINFALL, f"SRC-{station}", records)
    found = wait_for(
        reader.mine,
        lambda rows: any(r["indicator"] == "input_health.sensor_staleness" for r in rows),
        150,
    )
    first = next(r for r in found if r["indicator"] == "input_health.sensor_staleness")
    assert first["value"] == (first["window_end"] - newest).total_seconds()
    assert first["value"] > 0
    reader.close()


def test_report_lateness_on_time_late_and_missing(local_stack: RunningStack, worker: WorkerProcess) -> None:
    province = load_province(local_stack.settings.province_file)
    units = [u for u in province.reporting_units if any(r.period == "monthly" for r in u.reports)]
    on_time, late_unit, missing = units[0], units[1], units[2]
    report = next(r for r in on_time.reports if r.period == "monthly")
    reader = IndicatorReader(local_stack, {on_time.code, late_unit.code, missing.code, "SO-NOT-CONFIGURED"})
    dead = TopicReader(local_stack, DLQ_DEPARTMENT)
    start, end = reporting_periods.last_due_period(int(time.time() * 1000), report)
    deadline = reporting_periods.deadline_ms(end, report)
    deadline_at = datetime.fromtimestamp(deadline / 1000, UTC)
    run = uuid.uuid4().hex[:6]

    form = province_forms(local_stack.settings).get(report.report_code)
    assert form is not None
    line = form.indicators[0]  # a value that fits its form: the stream refuses one that does not

    def value(event_id: str, unit: str, at: datetime) -> dict[str, Any]:
        return {"event_id": event_id, "reporting_unit_code": unit, "observed_at": at, "report_code": report.report_code,
                "indicator_code": line.code, "period_type": "monthly", "period_start": start, "period_end": end,
                "value": line.min, "unit_of_measure": "", "area_code": "", "revision": 0, "note": ""}  # fmt: skip

    records = [
        value(f"{run}-1", on_time.code, deadline_at - timedelta(hours=1)),
        value(f"{run}-2", late_unit.code, deadline_at + timedelta(days=2, hours=3)),  # 2 days 3 h -> 3 days
        value(f"{run}-3", "SO-NOT-CONFIGURED", deadline_at),
    ]
    send_batch(local_stack, DEPARTMENT_REPORT_VALUES, f"SRC-{run}", records)
    window = datetime.fromtimestamp(reporting_periods.local_midnight_ms(start) / 1000, UTC)

    def lateness() -> dict[str, dict[str, Any]]:
        rows = [r for r in reader.mine() if r["indicator"] == "input_health.report_lateness"]
        rows = [r for r in rows if r["window_start"] == window and r["label"] == report.report_code]
        return {r["entity_id"]: r for r in sorted(rows, key=lambda r: r["revision"])}

    def settled(rows: dict[str, dict[str, Any]]) -> bool:
        """The clock may first report every unit missing; the submissions then make two final."""
        present = {on_time.code, late_unit.code, missing.code} <= rows.keys()
        return present and rows[on_time.code]["is_final"] and rows[late_unit.code]["is_final"]

    got = wait_for(lateness, settled, 90)
    assert (got[on_time.code]["value"], got[on_time.code]["is_final"]) == (0.0, True)
    assert (got[late_unit.code]["value"], got[late_unit.code]["is_final"]) == (3.0, True)
    gone = got[missing.code]
    computed = int(gone["computed_at"].timestamp() * 1000)
    assert gone["is_final"] is False
    assert gone["value"] == reporting_periods.days_late(None, deadline, computed)
    # The dead letter names the message, the record and its event_id, the field and the rule.
    ref = f"(event_id={run}-3)"
    refused = wait_for(dead.poll, lambda found: any(d["record_ref"].endswith(ref) for d in found), 30)
    mine = next(d for d in refused if d["record_ref"].endswith(ref))
    assert mine["field_path"] == "reporting_unit_code"
    assert f"{ref}: reporting_unit_code: " in mine["reason"]
    reader.close()
    dead.close()
