"""Report lateness: each reporting unit's periodic reports against their Decree 09/2019 periods (pure).

Per configured unit and report, for the latest period whose deadline has passed: the days it is late
(0 when submitted by the deadline). While it is missing the value is provisional and grows each day
(the clock is the wall clock: silence is what it measures); its first submission makes it final, and
an earlier submission seen later revises it. A value for a unit or report the province file does not
configure cannot be judged: `problem` names the field.

The state is one entry per unit, report and period (`Entries`, the task's store), kept while it can
still change: a period that is current, not yet due or the latest due one, and an older one still
awaited (missing). A submitted period older than the latest due one is deleted: nothing will emit it
again, and a value that comes for it afterwards (a resend, a correction, a report years old) is late,
as a record for a closed window is, and changes nothing. State follows configured reports and
missing ones, not history.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ioc.province import PeriodicReport, Province
from streams.model import reporting_periods
from streams.model.entries import Entries
from streams.model.indicator_record import WindowStamp
from streams.model.indicators import INPUT_HEALTH_REPORT_LATENESS

NOT_CONFIGURED = "is not a report configured for this unit in province.yaml"


def _key(unit: str, report: str, start: date) -> str:
    return f"{unit}|{report}|{start.isoformat()}"


class ReportLateness:
    """The province's reporting units and reports, and how their values and the clock change entries:
    `{"u": unit, "c": report code, "p": period start (ISO date), "r": revision, "s": first submission
    (epoch ms) or None, "ids": event ids received, "d": days late last emitted while missing}`."""

    def __init__(self, province: Province) -> None:
        self.areas = {unit.code: unit.area for unit in province.reporting_units}
        self.reports = {
            (unit.code, report.report_code): report
            for unit in province.reporting_units
            for report in unit.reports
        }

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """The field naming what is not configured, when the value's unit or report is not."""
        unit, code = record["reporting_unit_code"], record["report_code"]
        if (unit, code) in self.reports:
            return None
        return ("reporting_unit_code" if unit not in self.areas else "report_code"), NOT_CONFIGURED

    def period(self, record: dict[str, Any]) -> tuple[date, date]:
        """[first day, last day] of the period a value reports on (that holding its `period_end`)."""
        report = self.reports[(record["reporting_unit_code"], record["report_code"])]
        return reporting_periods.period_containing(record["period_end"], report)

    def submit(self, entries: Entries, record: dict[str, Any], now: int) -> list[dict[str, Any]] | None:
        """Fold one value (of a configured report); returns the indicator records it produced, or
        None when its period is closed (submitted and older than the latest due period, or older
        and never awaited here): a late value."""
        unit, code = record["reporting_unit_code"], record["report_code"]
        report = self.reports[(unit, code)]
        start, end = reporting_periods.period_containing(record["period_end"], report)
        key = _key(unit, code, start)
        entry = entries.get(key)
        if entry is None:
            if start < reporting_periods.last_due_period(now, report)[0]:
                return None
            entry = {"u": unit, "c": code, "p": start.isoformat(), "r": 0, "s": None, "ids": [], "d": None}
        if record["event_id"] in entry["ids"]:
            return []  # a resend: counted once
        entry["ids"].append(record["event_id"])
        out = []
        submitted = record["observed_at"]
        if entry["s"] is None or submitted < entry["s"]:
            entry["s"] = submitted
            entry["r"] += 1
            out.append(self._indicator(report, unit, start, end, entry, now))
        entries.put(key, entry)
        return out

    def tick(self, entries: Entries, now: int) -> list[dict[str, Any]]:
        """The still-missing reports of their latest due period, re-emitted (provisional) when the days
        late change; then forget the entries nothing can change any more."""
        out = []
        latest: dict[tuple[str, str], date] = {}
        for (unit, code), report in self.reports.items():
            start, end = reporting_periods.last_due_period(now, report)
            latest[(unit, code)] = start
            key = _key(unit, code, start)
            entry = entries.get(key) or {
                "u": unit, "c": code, "p": start.isoformat(), "r": 0, "s": None, "ids": [], "d": None
            }  # fmt: skip
            if entry["s"] is not None:
                continue
            days = reporting_periods.days_late(None, reporting_periods.deadline_ms(end, report), now)
            if days != entry["d"]:
                entry["d"] = days
                entry["r"] += 1
                entries.put(key, entry)
                out.append(self._indicator(report, unit, start, end, entry, now))
        for key, entry in entries.items():
            due = latest.get((entry["u"], entry["c"]))
            if due is None or (entry["s"] is not None and date.fromisoformat(entry["p"]) < due):
                entries.delete(key)
        return out

    def _indicator(
        self, report: PeriodicReport, unit: str, start: date, end: date, entry: dict[str, Any], now: int
    ) -> dict[str, Any]:
        deadline = reporting_periods.deadline_ms(end, report)
        days = reporting_periods.days_late(entry["s"], deadline, now)
        stamp = WindowStamp(
            "reporting_unit",
            unit,
            self.areas[unit],
            reporting_periods.local_midnight_ms(start),
            reporting_periods.local_midnight_ms(end) + reporting_periods.DAY_MS,
            entry["r"],
            entry["s"] is not None,
            now,
        )
        value = float(days) if days is not None else None
        return stamp.indicator(
            INPUT_HEALTH_REPORT_LATENESS, value, "days", len(entry["ids"]), report.report_code
        )

    def processor(self, record: dict[str, Any]) -> str:
        """Who judged a late value, in the late-events table."""
        return f"input_health/report_lateness/{record['reporting_unit_code']}/{record['report_code']}"

    def window_end_ms(self, record: dict[str, Any]) -> int:
        """The end of the window of the period a value reports on (for a late event)."""
        return reporting_periods.local_midnight_ms(self.period(record)[1]) + reporting_periods.DAY_MS
