"""What a generated report is made of, independent of how it is drawn: sections of figures, tables,
charts and the list of what was missing. Missing is never zero: a figure without data is None and
its section names the feeds or units that sent nothing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


def clean(value: Any) -> Any:
    """ClickHouse's NaN (an average over no rows) and None both mean "no data"."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass(frozen=True)
class Figure:
    """One headline number. `code` is the province's indicator code the bridge upward maps."""

    code: str
    label_vi: str
    value: float | None
    unit_vi: str = ""
    decimals: int = 0


@dataclass(frozen=True)
class Table:
    """A table as shown: Vietnamese column headers and rows of plain values (None shown as "—")."""

    title_vi: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Series:
    """Values per hour (local hour labels), drawn as a bar chart."""

    title_vi: str
    unit_vi: str
    points: tuple[tuple[datetime, float], ...]


@dataclass
class Section:
    """One part of the brief (traffic, public order, …)."""

    key: str
    title_vi: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    note_vi: str = ""


@dataclass
class DailyBrief:
    """The daily operations brief of one local day [start, end) (UTC instants)."""

    day: date
    start: datetime
    end: datetime
    generated_at: datetime
    province_vi: str
    sections: list[Section]

    kind = "daily"
    form_code = ""

    @property
    def report_id(self) -> str:
        return f"daily:{self.day.isoformat()}"

    @property
    def title_vi(self) -> str:
        return f"Bản tin điều hành ngày {self.day:%d/%m/%Y}"

    def figures(self) -> dict[str, float]:
        """The day's indicator set: every headline figure that has a value."""
        return {f.code: float(f.value) for s in self.sections for f in s.figures if f.value is not None}

    def missing(self) -> list[str]:
        return [f"{s.title_vi}: {m}" for s in self.sections for m in s.missing]
