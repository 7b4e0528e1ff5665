"""Upgrading a warehouse that holds incidents (migrations 100-101), on the real embedded engine.

The incidents stored before the upgrade keep their evidence links, in the restricted table only; the
readers' table loses the column; incidents stored after reach the readers' table without it. The
engine runs in a child process: chDB opens one data folder per process, and the suite's other
tests may hold another.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

UPGRADE = """
import json, sys
import clickhouse_connect
from sinks import migrate as migrations

path = sys.argv[1]
admin = clickhouse_connect.get_client(dsn=f"chdb://{path}")
admin.command("CREATE DATABASE IF NOT EXISTS ioc")
client = clickhouse_connect.get_client(dsn=f"chdb://{path}", database="ioc")
everything = migrations.available
# The warehouse as it was before migration 100, holding one incident with its evidence link.
migrations.available = lambda: [m for m in everything() if m.version < 100]
migrations.migrate(client, "ioc")
client.command(
    "INSERT INTO camera_incidents (event_id, source_id, camera_id, observed_at, incident_type, "
    "evidence_ref, kafka_topic, kafka_partition, kafka_offset) VALUES "
    "('IN-OLD', 'VMS', 'CAM-1', now64(3), 'accident', 'https://vms.example.vn/old.mp4', 'ioc.camera.incidents', 0, 7)"
)
migrations.available = everything
applied = [m.version for m in migrations.migrate(client, "ioc")]
# A new incident, as the sink now stores it.
client.command(
    "INSERT INTO restricted_camera_incidents (event_id, source_id, camera_id, observed_at, incident_type, "
    "evidence_ref, kafka_topic, kafka_partition, kafka_offset) VALUES "
    "('IN-NEW', 'VMS', 'CAM-1', now64(3), 'fire_smoke', 'https://vms.example.vn/new.mp4', 'ioc.camera.incidents', 0, 8)"
)
print(json.dumps({
    "applied": applied,
    "restricted": sorted(map(list, client.query(
        "SELECT event_id, evidence_ref, kafka_offset FROM restricted_camera_incidents FINAL").result_rows)),
    "readers": sorted(map(list, client.query(
        "SELECT event_id, incident_type, kafka_offset FROM camera_incidents FINAL").result_rows)),
    "columns": list(client.query("SELECT * FROM camera_incidents LIMIT 0").column_names),
}))
"""


def test_an_upgraded_warehouse_keeps_old_evidence_restricted_and_readers_never_see_a_link(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", UPGRADE, str(tmp_path / "chdb")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["applied"][:2] == [100, 101]
    assert result["restricted"] == [
        ["IN-NEW", "https://vms.example.vn/new.mp4", 8],
        ["IN-OLD", "https://vms.example.vn/old.mp4", 7],
    ]
    assert result["readers"] == [["IN-NEW", "fire_smoke", 8], ["IN-OLD", "accident", 7]]
    assert "evidence_ref" not in result["columns"]
