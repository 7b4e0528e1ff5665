"""The benchmark's results: a table on the terminal, a JSON file, and the targets as ratios of this run."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from load_tests.benchmark.measure import Result
from load_tests.benchmark.pipelines import PIPELINES, PLATFORM_2W

# Issue 15 item 7: the platform's sustained rate against each peer's, in the same run.
MIN_RATIOS = {"python_ceiling": 0.35, "quix": 3.0, "naive_faust": 10.0}
# p99 event-to-queryable ceilings (s), by latency phase: (phase label, how the target names it, ceiling).
P99_TARGETS = (("70% sustained", "70% of sustained", 2.5), ("2000/s", "2,000 records/s", 1.5))
COMPUTES = {p.name: p.computes for p in PIPELINES}
WORKERS = {p.name: p.workers or 1 for p in PIPELINES}  # processes of the pipeline (the platform's workers)


def _latency(result: Result, label: str, key: str) -> float | None:
    for entry in result.latency:
        if entry["label"] == label:
            value: float | None = entry.get(key)
            return value
    return None


def targets(results: list[Result]) -> list[dict[str, Any]]:
    """Each target with its measured value and whether it is met (None when it could not be measured)."""
    by_name = {r.pipeline: r for r in results}
    platform_result = by_name.get("platform")
    rows: list[dict[str, Any]] = []
    if platform_result is None:
        return rows
    for peer, minimum in MIN_RATIOS.items():
        other = by_name.get(peer)
        if other is None:
            continue
        ratio = platform_result.sustained_eps / other.sustained_eps if other.sustained_eps else None
        rows.append(
            {
                "target": f"platform sustained ≥ {minimum}× {peer}",
                "value": round(ratio, 2) if ratio is not None else None,
                "met": ratio is not None and ratio >= minimum,
            }
        )
    for phase, named, ceiling in P99_TARGETS:
        p99 = _latency(platform_result, phase, "p99_s")
        rows.append(
            {
                "target": f"platform p99 ≤ {ceiling} s at {named}",
                "value": p99,
                "met": p99 is not None and p99 <= ceiling,
            }
        )
    two = by_name.get(PLATFORM_2W.name)
    if two is not None:
        # No target: how the same platform does with two workers sharing the same cores.
        rows.append(
            {
                "target": "platform, 2 workers: sustained as a share of 1 worker's (no target)",
                "value": round(two.sustained_eps / platform_result.sustained_eps, 2)
                if platform_result.sustained_eps
                else None,
                "met": None,
            }
        )
    if platform_result.soak:
        growth = platform_result.soak["growth_mb"]
        # "No growth": within 5% of the early resident size (allocator noise), measured over the soak.
        rows.append(
            {
                "target": "no memory growth over the soak",
                "value": growth,
                "met": growth <= 0.05 * platform_result.soak["rss_mb_early"],
            }
        )
    return rows


def document(results: list[Result], mode: str, command: str, started: datetime) -> dict[str, Any]:
    return {
        "date": started.isoformat(),
        "mode": mode,
        "command": command,
        "machine": {
            "cores": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "pipelines": [
            r.as_dict() | {"computes": COMPUTES.get(r.pipeline, ""), "workers": WORKERS.get(r.pipeline, 1)}
            for r in results
        ],
        "targets": targets(results),
    }


def print_table(doc: dict[str, Any], console: Console) -> None:
    started = datetime.fromisoformat(doc["date"]).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    table = Table(title=f"Benchmark ({doc['mode']}) · {started} · {doc['machine']['cores']} cores")
    for column in (
        "pipeline",
        "sustained rec/s",
        "capacity rec/s",
        "p50/p99 s @1,000/s",
        "p50/p99 s @2,000/s",
        "p50/p99 s @70% sust.",
        "CPU ms/1k rec (+warehouse)",
        "peak RSS MiB",
    ):
        table.add_column(column, justify="right" if column != "pipeline" else "left")
    for p in doc["pipelines"]:

        def lat(label: str, entry_list: list[dict[str, Any]] = p["latency"]) -> str:
            for entry in entry_list:
                if entry["label"] == label and "p50_s" in entry:
                    return f"{entry['p50_s']:.2f} / {entry['p99_s']:.2f}"
            return "—"

        table.add_row(
            p["label"],
            f"{p['sustained_eps']:,.0f}",
            f"{p['capacity_eps']:,.0f}",
            lat("1000/s"),
            lat("2000/s"),
            lat("70% sustained"),
            f"{p['cpu_ms_per_1000_pipeline_only']:.0f} ({p['cpu_ms_per_1000']:.0f})",
            f"{p['peak_rss_mb']:.0f}",
        )
    console.print(table)
    for row in doc["targets"]:
        console.print(f"  {row['target']}: {target_verdict(row)}")
    for p in doc["pipelines"]:
        console.print(f"  computes ({p['pipeline']}): {p.get('computes', '')}")
    for p in doc["pipelines"]:
        for note in p["notes"]:
            console.print(f"  note ({p['pipeline']}): {note}")


def target_verdict(row: dict[str, Any]) -> str:
    """A target's value and verdict as printed; a target whose value could not be measured is not
    "missed", it is unmeasured."""
    if row["value"] is None:
        return "not measured — [yellow]unknown[/yellow]"
    if row["met"] is None:
        return f"{row['value']}"
    return f"{row['value']} — " + ("[green]met[/green]" if row["met"] else "[red]missed[/red]")


def write_json(doc: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
