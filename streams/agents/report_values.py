"""Report values (Decree 09 forms): each reporting unit's lateness against its periods (input health,
streams/model/report_lateness.py) and each form indicator's figures, change and plan gap over its
period (public services, streams/model/form_figures.py), on one task over the topic's one partition
(streams/engine/report_values.py)."""

from __future__ import annotations

from ioc.forms import province_forms
from streams.engine.inputs import Intake
from streams.engine.report_values import ReportValuesTask, refusal
from streams.engine.runtime import Task
from streams.engine.store import Store
from streams.engine.topology import Node, Wiring
from streams.model.form_figures import FormFigures
from streams.model.report_lateness import ReportLateness
from topics.catalog import (
    DEPARTMENT_REPORT_VALUES,
    DLQ_DEPARTMENT,
    HEALTH_REPORTS_TASKS,
    SERVICES_FORMS_TASKS,
)

NODE = "report-values"


def processors(wiring: Wiring) -> list[Node]:
    """The forms are those in force when the worker starts: a changed form applies from its next start."""
    lateness = ReportLateness(wiring.province)
    figures = FormFigures(province_forms(wiring.settings), wiring.province)

    def task(partition: int, stores: list[Store]) -> Task:
        intake = Intake(
            wiring.decoder(DEPARTMENT_REPORT_VALUES),
            wiring.encoder(DLQ_DEPARTMENT),
            refusal([lateness, figures]),
        )
        return ReportValuesTask(
            [(lateness, stores[0]), (figures, stores[1])], intake, wiring.sinks(DLQ_DEPARTMENT)
        )

    states = (wiring.name(HEALTH_REPORTS_TASKS.state), wiring.name(SERVICES_FORMS_TASKS.state))
    return [Node(NODE, (wiring.name(DEPARTMENT_REPORT_VALUES),), states, task)]
