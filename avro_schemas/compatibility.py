"""Schema compatibility without a server: the working tree against every committed version.

The registry enforces BACKWARD_TRANSITIVE on each subject; this check applies the same rule
earlier, in a test or before a commit, using the `avro` package's reader/writer checker and the
file's own git history. Each problem names the schema, the field, its location and the rule.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from avro_schemas import SCHEMA_DIR, load_schema, schema_names

RULES = {
    "reader_field_missing_default_value": "a field added without a default (old records lack it)",
    "type_mismatch": "a field's type changed to one that cannot read the old type",
    "missing_enum_symbols": "an enum lost symbols that old records may hold",
    "name_mismatch": "a record, enum or fixed type was renamed",
    "missing_union_branch": "a union lost a branch that old records may use",
    "fixed_size_mismatch": "a fixed type changed size",
}


@dataclass(frozen=True)
class Incompatibility:
    """One way the new schema cannot read an older version."""

    schema: str
    version: str
    fields: str
    locations: str
    rule: str

    def __str__(self) -> str:
        return (
            f"{self.schema}: cannot read version {self.version}: field {self.fields} at {self.locations} "
            f"breaks rule '{self.rule}'"
        )


def incompatibilities(
    name: str, new: dict[str, Any], old: dict[str, Any], version: str
) -> list[Incompatibility]:
    """What stops a reader with `new` from reading data written with `old` (empty when compatible)."""
    result = ReaderWriterCompatibilityChecker().get_compatibility(
        avro.schema.parse(json.dumps(new)), avro.schema.parse(json.dumps(old))
    )
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = sorted({kind.value for kind in result.incompatibilities})
    return [
        Incompatibility(
            schema=name,
            version=version,
            fields=", ".join(sorted(str(m) for m in result.messages)),
            locations=", ".join(sorted(result.locations)),
            rule="; ".join(f"{kind}: {RULES.get(kind, kind)}" for kind in kinds),
        )
    ]


def committed_versions(name: str, repo: Path | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Every committed version of a schema file, newest first, as (short commit, schema)."""
    path = (SCHEMA_DIR / f"{name}.avsc").resolve()
    root = repo or SCHEMA_DIR.parent
    relative = path.relative_to(root.resolve())
    try:
        commits = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
            ["git", "log", "--format=%h", "--", str(relative)],  # noqa: S607 - git from PATH on purpose
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return []  # not a git checkout (an installed package): nothing committed to compare with
    versions = []
    for commit in commits:
        shown = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
            ["git", "show", f"{commit}:{relative}"],  # noqa: S607
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if shown.returncode == 0:
            versions.append((commit, json.loads(shown.stdout)))
    return versions


def check_working_tree() -> list[Incompatibility]:
    """Every schema in the tree against all its committed versions (BACKWARD_TRANSITIVE)."""
    problems: list[Incompatibility] = []
    for name in schema_names():
        current = load_schema(name)
        for commit, old in committed_versions(name):
            problems += incompatibilities(name, current, old, commit)
    return problems
