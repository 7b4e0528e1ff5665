"""The console's parts on their own: sessions (issued, expired, forged), roles, accounts (officer ids
as names, accounts from the roster, the demo account kept between runs) and the province map."""

from __future__ import annotations

import stat

import pytest

from console.accounts import SignIn, accounts_file, add, add_roster, demo_account, listing, roster_role
from console.mapsvg import ProvinceMap, alert_point
from console.roles import actions_for, may_act, sees_evidence
from console.sessions import Sessions, Verdict, session_key
from ioc.settings import ConsoleSettings, Settings, StackSettings
from ioc.stack.errors import StackError
from tests.unit.console_fixtures import _configuration, alert_row


def test_a_session_is_valid_until_it_ends_and_its_signature_holds() -> None:
    sessions = Sessions(b"key", ttl_s=60)
    cookie = sessions.issue("ioc.le.thu", now=1000.0)
    assert sessions.read(cookie, now=1059.0) == (sessions.read(cookie, now=1000.0))
    assert sessions.read(cookie, now=1059.0).verdict is Verdict.VALID
    assert sessions.read(cookie, now=1060.0).verdict is Verdict.EXPIRED
    assert Sessions(b"other key", 60).read(cookie, now=1000.0).verdict is Verdict.FORGED
    assert (
        sessions.read(cookie[:-1] + ("A" if cookie[-1] != "A" else "B"), now=1000.0).verdict is Verdict.FORGED
    )
    assert sessions.read("nội dung lạ", now=1000.0).verdict is Verdict.FORGED
    assert sessions.read(None).verdict is Verdict.MISSING


def test_the_session_key_is_made_once_and_kept_private(tmp_path) -> None:
    path = tmp_path / "console" / "session_key"
    first = session_key("", path)
    assert session_key("", path) == first and len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert session_key("configured", path) == b"configured"


def test_roles_decide_actions_and_evidence() -> None:
    assert actions_for("viewer") == [] and not sees_evidence("viewer")
    assert actions_for("operator") == ["ack", "note", "resolve"] and sees_evidence("operator")
    assert actions_for("shift_lead") == ["ack", "note", "handover", "resolve", "false_alarm"]
    assert not may_act("operator", "false_alarm") and not may_act("nobody", "ack")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(stack=StackSettings(dir=tmp_path), console=ConsoleSettings(demo_account="demo"))


def test_accounts_take_officer_ids_and_refuse_a_bad_role_or_name(settings: Settings) -> None:
    password = add(settings, "ioc.le.thu", "operator")
    assert SignIn(accounts_file(settings)).check("ioc.le.thu", password).role == "operator"
    assert SignIn(accounts_file(settings)).check("ioc.le.thu", "wrong") is None
    with pytest.raises(StackError, match="unknown role 'admin'"):
        add(settings, "someone", "admin")
    with pytest.raises(StackError, match="not a valid account name"):
        add(settings, "Lê Thu", "viewer")
    with pytest.raises(StackError, match="is taken"):
        add(settings, "ioc.le.thu", "viewer")
    assert stat.S_IMODE(accounts_file(settings).stat().st_mode) == 0o600


def test_the_roster_gives_every_officer_an_account_once_leads_as_shift_leads(settings: Settings) -> None:
    _, roster = _configuration()
    made = add_roster(settings, roster)
    assert set(made) == {officer.id for officer in roster.officers}
    lead = roster.units[0].shifts[0].lead
    assert listing(settings)[lead].role == "shift_lead" == roster_role(roster, lead)
    assert add_roster(settings, roster) == {}


def test_the_demo_account_is_made_once_and_its_password_printed_again(settings: Settings) -> None:
    name, password = demo_account(settings)
    assert (name, listing(settings)[name].role) == ("demo", "shift_lead")
    assert demo_account(settings) == (name, password)
    assert SignIn(accounts_file(settings)).check("demo", password) is not None
    off = settings.model_copy(update={"console": ConsoleSettings(demo_account="")})
    assert demo_account(off) is None


def test_the_map_highlights_the_alerts_area_and_marks_its_place() -> None:
    province, _ = _configuration()
    drawn = ProvinceMap(province)
    svg = drawn.draw(alert_row(area_code="26002", entity_type="camera", entity_id="CAM-0001"))
    assert svg.startswith("<svg") and svg.count("area-hit") == 1 and 'data-area="26002"' in svg
    camera_place = province.intersection_of("CAM-0001")
    assert alert_point(province, alert_row(entity_id="CAM-0001")) == (
        camera_place.longitude,
        camera_place.latitude,
    )
    assert alert_point(province, alert_row(latitude=10.9, longitude=106.8)) == (106.8, 10.9)
    # An entity the province does not know: the centre of its area; a former code finds today's area.
    assert alert_point(province, alert_row(entity_id="?", area_code="73101")) is not None
    assert "<script" not in drawn.draw(alert_row(area_code="<script>"))


class _Result:
    column_names = ("alert_id",)
    result_rows = [("AL-1",)]


class _Client:
    def query(self, sql: str, parameters: dict) -> _Result:
        return _Result()


def test_the_store_says_when_the_warehouse_is_down_and_connects_again_after() -> None:
    from console.store import AlertStore, WarehouseDownError

    attempts: list[int] = []

    def connect() -> _Client:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionRefusedError("the warehouse is restarting")
        return _Client()

    store = AlertStore(connect, connect)
    with pytest.raises(WarehouseDownError, match="Kho dữ liệu không trả lời"):
        store.open_alerts()
    assert store.open_alerts() == [{"alert_id": "AL-1"}]
    assert len(attempts) == 2
