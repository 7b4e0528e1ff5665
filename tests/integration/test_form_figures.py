"""A form's figures and its off-plan alert on the real stack: report values of BC-YT-THANG (bed
occupancy, the mean over areas, at most 100 % by plan) go through the broker to the stream worker,
whose report-values task emits the province's and each area's figures and whose alert task opens
`public_service.form_off_plan`; a corrected value (a later revision) brings the province back within
the plan and the alert ends.

A deployment of its own (`prefix`): the province simulator of other tests reports the same form for
the same period on the shared topics."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from ioc.forms import province_forms
from ioc.forms.periods import period_before
from ioc.province import load_province
from streams.model import reporting_periods
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from tests.integration.indicator_topic import IndicatorReader, TopicReader, send_batch
from topics.catalog import ALERTS, DEPARTMENT_REPORT_VALUES

FORM, INDICATOR, RULE = "BC-YT-THANG", "YT-05", "public_service.form_off_plan"
PROVINCE_ENTITY = f"{FORM}/{INDICATOR}"


def test_a_form_off_plan_raises_an_alert_and_a_correction_ends_it(
    local_stack: RunningStack, prefix: str
) -> None:
    province = load_province(local_stack.settings.province_file)
    form = province_forms(local_stack.settings).get(FORM)
    assert form is not None
    current = form.period_of(reporting_periods.local_date(int(datetime.now(UTC).timestamp() * 1000)))
    assert current is not None
    reported = period_before(form, current)  # the period departments report on now
    assert reported is not None
    earlier = period_before(form, reported)
    assert earlier is not None
    area_a, area_b = [area.code for area in province.areas if area.code != province.code][:2]
    run = uuid.uuid4().hex[:6]

    def value(
        event_id: str, area: str, amount: float, period: tuple[date, date], revision: int = 0
    ) -> dict[str, Any]:
        return {"event_id": f"{run}-{event_id}", "reporting_unit_code": "SO-YT", "observed_at": datetime.now(UTC),
                "report_code": FORM, "indicator_code": INDICATOR, "period_type": "monthly", "period_start": period[0],
                "period_end": period[1], "value": amount, "unit_of_measure": "%", "area_code": area,
                "revision": revision, "note": ""}  # fmt: skip

    entities = {PROVINCE_ENTITY, f"{area_a}/{PROVINCE_ENTITY}", f"{area_b}/{PROVINCE_ENTITY}"}
    reader = IndicatorReader(local_stack, entities, prefix)
    alerts = TopicReader(local_stack, ALERTS, prefix)
    source = f"SRC-{run}"
    send_batch(local_stack, DEPARTMENT_REPORT_VALUES, source, [value("e", area_a, 80.0, earlier)], prefix)
    send_batch(
        local_stack,
        DEPARTMENT_REPORT_VALUES,
        source,
        # B first: 110 alone is 10 % off, not above the trigger; with A the mean is 115, 15 % off.
        [value("b", area_b, 110.0, reported), value("a", area_a, 120.0, reported)],
        prefix,
    )
    window_start = datetime.fromtimestamp(reporting_periods.local_midnight_ms(reported[0]) / 1000, UTC)
    seen: dict[tuple[str, str], float | None] = {}

    def figures() -> dict[tuple[str, str], float | None]:
        for row in sorted(reader.mine(), key=lambda r: r["revision"]):
            if row["window_start"] == window_start:
                seen[(row["indicator"].split(".")[1], row["entity_id"])] = row["value"]
        return seen

    expected = {
        ("form_value", PROVINCE_ENTITY): 115.0,  # the mean of 120 and 110
        ("form_plan_gap_pct", PROVINCE_ENTITY): 15.0,  # 115 against at most 100
        ("form_value", f"{area_a}/{PROVINCE_ENTITY}"): 120.0,
        ("form_change_pct", f"{area_a}/{PROVINCE_ENTITY}"): 50.0,  # from 80 the period before
        ("form_value", f"{area_b}/{PROVINCE_ENTITY}"): 110.0,
    }
    got = wait_for(figures, lambda found: all(found.get(k) == v for k, v in expected.items()), 90)
    assert {k: got.get(k) for k in expected} == expected
    mine: list[dict[str, Any]] = []

    def off_plan() -> list[dict[str, Any]]:
        mine.extend(a for a in alerts.poll() if a["rule_id"] == RULE and a["entity_id"] == PROVINCE_ENTITY)
        return mine

    opened = wait_for(off_plan, bool, 60)[0]
    assert opened["state"] != "resolved" and opened["category"] == "public_service"
    assert opened["headline_vi"] == "Công suất sử dụng giường bệnh: lệch kế hoạch 15%"

    send_batch(
        local_stack, DEPARTMENT_REPORT_VALUES, source, [value("b1", area_b, 80.0, reported, 1)], prefix
    )
    ended = wait_for(off_plan, lambda found: any(a["state"] == "resolved" for a in found), 60)
    assert {a["alert_id"] for a in ended} == {opened["alert_id"]}
    assert figures()[("form_plan_gap_pct", PROVINCE_ENTITY)] == 0.0  # (120 + 80) / 2 = 100: met
    reader.close()
    alerts.close()
