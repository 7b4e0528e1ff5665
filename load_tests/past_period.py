"""Fill two periods of one form with the department simulator's values, straight into the warehouse,
for an example period report (docs/reports/period-example.pdf):

    python -m load_tests.past_period BC-DVC-THANG 2026-11 [--silent 2] [--seed 17]

Each owning unit's values for the named period and the one before come from the simulator's own
value generator (load_tests/departments.py: around the unit's share of the plan, else low in the
allowed range); in the named period the last `--silent` units send nothing and one more unit leaves
out the form's last indicator, so the report shows what is missing. The rows go into
`department_report_values` directly (no gateway, no Kafka): the report reads only that table.
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta

from ioc.forms import province_forms
from ioc.forms.periods import period_before, period_named
from ioc.province import load_province
from ioc.settings import Settings
from load_tests.departments import DepartmentFeeds, DepartmentRates
from reports.service import warehouse

COLUMNS = ["event_id", "source_id", "reporting_unit_code", "observed_at", "report_code", "indicator_code",
           "period_type", "period_start", "period_end", "value", "unit_of_measure", "area_code", "revision", "note",
           "kafka_topic", "kafka_partition", "kafka_offset"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("form")
    parser.add_argument("period")
    parser.add_argument("--silent", type=int, default=2, help="units that send nothing in the period")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    settings = Settings()
    province = load_province(settings.province_file)
    forms = province_forms(settings)
    form = forms.get(args.form)
    if form is None:
        raise SystemExit(f"no form {args.form!r}")
    feeds = DepartmentFeeds(province, random.Random(args.seed), DepartmentRates(), forms=list(forms))
    units = {u.code: u for u in province.reporting_units}
    owners = list(forms.owner_units(form.code))
    this = period_named(form, args.period)
    previous = period_before(form, this)
    assert previous is not None  # noqa: S101 - period_named refuses ad-hoc forms
    rows: list[list[object]] = []
    for period, skip in ((previous, 0), (this, args.silent)):
        submit = datetime.combine(period[1] + timedelta(days=2), datetime.min.time(), UTC)
        reporting = owners[: len(owners) - skip] if skip else owners
        for index, code in enumerate(reporting):
            schedule = next(r for r in units[code].reports if r.report_code == form.code)
            records = feeds._report(units[code], schedule, period[0], period[1], submit)  # noqa: SLF001
            if skip and index == len(reporting) - 1:
                records = records[:-1]  # one unit leaves out the last indicator
            for _, source, value in records:
                rows.append([value["event_id"], source, code, value["observed_at"], form.code,
                             value["indicator_code"], value["period_type"], value["period_start"],
                             value["period_end"], value["value"], value["unit_of_measure"], value["area_code"],
                             0, "", "simulated.past_period", 0, len(rows)])  # fmt: skip
    warehouse(settings).insert("department_report_values", rows, column_names=COLUMNS)
    print(f"{len(rows)} values of {form.code} for {previous[0]:%d/%m/%Y}–{this[1]:%d/%m/%Y}")


if __name__ == "__main__":
    main()
