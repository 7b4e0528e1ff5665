"""The control room's loop closed in a real browser (issue 18, item 5), on the real stack: camera
incidents go through the real stream worker (alert task), the sink into the warehouse and the real
router (its action API, a console token, a manual clock for escalation deadlines); the console, with
the wall mounted at `/wall`, is served on loopback and driven by Debian's headless Chromium.

An alert appears in the console's live queue without a reload; a shift lead of the roster signed in
to the console acknowledges it on its page, and the wall's alert board (screen 20, refreshing by
itself) shows who took it, and its escalation never comes while a control alert nobody acknowledged
escalates at the same deadline; a false alarm on another alert takes it off the wall's board.

One worker, router, console and browser context serve the module, to keep it short.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from console.accounts import add
from console.roles import SHIFT_LEAD
from console.server import BackgroundConsole
from ioc.settings import ConsoleSettings, RoutingSettings, Settings
from ioc.stack.ports import free_port
from routing.clock import ManualClock
from tests.integration.conftest import RunningStack, WorkerProcess
from tests.integration.helpers import DUTY_DESK_ROSTER, wait_for
from tests.integration.test_alerts import send_accident
from tests.integration.test_routing_broker import RouterThread
from tests.mail_box import MailBox
from wall.dashboards.alerts import BOARD_PANEL_TITLE
from wall.layout import SCREENS

TOKEN = "console-" + uuid.uuid4().hex  # noqa: S105 - a test token
LEAD = "tuan"  # the shift lead of the roster below, who signs in to the console
BOARD_SCREEN = next(s.number for s in SCREENS if s.panel_title == BOARD_PANEL_TITLE)
WAIT_MS = 90_000


@dataclass
class Room:
    """The module's running parts: the console's address, the officers' mailbox, the router's clock."""

    url: str
    box: MailBox
    clock: ManualClock
    context: BrowserContext


@pytest.fixture(scope="module")
def room(
    local_stack: RunningStack,
    worker: WorkerProcess,
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Room]:
    """Mail server, router and console (wall mounted) on loopback, and a browser context signed in to
    the console as the shift lead."""
    folder: Path = tmp_path_factory.mktemp("loop")
    roster = folder / "roster.yaml"
    roster.write_text(DUTY_DESK_ROSTER, encoding="utf-8")
    box, smtp_port, router_port = MailBox(), free_port(), free_port()
    settings: Settings = local_stack.settings.model_copy(
        update={
            "routing": RoutingSettings(
                roster=roster,
                state_dir=folder / "routing",
                group_id=f"router-{uuid.uuid4().hex[:8]}",
                smtp_port=smtp_port,
                group_wait_s=0.0,
                tick_s=0.2,
                ack_port=router_port,
                ack_public_url=f"http://127.0.0.1:{router_port}",
                console_token=TOKEN,
            ),
            "console": ConsoleSettings(
                port=free_port(),
                state_dir=folder / "console",
                queue_interval_s=0.5,
                demo_account="",
                router_url=f"http://127.0.0.1:{router_port}",
            ),
        }
    )
    mail = Controller(box, hostname="127.0.0.1", port=smtp_port)
    mail.start()
    clock = ManualClock(datetime.now(UTC))
    router = RouterThread(settings, clock)
    router.start()
    console = BackgroundConsole(settings).start()
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    try:
        url = console.url.rstrip("/")
        password = add(settings, LEAD, SHIFT_LEAD)
        page = context.new_page()
        page.goto(f"{url}/login")
        page.fill("input[name=name]", LEAD)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        expect(page.locator("#who")).to_contain_text(f"({LEAD})")
        page.close()
        yield Room(url, box, clock, context)
    finally:
        context.close()
        console.stop()
        router.stop()
        mail.stop()


def mails(box: MailBox, officer: str, camera: str) -> list[str]:
    """The texts of the messages to `officer` that mention `camera`."""
    return [m.get_content() for m in box.to(f"{officer}@ioc.test") if camera in m.get_content()]


def routed(room: Room, camera: str) -> None:
    """Wait until the officer on duty has been told of the alert on `camera`: the router holds it, its
    escalation deadlines counting from now on the router's clock."""
    assert wait_for(lambda: mails(room.box, "minh", camera), bool, 90), f"no message to minh about {camera}"


def board_row(wall: Page, camera: str) -> Locator:
    """The row of the wall's alert board ("Cảnh báo chưa kết thúc") about `camera`."""
    board = wall.locator(f'section.panel[data-title="{BOARD_PANEL_TITLE}"]')
    return board.locator("tbody tr", has_text=camera)


def board_cell(wall: Page, camera: str, column: str) -> Locator:
    """The cell of the board's `column` (its Vietnamese heading) in the row about `camera`."""
    headings = wall.locator(f'section.panel[data-title="{BOARD_PANEL_TITLE}"] thead th').all_inner_texts()
    return board_row(wall, camera).locator("td").nth(headings.index(column))


def open_board(room: Room) -> Page:
    """The wall's screen that shows the alert board full size, left open: it refreshes by itself."""
    wall = room.context.new_page()
    wall.goto(f"{room.url}/wall/screen/{BOARD_SCREEN}")
    return wall


def queue_row(page: Page, camera: str) -> Locator:
    return page.locator("#queue tr[data-alert-id]", has_text=camera)


def act(page: Page, kind: str, text: str = "") -> None:
    """Press an action's button on the alert's page; the router answered that it is done."""
    if text:
        page.fill("form.actions input[name=text]", text)
    page.click(f"form.actions button.act-{kind}")
    expect(page.locator("p.notice")).to_have_text("Đã thực hiện.")


def test_an_alert_arrives_live_is_acknowledged_in_the_console_shown_on_the_wall_and_not_escalated(
    room: Room, local_stack: RunningStack
) -> None:
    taken, control = f"CAM-LOOP-{uuid.uuid4().hex[:6]}", f"CAM-CTRL-{uuid.uuid4().hex[:6]}"
    page = room.context.new_page()
    page.goto(room.url)
    expect(page.locator("#status")).to_contain_text("Trực tiếp", timeout=WAIT_MS)
    page.evaluate("window.notReloaded = true")

    send_accident(local_stack, taken, f"{taken}-1")
    send_accident(local_stack, control, f"{control}-1")
    row = queue_row(page, taken)
    expect(row).to_be_visible(timeout=WAIT_MS)
    assert page.evaluate("window.notReloaded") is True, "the queue page was reloaded"
    expect(row).to_contain_text("Mới")
    expect(queue_row(page, control)).to_be_visible(timeout=WAIT_MS)
    routed(room, taken)
    routed(room, control)

    wall = open_board(room)
    expect(board_row(wall, taken)).to_be_visible(timeout=WAIT_MS)
    expect(board_cell(wall, taken, "Trạng thái")).to_have_text("Mới")  # not yet taken

    row.locator("a").click()
    act(page, "ack")
    # The wall's own refresh brings the acknowledged revision: its state, and who took it.
    expect(board_cell(wall, taken, "Trạng thái")).to_have_text("Đã tiếp nhận", timeout=WAIT_MS)
    expect(board_cell(wall, taken, "Người tiếp nhận")).to_have_text(re.compile(rf"^{LEAD} · \d\d:\d\d$"))
    expect(board_cell(wall, control, "Người tiếp nhận")).to_have_text("")
    wall.close()

    # Past the shift lead's deadline, then the head's (counted from the call to the lead): the control
    # alert nobody took is escalated to each in turn, the acknowledged one to nobody (same deadlines,
    # same rounds of the router).
    for officer, minutes in (("tuan", 11), ("thu", 21)):
        room.clock.advance(minutes=minutes)
        assert wait_for(lambda o=officer: mails(room.box, o, control), bool, 60), (
            f"no escalation to {officer}"
        )
        assert "CHUYỂN CẤP" in mails(room.box, officer, control)[0]
    assert mails(room.box, "tuan", taken) == mails(room.box, "thu", taken) == []
    page.close()


def test_a_false_alarm_declared_by_the_shift_lead_leaves_the_walls_board(
    room: Room, local_stack: RunningStack
) -> None:
    camera = f"CAM-FALSE-{uuid.uuid4().hex[:6]}"
    page = room.context.new_page()
    page.goto(room.url)
    send_accident(local_stack, camera, f"{camera}-1")
    row = queue_row(page, camera)
    expect(row).to_be_visible(timeout=WAIT_MS)
    routed(room, camera)
    wall = open_board(room)
    expect(board_row(wall, camera)).to_be_visible(timeout=WAIT_MS)

    row.locator("a").click()
    act(page, "false_alarm", "Camera nhận nhầm bóng cây")
    expect(board_row(wall, camera)).to_have_count(0, timeout=WAIT_MS)
    page.goto(room.url)
    expect(page.locator("#status")).to_contain_text("Trực tiếp", timeout=WAIT_MS)
    expect(queue_row(page, camera)).to_have_count(0)  # off the console's queue too
    wall.close()
    page.close()
