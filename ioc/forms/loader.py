"""Reading the form files: every mistake named by file, form and field, and nothing half-loaded.

`load_forms` reads every `*.yaml` of the forms folder, one form per file, and checks each against
the model (ioc/forms/model.py) and against the province: each owner pattern must match a reporting
unit, a form code appears once, and the periodic reports the province file lists for each unit (what
the lateness check reads) are exactly the scheduled forms it owns, with the same period, cut-off and
deadline. Any problem refuses the whole set (`FormsError` listing them all): a half-read set would
accept values for a form that is wrong.

`LiveForms` is the same set for a running service: it notices when the folder changes, reloads, and
keeps the last good forms in force when the new files do not load (saying why once).
"""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from ioc.forms.model import Form, Indicator
from ioc.province import Province

log = logging.getLogger(__name__)


class FormsError(ValueError):
    """The forms folder cannot be used; `problems` are lines naming file, form and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Forms:
    """The province's report forms, by code, with each form's file and its owning units."""

    forms: dict[str, Form]
    paths: dict[str, Path] = field(default_factory=dict)
    owners: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Form]:
        return iter(self.forms.values())

    def __len__(self) -> int:
        return len(self.forms)

    def get(self, code: str) -> Form | None:
        return self.forms.get(code)

    def indicator(self, form_code: str, indicator_code: str) -> Indicator | None:
        form = self.forms.get(form_code)
        return None if form is None else form.indicator(indicator_code)

    def owner_units(self, code: str) -> tuple[str, ...]:
        """The reporting unit codes that owe form `code`."""
        return self.owners.get(code, ())

    def owned_by(self, unit: str) -> list[Form]:
        """The forms reporting unit `unit` owes."""
        return [form for code, form in self.forms.items() if unit in self.owners.get(code, ())]


def _field_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _read(path: Path) -> tuple[Form | None, list[str]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, [f"{path.name}: cannot read: {exc}"]
    code = raw.get("code", "?") if isinstance(raw, dict) else "?"
    try:
        return Form.model_validate(raw), []
    except ValidationError as exc:
        return None, [
            f"{path.name}: form {code}: {_field_path(error['loc']) or '(form)'}: {error['msg']}"
            for error in exc.errors()
        ]


def _resolve_owners(form: Form, path: Path, units: list[str]) -> tuple[tuple[str, ...], list[str]]:
    resolved: list[str] = []
    problems = []
    for index, pattern in enumerate(form.owners):
        matched = [unit for unit in units if fnmatch.fnmatchcase(unit, pattern)]
        if not matched:
            problems.append(
                f"{path.name}: form {form.code}: owners[{index}]: {pattern!r} matches no reporting unit "
                "of the province file"
            )
        resolved += [unit for unit in matched if unit not in resolved]
    return tuple(resolved), problems


def _schedule_problems(forms: Forms, province: Province) -> Iterable[str]:
    """The province file's periodic reports per unit must be the scheduled forms the unit owns."""
    for unit in province.reporting_units:
        listed = {report.report_code: report for report in unit.reports}
        for form in forms.owned_by(unit.code):
            schedule = form.schedule
            where = f"{forms.paths[form.code].name}: form {form.code}: owners"
            if schedule is None:
                continue
            if form.code not in listed:
                yield (
                    f"{where}: unit {unit.code} owns it but province.yaml does not list it in the unit's "
                    "reports (the lateness check reads them)"
                )
            elif listed[form.code] != schedule:
                yield (
                    f"{where}: unit {unit.code}'s report in province.yaml has a different period, "
                    f"cut-off or due days ({listed[form.code].model_dump()} vs {schedule.model_dump()})"
                )
        for code in listed:
            form = forms.get(code)
            if form is None or unit.code not in forms.owner_units(code):
                yield (
                    f"province.yaml: reporting unit {unit.code}: reports: {code!r} is not a form the unit "
                    "owns in the forms folder"
                )


def read_forms(folder: Path) -> list[Form]:
    """The forms of `folder` as written, checked on their own (not against a province)."""
    forms, problems = [], []
    for path in sorted(folder.glob("*.yaml")):
        form, found = _read(path)
        problems += found
        forms += [form] if form is not None else []
    if problems:
        raise FormsError(problems)
    return forms


def owns(form: Form, unit: str) -> bool:
    """Whether reporting unit `unit` matches one of the form's owner patterns."""
    return any(fnmatch.fnmatchcase(unit, pattern) for pattern in form.owners)


def load_forms(folder: Path, province: Province) -> Forms:
    """Every form of `folder`, checked; FormsError naming each problem when any file is wrong."""
    if not folder.is_dir():
        raise FormsError([f"{folder}: the forms folder does not exist"])
    units = [unit.code for unit in province.reporting_units]
    problems: list[str] = []
    forms: dict[str, Form] = {}
    paths: dict[str, Path] = {}
    owners: dict[str, tuple[str, ...]] = {}
    files = sorted(folder.glob("*.yaml"))
    if not files:
        problems.append(f"{folder}: no form files (*.yaml)")
    for path in files:
        form, found = _read(path)
        problems += found
        if form is None:
            continue
        if form.code in forms:
            problems.append(
                f"{path.name}: form {form.code}: code: already defined in {paths[form.code].name}"
            )
            continue
        owners[form.code], found = _resolve_owners(form, path, units)
        problems += found
        forms[form.code], paths[form.code] = form, path
    loaded = Forms(forms, paths, owners)
    problems += list(_schedule_problems(loaded, province))
    if problems:
        raise FormsError(problems)
    return loaded


def fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a form file is added, removed or edited."""
    try:
        return tuple(
            (path.name, path.stat().st_mtime_ns, path.stat().st_size)
            for path in sorted(folder.glob("*.yaml"))
        )
    except OSError:
        return ()


class LiveForms:
    """The forms a running service uses: reloaded when the folder changes (checked at most every
    `interval_s`), the last good set kept when the new one does not load."""

    def __init__(
        self,
        folder: Path,
        province: Province,
        interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = folder
        self.province = province
        self.interval_s = interval_s
        self.clock = clock
        self._print = fingerprint(folder)
        self._forms = load_forms(folder, province)  # at start a broken folder stops the service
        self._checked = clock()
        self._lock = threading.Lock()
        self.last_error: FormsError | None = None

    def current(self) -> Forms:
        """The forms in force now."""
        now = self.clock()
        if now - self._checked < self.interval_s:
            return self._forms
        with self._lock:
            self._checked = now
            seen = fingerprint(self.folder)
            if seen != self._print:
                self._print = seen
                try:
                    self._forms = load_forms(self.folder, self.province)
                    self.last_error = None
                    log.info("report forms reloaded from %s: %d forms", self.folder, len(self._forms))
                except FormsError as exc:
                    self.last_error = exc
                    log.error(
                        "report forms in %s not reloaded, the last good ones stay: %s", self.folder, exc
                    )
        return self._forms
