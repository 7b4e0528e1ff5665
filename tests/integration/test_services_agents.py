"""The public-service agent on the real broker: crafted dossier events (resent, out of order, late,
malformed) become exact Decision 766 figures for a local day and the month to date, by department
and by area.

The day is the 10th of a month weeks ahead, so the wall clock closes neither the day nor the month
during the test: a dossier received the next day closes the day by event time, and the month stays
provisional, judged as of that stream time. Such times run on a deployment of the module's own
(the `prefix` fixture)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from tests.integration.indicator_topic import IndicatorReader, TopicReader, send_batch, send_raw
from topics.catalog import DEPARTMENT_DOSSIER_EVENTS, DLQ_DEPARTMENT

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
HOUR = timedelta(hours=1)


def future_month() -> tuple[datetime, datetime]:
    """The local 10th of the month after next and that month's first local midnight, in UTC."""
    ahead = datetime.now(LOCAL).replace(day=1) + timedelta(days=62)
    day = datetime(ahead.year, ahead.month, 10, tzinfo=LOCAL)
    return day.astimezone(UTC), day.replace(day=1).astimezone(UTC)


def event(
    event_id: str, dossier: str, department: str, kind: str, at: datetime, **times: Any
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "dossier_id": dossier,
        "observed_at": at,
        "event_type": kind,
        "department_code": department,
        "procedure_code": "1.004227",
        "received_at": times.get("received", at),
        "due_at": times.get("due"),
        "resolved_at": times.get("resolved"),
        "channel": "online",
        "area_code": "26001",
    }


def test_dossier_events_become_day_and_month_figures(local_stack: RunningStack, prefix: str) -> None:
    day_start, month_start = future_month()
    run = uuid.uuid4().hex[:6]
    dept = f"SO-T{run}"
    reader = IndicatorReader(local_stack, {dept}, prefix)
    dead = TopicReader(local_stack, DLQ_DEPARTMENT, prefix)
    d = day_start + 2 * HOUR  # 02:00 local
    end_of_day = day_start + 24 * HOUR
    records = [
        # A: received and resolved on time the same day
        event(f"{run}-a1", f"{run}-A", dept, "received", d, due=d + 72 * HOUR),
        event(
            f"{run}-a2",
            f"{run}-A",
            dept,
            "resolved",
            d + 3 * HOUR,
            received=d,
            due=d + 72 * HOUR,
            resolved=d + 3 * HOUR,
        ),  # fmt: skip
        # B: received earlier this month, resolved today after its due time (late); its events arrive
        # out of order and the resolution is resent
        event(
            f"{run}-b2",
            f"{run}-B",
            dept,
            "resolved",
            d + 4 * HOUR,
            received=d - 96 * HOUR,
            due=d - 24 * HOUR,
            resolved=d + 4 * HOUR,
        ),  # fmt: skip
        event(
            f"{run}-b1",
            f"{run}-B",
            dept,
            "received",
            d - 96 * HOUR + HOUR,
            received=d - 96 * HOUR,
            due=d - 24 * HOUR,
        ),  # fmt: skip
        event(
            f"{run}-b2",
            f"{run}-B",
            dept,
            "resolved",
            d + 4 * HOUR,
            received=d - 96 * HOUR,
            due=d - 24 * HOUR,
            resolved=d + 4 * HOUR,
        ),  # fmt: skip
        # C: received today, due before the day ends -> overdue at the day's end
        event(f"{run}-c1", f"{run}-C", dept, "received", d + HOUR, due=d + 6 * HOUR),
        # D: received today, due the next day (within 48 h of the day's end) -> due soon
        event(f"{run}-d1", f"{run}-D", dept, "received", d + 5 * HOUR, due=end_of_day + 20 * HOUR),
        # F: received the next day (02:00), due in four days: the stream time passes the day's end
        event(f"{run}-f1", f"{run}-F", dept, "received", end_of_day + 2 * HOUR, due=end_of_day + 100 * HOUR),
    ]
    send_batch(local_stack, DEPARTMENT_DOSSIER_EVENTS, f"SRC-{run}", records, prefix)
    send_raw(local_stack, DEPARTMENT_DOSSIER_EVENTS, f"SRC-{run}", b"garbage", prefix)
    codes = ["received", "in_progress", "due_soon", "resolved_on_time", "resolved_late", "overdue"]
    wanted = {(f"public_service.dossiers_{c}", dept, day_start) for c in codes}
    wanted |= {
        ("public_service.on_time_rate", dept, day_start),
        ("public_service.late_rate", dept, day_start),
    }
    finals = wait_for(reader.finals, lambda found: wanted <= found.keys(), 90)
    day = {
        key[0].removeprefix("public_service."): v["value"] for key, v in finals.items() if key[2] == day_start
    }
    assert day == {
        "dossiers_received": 3.0,  # A, C, D (B was received 4 days earlier)
        "dossiers_in_progress": 2.0,  # C, D at the day's end
        "dossiers_due_soon": 1.0,  # D
        "dossiers_resolved_on_time": 1.0,  # A
        "dossiers_resolved_late": 1.0,  # B
        "dossiers_overdue": 1.0,  # C
        "on_time_rate": 50.0,
        "late_rate": 50.0,
    }

    # The month has not ended on the wall clock: month to date stays provisional, judged as of the
    # stream time (F's reception, 02:00 the next day). B's reception 4 days earlier counts; C (due
    # 08:00 the day before) is overdue by then, D (due in 18 h) is due soon, F is neither.
    def month_to_date() -> dict[str, dict[str, Any]]:
        """The month's dossier figures (the month also carries the Decision 766 index, whose figures
        tests/integration/test_hotline_index_warehouse.py checks)."""
        latest = {}
        for row in sorted(reader.mine(), key=lambda row: row["revision"]):
            code = row["indicator"].removeprefix("public_service.")
            if row["window_start"] == month_start and not code.startswith("index_766"):
                latest[code] = row
        return latest

    latest = wait_for(month_to_date, lambda rows: rows.get("dossiers_received", {}).get("value") == 5.0, 30)
    assert not any(row["is_final"] for row in latest.values())
    assert {code: row["value"] for code, row in latest.items()} == {
        "dossiers_received": 5.0,
        "dossiers_in_progress": 3.0,
        "dossiers_due_soon": 1.0,
        "dossiers_resolved_on_time": 1.0,
        "dossiers_resolved_late": 1.0,
        "dossiers_overdue": 1.0,
        "on_time_rate": 50.0,
        "late_rate": 50.0,
    }
    assert finals[("public_service.dossiers_received", dept, day_start)]["entity_type"] == "department"
    refused = wait_for(dead.poll, lambda found: any(d["source_id"] == f"SRC-{run}" for d in found), 30)
    assert any(d["rule"] == "avro-confluent-framing" and d["source_id"] == f"SRC-{run}" for d in refused)
    reader.close()
    dead.close()
