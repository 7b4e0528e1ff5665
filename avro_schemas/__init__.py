"""The data contracts: one Avro schema file per topic value, under `<family>/<name>.avsc`.

Loaded and parsed once at start-up by whoever needs them; never per message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).parent


def schema_path(name: str) -> Path:
    """The file of a schema named like `camera/vehicle_counts`."""
    return SCHEMA_DIR / f"{name}.avsc"


def load_schema(name: str) -> dict[str, Any]:
    """The schema as JSON (not yet parsed by an Avro library)."""
    schema: dict[str, Any] = json.loads(schema_path(name).read_text(encoding="utf-8"))
    return schema


def schema_names() -> list[str]:
    """Every schema in the folder, as `family/name`, sorted."""
    return sorted(str(p.relative_to(SCHEMA_DIR).with_suffix("")) for p in SCHEMA_DIR.glob("*/*.avsc"))
