"""The operations console on the real stack through Debian's headless Chromium: a wrong password is
refused, an officer signs in, an alert whose rows arrive in the real warehouse appears in the live
queue without a reload (its escalation level read from `notifications`), and its page shows the
history, the evidence link read from the restricted incidents table, and its place on the map.

The alert rows are crafted, as the wall's tests craft theirs: the path from an incident to those rows
is proven by test_alerts.py and the router's tests; this test proves what the console does with them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from console.accounts import add
from console.server import BackgroundConsole
from ioc.settings import ConsoleSettings, Settings
from ioc.stack.ports import free_port
from tests.integration.conftest import RunningStack
from tests.integration.helpers import warehouse_client
from warehouse.users import WRITER

CAMERA = "CAM-0001"  # at INT-0001, in ward 26001 (config/province.yaml)
WAIT_MS = 60_000


@dataclass
class RunningConsole:
    url: str
    settings: Settings


@pytest.fixture(scope="module")
def console(local_stack: RunningStack) -> Iterator[RunningConsole]:
    settings = local_stack.settings.model_copy(
        update={"console": ConsoleSettings(port=free_port(), queue_interval_s=0.5, demo_account="")}
    )
    running = BackgroundConsole(settings).start()
    try:
        yield RunningConsole(running.url.rstrip("/"), settings)
    finally:
        running.stop()


def craft_alert(stack: RunningStack, alert_id: str, evidence: str) -> None:
    """An open incident alert on CAMERA, its escalation to the shift lead, and the camera incident
    with the vendor's evidence link, written to the real warehouse as the sinks write them."""
    writer = warehouse_client(stack.endpoints, stack.settings, WRITER)
    opened = datetime.now(UTC) - timedelta(minutes=12)
    writer.insert(
        "restricted_camera_incidents",
        [[f"EV-{alert_id}", "SRC-CONSOLE", CAMERA, opened, "accident", 0.9, "severe", "Va chạm", evidence,
          "crafted.console", 0, 0]],
        column_names=["event_id", "source_id", "camera_id", "observed_at", "incident_type", "confidence",
                      "severity_hint", "description", "evidence_ref", "kafka_topic", "kafka_partition",
                      "kafka_offset"],
    )  # fmt: skip
    writer.insert(
        "notifications",
        [[f"N-{alert_id}", opened + timedelta(minutes=10), "escalated", alert_id, 0, "public_order", "Extreme",
          "26001", "CA-TRANBIEN", "", 1, "", "", "escalation", "", 0, "ioc.le.thu", "crafted.console", 0, 0]],
        column_names=["event_id", "occurred_at", "action", "alert_id", "alert_revision", "category", "severity",
                      "area_code", "unit_code", "officer_id", "level", "channel", "address", "kind", "message_id",
                      "attempt", "detail", "kafka_topic", "kafka_partition", "kafka_offset"],
    )  # fmt: skip
    writer.insert(
        "alerts",
        [[alert_id, f"{alert_id}-0", "ioc@localhost", opened, "Actual", "Alert", "Public", "Extreme",
          "Phường Trấn Biên", "26001", "public_order", "incident_accident", "open", 0, opened, opened, "camera",
          CAMERA, "Tai nạn giao thông tại Nút giao số 1", "crafted.console", 0, 0]],
        column_names=["alert_id", "identifier", "sender", "sent", "status", "msg_type", "scope", "severity",
                      "area_desc", "area_code", "category", "rule_id", "state", "revision", "opened_at",
                      "updated_at", "entity_type", "entity_id", "headline_vi", "kafka_topic", "kafka_partition",
                      "kafka_offset"],
    )  # fmt: skip


def sign_in(page: Page, url: str, name: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_an_officer_signs_in_and_sees_a_new_alert_arrive_then_opens_it(
    console: RunningConsole, local_stack: RunningStack, browser: Browser
) -> None:
    password = add(console.settings, "ioc.le.thu", "operator")
    page = browser.new_page()
    try:
        sign_in(page, console.url, "ioc.le.thu", "sai-mat-khau")
        expect(page.locator("p.error")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")

        sign_in(page, console.url, "ioc.le.thu", password)
        expect(page.locator("#who")).to_have_text("Lê Thị Thu (ioc.le.thu)")
        expect(page.locator("#status")).to_contain_text("Trực tiếp", timeout=WAIT_MS)
        page.evaluate("window.notReloaded = true")

        alert_id = f"AL-CONSOLE-{uuid.uuid4().hex[:8]}"
        evidence = f"https://vms.example.vn/clip/{alert_id}.mp4"
        craft_alert(local_stack, alert_id, evidence)
        row = page.locator(f'tr[data-alert-id="{alert_id}"]')
        expect(row).to_be_visible(timeout=WAIT_MS)
        assert page.evaluate("window.notReloaded") is True, "the page was reloaded"
        expect(row).to_contain_text("Khẩn cấp")
        expect(row).to_contain_text("Phường Trấn Biên")
        expect(row).to_contain_text("Trưởng ca")  # escalated to level 1
        expect(row.locator("td.age")).to_contain_text("phút")

        row.locator("a").click()
        expect(page.locator("#alert-id")).to_have_text(alert_id)
        expect(page.locator("#revisions tr")).to_have_count(1)
        expect(page.locator("#trail")).to_contain_text("Chuyển cấp")
        expect(page.locator(f'#evidence a[href="{evidence}"]')).to_be_visible()
        expect(page.locator("svg.map .alert-marker")).to_have_count(1)
        expect(page.locator('svg.map [data-area="26001"].area-hit')).to_have_count(1)

        page.goto(f"{console.url}/search?severity=Extreme&entity={CAMERA.lower()}&area=26001")
        expect(page.locator(f'#results a[href="/alerts/{alert_id}"]')).to_be_visible()
    finally:
        page.close()
