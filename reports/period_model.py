"""What a Decree 09 period report is made of: one form, one period and the one before it, each
indicator's province total against the plan, the same by area, and who did not report what.

Missing is never zero: a total over no values is None ("Không có dữ liệu"), and a total over some of
the owning units is marked incomplete and names the units it lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ioc.forms import Form, Indicator
from ioc.forms.figures import change_pct, plan_met


def period_report_id(form_code: str, name: str) -> str:
    """The `reports` row of a form's period (`period:BC-DVC-THANG:2026-11`), named as `period_name` does."""
    return f"period:{form_code}:{name}"


@dataclass(frozen=True)
class Line:
    """One indicator (or one indicator in one area): this period, the previous one, the change."""

    current: float | None
    previous: float | None
    # Units that owe this line and sent no value for it this period (empty for an area line).
    missing_units: tuple[str, ...] = ()

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def change_pct(self) -> float | None:
        """The change as a share of the previous period, in %; None when the previous was 0 or absent."""
        return change_pct(self.current, self.previous)


@dataclass(frozen=True)
class AreaLine:
    area_code: str
    area_vi: str
    line: Line


@dataclass(frozen=True)
class IndicatorResult:
    indicator: Indicator
    total: Line
    areas: tuple[AreaLine, ...]

    @property
    def complete(self) -> bool:
        return not self.total.missing_units

    @property
    def plan_met(self) -> bool | None:
        """Whether the total meets the plan; None without a plan, a value, or with units missing."""
        target = self.indicator.target
        if target is None or self.total.current is None or not self.complete:
            return None
        return plan_met(target, self.total.current)


@dataclass
class PeriodReport:
    """The report of `form` for the period [first_day, last_day] (local days); `start`/`end` are its
    UTC instants [start, end) as the `reports` table keeps them."""

    form: Form
    name: str
    period_vi: str
    first_day: date
    last_day: date
    previous: tuple[date, date] | None
    start: datetime
    end: datetime
    generated_at: datetime
    province_vi: str
    owners: tuple[tuple[str, str], ...]  # (unit code, Vietnamese name)
    results: tuple[IndicatorResult, ...]
    silent_units: tuple[str, ...]  # owning units with no value at all this period
    kind: str = "period"

    @property
    def report_id(self) -> str:
        return period_report_id(self.form.code, self.name)

    @property
    def form_code(self) -> str:
        return self.form.code

    @property
    def title_vi(self) -> str:
        """The form's name with its period: a name that already ends with the period's kind
        ("… tháng") takes only the rest ("… tháng 11/2026", not "… tháng tháng 11/2026")."""
        kind = self.form.period_vi.lower()
        if self.form.name_vi.lower().endswith(f" {kind}") and self.period_vi.startswith(kind):
            return f"{self.form.name_vi}{self.period_vi[len(kind) :]}"
        return f"{self.form.name_vi} {self.period_vi}"

    def unit_name(self, code: str) -> str:
        return dict(self.owners).get(code, code)

    def figures(self) -> dict[str, float]:
        """The indicator set sent upward: each province total that has a value, as `<form>.<indicator>`."""
        return {
            f"{self.form.code}.{r.indicator.code}": float(r.total.current)
            for r in self.results
            if r.total.current is not None
        }

    def missing(self) -> list[str]:
        """One line per unit that sent nothing, then per indicator some units did not send."""
        lines = [f"{self.unit_name(u)} ({u}): không gửi số liệu kỳ này" for u in self.silent_units]
        for result in self.results:
            partial = [u for u in result.total.missing_units if u not in self.silent_units]
            if partial:
                names = ", ".join(f"{self.unit_name(u)} ({u})" for u in partial)
                lines.append(f"{result.indicator.code} {result.indicator.name_vi}: thiếu số liệu của {names}")
        return lines
