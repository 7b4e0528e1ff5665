"""The duty roster as configuration: officers, units, the areas and alert categories each unit covers,
shifts by weekday and time, holidays, contact channels, escalation timing, silences and maintenance
windows (`config/duty_roster.yaml`).

Loaded with every mistake named by entry and rule, and reloaded when the file changes, so a shift
swap is an edit of the file, not a restart. An edit that breaks the file keeps the last good roster
running and says why, because a router without a roster would route nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

log = logging.getLogger(__name__)

ChannelName = Literal["email", "webhook", "telegram", "zalo", "sms"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday"]
Severity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
WEEKDAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class AreaTree(Protocol):
    """What routing needs of the province (ioc.province.Province provides it)."""

    def area_lineage(self, code: str) -> tuple[str, ...]: ...

    def area_name(self, code: str) -> str: ...


class RosterError(ValueError):
    """The roster file is wrong; each line names the entry and the rule it breaks."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Entry):
    """One way to reach an officer: an e-mail address, a webhook URL, a Telegram chat id, a Zalo
    user id (of the province's Official Account) or a phone number for SMS."""

    channel: ChannelName
    address: str = Field(min_length=1)


class Officer(_Entry):
    id: str = Field(min_length=1)
    name_vi: str
    unit: str
    contacts: tuple[Contact, ...] = Field(min_length=1)


class Recurring(_Entry):
    """Days and a time range in local time (Asia/Ho_Chi_Minh). `end` before `start` runs past
    midnight and belongs to the day it starts; `end` equal to `start` lasts 24 hours. On a configured
    holiday only entries listing `holiday` apply."""

    days: tuple[Day, ...] = Field(min_length=1)
    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        # YAML reads 07:00 unquoted as a number of minutes (sexagesimal); ask for "HH:MM".
        if not isinstance(value, str):
            raise ValueError('write times as quoted "HH:MM" strings, for example "07:00"')
        return value


class Shift(Recurring):
    """Who is on duty in a unit, and who leads them."""

    name_vi: str
    officers: tuple[str, ...] = Field(min_length=1)
    lead: str


class Unit(_Entry):
    """A unit on duty for some categories of alert, at or above a severity, in some areas (an area
    covers every area below it in the province's hierarchy)."""

    code: str = Field(min_length=1)
    name_vi: str
    head: str
    categories: tuple[str, ...] = Field(min_length=1)  # "*" covers every category
    min_severity: Severity = "Minor"
    areas: tuple[str, ...] = Field(min_length=1)
    shifts: tuple[Shift, ...] = ()


class Holiday(_Entry):
    date: date
    name_vi: str


class Escalation(_Entry):
    """Minutes without an acknowledgement before the next level is called: officers on duty →
    shift lead → unit head."""

    to_shift_lead_min: float = Field(default=10, gt=0)
    to_unit_head_min: float = Field(default=20, gt=0)


class Match(_Entry):
    """Which alerts a silence or maintenance window covers; every given field must match."""

    category: str | None = None
    area: str | None = None  # the area and everything below it
    rule_id: str | None = None
    entity_id: str | None = None

    @model_validator(mode="after")
    def _not_everything(self) -> Match:
        if not any((self.category, self.area, self.rule_id, self.entity_id)):
            raise ValueError("a match needs at least one of category, area, rule_id, entity_id")
        return self


class Silence(_Entry):
    """A one-off silence, for example during a known works period. Naive times are local time."""

    id: str
    reason_vi: str
    starts_at: datetime
    ends_at: datetime
    match: Match

    @model_validator(mode="after")
    def _ordered(self) -> Silence:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class MaintenanceWindow(Recurring):
    """A recurring window in which matching alerts are expected and not sent, for example the weekly
    camera maintenance."""

    id: str
    reason_vi: str
    match: Match


class Roster(_Entry):
    """The whole roster, checked for dangling references when loaded."""

    escalation: Escalation = Escalation()
    fallback_unit: str
    holidays: tuple[Holiday, ...] = ()
    officers: tuple[Officer, ...]
    units: tuple[Unit, ...]
    silences: tuple[Silence, ...] = ()
    maintenance_windows: tuple[MaintenanceWindow, ...] = ()

    @cached_property
    def officer_by_id(self) -> dict[str, Officer]:
        return {officer.id: officer for officer in self.officers}

    @cached_property
    def unit_by_code(self) -> dict[str, Unit]:
        return {unit.code: unit for unit in self.units}

    @cached_property
    def holiday_dates(self) -> frozenset[date]:
        return frozenset(holiday.date for holiday in self.holidays)


def _reference_problems(roster: Roster, areas: AreaTree | None) -> Iterable[str]:
    officers = roster.officer_by_id
    units = roster.unit_by_code
    yield from _duplicates("officers", [o.id for o in roster.officers])
    yield from _duplicates("units", [u.code for u in roster.units])
    yield from _duplicates("silences", [s.id for s in roster.silences])
    yield from _duplicates("maintenance_windows", [w.id for w in roster.maintenance_windows])
    if roster.fallback_unit not in units:
        yield f"fallback_unit: {roster.fallback_unit!r} is not a configured unit"
    for i, officer in enumerate(roster.officers):
        if officer.unit not in units:
            yield f"officers[{i}] (id={officer.id}): unit {officer.unit!r} is not a configured unit"
    for u, unit in enumerate(roster.units):
        where = f"units[{u}] (code={unit.code})"
        if unit.head not in officers:
            yield f"{where}.head: {unit.head!r} is not a configured officer"
        for code in unit.areas:
            if areas is not None and areas.area_name(code) == code:
                yield f"{where}.areas: {code!r} is not an area of the province file"
        for s, shift in enumerate(unit.shifts):
            for field, officer_id in [("lead", shift.lead)] + [("officers", o) for o in shift.officers]:
                if officer_id not in officers:
                    yield f"{where}.shifts[{s}] ({shift.name_vi}).{field}: {officer_id!r} is not a configured officer"
    for section, entries in (
        ("silences", roster.silences),
        ("maintenance_windows", roster.maintenance_windows),
    ):
        for i, entry in enumerate(entries):
            area = entry.match.area
            if area is not None and areas is not None and areas.area_name(area) == area:
                yield f"{section}[{i}] (id={entry.id}).match.area: {area!r} is not an area of the province file"


def _duplicates(section: str, keys: list[str]) -> Iterable[str]:
    seen: set[str] = set()
    for index, key in enumerate(keys):
        if key in seen:
            yield f"{section}[{index}]: {key!r} appears more than once"
        seen.add(key)


def _entry_label(raw: Any, loc: tuple[int | str, ...]) -> str:
    """`units[2] (code=CSGT).shifts[0].start`: the path, with the id of each list entry it passes."""
    parts: list[str] = []
    node = raw
    for part in loc:
        if isinstance(part, int):
            parts[-1] += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict):
                key = next((k for k in ("id", "code", "name_vi") if k in node), None)
                if key:
                    parts[-1] += f" ({key}={node[key]})"
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts) or "(top)"


def load_roster(path: Path, areas: AreaTree | None = None) -> Roster:
    """Read and check the roster; with `areas`, every area code must be one of the province's."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RosterError(f"{path}: cannot read: {exc}") from exc
    try:
        roster = Roster.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{path}: {_entry_label(raw, error['loc'])}: {error['msg']}" for error in exc.errors()]
        raise RosterError("\n".join(lines)) from None
    problems = [f"{path}: {problem}" for problem in _reference_problems(roster, areas)]
    if problems:
        raise RosterError("\n".join(problems))
    return roster


class RosterSource:
    """The current roster, re-read when the file's modification time changes.

    A broken edit is logged and the last good roster stays in force (`last_error` says why)."""

    def __init__(self, path: Path, areas: AreaTree | None = None) -> None:
        self.path = path
        self.areas = areas
        self._mtime = path.stat().st_mtime_ns
        self._roster = load_roster(path, areas)
        self.last_error = ""

    def current(self) -> Roster:
        try:
            mtime = self.path.stat().st_mtime_ns
        except OSError as exc:
            self.last_error = f"{self.path}: cannot read: {exc}"
            return self._roster
        if mtime != self._mtime:
            self._mtime = mtime
            try:
                self._roster = load_roster(self.path, self.areas)
                self.last_error = ""
                log.info("duty roster reloaded from %s", self.path)
            except RosterError as exc:
                self.last_error = str(exc)
                log.error("duty roster not reloaded, keeping the previous one: %s", exc)
        return self._roster
