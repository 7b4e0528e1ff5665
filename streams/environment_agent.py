"""The environment agent: hourly and daily VN_AQI, rainfall over 1 h and 24 h, water level with its
trend and alarm level, per station, on event time (see streams/station_feeds.py for what each feed
computes and streams/station_windows.py for the window lifecycle).

Thin by design: one agent per sensor topic loops over batches (`take_events`) and hands them to the
shared `StationWindows`; a timer closes the windows of stations that have gone quiet. Late records
(past their window's grace) are never folded in: streams/late_events.py counts and logs them and
they go to `ioc.derived.late-events`. Duplicates (an event_id already in its window) are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient
from faust.types import EventT

from avro_schemas import load_schema
from ioc.province import load_province
from ioc.serde import AvroDecoder, AvroEncoder
from ioc.settings import Settings
from streams.batch_io import BatchCodec, Output, plain
from streams.late_events import LateEventSink
from streams.model.windows import now_ms
from streams.station_feeds import AIR_QUALITY, RAINFALL, FeedSpec, water_feed
from streams.station_windows import StationWindows
from topics.catalog import (
    DLQ_SENSOR,
    INDICATORS,
    SENSOR_AIR_QUALITY,
    SENSOR_RAINFALL,
    SENSOR_WATER_LEVEL,
    TopicSpec,
)


class EnvironmentProcessor:
    """One feed's batch step: decode, fold into the station windows, encode what comes out."""

    def __init__(
        self,
        feed: FeedSpec,
        windows: StationWindows,
        codec: BatchCodec,
        indicator_encoder: AvroEncoder,
        late_sink: LateEventSink,
    ) -> None:
        self.feed = feed
        self.windows = windows
        self.codec = codec
        self.indicator_encoder = indicator_encoder
        self.late_sink = late_sink
        self.duplicate_records = 0

    def process(self, events: Sequence[EventT], now: int) -> tuple[list[Output], list[Output], list[Output]]:
        """Returns (indicator messages, dead letters, late events) for a batch."""
        batch = self.codec.decode(events)
        outputs: list[Output] = []
        dead = batch.dead
        late: list[Output] = []
        for partition, records in batch.records.items():
            result = self.windows.fold(self.feed, partition, records, now)
            dead += [self.codec.refuse(record, name, rule) for record, name, rule in result.invalid]
            self.duplicate_records += result.duplicates
            late += [
                self.late_sink.record(
                    item.record["_origin"],
                    plain(item.record),
                    processor=f"environment.{self.feed.name}/{self.feed.window_ms // 60_000}m",
                    event_ms=item.event_ms,
                    window_end_ms=item.window_end_ms,
                    grace_ms=self.windows.grace_ms,
                    watermark_ms=item.watermark_ms,
                    now_ms=now,
                )
                for item in result.late
            ]
            outputs += self.encode(result.indicators)
            outputs += self.encode(self.windows.close(self.feed, now, partition))
        return outputs, dead, late

    def close_idle(self, now: int) -> list[Output]:
        """The wall-clock closer: finalises windows of stations that have gone quiet."""
        return self.encode(self.windows.close(self.feed, now))

    def encode(self, indicators: list[tuple[str, dict]]) -> list[Output]:
        return [
            (f"station|{station}".encode(), self.indicator_encoder.encode(i)) for station, i in indicators
        ]


def register(
    app: faust.App, settings: Settings, registry: SchemaRegistryClient
) -> list[EnvironmentProcessor]:
    """Declare the three sensor agents, their shared table and the wall-clock closer on the app."""
    prefix = settings.topic_prefix
    indicators = app.topic(INDICATORS.full_name(prefix), key_serializer="raw", value_serializer="raw")
    dead_letters = app.topic(DLQ_SENSOR.full_name(prefix), key_serializer="raw", value_serializer="raw")
    indicator_encoder = AvroEncoder.for_subject(
        registry, INDICATORS.subject(prefix), load_schema(INDICATORS.schema)
    )
    late_events = app.topic(LateEventSink.topic_name(prefix), key_serializer="raw", value_serializer="raw")
    late_sink = LateEventSink.create(registry, prefix)
    dead_encoder = AvroEncoder.for_subject(
        registry, DLQ_SENSOR.subject(prefix), load_schema(DLQ_SENSOR.schema)
    )
    table = app.Table("environment-windows", default=None, partitions=SENSOR_AIR_QUALITY.partitions)
    windows = StationWindows(
        table,
        load_province(settings.province_file),
        grace_ms=int(settings.streams.window_grace_s * 1000),
        idle_ms=int(settings.streams.idle_close_s * 1000),
    )
    water = water_feed(int(settings.indicators.water_trend_span_s * 1000))
    feeds: list[tuple[TopicSpec, FeedSpec]] = [
        (SENSOR_AIR_QUALITY, AIR_QUALITY),
        (SENSOR_RAINFALL, RAINFALL),
        (SENSOR_WATER_LEVEL, water),
    ]
    processors = []
    batch, within = settings.streams.batch_size, settings.streams.batch_within_s
    for spec, feed in feeds:
        name = spec.full_name(prefix)
        codec = BatchCodec(name, AvroDecoder(registry, load_schema(spec.schema)), dead_encoder)
        processor = EnvironmentProcessor(feed, windows, codec, indicator_encoder, late_sink)
        processors.append(processor)
        source = app.topic(name, key_serializer="raw", value_serializer="raw")

        async def run(stream: faust.StreamT[bytes], processor: EnvironmentProcessor = processor) -> None:
            async for events in stream.take_events(batch, within=within):
                outputs, dead, late = processor.process(events, now_ms())
                for key, value in outputs:
                    await indicators.send(key=key, value=value)
                for key, value in dead:
                    await dead_letters.send(key=key, value=value)
                for key, value in late:
                    await late_events.send(key=key, value=value)

        app.agent(source, name=f"environment-{feed.name.replace('_', '-')}")(run)

    @app.timer(interval=settings.streams.close_check_interval_s)
    async def close_idle_station_windows() -> None:
        now = now_ms()
        for processor in processors:
            for key, value in processor.close_idle(now):
                await indicators.send(key=key, value=value)

    return processors
