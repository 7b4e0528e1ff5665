"""The duty roster: the demo file is valid, mistakes are named by entry and rule, an edit is picked
up without a restart and a broken edit keeps the last good roster; shifts, holidays, areas, fallbacks
and silences decide who is called."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ioc.province import load_province
from ioc.settings import RoutingSettings, Settings
from routing.ack import AckLinkError, AckSigner
from routing.matching import route
from routing.roster import RosterError, RosterSource, load_roster
from routing.silences import silenced_by
from tests.unit.test_routing_delivery import PROVINCE, ROSTER, alert

# Local 23:00 on Monday 2 March 2026 is 16:00 UTC.
MONDAY_23H = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


def roster_file(tmp_path: Path, text: str = ROSTER) -> Path:
    path = tmp_path / "roster.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_demo_roster_is_valid_against_the_demo_province() -> None:
    settings = Settings()
    roster = load_roster(RoutingSettings().roster, load_province(settings.province_file))
    assert roster.fallback_unit in roster.unit_by_code
    assert all(unit.shifts for unit in roster.units)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "unit: CSGT, contacts: [{channel: email, address: minh",
            "unit: CSGX, contacts: [{channel: email, address: minh",
            "officers[0] (id=minh): unit 'CSGX' is not a configured unit",
        ),
        (
            'end: "19:00"',
            "end: 19:00",  # YAML 1.1 reads this as 1140 (minutes, base 60)
            'units[0] (code=CSGT).shifts[0] (name_vi=Ca ngày).end: Value error, write times as quoted "HH:MM"',
        ),
        (
            "lead: tuan}",
            "lead: tuann}",
            "units[0] (code=CSGT).shifts[0] (Ca ngày).lead: 'tuann' is not a configured officer",
        ),
        (
            'areas: ["75"]\n    shifts',
            'areas: ["99"]\n    shifts',
            "units[0] (code=CSGT).areas: '99' is not an area of the province file",
        ),
        (
            "channel: email, address: minh",
            "channel: fax, address: minh",
            "officers[0] (id=minh).contacts[0].channel: Input should be",
        ),
        (
            "min_severity: Moderate",
            "min_severity: High",
            "units[0] (code=CSGT).min_severity: Input should be",
        ),
    ],
)
def test_mistakes_name_the_entry_and_the_rule(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in ROSTER
    with pytest.raises(RosterError) as error:
        load_roster(roster_file(tmp_path, ROSTER.replace(old, new)), PROVINCE)
    assert expected in str(error.value)


def test_an_edit_is_picked_up_and_a_broken_edit_keeps_the_last_good_roster(tmp_path: Path) -> None:
    path = roster_file(tmp_path)
    source = RosterSource(path, PROVINCE)
    assert source.current().escalation.to_shift_lead_min == 10

    path.write_text(ROSTER.replace("to_shift_lead_min: 10", "to_shift_lead_min: 5"), encoding="utf-8")
    assert source.current().escalation.to_shift_lead_min == 5

    path.write_text(ROSTER.replace("fallback_unit: IOC", "fallback_unit: NOBODY"), encoding="utf-8")
    assert source.current().escalation.to_shift_lead_min == 5
    assert "fallback_unit: 'NOBODY' is not a configured unit" in source.last_error


NIGHT = ROSTER.replace(
    '{name_vi: Ca ngày, days: [mon, tue, wed, thu, fri], start: "07:00", end: "19:00", officers: [minh, nam], lead: tuan}',
    '{name_vi: Ca đêm, days: [mon], start: "22:00", end: "06:00", officers: [nam], lead: tuan}',
)


@pytest.mark.parametrize(
    ("at", "on_duty"),
    [
        (MONDAY_23H, ("nam",)),  # Monday's night shift has started
        (MONDAY_23H + timedelta(hours=6), ("nam",)),  # Tuesday 05:00: still Monday's shift
        (MONDAY_23H + timedelta(hours=7), ("thu",)),  # Tuesday 06:00: over; the fallback's head
        (MONDAY_23H + timedelta(days=1), ("thu",)),  # Tuesday 23:00: no Tuesday night shift
    ],
)
def test_a_shift_past_midnight_belongs_to_the_day_it_starts(
    tmp_path: Path, at: datetime, on_duty: tuple[str, ...]
) -> None:
    roster = load_roster(roster_file(tmp_path, NIGHT), PROVINCE)
    (assignment,) = route(roster, PROVINCE, alert("X"), at)
    assert assignment.levels[0] == on_duty
    assert assignment.fallback == ("" if on_duty == ("nam",) else "no_one_on_duty")


def test_on_a_holiday_weekday_shifts_do_not_apply(tmp_path: Path) -> None:
    roster = load_roster(roster_file(tmp_path), PROVINCE)
    thursday_holiday = datetime(2026, 4, 30, 3, 0, tzinfo=UTC)  # 10:00 local, 30 April
    ordinary_thursday = thursday_holiday - timedelta(days=7)
    assert route(roster, PROVINCE, alert("X"), ordinary_thursday)[0].levels == (
        ("minh", "nam"),
        ("tuan",),
        ("cuong",),
    )
    assert route(roster, PROVINCE, alert("X"), thursday_holiday)[0].levels == (("thu",), ("cuong",))


def test_units_cover_areas_below_theirs_and_severity_from_their_minimum(tmp_path: Path) -> None:
    roster = load_roster(
        roster_file(tmp_path, ROSTER.replace('areas: ["75"]\n    shifts', 'areas: ["26002"]\n    shifts')),
        PROVINCE,
    )
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert route(roster, PROVINCE, alert("X", area_code="26002"), at)[0].unit == "CSGT"
    (elsewhere,) = route(roster, PROVINCE, alert("X", area_code="26001"), at)
    assert (elsewhere.unit, elsewhere.fallback) == ("IOC", "no_unit_covers")
    (minor,) = route(roster, PROVINCE, alert("X", area_code="26002", severity="Minor"), at)
    assert minor.unit == "IOC"


def test_silences_cover_their_time_and_match_only(tmp_path: Path) -> None:
    roster = load_roster(roster_file(tmp_path), PROVINCE)
    inside = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert silenced_by(roster, PROVINCE, alert("X", entity_id="CAM-WORKS"), inside) == "thi-cong"
    assert silenced_by(roster, PROVINCE, alert("X"), inside) == ""
    # The silence ends at local midnight of 3 March, 17:00 UTC on 2 March.
    assert (
        silenced_by(
            roster, PROVINCE, alert("X", entity_id="CAM-WORKS"), datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
        )
        == ""
    )


def test_ack_links_refuse_forgery_other_alerts_and_expiry() -> None:
    signer = AckSigner(b"secret", "http://ack.test", timedelta(hours=1))
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    token = signer.token("A1", "minh", now)
    claim = signer.verify(token, now + timedelta(minutes=59))
    assert (claim.alert_id, claim.officer_id) == ("A1", "minh")
    forged = AckSigner(b"other", "http://ack.test", timedelta(hours=1)).token("A1", "minh", now)
    with pytest.raises(AckLinkError, match="sai chữ ký"):
        signer.verify(forged, now)
    moved = signer.token("A2", "minh", now).split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(AckLinkError, match="sai chữ ký"):
        signer.verify(moved, now)
    with pytest.raises(AckLinkError, match="hết hạn"):
        signer.verify(token, now + timedelta(hours=1))
