"""A report form as data: its indicators, who owns it, its Decree 09/2019 period and deadline.

A form is what a department fills in under the reporting regime of Decree 09/2019/NĐ-CP: a code, a
Vietnamese name, a sector, the reporting units that owe it, the kind of period it covers, when it is
due and who receives it, and its indicators (code, name, unit of measure, type, allowed range, how
values add up over areas and over periods, and the plan target when the province set one).

Periods are computed once, by `streams.model.reporting_periods` (the cut-off rule: a month runs
from the 15th of the previous month to the 14th); a form hands that module its `schedule`, the same
`PeriodicReport` the province file configures for the lateness check. An ad-hoc form has no
schedule: its period is whatever the report says, start no later than end.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ioc.province import PeriodicReport
from streams.model import reporting_periods

PeriodKind = Literal["monthly", "quarterly", "half_yearly", "yearly", "ad_hoc"]
IndicatorType = Literal["integer", "decimal"]
# How values of one indicator combine: over the areas (communes, units) of one period, and over the
# periods of a longer one (a stock such as "schools" takes the last value, a flow such as "accidents"
# the sum, a rate the mean).
AreaAggregation = Literal["sum", "mean", "min", "max"]
PeriodAggregation = Literal["sum", "mean", "min", "max", "last"]
TargetDirection = Literal["at_least", "at_most"]

SECTORS = {
    "socio_economic": "Kinh tế - xã hội",
    "public_services": "Cải cách hành chính, dịch vụ công",
    "traffic_safety": "Trật tự, an toàn giao thông",
    "public_order": "An ninh, trật tự",
    "environment": "Tài nguyên và môi trường",
    "health": "Y tế",
    "education": "Giáo dục và đào tạo",
    "disaster": "Phòng, chống thiên tai",
}
Sector = Literal[
    "socio_economic",
    "public_services",
    "traffic_safety",
    "public_order",
    "environment",
    "health",
    "education",
    "disaster",
]
PERIOD_NAMES = {
    "monthly": "Tháng",
    "quarterly": "Quý",
    "half_yearly": "6 tháng",
    "yearly": "Năm",
    "ad_hoc": "Đột xuất",
}
# The contract's `period_type` symbol for each period kind (avro_schemas/department/report_values.avsc).
PERIOD_TYPES = {
    "monthly": "monthly",
    "quarterly": "quarterly",
    "half_yearly": "half_year",
    "yearly": "yearly",
    "ad_hoc": "ad_hoc",
}


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanTarget(_Entry):
    """The province's plan for one period of the form, for the province as a whole (after adding up
    over areas): `at_least` for a floor (budget revenue), `at_most` for a ceiling (road deaths)."""

    value: float
    direction: TargetDirection = "at_least"


class Indicator(_Entry):
    """One line of a form."""

    code: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    name_vi: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    type: IndicatorType = "decimal"
    min: float
    max: float
    over_areas: AreaAggregation
    over_periods: PeriodAggregation
    target: PlanTarget | None = None
    note_vi: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        if self.min > self.max:
            raise ValueError(f"min ({self.min:g}) must not be above max ({self.max:g})")
        if self.type == "integer" and not (float(self.min).is_integer() and float(self.max).is_integer()):
            raise ValueError("an integer indicator needs whole min and max")
        return self

    def allows(self, value: float) -> bool:
        """Whether `value` is one this indicator can take."""
        return self.min <= value <= self.max and (self.type != "integer" or float(value).is_integer())


class Form(_Entry):
    """One report form, as written in its file under config/report_forms/."""

    code: str = Field(min_length=1, pattern=r"^[A-Z0-9-]+$")
    name_vi: str = Field(min_length=1)
    sector: Sector
    # Reporting unit codes, or shell patterns over them (`UBND-*`); resolved against the province.
    owners: tuple[str, ...] = Field(min_length=1)
    period: PeriodKind
    # Decree 09/2019 art. 12: data are cut off on this day (a month runs from the next day of the
    # previous month); the report is due `due_days` after its period ends.
    cutoff_day: int = Field(default=14, ge=1, le=28)
    due_days: int = Field(default=5, ge=0)
    receiver_vi: str = Field(min_length=1)
    legal_basis_vi: str = ""
    indicators: tuple[Indicator, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_indicators(self) -> Form:
        seen: set[str] = set()
        for index, indicator in enumerate(self.indicators):
            if indicator.code in seen:
                raise ValueError(f"indicators[{index}].code: {indicator.code!r} appears more than once")
            seen.add(indicator.code)
        return self

    @property
    def sector_vi(self) -> str:
        return SECTORS[self.sector]

    @property
    def period_vi(self) -> str:
        return PERIOD_NAMES[self.period]

    @property
    def period_type(self) -> str:
        """The contract's `period_type` symbol for this form's values."""
        return PERIOD_TYPES[self.period]

    @property
    def schedule(self) -> PeriodicReport | None:
        """The periodic report this form is, for the period and deadline arithmetic; None when ad hoc."""
        if self.period == "ad_hoc":
            return None
        return PeriodicReport(
            report_code=self.code, period=self.period, cutoff_day=self.cutoff_day, due_days=self.due_days
        )

    def period_of(self, day: date) -> tuple[date, date] | None:
        """[first, last] day (inclusive) of the form's period holding `day`; None when ad hoc."""
        schedule = self.schedule
        return None if schedule is None else reporting_periods.period_containing(day, schedule)

    def deadline_ms(self, period_end: date) -> int | None:
        """When a report for the period ending `period_end` becomes late (UTC epoch ms); None if ad hoc."""
        schedule = self.schedule
        return None if schedule is None else reporting_periods.deadline_ms(period_end, schedule)

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)


def number_text(value: float) -> str:
    """A bound or value as people write it: `2000000`, `99.5` (never `2e+06`)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
