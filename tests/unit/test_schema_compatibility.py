"""Schema governance without a server: BACKWARD_TRANSITIVE against the committed versions."""

from __future__ import annotations

import copy
from typing import Any

from avro_schemas import load_schema, schema_names
from avro_schemas.compatibility import check_working_tree, committed_versions, incompatibilities


def indicators() -> dict[str, Any]:
    return load_schema("derived/indicators")


def test_working_tree_schemas_read_every_committed_version() -> None:
    problems = check_working_tree()
    assert problems == [], "\n".join(str(p) for p in problems)


def test_committed_history_is_found_for_a_committed_schema() -> None:
    versions = committed_versions("camera/vehicle_counts")
    assert versions, "the file is committed, so git history must give at least one version"
    assert all(schema["name"] == "VehicleCountBatch" for _, schema in versions)


def test_added_field_without_default_is_named_with_location_and_rule() -> None:
    old = indicators()
    new = copy.deepcopy(old)
    new["fields"].append({"name": "zone_code", "type": "string", "doc": "x | x"})
    (problem,) = incompatibilities("derived/indicators", new, old, "abc123")
    assert problem.fields == "zone_code"
    assert problem.locations == f"/fields/{len(old['fields'])}"
    assert problem.rule.startswith("reader_field_missing_default_value")
    assert "derived/indicators: cannot read version abc123: field zone_code" in str(problem)


def test_changed_field_type_is_refused() -> None:
    old = load_schema("camera/vehicle_counts")
    new = copy.deepcopy(old)
    record_fields = new["fields"][2]["type"]["items"]["fields"]
    vehicle_count = next(f for f in record_fields if f["name"] == "vehicle_count")
    vehicle_count["type"] = "string"
    (problem,) = incompatibilities("camera/vehicle_counts", new, old, "abc123")
    assert "type_mismatch" in problem.rule


def test_removed_enum_symbol_falls_back_to_the_enum_default() -> None:
    """Avro resolves an unknown symbol to the reader enum's default, which is why every enum has one."""
    old = load_schema("camera/vehicle_counts")
    new = copy.deepcopy(old)
    record_fields = new["fields"][2]["type"]["items"]["fields"]
    vehicle_class = next(f for f in record_fields if f["name"] == "vehicle_class")["type"]
    vehicle_class["symbols"].remove("bicycle")
    assert incompatibilities("camera/vehicle_counts", new, old, "abc123") == []
    del vehicle_class["default"]
    (problem,) = incompatibilities("camera/vehicle_counts", new, old, "abc123")
    assert "missing_enum_symbols" in problem.rule


def test_added_field_with_default_is_compatible() -> None:
    old = indicators()
    new = copy.deepcopy(old)
    new["fields"].append({"name": "zone_code", "type": "string", "default": "", "doc": "x | x"})
    assert incompatibilities("derived/indicators", new, old, "abc123") == []


def test_every_schema_file_is_found() -> None:
    assert "camera/vehicle_counts" in schema_names()
    assert all(not name.startswith("examples/") for name in schema_names())
