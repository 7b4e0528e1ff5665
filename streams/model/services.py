"""Public services: the Decision 766/QĐ-TTg dossier figures by department and by area (with every
area above it, up to the province), for the local day and the local month to date, and the Decision
766 index (five groups, 100 points) for the month.

A dossier is a case (streams/model/cases.py): its events count in the totals of its department and
of its area's lineage, each series keeps the group's dossiers merged with `streams.model.dossiers.merge`,
and a window's figures are `dossiers.figures` over them as of the window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from ioc.province import Province
from streams.model import dossiers
from streams.model.cases import Case, CaseModel
from streams.model.local_calendar import day_window, month_window
from streams.model.routes import Place, Placement, Route, Value, WindowView
from streams.model.shapes import Calendar

DAY = Calendar("day", day_window)
MONTH = Calendar("month", month_window)
DEPARTMENT_DAY = Route("public_service/department/day", "department", DAY)
DEPARTMENT_MONTH = Route("public_service/department/month", "department", MONTH)
AREA_DAY = Route("public_service/area/day", "area", DAY)
AREA_MONTH = Route("public_service/area/month", "area", MONTH)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A slim event, as it travels in partials: [observed, type, department, area, received, due, resolved,
# channel, digitised, paid_online, satisfaction] (instants in epoch ms). Events kept in a changelog by
# a version before the last four fields lack them (they read as unknown).
OBSERVED, KIND, DEPARTMENT, AREA, RECEIVED, DUE, RESOLVED, CHANNEL, DIGITISED, PAID, SATISFACTION = range(11)
SLIM_FIELDS = 11


def _when(ms: int | None) -> datetime | None:
    return None if ms is None else EPOCH + timedelta(milliseconds=ms)


class DossierModel(CaseModel):
    """Dossier figures per department and area; the 766 index on the month windows."""

    routes = (DEPARTMENT_DAY, DEPARTMENT_MONTH, AREA_DAY, AREA_MONTH)
    id_field = "dossier_id"

    def __init__(self, province: Province, due_soon_ms: int, resend_margin_ms: int) -> None:
        super().__init__(resend_margin_ms)
        self.province = province
        self.due_soon_ms = due_soon_ms
        self.unit_areas = {unit.code: unit.area for unit in province.reporting_units}
        self._placements = cache(self._placement)

    def place(self, record: dict[str, Any]) -> Placement:
        return self._placements(record["department_code"], record["area_code"])

    def _placement(self, department: str, area: str) -> Placement:
        """The department (when the portal named one: a figure for a nameless department is one
        nobody can act on), then the area and every area above it; the province is an area too."""
        totals = []
        if department:
            unit_area = self.unit_areas.get(department, "")
            totals += [
                Place(DEPARTMENT_DAY, department, unit_area),
                Place(DEPARTMENT_MONTH, department, unit_area),
            ]
        for code in self.province.area_lineage(area or self.province.code):
            totals += [Place(AREA_DAY, code, code), Place(AREA_MONTH, code, code)]
        return Placement.of(f"{department}|{area}", None, totals)

    def slim(self, record: dict[str, Any]) -> list[Any]:
        return [
            record["observed_at"],
            record["event_type"],
            record["department_code"],
            record["area_code"],
            record["received_at"],
            record["due_at"],
            record["resolved_at"],
            record.get("channel", "unknown"),
            record.get("digitised"),
            record.get("paid_online"),
            record.get("satisfaction"),
        ]

    def merge_event(self, case: Case | None, event_id: str, event: list[Any]) -> Case:
        """`dossiers.merge` of one slim event (its partition field, unused here, is dropped)."""
        extra = event[CHANNEL:SLIM_FIELDS] if len(event) >= SLIM_FIELDS else ["unknown", None, None, None]
        merged = dossiers.merge(
            case,
            {
                "event_id": event_id,
                "observed_at": _when(event[OBSERVED]),
                "event_type": event[KIND],
                "department_code": event[DEPARTMENT],
                "area_code": event[AREA],
                "received_at": _when(event[RECEIVED]),
                "due_at": _when(event[DUE]),
                "resolved_at": _when(event[RESOLVED]),
                **dict(zip(dossiers.FACTS, extra, strict=True)),
            },
            0,
        )
        merged.pop("partition", None)
        return merged

    def finished(self, case: Case) -> bool:
        return case["resolved"] is not None or case["status"] in dossiers.CLOSED_WITHOUT_RESULT

    def figures(self, group: list[Case], view: WindowView) -> list[Value]:
        found = dossiers.figures(group, view.start_ms, view.end_ms, view.as_of_ms, self.due_soon_ms)
        values = [(code, value, unit, found.dossiers, "") for code, value, unit in found.indicators()]
        if view.route.shape is MONTH:
            values += [
                (code, value, unit, found.dossiers, label) for code, value, unit, label in found.index()
            ]
        return values
