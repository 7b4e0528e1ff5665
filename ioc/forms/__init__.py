"""Report forms as code (config/report_forms/, one YAML file per form) under Decree 09/2019/NĐ-CP.

Public API, for the gateway and for whatever reads the forms (reports, exporters):

- `load_forms(folder, province) -> Forms` (or `FormsError` naming file, form and field);
  `LiveForms(folder, province).current()` for a running service (reloads, keeps the last good set);
- `Forms`: `get(code)`, iteration, `indicator(form, indicator)`, `owner_units(code)`, `owned_by(unit)`,
  `paths[code]`;
- `Form`: code, name_vi, sector (+ `sector_vi`), owners, period (+ `period_vi`, `period_type`),
  cutoff_day, due_days, receiver_vi, legal_basis_vi, indicators, `schedule` (the `PeriodicReport`),
  `period_of(day)`, `deadline_ms(period_end)`, `indicator(code)`;
- `Indicator`: code, name_vi, unit, type, min, max, over_areas, over_periods, target (`PlanTarget`:
  value, direction), note_vi, `allows(value)`.
"""

from __future__ import annotations

from ioc.forms.loader import Forms, FormsError, LiveForms, load_forms
from ioc.forms.model import PERIOD_TYPES, SECTORS, Form, Indicator, PlanTarget
from ioc.province import load_province
from ioc.settings import Settings

__all__ = [
    "PERIOD_TYPES",
    "SECTORS",
    "Form",
    "Forms",
    "FormsError",
    "Indicator",
    "LiveForms",
    "PlanTarget",
    "load_forms",
    "province_forms",
]


def province_forms(settings: Settings) -> Forms:
    """The configured forms (`IOC_FORMS_DIR`), checked against the configured province."""
    return load_forms(settings.forms_dir, load_province(settings.province_file))
