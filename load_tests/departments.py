"""Department feeds: the public service portal's dossier events, periodic reports and hotline tickets.

Dossiers arrive during office hours (a trickle of online ones at night) and are resolved on time or
late. Each reporting unit owes its periodic reports under Decree 09/2019 (period ending on the
cut-off day, due a few days later) and fills in its form (config/report_forms): every indicator,
in its unit, within its allowed range (near the plan when there is one); a configurable share of
units submits late. Dossiers carry the facts of the Decision 766 index (channel, digitised, paid
online, a rating once resolved). When the
simulator starts it first sends every unit's report for the last closed period (what the platform
would import on its first day), then each new report when it falls due. Hotline tickets come in at
any hour, more in the daytime; about half the records resolve a ticket sent earlier.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from config import CONFIG_DIR
from ioc.forms import Form, Indicator
from ioc.forms.loader import read_forms
from ioc.province import PeriodicReport, Province, ReportingUnit
from load_tests.curves import LOCAL_TZ, crowd_factor, office_factor
from load_tests.emission import event_id
from streams.model.reporting_periods import period_containing
from topics.catalog import (
    DEPARTMENT_DOSSIER_EVENTS,
    DEPARTMENT_HOTLINE_REPORTS,
    DEPARTMENT_REPORT_VALUES,
    TopicSpec,
)

Record = tuple[TopicSpec, str, dict[str, Any]]
PROCEDURES = (("TTHC-DD-01", 5), ("TTHC-XD-02", 15), ("TTHC-KD-03", 3), ("TTHC-HT-04", 1), ("TTHC-DT-05", 20))
HOTLINE_CATEGORIES = ("traffic", "environment", "public_order", "infrastructure", "flooding", "other")
FORMS_DIR = CONFIG_DIR / "report_forms"


@dataclass(frozen=True)
class DepartmentRates:
    """Per unit and minute at full office activity; the hotline rate is for the whole province."""

    dossiers_per_min: float = 0.4
    late_resolution_share: float = 0.1
    late_report_share: float = 0.2
    hotline_per_min: float = 0.3
    digitised_share: float = 0.8
    hotline_resolved_share: float = 0.5  # of hotline records, the resolution of an open ticket


def last_closed_period(report: PeriodicReport, today: date) -> tuple[date, date]:
    """The most recent period (start, end) that ended on or before `today`."""
    start, end = period_containing(today, report)
    return (start, end) if end <= today else period_containing(start - timedelta(days=1), report)


class DepartmentFeeds:
    """Generates one minute of every department feed."""

    def __init__(
        self,
        province: Province,
        rng: random.Random,
        rates: DepartmentRates,
        limit: int | None = None,
        forms: list[Form] | None = None,
    ) -> None:
        self.units = list(province.reporting_units[:limit])
        self.forms = {form.code: form for form in (read_forms(FORMS_DIR) if forms is None else forms)}
        # How many units add up to a form's province total, so a unit's share of a plan is realistic.
        self.owners = {
            code: sum(1 for u in province.reporting_units if code in {r.report_code for r in u.reports})
            for code in self.forms
        }
        self.areas = [a.code for a in province.areas if a.level in ("ward", "commune")]
        self.rng = rng
        self.rates = rates
        self.dossiers = 0
        self.tickets = 0
        # Tickets sent and not yet resolved: (ticket id, reported at, category, area).
        self.open_tickets: list[tuple[str, datetime, str, str]] = []
        # (unit, report) -> (period start, period end, submission moment) of the next report to send
        self.pending: dict[tuple[str, str], tuple[date, date, datetime]] = {}
        self.started = False

    def minute(self, end: datetime) -> list[Record]:
        """Everything the departments send in the minute ending at `end`."""
        out: list[Record] = []
        if not self.started:
            self._schedule_reports(end)
            self.started = True
        for unit in self.units:
            for report in unit.reports:
                start, period_end, submit_at = self.pending[(unit.code, report.report_code)]
                if submit_at < end:
                    out += self._report(unit, report, start, period_end, submit_at)
                    self._schedule(unit, report, period_containing(period_end + timedelta(days=1), report)[1])
            rate = self.rates.dossiers_per_min * office_factor(end)
            while self.rng.random() < rate:
                out.append(self._dossier(unit, end))
                rate -= 1
        if self.rng.random() < self.rates.hotline_per_min * (0.3 + crowd_factor(end)):
            out.append(self._hotline(end))
        return out

    def _schedule_reports(self, now: datetime) -> None:
        today = now.astimezone(LOCAL_TZ).date()
        for unit in self.units:
            for report in unit.reports:
                self._schedule(unit, report, last_closed_period(report, today)[1])

    def _schedule(self, unit: ReportingUnit, report: PeriodicReport, period_end: date) -> None:
        start = period_containing(period_end, report)[0]
        due = datetime.combine(period_end + timedelta(days=report.due_days), time(17), LOCAL_TZ)
        if self.rng.random() < self.rates.late_report_share:
            submit = due + timedelta(days=self.rng.uniform(1, 10))
        else:
            submit = due - timedelta(days=self.rng.uniform(0, report.due_days), hours=self.rng.uniform(0, 8))
        self.pending[(unit.code, report.report_code)] = (start, period_end, submit.astimezone(UTC))

    def _report(
        self, unit: ReportingUnit, report: PeriodicReport, start: date, end: date, submit_at: datetime
    ) -> list[Record]:
        form = self.forms.get(report.report_code)
        if form is None:  # the forms loader refuses a province report without a form
            return []
        return [
            (
                DEPARTMENT_REPORT_VALUES,
                f"PORTAL-{unit.code}",
                {
                    "event_id": event_id(
                        "RV", f"{unit.code}-{report.report_code}-{indicator.code}", submit_at
                    ),
                    "reporting_unit_code": unit.code,
                    "observed_at": submit_at,
                    "report_code": report.report_code,
                    "indicator_code": indicator.code,
                    "period_type": form.period_type,
                    "period_start": start,
                    "period_end": end,
                    "value": self._value(indicator, self.owners.get(form.code, 1)),
                    "unit_of_measure": indicator.unit,
                    "area_code": unit.area,
                    "revision": 0,
                    "note": "",
                },
            )
            for indicator in form.indicators
        ]

    def _value(self, indicator: Indicator, owners: int) -> float:
        """A plausible value: around the unit's share of the plan, else low in the allowed range."""
        if indicator.target is not None:
            share = indicator.target.value / (max(owners, 1) if indicator.over_areas == "sum" else 1)
            value = share * self.rng.uniform(0.85, 1.1)
            if share == 0:
                value = self.rng.uniform(0, 2)
        else:
            value = self.rng.uniform(indicator.min, indicator.min + (indicator.max - indicator.min) / 20)
        value = min(max(value, indicator.min), indicator.max)
        return float(round(value)) if indicator.type == "integer" else round(value, 2)

    def _dossier(self, unit: ReportingUnit, end: datetime) -> Record:
        self.dossiers += 1
        at = end - timedelta(milliseconds=self.rng.randint(1, 59_999))
        procedure, days = self.rng.choice(PROCEDURES)
        channel = self.rng.choice(("online", "offline"))
        dossier = f"HS-{unit.code}-{int(at.timestamp())}-{self.dossiers}"
        if self.rng.random() < 0.5:  # a new dossier
            received, resolved, kind = at, None, "received"
        else:  # the resolution of an older one, on time or late
            late = self.rng.random() < self.rates.late_resolution_share
            age = days * (self.rng.uniform(1.05, 1.6) if late else self.rng.uniform(0.2, 0.95))
            received, resolved, kind = at - timedelta(days=age), at, "resolved"
        return (
            DEPARTMENT_DOSSIER_EVENTS,
            "PORTAL-DVC",
            {
                "event_id": event_id("DS", dossier, at),
                "dossier_id": dossier,
                "observed_at": at,
                "event_type": kind,
                "department_code": unit.code,
                "procedure_code": procedure,
                "received_at": received,
                "due_at": received + timedelta(days=days),
                "resolved_at": resolved,
                "channel": channel,
                "area_code": unit.area,
                "digitised": self.rng.random() < self.rates.digitised_share,
                "paid_online": None if self.rng.random() < 0.4 else channel == "online",
                "satisfaction": self._rating() if resolved is not None else None,
            },
        )

    def _rating(self) -> str | None:
        """The applicant's rating of a resolved dossier, or None (most applicants do not rate)."""
        if self.rng.random() < 0.6:
            return None
        return self.rng.choices(("very_satisfied", "satisfied", "dissatisfied"), (5, 4, 1))[0]

    def _hotline(self, end: datetime) -> Record:
        """A new ticket, or the resolution of one picked at random among those open (so most are
        resolved within hours and a few linger past their deadline, as on a real hotline)."""
        at = end - timedelta(milliseconds=self.rng.randint(1, 59_999))
        if self.open_tickets and self.rng.random() < self.rates.hotline_resolved_share:
            index = self.rng.randrange(len(self.open_tickets))
            self.open_tickets[index], self.open_tickets[-1] = self.open_tickets[-1], self.open_tickets[index]
            ticket, reported, category, area = self.open_tickets.pop()
            status = self.rng.choice(("resolved", "closed"))
        else:
            self.tickets += 1
            ticket, reported, status = f"TK-{int(at.timestamp())}-{self.tickets}", at, "new"
            category = self.rng.choice(HOTLINE_CATEGORIES)
            area = self.rng.choice(self.areas) if self.areas else ""
            self.open_tickets.append((ticket, at, category, area))
        return (
            DEPARTMENT_HOTLINE_REPORTS,
            "HOTLINE-1022",
            {
                "event_id": event_id("HL", ticket, at),
                "ticket_id": ticket,
                "observed_at": at,
                "reported_at": reported,
                "ticket_status": status,
                "channel": self.rng.choice(("phone", "mobile_app", "zalo", "web")),
                "category": category,
                "priority": self.rng.choice(("low", "normal", "normal", "high", "urgent")),
                "description": "Phản ánh của người dân",
                "area_code": area,
                "address": "",
                "latitude": None,
                "longitude": None,
                "assigned_unit_code": "",
            },
        )
