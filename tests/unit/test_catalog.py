"""The integrators' catalogue in docs/catalog/ is what the schemas say today, and its examples are accepted."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from avro_schemas import SCHEMA_DIR, load_schema
from avro_schemas.catalog import DEFAULT_DIR, RULES, render_catalog, write_catalog
from avro_schemas.json_records import JsonRecordConverter
from topics.catalog import DERIVED_TOPICS, INPUT_TOPICS, TopicSpec

PAGES = INPUT_TOPICS + DERIVED_TOPICS
STALE = "docs/catalog is out of date with the schemas: run `ioc schemas catalog`"


def committed() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(DEFAULT_DIR.glob("*.md"))}


def paths(schema: dict[str, Any], prefix: str = "") -> list[str]:
    """Every field path, written independently of the generator: `records[].x` for array items."""
    found = []
    for field in schema["fields"]:
        path, kind = prefix + field["name"], field["type"]
        found.append(path)
        if isinstance(kind, dict) and kind["type"] == "array" and isinstance(kind["items"], dict):
            found += paths(kind["items"], path + "[].")
    return found


def test_committed_catalog_is_exactly_what_the_schemas_generate() -> None:
    files, generated = committed(), render_catalog()
    assert sorted(files) == sorted(generated), STALE
    for name, text in generated.items():
        assert files[name] == text, f"{name}: {STALE}"


@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.name)
def test_every_field_of_the_schema_is_in_the_page_table(spec: TopicSpec) -> None:
    page = committed().get(f"{spec.name}.md")
    assert page is not None, f"no page for {spec.name}: {STALE}"
    rows = {line.split(" | ")[0].removeprefix("| ") for line in page.splitlines() if line.startswith("| `")}
    missing = [path for path in paths(load_schema(spec.schema)) if f"`{path}`" not in rows]
    assert missing == [], f"{spec.name}: fields missing from the page table: {missing}; {STALE}"


@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.name)
def test_page_example_is_accepted_by_the_schema(spec: TopicSpec) -> None:
    (block,) = re.findall(r"```json\n(.*?)\n```", committed()[f"{spec.name}.md"], re.S)
    JsonRecordConverter(load_schema(spec.schema)).convert(json.loads(block))


def test_every_rule_the_converter_can_name_is_explained() -> None:
    source = (SCHEMA_DIR / "json_records.py").read_text(encoding="utf-8")
    named = set(re.findall(r'RecordError\((?:[^()]|\([^()]*\))*?,\s*"([a-z-]+)"', source))
    assert named, "no rules found: has RecordError's signature changed?"
    assert named == set(RULES), f"update RULES in avro_schemas/catalog.py: {named ^ set(RULES)}"


def test_write_removes_pages_of_topics_that_no_longer_exist(tmp_path: Path) -> None:
    (tmp_path / "ioc.camera.retired-feed.md").write_text("old", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("kept", encoding="utf-8")
    written = write_catalog(tmp_path)
    assert sorted(path.name for path in tmp_path.glob("*.md")) == sorted(path.name for path in written)
    assert (tmp_path / "notes.txt").exists()
