"""The naive Faust pipeline: the platform's topology written the way Faust's tutorials suggest, one
event at a time, awaiting each result.

It reads the same batch messages, but iterates them one by one (no `take_events`), and for every
vehicle-count record updates the camera's minute and awaits the send of the updated
`traffic.volume` indicator to the platform's indicators topic, where the platform's own sink
stores it in ClickHouse. `python -m load_tests.benchmark.naive_faust CONFIG.json`.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import faust

from avro_schemas import load_schema
from ioc.endpoints import Endpoints
from ioc.serde import AvroDecoder, AvroEncoder, registry_client
from load_tests.benchmark.aggregate import WINDOW_MS, event_ms
from load_tests.benchmark.child_config import read_config
from streams.model.indicators import TRAFFIC_VOLUME
from topics.catalog import CAMERA_VEHICLE_COUNTS, INDICATORS


def indicator(camera: str, start: int, volume: float, samples: int) -> dict[str, Any]:
    """A provisional `traffic.volume` of one camera's minute, as the platform's contract has it."""
    return {
        "indicator": TRAFFIC_VOLUME,
        "entity_type": "camera",
        "entity_id": camera,
        "area_code": "",
        "window_start": start,
        "window_end": start + WINDOW_MS,
        "value": volume,
        "unit": "vehicles",
        "sample_count": samples,
        "revision": samples,
        "is_final": False,
        "computed_at": int(time.time() * 1000),
    }


def build_app(config: dict[str, Any]) -> faust.App:
    app = faust.App(
        config["group"],
        broker=f"kafka://{config['bootstrap']}",
        store="memory://",
        datadir=config["state_dir"],
        web_enabled=False,
        consumer_auto_offset_reset="latest",
        topic_disable_leader=True,
    )
    # The benchmark's stack is the one-broker default, open on loopback (see benchmark/run.py).
    registry = registry_client(Endpoints(config["bootstrap"], config["registry"], clickhouse=""))
    decoder = AvroDecoder(registry, load_schema(CAMERA_VEHICLE_COUNTS.schema))
    encoder = AvroEncoder.for_subject(registry, INDICATORS.subject(), load_schema(INDICATORS.schema))
    source = app.topic(config["topic"], key_serializer="raw", value_serializer="raw")
    indicators = app.topic(INDICATORS.full_name(), key_serializer="raw", value_serializer="raw")
    windows: dict[tuple[str, int], list[float]] = {}

    @app.agent(source, name="naive-traffic")
    async def naive_traffic(stream: faust.StreamT[bytes]) -> None:
        async for value in stream:
            for record in decoder.decode(value)["records"]:
                at = event_ms(record["observed_at"])
                window = (record["camera_id"], at - at % WINDOW_MS)
                acc = windows.setdefault(window, [0.0, 0])
                acc[0] += record["vehicle_count"]
                acc[1] += 1
                out = indicator(window[0], window[1], acc[0], int(acc[1]))
                await indicators.send(key=f"camera|{window[0]}".encode(), value=encoder.encode(out))

    return app


if __name__ == "__main__":
    settings_file = sys.argv.pop(1)
    build_app(read_config(settings_file)).main()
