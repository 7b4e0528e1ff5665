"""Plain JSON records (what integrators send) to Avro data, checked against the schema.

Integrators send ordinary JSON, not Avro's JSON encoding: a union field holds a bare value or
null, times are ISO 8601 strings. The coercions are few and documented here, and each rejection
names the field path and the rule it broke, so a vendor knows exactly what to fix:

- `timestamp-millis`: an ISO 8601 string WITH a time zone (`2026-11-25T07:30:00Z`,
  `2026-11-25T14:30:00+07:00`) or epoch milliseconds; a time without a zone is refused, because
  guessing UTC or local time would shift data by seven hours.
- `date`: `YYYY-MM-DD`.
- `bytes`: a string, stored as its UTF-8 bytes.
- `double`/`float`: integers are accepted; `int`/`long`: only whole numbers (not booleans).
- A field with a default may be left out; unknown fields are refused (a typo must not vanish).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)


class RecordError(ValueError):
    """A value that breaks its schema: where (`path`), which `rule`, and a readable message."""

    def __init__(self, path: str, rule: str, message: str) -> None:
        super().__init__(f"{path or '(record)'}: {message} [{rule}]")
        self.path = path
        self.rule = rule
        self.message = message


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _named_types(schema: Any, found: dict[str, Any]) -> dict[str, Any]:
    """Every named type in the schema by full and short name, so references can be followed."""
    if isinstance(schema, dict):
        if schema.get("type") in ("record", "enum", "fixed") and "name" in schema:
            name = schema["name"]
            full = name if "." in name or not schema.get("namespace") else f"{schema['namespace']}.{name}"
            found[full] = found[name.rsplit(".", 1)[-1]] = schema
        for value in schema.values():
            _named_types(value, found)
    elif isinstance(schema, list):
        for item in schema:
            _named_types(item, found)
    return found


class JsonRecordConverter:
    """Converts and validates plain JSON for one schema (the schema is walked once per record)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.named = _named_types(schema, {})

    def convert(self, value: Any) -> Any:
        """The Avro datum for `value`, or RecordError naming the first problem."""
        return self._convert(self.schema, value, "")

    def _convert(self, schema: Any, value: Any, path: str) -> Any:
        if isinstance(schema, str):
            schema = self.named.get(schema, schema)
        if isinstance(schema, list):
            return self._union(schema, value, path)
        if isinstance(schema, dict):
            kind = schema["type"]
            if kind == "record":
                return self._record(schema, value, path)
            if kind == "enum":
                return self._enum(schema, value, path)
            if kind == "array":
                if not isinstance(value, list):
                    raise RecordError(path, "type", f"expected a list, got {type(value).__name__}")
                return [self._convert(schema["items"], item, f"{path}[{i}]") for i, item in enumerate(value)]
            if kind == "map":
                if not isinstance(value, dict):
                    raise RecordError(path, "type", f"expected an object, got {type(value).__name__}")
                return {k: self._convert(schema["values"], v, _join(path, k)) for k, v in value.items()}
            logical = schema.get("logicalType")
            if logical == "timestamp-millis":
                return _timestamp(value, path)
            if logical == "date":
                return _date(value, path)
            return self._convert(kind, value, path)
        return _primitive(schema, value, path)

    def _record(self, schema: dict[str, Any], value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise RecordError(path, "type", f"expected an object, got {type(value).__name__}")
        known = {field["name"] for field in schema["fields"]}
        unknown = sorted(set(value) - known)
        if unknown:
            raise RecordError(_join(path, unknown[0]), "unknown-field", "field is not in the schema")
        out = {}
        for field in schema["fields"]:
            name = field["name"]
            if name in value:
                out[name] = self._convert(field["type"], value[name], _join(path, name))
            elif "default" in field:
                out[name] = self._convert(field["type"], field["default"], _join(path, name))
            else:
                raise RecordError(_join(path, name), "required", "required field is missing")
        return out

    def _enum(self, schema: dict[str, Any], value: Any, path: str) -> str:
        if value not in schema["symbols"]:
            raise RecordError(path, "enum", f"{value!r} is not one of {', '.join(schema['symbols'])}")
        return str(value)

    def _union(self, branches: list[Any], value: Any, path: str) -> Any:
        if value is None:
            if "null" in branches:
                return None
            raise RecordError(path, "not-null", "must not be null")
        errors = []
        for branch in branches:
            if branch == "null":
                continue
            try:
                return self._convert(branch, value, path)
            except RecordError as exc:
                errors.append(exc)
        raise errors[0]


def _primitive(kind: str, value: Any, path: str) -> Any:
    if kind == "string":
        if isinstance(value, str):
            return value
    elif kind in ("int", "long"):
        if isinstance(value, int) and not isinstance(value, bool):
            low, high = INT_RANGE if kind == "int" else LONG_RANGE
            if not low <= value <= high:
                raise RecordError(path, "range", f"{value} does not fit an Avro {kind}")
            return value
    elif kind in ("double", "float"):
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise RecordError(path, "finite", "must be a finite number")
            return float(value)
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
    elif kind == "bytes":
        if isinstance(value, str):
            return value.encode("utf-8")
    elif kind == "null":
        if value is None:
            return None
    else:
        raise RecordError(path, "schema", f"unsupported Avro type {kind}")
    raise RecordError(path, "type", f"expected {kind}, got {type(value).__name__} {value!r:.40}")


def _timestamp(value: Any, path: str) -> datetime:
    try:
        return _parse_timestamp(value, path)
    except RecordError:
        raise
    except (OverflowError, OSError, ValueError) as exc:  # parsed, but beyond what a datetime holds
        raise RecordError(path, "timestamp-range", f"out of the representable range: {exc}") from None


def _parse_timestamp(value: Any, path: str) -> datetime:
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if not isinstance(value, str):
        raise RecordError(
            path, "timestamp", "expected an ISO 8601 time with a zone, e.g. 2026-11-25T07:30:00Z"
        )
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(path, "timestamp", f"{value!r:.40} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise RecordError(path, "timestamp-zone", "time has no zone; add Z (UTC) or +07:00")
    return moment.astimezone(UTC)


def _date(value: Any, path: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise RecordError(path, "date", f"{value!r:.40} is not a date like 2026-11-14")
