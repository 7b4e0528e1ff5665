"""What the benchmark tells a peer's process: one small JSON file (mode 0600, it holds the warehouse
writer's password), so the peers need neither the platform's settings nor its virtualenv."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client

RESULT_TABLE = "bench_indicators"
RESULT_COLUMNS = [
    "pipeline",
    "camera_id",
    "window_start",
    "volume",
    "average_speed",
    "speed_ratio",
    "congestion_level",
    "computed_at",
]
# (camera or "kind|entity", window start ms, volume, average speed, speed ratio, congestion level)
Row = tuple[str, int, float, float | None, float | None, int | None]


def read_config(path: str) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return config


def warehouse(config: dict[str, Any]) -> Client:
    """clickhouse-connect's HTTP client on the benchmark's warehouse, as its writer."""
    ch = config["clickhouse"]
    return clickhouse_connect.get_client(
        dsn=ch["url"], username=ch["username"], password=ch["password"], database=ch["database"]
    )


def insert_rows(client: Client, pipeline: str, rows: list[Row], now_ms: int) -> None:
    """One columnar insert of window results (the per-camera peers leave ratio and level None)."""
    if not rows:
        return
    cameras, starts, volumes, speeds, ratios, levels = (list(column) for column in zip(*rows, strict=True))
    client.insert(
        RESULT_TABLE,
        [
            [pipeline] * len(rows),
            cameras,
            [datetime.fromtimestamp(start / 1000, UTC) for start in starts],
            volumes,
            speeds,
            ratios,
            levels,
            [datetime.fromtimestamp(now_ms / 1000, UTC)] * len(rows),
        ],
        column_names=RESULT_COLUMNS,
        column_oriented=True,
    )
