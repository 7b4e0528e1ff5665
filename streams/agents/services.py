"""Public services: dossier events into the Decision 766 figures by department and by area, for the
local day and the local month to date (streams/model/services.py)."""

from __future__ import annotations

from streams.engine.topology import Node, Wiring
from streams.model.services import DossierModel
from topics.catalog import DEPARTMENT_DOSSIER_EVENTS, DLQ_DEPARTMENT, SERVICES_DOSSIERS_TASKS


def processors(wiring: Wiring) -> list[Node]:
    due_soon_ms = int(wiring.settings.indicators.dossier_due_soon_h * 3_600_000)
    model = DossierModel(wiring.province, due_soon_ms, resend_margin_ms=wiring.timing.horizon_ms)
    return wiring.windowed(SERVICES_DOSSIERS_TASKS, DEPARTMENT_DOSSIER_EVENTS, DLQ_DEPARTMENT, model)
