"""Public services: dossier events into the Decision 766 figures and index by department and by area,
and hotline tickets into open, overdue and time-to-resolve figures by area and category, for the
local day and the local month to date (streams/model/services.py, streams/model/hotline.py)."""

from __future__ import annotations

from streams.engine.topology import Node, Wiring
from streams.model.hotline import HotlineModel
from streams.model.services import DossierModel
from topics.catalog import (
    DEPARTMENT_DOSSIER_EVENTS,
    DEPARTMENT_HOTLINE_REPORTS,
    DLQ_DEPARTMENT,
    SERVICES_DOSSIERS_TASKS,
    SERVICES_HOTLINE_TASKS,
)


def processors(wiring: Wiring) -> list[Node]:
    settings = wiring.settings.indicators
    margin = wiring.timing.horizon_ms
    dossiers = DossierModel(
        wiring.province, int(settings.dossier_due_soon_h * 3_600_000), resend_margin_ms=margin
    )
    hotline = HotlineModel(wiring.province, int(settings.hotline_due_h * 3_600_000), resend_margin_ms=margin)
    return [
        *wiring.windowed(SERVICES_DOSSIERS_TASKS, DEPARTMENT_DOSSIER_EVENTS, DLQ_DEPARTMENT, dossiers),
        *wiring.windowed(SERVICES_HOTLINE_TASKS, DEPARTMENT_HOTLINE_REPORTS, DLQ_DEPARTMENT, hotline),
    ]
