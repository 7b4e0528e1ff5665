"""Report forms' figures, live: each form indicator's value per area and for the province over its
Decree 09 period, its change from the previous period, and how far the province is off its plan (pure).

The figures are those of the period report (`ioc report period`): the latest revision of each unit's
value, combined as the form says, compared as ioc/forms/figures.py says; here they follow every value
as it comes, so the wall shows them and the alert rules judge the plan (`public_service.form_off_plan`)
without waiting for the report. The plan is for the province as a whole: its gap is judged only once
every owning unit has reported the indicator for the period (a floor such as revenue would look missed
while half the units are still to report); before that the gap is empty.

The state is one entry per form, indicator and period (`Entries`, the task's store) holding the latest
value of each unit and area, kept for the periods a value may still reasonably come for: the period
holding today and the two before it (a monthly form's values come after the period ends, and its
change needs the one before). A value for an older period is late, as a record for a closed window is,
and changes nothing; nothing else is forgotten, so the state follows the forms, not history. Values of
ad-hoc forms count for no period-on-period figure or plan and are not followed here (the report of an
ad-hoc form is not built either).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from avro_schemas.json_records import RecordError
from ioc.forms import Form, Forms, Indicator
from ioc.forms.checks import FormCheck
from ioc.forms.figures import change_pct, combine, plan_gap_pct
from ioc.forms.periods import period_before
from ioc.province import Province
from streams.model import reporting_periods
from streams.model.entries import Entries
from streams.model.indicator_record import WindowStamp
from streams.model.indicators import (
    PUBLIC_SERVICE_FORM_CHANGE_PCT,
    PUBLIC_SERVICE_FORM_PLAN_GAP_PCT,
    PUBLIC_SERVICE_FORM_VALUE,
)

ENTITY_TYPE = "form_indicator"
PERIODS_KEPT = 3  # the period holding today and the two before it (see the module's docstring)


def _key(form: str, indicator: str, start: date) -> str:
    return f"{form}|{indicator}|{start.isoformat()}"


def entity_id(form: str, indicator: str, area: str | None = None) -> str:
    """The entity of a form indicator: the province's (`<form>/<indicator>`) or one area's."""
    return f"{form}/{indicator}" if area is None else f"{area}/{form}/{indicator}"


class FormFigures:
    """The forms in force and how values and the clock change entries: `{"p": [first, last day]
    (ISO), "v": {"<unit>|<area>": [revision, observed (epoch ms), event id, value]}, "r": revision of
    the figures last emitted}`."""

    def __init__(self, forms: Forms, province: Province) -> None:
        self.forms = forms
        self.province = province
        self.check = FormCheck(lambda: forms)
        self.unit_area = {unit.code: unit.area for unit in province.reporting_units}

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """The field and the rule a value breaks against its form (the doors refuse such values; one
        written to the topic by another way is refused here, with the same words)."""
        try:
            self.check(record, dict(record))
        except RecordError as exc:
            return exc.path, f"{exc.message} [{exc.rule}]"
        return None

    def period(self, record: dict[str, Any]) -> tuple[date, date]:
        return record["period_start"], record["period_end"]

    def oldest_kept(self, form: Form, now_ms: int) -> date | None:
        """The first day of the oldest period still followed; None for an ad-hoc form."""
        period = form.period_of(reporting_periods.local_date(now_ms))
        for _ in range(PERIODS_KEPT - 1):
            if period is None:
                return None
            period = period_before(form, period)
        return None if period is None else period[0]

    def submit(self, entries: Entries, record: dict[str, Any], now: int) -> list[dict[str, Any]] | None:
        """Fold one value (that passed `problem`); returns the indicator records it changed, or None
        when its period is no longer followed (a late value)."""
        form = self.forms.get(record["report_code"])
        assert form is not None  # noqa: S101 - `problem` refused values of unknown forms
        oldest = self.oldest_kept(form, now)
        if oldest is None:
            return []  # ad hoc: see the module's docstring
        start, end = self.period(record)
        if start < oldest:
            return None
        indicator = form.indicator(record["indicator_code"])
        assert indicator is not None  # noqa: S101 - as above
        key = _key(form.code, indicator.code, start)
        entry = entries.get(key) or {"p": [start.isoformat(), end.isoformat()], "v": {}, "r": 0}
        slot = f"{record['reporting_unit_code']}|{record['area_code']}"
        value = [record["revision"], record["observed_at"], record["event_id"], float(record["value"])]
        kept = entry["v"].get(slot)
        if kept is not None and kept[:3] >= value[:3]:
            return []  # a resend or an older revision: the latest revision stays (then the latest sent)
        entry["v"][slot] = value
        entry["r"] += 1
        entries.put(key, entry)
        previous = period_before(form, (start, end))
        before = entries.get(_key(form.code, indicator.code, previous[0])) if previous else None
        return self._figures(form, indicator, entry, before, self._area(slot), now)

    def tick(self, entries: Entries, now: int) -> list[dict[str, Any]]:
        """Forget the periods no longer followed; nothing is emitted on the clock."""
        oldest: dict[str, date | None] = {}
        for key, _ in entries.items():
            code, _, start = key.split("|")
            form = self.forms.get(code)
            if code not in oldest:
                oldest[code] = None if form is None else self.oldest_kept(form, now)
            limit = oldest[code]
            if limit is None or date.fromisoformat(start) < limit:
                entries.delete(key)
        return []

    def window_end_ms(self, record: dict[str, Any]) -> int:
        """The end of the period a value reports on (for a late value)."""
        return reporting_periods.local_midnight_ms(record["period_end"]) + reporting_periods.DAY_MS

    def processor(self, record: dict[str, Any]) -> str:
        """Who judged a late value, in the late-events table."""
        return f"public_service/form_figures/{record['report_code']}/{record['indicator_code']}"

    # --- figures -----------------------------------------------------------------------------

    def _area(self, slot: str) -> str:
        """The area a value counts for: its own, or its unit's when it reported as a whole; former
        codes count under today's area (as in the period report)."""
        unit, area = slot.split("|", 1)
        return self.province.current_area(area or self.unit_area.get(unit, ""))

    def _by_area(self, entry: dict[str, Any] | None) -> dict[str, list[float]]:
        grouped: dict[str, list[float]] = defaultdict(list)
        for slot, kept in (entry or {"v": {}})["v"].items():
            grouped[self._area(slot)].append(kept[3])
        return grouped

    def _figures(
        self,
        form: Form,
        indicator: Indicator,
        entry: dict[str, Any],
        before: dict[str, Any] | None,
        area: str,
        now: int,
    ) -> list[dict[str, Any]]:
        """The province's figures and those of the value's area (an area that is the province itself,
        a department reporting as a whole, counts only in the total)."""
        now_areas, before_areas = self._by_area(entry), self._by_area(before)
        how = indicator.over_areas
        first, last = (date.fromisoformat(day) for day in entry["p"])
        deadline = form.deadline_ms(last)
        final = deadline is not None and now >= deadline

        def stamp(entity: str, area_code: str) -> WindowStamp:
            return WindowStamp(
                ENTITY_TYPE,
                entity,
                area_code,
                reporting_periods.local_midnight_ms(first),
                reporting_periods.local_midnight_ms(last) + reporting_periods.DAY_MS,
                entry["r"],
                final,
                now,
            )

        every = [v for values in now_areas.values() for v in values]
        total = combine(every, how)
        previous = combine([v for values in before_areas.values() for v in values], how)
        province = stamp(entity_id(form.code, indicator.code), self.province.code)
        out = [
            province.indicator(
                PUBLIC_SERVICE_FORM_VALUE, total, indicator.unit, len(every), indicator.name_vi
            ),
            province.indicator(
                PUBLIC_SERVICE_FORM_CHANGE_PCT,
                change_pct(total, previous),
                "%",
                len(every),
                indicator.name_vi,
            ),
        ]
        if indicator.target is not None:
            sent = {slot.split("|", 1)[0] for slot in entry["v"]}
            complete = set(self.forms.owner_units(form.code)) <= sent
            gap = plan_gap_pct(indicator.target, total) if complete and total is not None else None
            out.append(
                province.indicator(PUBLIC_SERVICE_FORM_PLAN_GAP_PCT, gap, "%", len(every), indicator.name_vi)
            )
        if area != self.province.code:
            here = combine(now_areas.get(area, []), how)
            there = combine(before_areas.get(area, []), how)
            count = len(now_areas.get(area, []))
            local = stamp(entity_id(form.code, indicator.code, area), area)
            out += [
                local.indicator(PUBLIC_SERVICE_FORM_VALUE, here, indicator.unit, count, indicator.name_vi),
                local.indicator(
                    PUBLIC_SERVICE_FORM_CHANGE_PCT, change_pct(here, there), "%", count, indicator.name_vi
                ),
            ]
        return out
