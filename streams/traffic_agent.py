"""The traffic agent: one-minute vehicle volume and average speed per camera, on event time.

Thin by design: the agent loops over batches (`take_events`, so Faust's per-message cost is paid
once per batch message, each carrying many records), and `TrafficWindows` does the work with the
pure functions of `streams.traffic` and `streams.windows`. Every touched window is emitted as a
provisional result with a rising revision; a closed window once more as final, then forgotten.
Records later than their window's grace (judged against the camera's own watermark) are counted and
logged, never folded into a closed window.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient
from faust.types import EventT, TableT

from avro_schemas import load_schema
from ioc.dead_letters import dead_letter_record
from ioc.serde import AvroDecoder, AvroEncoder, SerdeError
from ioc.settings import Settings
from streams import state, traffic
from streams.windows import is_closed, is_late, to_millis
from topics.catalog import CAMERA_VEHICLE_COUNTS, DLQ_CAMERA, INDICATORS

log = logging.getLogger(__name__)
WINDOW_MS = 60_000
WATERMARK = "__watermark__"
Output = tuple[bytes, bytes]


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds."""
    return int(time.time() * 1000)


class TrafficWindows:
    """Per-camera one-minute windows kept in a Faust table, keyed `camera|window_start`."""

    def __init__(
        self,
        table: TableT,
        decoder: AvroDecoder,
        indicator_encoder: AvroEncoder,
        dead_letter_encoder: AvroEncoder,
        source_topic: str,
        grace_ms: int,
        idle_ms: int,
    ) -> None:
        self.table = table
        self.decoder = decoder
        self.indicator_encoder = indicator_encoder
        self.dead_letter_encoder = dead_letter_encoder
        self.source_topic = source_topic
        self.grace_ms = grace_ms
        self.idle_ms = idle_ms
        self.late_records = 0

    def process(self, events: Sequence[EventT], now: int) -> tuple[list[Output], list[Output]]:
        """Fold a batch of messages into their windows; returns (indicator outputs, dead letters)."""
        by_partition: dict[int, list[EventT]] = defaultdict(list)
        for event in events:
            by_partition[event.message.partition].append(event)
        outputs: list[Output] = []
        dead: list[Output] = []
        for partition, partition_events in by_partition.items():
            records = self._decode(partition_events, dead)
            outputs += self._fold(partition, records, now)
            outputs += self._close(partition, now)
        return outputs, dead

    def _decode(self, events: list[EventT], dead: list[Output]) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for event in events:
            try:
                records += self.decoder.decode(event.message.value)["records"]
            except SerdeError as exc:
                dead.append(self._dead_letter(event, exc))
        return records

    def _dead_letter(self, event: EventT, exc: SerdeError) -> Output:
        message = event.message
        ref = f"{message.topic}[{message.partition}]@{message.offset}"
        value = dead_letter_record(
            message.topic,
            ref,
            "avro-confluent-framing",
            f"{ref}: {exc}",
            message.value or b"",
            source_id=(message.key or b"").decode("utf-8", "replace"),
        )
        return message.key or b"", self.dead_letter_encoder.encode(value)

    def _watermark(self, camera: str) -> int:
        entry = self.table.data.get(f"{WATERMARK}|{camera}")
        return int(entry["ms"]) if entry else 0

    def _set_watermark(self, partition: int, camera: str, watermark_ms: int) -> None:
        state.put(
            self.table, partition, f"{WATERMARK}|{camera}", {"partition": partition, "ms": watermark_ms}
        )

    def _fold(self, partition: int, records: list[dict[str, Any]], now: int) -> list[Output]:
        watermarks: dict[str, int] = {}
        on_time = []
        for record in records:
            camera, event_ms = record["camera_id"], to_millis(record["observed_at"])
            watermark = watermarks.setdefault(camera, self._watermark(camera))
            if is_late(event_ms, WINDOW_MS, watermark, self.grace_ms):
                self.late_records += 1
                log.warning("late record %s for camera %s at %s", record["event_id"], camera, event_ms)
                continue
            on_time.append(record)
        outputs: list[Output] = []
        for key, window_records in traffic.group_records(on_time, WINDOW_MS).items():
            acc = self.table.data.get(key) or traffic.empty() | {"partition": partition}
            for record in window_records:
                camera = record["camera_id"]
                watermarks[camera] = max(watermarks[camera], to_millis(record["observed_at"]))
                traffic.add_record(acc, record)
            acc["revision"] += 1
            state.put(self.table, partition, key, acc)
            outputs += self._encode(key, acc, final=False, now=now)
        for camera, watermark in watermarks.items():
            if watermark > self._watermark(camera):
                self._set_watermark(partition, camera, watermark)
        return outputs

    def _close(self, partition: int | None, now: int) -> list[Output]:
        """Emit as final and forget every due window (of one partition, or of all when None).

        Watermarks are per camera: another source's newer (or older) data never makes this camera's
        records late. Closing a window moves the camera's watermark to at least the window's end plus
        grace, so a record for it that arrives later is late even when it closed on the wall clock.
        """
        outputs: list[Output] = []
        for key, acc in state.items(self.table):
            if key.startswith(WATERMARK) or (partition is not None and acc["partition"] != partition):
                continue
            camera, start = traffic.parse_key(key)
            watermark = self._watermark(camera)
            if is_closed(start, WINDOW_MS, watermark, self.grace_ms, now, self.idle_ms):
                acc["revision"] += 1
                outputs += self._encode(key, acc, final=True, now=now)
                state.delete(self.table, acc["partition"], key)
                closed_through = start + WINDOW_MS + self.grace_ms
                if closed_through > watermark:
                    self._set_watermark(acc["partition"], camera, closed_through)
        return outputs

    def close_idle(self, now: int) -> list[Output]:
        """The wall-clock closer: finalises windows of keys that have gone quiet."""
        return self._close(None, now)

    def _encode(self, key: str, acc: dict[str, Any], *, final: bool, now: int) -> list[Output]:
        camera, start = traffic.parse_key(key)
        return [
            (f"camera|{camera}".encode(), self.indicator_encoder.encode(ind))
            for ind in traffic.indicators(camera, start, WINDOW_MS, acc, final=final, now_ms=now)
        ]


def register(app: faust.App, settings: Settings, registry: SchemaRegistryClient) -> TrafficWindows:
    """Declare the agent's topics, table, agent and wall-clock closer on the app."""
    prefix = settings.topic_prefix
    source_name = CAMERA_VEHICLE_COUNTS.full_name(prefix)
    source = app.topic(source_name, key_serializer="raw", value_serializer="raw")
    indicators = app.topic(INDICATORS.full_name(prefix), key_serializer="raw", value_serializer="raw")
    dead_letters = app.topic(DLQ_CAMERA.full_name(prefix), key_serializer="raw", value_serializer="raw")
    table = app.Table("traffic-windows", default=None, partitions=CAMERA_VEHICLE_COUNTS.partitions)
    windows = TrafficWindows(
        table,
        AvroDecoder(registry, load_schema(CAMERA_VEHICLE_COUNTS.schema)),
        AvroEncoder.for_subject(registry, INDICATORS.subject(prefix), load_schema(INDICATORS.schema)),
        AvroEncoder.for_subject(registry, DLQ_CAMERA.subject(prefix), load_schema(DLQ_CAMERA.schema)),
        source_name,
        grace_ms=int(settings.streams.window_grace_s * 1000),
        idle_ms=int(settings.streams.idle_close_s * 1000),
    )
    batch, within = settings.streams.batch_size, settings.streams.batch_within_s

    @app.agent(source, name="traffic-windows")
    async def traffic_windows(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(batch, within=within):
            outputs, dead = windows.process(events, now_ms())
            for key, value in outputs:
                await indicators.send(key=key, value=value)
            for key, value in dead:
                await dead_letters.send(key=key, value=value)

    @app.timer(interval=settings.streams.close_check_interval_s)
    async def close_idle_windows() -> None:
        for key, value in windows.close_idle(now_ms()):
            await indicators.send(key=key, value=value)

    return windows
