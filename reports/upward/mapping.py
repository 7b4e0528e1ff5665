"""The mapping from the province's indicator codes to the national system's (config/national_indicators.yaml),
checked when it is loaded: a mistake names the file, the indicator and the field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

FIELDS = ("national_code", "name_vi", "unit")
NATIONAL_CODE = re.compile(r"^[A-Z]{2,5}\.\d{4}$")


class MappingError(ValueError):
    """The mapping file is wrong; the message names file, indicator and field."""


@dataclass(frozen=True)
class NationalIndicator:
    national_code: str
    name_vi: str
    unit: str


@dataclass(frozen=True)
class Mapping:
    system: str
    payload_version: int
    indicators: dict[str, NationalIndicator]


def load_mapping(path: Path) -> Mapping:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise MappingError(f"{path}: cannot read: {error}") from error
    if not isinstance(raw, dict) or not isinstance(raw.get("indicators"), dict):
        raise MappingError(f"{path}: needs a mapping with an `indicators` table")
    indicators: dict[str, NationalIndicator] = {}
    seen: dict[str, str] = {}
    for code, entry in raw["indicators"].items():
        if not isinstance(entry, dict):
            raise MappingError(f"{path}: indicator {code!r}: expected national_code, name_vi and unit")
        for name in FIELDS:
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                raise MappingError(f"{path}: indicator {code!r}: field {name!r} is missing or empty")
        unknown = set(entry) - set(FIELDS)
        if unknown:
            raise MappingError(f"{path}: indicator {code!r}: unknown field(s) {sorted(unknown)}")
        national = entry["national_code"]
        if not NATIONAL_CODE.match(national):
            raise MappingError(
                f"{path}: indicator {code!r}: field 'national_code' {national!r} is not <SECTOR>.<4 digits>"
            )
        if national in seen:
            raise MappingError(
                f"{path}: indicator {code!r}: field 'national_code' {national!r} is also {seen[national]!r}'s"
            )
        seen[national] = code
        indicators[code] = NationalIndicator(**{name: entry[name] for name in FIELDS})
    return Mapping(str(raw.get("system", "")), int(raw.get("payload_version", 1)), indicators)
