"""Unit tests for streams.windowed with the traffic model: acceptance (late, duplicate), rollups,
hopping windows, closing, provisional throttling and replays. The Faust table is a stand-in dict
that records changelog writes; encoders are the real Avro ones, read back with fastavro.

Times: T = 2024-01-01T00:00:00Z = 1_704_067_200_000 ms. Grace 30 s, idle 60 s.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import Schema

from avro_schemas import load_schema
from ioc.serde import AvroDecoder, AvroEncoder
from streams.late_events import LateEventSink, Origin
from streams.traffic import TrafficModel
from streams.windowed import Decoding, WindowedAggregator, encode_all
from tests.unit.test_traffic import PROVINCE

T = datetime(2024, 1, 1, tzinfo=UTC)
T_MS = 1_704_067_200_000
MIN = 60_000
ORIGIN = Origin("ioc.camera.vehicle-counts", 2, 41, "SRC")


class Table:
    """What the aggregator uses of a Faust table."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.changelog: list[tuple[int, str]] = []

    def send_changelog(self, partition: int, key: str, value: Any) -> None:
        self.changelog.append((partition, key))


def read(schema: str, data: bytes) -> dict[str, Any]:
    """A framed Avro message back to a dict, with the platform's own schema."""
    return fastavro.schemaless_reader(io.BytesIO(data[5:]), fastavro.parse_schema(load_schema(schema)), None)


def aggregator(table: Table | None = None, provisional_ms: int = 0) -> WindowedAggregator:
    return WindowedAggregator(
        table or Table(),  # type: ignore[arg-type]
        TrafficModel(PROVINCE),
        AvroEncoder(load_schema("derived/indicators"), 1),
        LateEventSink(AvroEncoder(load_schema("derived/late_events"), 2)),
        grace_ms=30_000,
        idle_ms=60_000,
        provisional_ms=provisional_ms,
    )


def rec(
    event_id: str, at: datetime, count: int, speed: float | None = 25.0, camera: str = "CAM-1"
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "camera_id": camera,
        "observed_at": at,
        "vehicle_count": count,
        "average_speed_kmh": speed,
    }


def items(*records: dict[str, Any]) -> list[tuple[Origin, dict[str, Any]]]:
    return [(ORIGIN, r) for r in records]


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def finals(
    agg: WindowedAggregator, now: int = T_MS + 10 * 86_400_000
) -> dict[tuple[str, str, str, int, int], float]:
    """Close everything (the wall clock is far ahead); finals keyed by (code, type, id, start, minutes)."""
    out = {}
    for _, value in agg.close_due(now):
        r = read("derived/indicators", value)
        assert r["is_final"]
        start, end = ms(r["window_start"]), ms(r["window_end"])
        out[(r["indicator"], r["entity_type"], r["entity_id"], start, (end - start) // MIN)] = r["value"]
    return out


def test_duplicates_count_once_within_and_across_batches() -> None:
    """The same event_id re-sent (in the batch, or in a later one) is not counted twice anywhere."""
    agg = aggregator()
    agg.fold(2, items(rec("a", T, 10), rec("a", T, 10), rec("b", T + timedelta(seconds=5), 5)), T_MS)
    agg.fold(2, items(rec("a", T, 10)), T_MS)
    got = finals(agg)
    # 10 + 5 = 15 vehicles, everywhere the camera counts.
    assert got[("traffic.volume", "camera", "CAM-1", T_MS, 1)] == 15.0
    assert got[("traffic.volume", "intersection", "INT-1", T_MS, 1)] == 15.0
    assert got[("traffic.volume", "area", "75", T_MS, 1)] == 15.0
    assert agg.duplicates == 2


def test_out_of_order_within_grace_counts_and_later_than_grace_goes_to_late_events() -> None:
    """00:01:20 moves the camera's watermark to 00:01:20. 00:00:55 is out of order but its minute
    (end 00:01:00 + 30 s grace = 00:01:30) is still open: counted. Then 00:02:40 moves the watermark
    past 00:01:30, so another record for minute 00:00 is late: not counted, sent as a late event."""
    agg = aggregator()
    agg.fold(2, items(rec("a", T + timedelta(seconds=80), 1), rec("b", T + timedelta(seconds=55), 2)), T_MS)
    _, late = agg.fold(
        2, items(rec("c", T + timedelta(seconds=160), 4), rec("d", T + timedelta(seconds=10), 8)), T_MS + 5
    )
    assert len(late) == 1
    key, value = late[0]
    event = read("derived/late_events", value)
    assert key == b"ioc.camera.vehicle-counts|2"
    assert (event["record_ref"], event["partition"], event["offset"], event["source_id"]) == (
        "d",
        2,
        41,
        "SRC",
    )
    assert event["processor"] == "traffic/camera/1m/CAM-1"
    # watermark 00:02:40 - (00:01:00 + 30 s) = 70 s late.
    assert (event["lateness_ms"], event["grace_ms"]) == (70_000, 30_000)
    assert event["window_end"] == T + timedelta(minutes=1)
    assert json.loads(event["payload"])["vehicle_count"] == 8
    assert agg.late_sink.counts == {"traffic/camera/1m/CAM-1": 1}
    got = finals(agg)
    assert got[("traffic.volume", "camera", "CAM-1", T_MS, 1)] == 2.0
    assert got[("traffic.volume", "camera", "CAM-1", T_MS + MIN, 1)] == 1.0
    assert got[("traffic.volume", "camera", "CAM-1", T_MS + 2 * MIN, 1)] == 4.0


def test_a_rollup_window_closed_by_another_camera_refuses_the_record_but_the_camera_counts_it() -> None:
    """CAM-2 reaches 00:02:00, closing INT-1's minute 00:00 (end + grace = 00:01:30). CAM-1 then sends
    00:00:40: its own minute is open (its watermark is 0) so it counts there, but the intersection's
    and areas' minute 00:00 have closed: those refusals go to the late events."""
    agg = aggregator()
    agg.fold(2, items(rec("x", T + timedelta(minutes=2), 7, camera="CAM-2")), T_MS)
    _, late = agg.fold(2, items(rec("y", T + timedelta(seconds=40), 3, camera="CAM-1")), T_MS)
    processors = sorted(read("derived/late_events", value)["processor"] for _, value in late)
    assert processors == [
        "traffic/area/1m/26001",
        "traffic/area/1m/75",
        "traffic/area/1m/Z-QL1A",
        "traffic/intersection/1m/INT-1",
    ]
    got = finals(agg)
    assert got[("traffic.volume", "camera", "CAM-1", T_MS, 1)] == 3.0
    assert ("traffic.volume", "intersection", "INT-1", T_MS, 1) not in got
    # The hour windows are still open for 00:00:40 (the oldest, from 23:05, ends at 00:05): both
    # cameras count in the hour starting 00:00, 7 + 3 = 10.
    assert got[("traffic.volume", "area", "26001", T_MS, 60)] == 10.0


def test_hopping_hour_windows_hold_every_record_of_their_hour() -> None:
    """Records at 00:02 (10 vehicles) and 00:31 (20): the hour from 00:00 holds both (30); the hour
    from 23:05 the day before ends at 00:05 and holds only the first (10); the hour from 00:05 only the
    second (20). Twelve hourly windows hold each record."""
    agg = aggregator()
    agg.fold(2, items(rec("a", T + timedelta(minutes=2), 10), rec("b", T + timedelta(minutes=31), 20)), T_MS)
    hour_windows = {
        start: value
        for (code, kind, entity, start, minutes), value in finals(agg).items()
        if (code, kind, entity, minutes) == ("traffic.volume", "area", "26001", 60)
    }
    assert hour_windows[T_MS] == 30.0
    assert hour_windows[T_MS - 55 * MIN] == 10.0
    assert hour_windows[T_MS + 5 * MIN] == 20.0
    # 00:02 is in the hours from 23:05 to 00:00 (12); 00:31 in those from 23:35 to 00:30 (12).
    assert sum(1 for start in hour_windows if start <= T_MS + 2 * MIN < start + 60 * MIN) == 12
    assert sum(hour_windows.values()) == 12 * 10 + 12 * 20


@pytest.mark.parametrize("cut", [1, 2, 3, 5])
def test_results_do_not_depend_on_how_records_are_cut_into_batches(cut: int) -> None:
    """Lateness and duplicates are judged record by record: any batching gives the same finals."""
    records = [
        rec("a", T + timedelta(seconds=10), 3),
        rec("b", T + timedelta(seconds=100), 4, camera="CAM-2"),
        rec("c", T + timedelta(seconds=20), 5),
        rec("a", T + timedelta(seconds=10), 3),
        rec("d", T + timedelta(seconds=200), 6),
        rec("e", T + timedelta(seconds=30), 9, camera="CAM-2"),
    ]
    whole = aggregator()
    whole.fold(2, items(*records), T_MS)
    parts = aggregator()
    for i in range(0, len(records), cut):
        parts.fold(2, items(*records[i : i + cut]), T_MS)
    assert finals(parts) == finals(whole)
    assert parts.late_sink.counts == whole.late_sink.counts


def test_replay_after_a_crash_does_not_count_twice() -> None:
    """A restarted worker recovers the table and re-reads records after its last commit: the gate
    windows still know their event ids, so the replay changes nothing."""
    table = Table()
    first = aggregator(table)
    batch = items(rec("a", T, 10), rec("b", T + timedelta(seconds=5), 5))
    first.fold(2, batch, T_MS)
    recovered = Table()
    recovered.data = json.loads(json.dumps(table.data))  # what the JSON changelog gives back
    again = aggregator(recovered)
    again.fold(2, batch, T_MS)
    assert finals(again) == finals(first)
    assert again.duplicates == 2


def test_a_batch_of_duplicates_writes_and_emits_nothing() -> None:
    """Re-offered records change no window: no changelog write, no re-emitted indicator."""
    table = Table()
    agg = aggregator(table)
    batch = items(rec("a", T, 10), rec("b", T + timedelta(seconds=5), 5))
    agg.fold(2, batch, T_MS)
    written = len(table.changelog)
    outputs, late = agg.fold(2, batch, T_MS + 10_000)
    assert (outputs, late, len(table.changelog) - written, agg.duplicates) == ([], [], 0, 2)


def test_ids_written_by_another_worker_are_known_after_a_rebalance() -> None:
    """The set of a window's ids is a cache: when the table's entry is replaced (recovered after a
    rebalance, with an id another worker counted meanwhile), that id is still a duplicate here."""
    table = Table()
    agg = aggregator(table)
    agg.fold(2, items(rec("a", T, 10)), T_MS)
    key = f"traffic/camera/1m|CAM-1|{T_MS}"
    recovered = json.loads(json.dumps(table.data[key]))
    recovered["ids"].append("b")
    recovered["vehicles"] += 5
    table.data[key] = recovered
    agg.fold(2, items(rec("b", T + timedelta(seconds=5), 5)), T_MS)
    assert agg.duplicates == 1
    assert finals(agg)[("traffic.volume", "camera", "CAM-1", T_MS, 1)] == 15.0


def test_encode_all_gives_the_bytes_of_encoding_one_by_one() -> None:
    encoder = AvroEncoder(load_schema("derived/indicators"), 7)
    agg = aggregator()
    outputs, _ = agg.fold(2, items(rec("a", T, 10), rec("b", T, 3, speed=None, camera="CAM-2")), T_MS)
    records = [read("derived/indicators", value) for _, value in outputs]
    assert len(records) > 2
    assert encode_all(encoder, records) == [encoder.encode(record) for record in records]
    assert encode_all(encoder, []) == []


def test_close_emits_each_final_once_and_late_records_stay_out() -> None:
    """A window closed on the wall clock (end + grace + idle = 00:02:30) is final once and forgotten;
    a record for it afterwards is late even though no newer event moved the watermark."""
    agg = aggregator()
    outputs, _ = agg.fold(2, items(rec("a", T, 10)), T_MS)
    provisional = read("derived/indicators", outputs[0][1])
    assert (provisional["is_final"], provisional["revision"]) == (False, 1)
    assert agg.close_due(T_MS + 2 * MIN + 29_999) == []  # 1 ms before the minute is due
    closed = [read("derived/indicators", v) for _, v in agg.close_due(T_MS + 2 * MIN + 30_000)]
    camera = [r for r in closed if r["entity_type"] == "camera"]
    assert [(r["indicator"], r["value"], r["revision"], r["is_final"]) for r in camera] == [
        ("traffic.volume", 10.0, 2, True),
        ("traffic.average_speed", 25.0, 2, True),
    ]
    assert [
        r
        for r in (read("derived/indicators", v) for _, v in agg.close_due(T_MS + 3 * MIN))
        if r["entity_type"] == "camera"
    ] == []
    _, late = agg.fold(2, items(rec("b", T + timedelta(seconds=1), 1)), T_MS + 3 * MIN)
    assert "traffic/camera/1m/CAM-1" in {read("derived/late_events", v)["processor"] for _, v in late}


def test_provisional_results_are_throttled_but_finals_are_not() -> None:
    """Within `provisional_ms` a touched window is stored but not re-emitted; the final always is."""
    agg = aggregator(provisional_ms=5_000)
    first, _ = agg.fold(2, items(rec("a", T, 1)), T_MS)
    second, _ = agg.fold(2, items(rec("b", T, 2)), T_MS + 4_999)
    third, _ = agg.fold(2, items(rec("c", T, 3)), T_MS + 5_000)
    assert first and not second and third
    assert finals(agg)[("traffic.volume", "camera", "CAM-1", T_MS, 1)] == 6.0


def test_every_key_keeps_the_changelog_partition_of_its_first_writer() -> None:
    """An area fed from two partitions still has one history, on the partition that created it."""
    table = Table()
    agg = aggregator(table)
    agg.fold(1, items(rec("a", T, 1)), T_MS)
    agg.fold(4, items(rec("b", T, 1, camera="CAM-2")), T_MS)
    partitions: dict[str, set[int]] = {}
    for partition, key in table.changelog:
        partitions.setdefault(key, set()).add(partition)
    assert partitions[f"traffic/area/1m|75|{T_MS}"] == {1}
    assert partitions[f"traffic/camera/1m|CAM-2|{T_MS}"] == {4}


class StaticRegistry:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = Schema(json.dumps(schema), "AVRO")

    def get_schema(self, schema_id: int) -> Schema:
        return self.schema


def test_decoding_sends_unreadable_messages_and_bad_records_to_dead_letters() -> None:
    """Bytes that are not Confluent Avro and a record with a negative count become dead letters that
    name the message, the record and the rule; the good record of the same batch is kept."""
    schema = load_schema("camera/vehicle_counts")
    batch = {
        "source_id": "SRC",
        "sent_at": T,
        "records": [
            rec("good", T, 3) | {"interval_seconds": 60, "lane": 1, "vehicle_class": "car"},
            rec("bad", T, -2) | {"interval_seconds": 60, "lane": 1, "vehicle_class": "car"},
        ],
    }
    events = [
        SimpleNamespace(
            message=SimpleNamespace(topic="t", partition=0, offset=7, key=b"SRC", value=b"not avro")
        ),
        SimpleNamespace(
            message=SimpleNamespace(
                topic="t", partition=0, offset=8, key=b"SRC", value=AvroEncoder(schema, 1).encode(batch)
            )
        ),
    ]
    decoding = Decoding(
        AvroDecoder(StaticRegistry(schema), schema),  # type: ignore[arg-type]
        AvroEncoder(load_schema("derived/dead_letters"), 2),
        TrafficModel(PROVINCE).problem,
    )
    by_partition, dead = decoding.items(events)  # type: ignore[arg-type]
    assert [r["event_id"] for _, r in by_partition[0]] == ["good"]
    letters = [read("derived/dead_letters", value) for _, value in dead]
    assert [(d["record_ref"], d["rule"], d["field_path"]) for d in letters] == [
        ("t[0]@7", "avro-confluent-framing", ""),
        ("t[0]@8 records[1] (event_id=bad)", "must be >= 0", "vehicle_count"),
    ]
    assert letters[1]["reason"] == "t[0]@8 records[1] (event_id=bad): vehicle_count: must be >= 0"
    assert letters[0]["payload"] == b"not avro"
    assert json.loads(letters[1]["payload"])["vehicle_count"] == -2  # the refused record, readable


def test_after_a_rebalance_only_owned_partitions_are_kept() -> None:
    """Windows and watermarks of a partition now owned by another worker are forgotten, so only
    their new owner closes them; an empty assignment (a glitch) forgets nothing."""
    agg = aggregator()
    agg.fold(1, items(rec("a", T, 1)), T_MS)
    agg.fold(4, items(rec("b", T, 1, camera="CAM-3")), T_MS)
    before = dict(agg.table.data)
    agg.keep_only(set())
    assert agg.table.data == before
    agg.keep_only({4})
    assert agg.table.data and all(entry["p"] == 4 for entry in agg.table.data.values())
    assert {entry["id"] for entry in agg.table.data.values() if "id" in entry} >= {"CAM-3"}
    assert not any(entry.get("id") == "CAM-1" for entry in agg.table.data.values())
