"""Input health on the new engine: the camera online ratio (streams/model/health.py through
tests/unit/stream_harness.py), sensor staleness with one owner per station, and report lateness
(streams/model/report_lateness.py, streams/engine/health_tasks.py), including what the old agent's
integration tests checked (tests/integration/test_health_agents.py).

Times: T = 2026-12-01T00:00:00Z. Grace 30 s, idle 60 s, horizon one day (stream_harness.TIMING);
heartbeat timeout 5 minutes.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema

from avro_schemas import load_schema
from ioc.province import Province
from ioc.serde import AvroEncoder
from streams.engine.health_tasks import StalenessOwnerTask, StationClockTask
from streams.engine.inputs import Intake, MillisDecoder, Origin
from streams.engine.report_values import ReportValuesTask
from streams.engine.store import Store
from streams.engine.upstream import TotalsTopic
from streams.model import reporting_periods
from streams.model.health import CameraOnlineModel
from streams.model.indicators import INPUT_HEALTH_CAMERA_ONLINE_RATIO, INPUT_HEALTH_SENSOR_STALENESS
from streams.model.report_lateness import NOT_CONFIGURED, ReportLateness
from tests.unit.stream_harness import Deployment, FinalKey, Out, read, sinks

T = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp() * 1000)
S = 1_000
MIN = 60_000
DAY_MS = 86_400_000
FAR = T + 30 * DAY_MS
TIMEOUT_MS = 5 * MIN
RATIO = INPUT_HEALTH_CAMERA_ONLINE_RATIO

PROVINCE = Province.model_validate(
    {
        "code": "75",
        "name_vi": "Tỉnh Thử",
        "areas": [
            {"code": "75", "name_vi": "Tỉnh", "level": "province"},
            {"code": "26001", "name_vi": "Phường Một", "level": "ward", "parent": "75"},
            {"code": "26002", "name_vi": "Phường Hai", "level": "ward", "parent": "75"},
        ],
        "intersections": [
            {
                "id": f"INT-{n}",
                "name_vi": f"Nút {n}",
                "area": f"2600{n}",
                "latitude": 10.9,
                "longitude": 106.8,
                "free_flow_kmh": 50,
            }
            for n in (1, 2)
        ],  # fmt: skip
        "cameras": [
            {"id": "CAM-1", "intersection": "INT-1"},
            {"id": "CAM-2", "intersection": "INT-1"},
            {"id": "CAM-3", "intersection": "INT-1"},
            {"id": "CAM-4", "intersection": "INT-2"},
        ],
        "stations": [
            {
                "id": f"ST-{n}",
                "name_vi": f"Trạm {n}",
                "kind": "rainfall",
                "area": "26001",
                "latitude": 10.9,
                "longitude": 106.8,
            }
            for n in range(1, 7)
        ],  # fmt: skip
        "reporting_units": [
            {
                "code": "UB-1",
                "name_vi": "UBND phường Một",
                "area": "26001",
                "reports": [
                    {"report_code": "BC-01", "period": "monthly"},
                    {"report_code": "BC-Q", "period": "quarterly"},
                ],
            },
            {
                "code": "UB-2",
                "name_vi": "UBND phường Hai",
                "area": "26002",
                "reports": [{"report_code": "BC-01", "period": "monthly"}],
            },
        ],  # fmt: skip
    }
)


# --- camera online ratio -------------------------------------------------------------------------


def beat(event_id: str, camera: str, at: int, status: str = "online") -> dict[str, Any]:
    return {"event_id": event_id, "camera_id": camera, "observed_at": at, "status": status, "status_reason": "",
            "uptime_seconds": None, "firmware_version": "", "stream_fps": None}  # fmt: skip


def cameras(partitions: int = 2, owners: int = 3) -> Deployment:
    model = CameraOnlineModel(PROVINCE, TIMEOUT_MS)
    return Deployment(model, partitions, owners, schema="camera/heartbeats", opened_ms=T)


def close_all(deployment: Deployment, now: int = FAR) -> dict[FinalKey, float | None]:
    for step in range(3):
        deployment.run_until_quiet(now + step)
        deployment.tick(now + step)
    deployment.run_until_quiet(now + 3)
    return deployment.finals()


def ratio(finals: dict[FinalKey, float | None], area: str, minute: int) -> float | None:
    kind = "province" if area == "75" else "area"
    return finals[(RATIO, kind, area, T + minute * MIN, T + (minute + 1) * MIN)]


def test_camera_online_ratio_counts_silent_configured_cameras() -> None:
    """The old agent's integration case: of the three cameras of 26001, CAM-1 ends the minute online
    (its latest heartbeat), CAM-2 is online (sent twice), CAM-3 degraded: 2 of 3; the province also
    counts CAM-4, silent: 2 of 4. Three cameras were heard in the minute (the sample count)."""
    d = cameras()
    d.fold(0, [beat("1", "CAM-1", T + 5 * S, "offline"), beat("2", "CAM-1", T + 50 * S)], T, source="VMS-A")
    d.fold(1, [beat("3", "CAM-2", T + 30 * S), beat("3", "CAM-2", T + 30 * S)], T, source="VMS-B")
    d.fold(1, [beat("4", "CAM-3", T + 40 * S, "degraded")], T, source="VMS-B")
    finals = close_all(d)
    assert ratio(finals, "26001", 0) == 100.0 * 2 / 3
    assert ratio(finals, "75", 0) == 50.0
    rows = [r for r in d.indicators() if r["is_final"] and r["entity_id"] == "26001"]
    assert [(r["sample_count"], r["window_start"], r["window_end"]) for r in rows] == [
        (3, datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 1, 0, 1, tzinfo=UTC))
    ]
    assert ("input_health.camera_online_ratio", "area", "26002", T, T + MIN) not in finals  # nobody heard


def test_a_silent_cameras_last_heartbeat_counts_while_it_is_fresh() -> None:
    """CAM-1 says online at 00:00:10 and offline at 00:04:10; CAM-2 and CAM-3 speak in minutes 3, 4
    and 5 so that 26001 has those windows. Minute 3 (end 00:04): CAM-1's last word (3 min 50 s old) is
    online, and its offline heartbeat of the next minute does not change that final, whenever it was
    read. Minute 4: CAM-1 said offline. CAM-3's 00:01:00 heartbeat is exactly the timeout old at
    minute 5's end (00:06): still online then; CAM-2, heard in minute 5, offline."""
    d = cameras(partitions=1)
    d.fold(0, [beat("a", "CAM-1", T + 10 * S), beat("b", "CAM-3", T + MIN)], T)
    d.fold(0, [beat("c", "CAM-2", T + 3 * MIN + 10 * S, "offline")], T)
    d.fold(0, [beat("d", "CAM-1", T + 4 * MIN + 10 * S, "offline")], T)
    d.fold(0, [beat("e", "CAM-2", T + 5 * MIN + 10 * S, "offline")], T)
    finals = close_all(d)
    assert ratio(finals, "26001", 3) == 100.0 * 2 / 3  # CAM-1 and CAM-3 online, CAM-2 offline
    assert ratio(finals, "26001", 4) == 100.0 * 1 / 3  # CAM-3 only
    assert ratio(finals, "26001", 5) == 100.0 * 1 / 3  # CAM-3, exactly 5 minutes old
    d = cameras(partitions=1)
    d.fold(0, [beat("b", "CAM-3", T + MIN + 1)], T)
    d.fold(0, [beat("e", "CAM-2", T + 6 * MIN + 10 * S)], T)
    assert ratio(close_all(d), "26001", 6) == 100.0 * 1 / 3  # CAM-3's is older than 5 min at 00:07


def test_an_unconfigured_camera_counts_for_the_province_while_it_is_in_the_lookback() -> None:
    """CAM-X is in no intersection: it counts for the province only, online while fresh, then as a
    camera heard but not online while its last heartbeat is in the window's lookback, then not at all."""
    d = cameras(partitions=1)
    d.fold(0, [beat("x", "CAM-X", T + 10 * S)], T)
    d.fold(0, [beat(f"m{m}", "CAM-4", T + m * MIN + 20 * S) for m in range(8)], T)
    finals = close_all(d)
    assert [ratio(finals, "75", m) for m in range(8)] == [40.0] * 5 + [20.0, 25.0, 25.0]
    assert ratio(finals, "26002", 0) == 100.0
    assert ("input_health.camera_online_ratio", "area", "26001", T, T + MIN) not in finals


def test_a_heartbeat_late_for_its_camera_minute_counts_nowhere() -> None:
    d = cameras(partitions=1)
    d.fold(0, [beat("a", "CAM-1", T + 5 * MIN), beat("b", "CAM-1", T + 10 * S)], T)
    finals = close_all(d)
    assert [e["processor"] for e in d.late_events()] == ["camera_online/camera/1m/CAM-1"]
    assert ("input_health.camera_online_ratio", "area", "26001", T, T + MIN) not in finals


def heartbeat_minutes(seed: int, minutes: int = 15) -> list[tuple[int, str, dict[str, Any]]]:
    """Recorded heartbeats of two partitions and three sources, with resends and late ones."""
    rng = random.Random(seed)
    sources = {"CAM-1": "VMS-0", "CAM-2": "VMS-1", "CAM-3": "VMS-2", "CAM-4": "VMS-1", "CAM-X": "VMS-0"}
    recorded = []
    for minute in range(minutes):
        for camera in ("CAM-1", "CAM-2", "CAM-3", "CAM-4", "CAM-X"):
            if rng.random() < 0.5:
                continue
            source = sources[camera]
            partition = 0 if source == "VMS-1" else 1
            at = T + minute * MIN + rng.randrange(60_000)
            record = beat(f"{camera}-{minute}", camera, at, rng.choice(["online", "online", "offline"]))
            recorded.append((partition, source, record))
            if rng.random() < 0.1:
                recorded.append((partition, source, dict(record)))
            if rng.random() < 0.1:
                recorded.append(
                    (
                        partition,
                        source,
                        dict(record, event_id=f"late-{camera}-{minute}", observed_at=at - 3 * MIN),
                    )
                )
    return recorded


def interleave(d: Deployment, rng: random.Random, crashes: int) -> Deployment:
    """Feed, deliver and commit at random until everything is read, crashing `crashes` times."""
    owners = len(d.inbox)
    while any(d.read.get(("source", p), 0) < len(d.inputs[p]) for p in d.inputs) or any(
        d.read.get(("owner", r), 0) < len(log) for r, log in d.inbox.items()
    ):
        choice = rng.random()
        if choice < 0.5:
            p = rng.randrange(len(d.inputs))
            d.feed(p, T, min(len(d.inputs[p]), d.read.get(("source", p), 0) + rng.randrange(1, 6)))
        elif choice < 0.8:
            owner = rng.randrange(owners)
            d.deliver(owner, T, d.read.get(("owner", owner), 0) + rng.randrange(1, 4))
        else:
            d.commit(T)
        if crashes and rng.random() < 0.05:
            crashes -= 1
            d.crash(T)
    return d


@pytest.mark.parametrize("seed", range(3))
def test_the_same_heartbeats_give_the_same_finals_however_split_interleaved_and_crashed(seed: int) -> None:
    recorded = heartbeat_minutes(seed)
    runs = []
    for attempt, (owners, crashes) in enumerate([(1, 0), (3, 0), (3, 6), (2, 10)]):
        d = cameras(partitions=2, owners=owners)
        for partition, source, record in recorded:
            d.inputs[partition].append((source, record))
        runs.append(close_all(interleave(d, random.Random(seed * 10 + attempt), crashes)))
    assert all(run == runs[0] for run in runs)
    assert {key[1] for key in runs[0]} == {"area", "province"}


def test_camera_state_holds_one_key_per_camera_and_area_not_per_minute() -> None:
    def keys_after(days: int) -> set[str]:
        d = cameras(partitions=2, owners=2)
        for minute in range(0, days * 24 * 60, 5):
            d.fold(0, [beat(f"a{minute}", "CAM-1", T + minute * MIN)], T, source="VMS-A")
            d.fold(1, [beat(f"b{minute}", "CAM-4", T + minute * MIN)], T, source="VMS-B")
            d.run_until_quiet(T)
        return {key for store in d.stores.values() for key in store.data}

    one, three = keys_after(1), keys_after(3)
    assert one == three
    assert {k for k in three if not k.startswith("~")} == {
        "camera_online/camera/1m|CAM-1",
        "camera_online/camera/1m|CAM-4",
        "camera_online/area/1m|26001",
        "camera_online/area/1m|26002",
        "camera_online/province/1m|75",
    }


# --- sensor staleness ------------------------------------------------------------------------------


def reading(event_id: str, station: str, at: int) -> dict[str, Any]:
    return {"event_id": event_id, "device_id": "", "observed_at": at, "station_id": station,
            "interval_seconds": 600, "rainfall_mm": 0.0}  # fmt: skip


class Sensors:
    """Two partitions' station clocks and three owners, with their stores as their changelogs hold them."""

    def __init__(self, owners: int = 3) -> None:
        self.totals = TotalsTopic("totals", owners)
        self.clocks = [StationClockTask({}, self.totals, f"health-sensors|{p}", PROVINCE) for p in range(2)]
        self.stores = [Store("owner", r) for r in range(owners)]
        self.owners = [self.owner(r) for r in range(owners)]
        self.offset = 0

    def owner(self, partition: int) -> StalenessOwnerTask:
        return StalenessOwnerTask(partition, self.stores[partition], PROVINCE, self.totals, sinks(), DAY_MS)

    def read(self, partition: int, records: list[dict[str, Any]], now: int) -> None:
        """Readings into a partition's clock task, then its commit: its partials reach their owners."""
        self.clocks[partition].step([(Origin("rainfall", partition, 0), r) for r in records])
        out = Out(now)
        self.clocks[partition].flush(out)
        for topic, _, value, owner in out.sent:
            assert topic == "totals" and owner is not None and value is not None
            self.offset += 1
            self.owners[owner].process(topic, [Message(value, owner, self.offset)], Out(now))

    def tick(self, now: int) -> dict[str, list[dict[str, Any]]]:
        """Every owner's tick; the staleness each emitted, by station."""
        emitted: dict[str, list[dict[str, Any]]] = {}
        for owner in self.owners:
            out = Out(now)
            owner.tick(out)
            for _, _, value, _ in out.sent:
                row = read("derived/indicators", value)  # type: ignore[arg-type]
                emitted.setdefault(row["entity_id"], []).append(row)
        return emitted


class Message:
    """What a task reads of a confluent-kafka Message."""

    def __init__(self, value: bytes, partition: int, offset: int, topic: str = "t", key: bytes = b"") -> None:
        self._value, self._partition, self._offset, self._topic, self._key = (
            value,
            partition,
            offset,
            topic,
            key,
        )

    def value(self) -> bytes:
        return self._value

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def topic(self) -> str:
        return self._topic

    def key(self) -> bytes:
        return self._key


def test_each_station_is_emitted_once_per_minute_by_its_owner() -> None:
    """ST-1 is heard on both partitions (its rain gauge and another feed's device): its owner takes the
    newest, 30 s before the minute. An unconfigured station counts once heard; the configured ones
    never heard are emitted too (None), each by the owner partition its id hashes to: every station
    once, whatever the number of owners."""
    for owners in (1, 3):
        s = Sensors(owners)
        s.read(0, [reading("a", "ST-1", T - 90 * S)], T - 80 * S)
        s.read(1, [reading("b", "ST-1", T - 30 * S), reading("c", "RF-NEW", T - 10 * MIN)], T - 20 * S)
        emitted = s.tick(T + 1 * S)
        assert sorted(emitted) == ["RF-NEW", "ST-1", "ST-2", "ST-3", "ST-4", "ST-5", "ST-6"]
        assert all(len(rows) == 1 for rows in emitted.values())
        first = emitted["ST-1"][0]
        assert (first["indicator"], first["value"], first["sample_count"], first["area_code"]) == (
            INPUT_HEALTH_SENSOR_STALENESS, 30.0, 1, "26001"
        )  # fmt: skip
        assert (first["window_start"], first["window_end"], first["is_final"]) == (
            datetime(2026, 11, 30, 23, 59, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC), True
        )  # fmt: skip
        assert (emitted["ST-2"][0]["value"], emitted["ST-2"][0]["sample_count"]) == (None, 0)
        assert (emitted["RF-NEW"][0]["value"], emitted["RF-NEW"][0]["area_code"]) == (600.0, "")
        assert s.tick(T + 59 * S) == {}  # the same minute: nothing more
        assert s.tick(T + MIN)["ST-1"][0]["value"] == 90.0


def test_a_restarted_owner_neither_repeats_nor_skips_a_minute() -> None:
    """The minute an owner last emitted is in its store, written in the transaction that sends it: an
    owner reopened from its changelog does not emit that minute again, and emits the next one."""
    s = Sensors(owners=1)
    s.read(0, [reading("a", "ST-1", T - 30 * S)], T)
    assert "ST-1" in s.tick(T + S)
    changelog: list[tuple[bytes, bytes | None]] = []
    s.stores[0].flush(lambda topic, partition, key, value: changelog.append((key, value)))
    restored = Store("owner", 0)
    for key, value in changelog:
        restored.apply(key, value)
    s.stores[0] = restored
    s.owners[0] = s.owner(0)
    assert s.tick(T + 2 * S) == {}
    assert s.tick(T + MIN)["ST-1"][0]["value"] == 90.0


def test_an_unconfigured_station_silent_for_a_day_is_forgotten() -> None:
    s = Sensors(owners=1)
    s.read(0, [reading("a", "RF-NEW", T)], T)
    assert s.tick(T + DAY_MS)["RF-NEW"][0]["value"] == 86_400.0
    assert s.tick(T + DAY_MS + MIN)["RF-NEW"][0]["value"] == 86_460.0  # said once more past the day
    assert "RF-NEW" not in s.tick(T + DAY_MS + 2 * MIN)
    assert "RF-NEW" not in s.stores[0].data


# --- report lateness -------------------------------------------------------------------------------


class StaticRegistry:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = Schema(json.dumps(schema), "AVRO")

    def get_schema(self, schema_id: int) -> Schema:
        return self.schema


RULES = ReportLateness(PROVINCE)
MONTHLY = next(r for r in PROVINCE.reporting_units[0].reports if r.report_code == "BC-01")
NOW = T + 10 * DAY_MS  # 11 December: the latest due monthly period is 15 October to 14 November
START, END = reporting_periods.last_due_period(NOW, MONTHLY)
DEADLINE = reporting_periods.deadline_ms(END, MONTHLY)


def value(event_id: str, unit: str, at: int, code: str = "BC-01", period_end: date = END) -> dict[str, Any]:
    return {"event_id": event_id, "reporting_unit_code": unit, "observed_at": at, "report_code": code,
            "indicator_code": "CT-01", "period_type": "monthly", "period_start": START, "period_end": period_end,
            "value": 1.0, "unit_of_measure": "", "area_code": "", "revision": 0, "note": ""}  # fmt: skip


def reports() -> tuple[ReportValuesTask, Store]:
    schema = load_schema("department/report_values")
    intake = Intake(
        MillisDecoder(StaticRegistry(schema), schema),  # type: ignore[arg-type]
        AvroEncoder(load_schema("derived/dead_letters"), 3),
        RULES.problem,
    )
    store = Store("reports", 0)
    return ReportValuesTask([(RULES, store)], intake, sinks()), store


def batch(*records: dict[str, Any]) -> Message:
    schema = load_schema("department/report_values")
    envelope = {"source_id": "PORTAL", "sent_at": NOW, "records": list(records)}
    return Message(AvroEncoder(schema, 9).encode(envelope), 0, 0, "ioc.department.report-values", b"PORTAL")


def lateness(out: Out) -> dict[str, dict[str, Any]]:
    rows = [read("derived/indicators", v) for t, _, v, _ in out.sent if t == "indicators"]  # type: ignore[arg-type]
    return {f"{r['entity_id']}/{r['label']}": r for r in rows}


def test_report_lateness_on_time_late_missing_and_not_configured() -> None:
    """The old agent's integration case: UB-1 reports an hour before the deadline (0 days, final), UB-2
    2 days 3 hours after it (3 days, final); UB-1's quarterly report is missing (provisional, days so
    far); a value from an unconfigured unit goes to the department dead letters naming the field."""
    task, _ = reports()
    out = Out(NOW)
    task.process("t", [batch(value("1", "UB-1", DEADLINE - 3_600_000))], out)
    task.process("t", [batch(value("2", "UB-2", DEADLINE + 2 * DAY_MS + 3 * 3_600_000))], out)
    task.process("t", [batch(value("3", "SO-NOT-CONFIGURED", DEADLINE))], out)
    got = lateness(out)
    assert (got["UB-1/BC-01"]["value"], got["UB-1/BC-01"]["is_final"]) == (0.0, True)
    assert (got["UB-2/BC-01"]["value"], got["UB-2/BC-01"]["is_final"]) == (3.0, True)
    window = got["UB-1/BC-01"]
    assert window["window_start"] == datetime(2026, 10, 14, 17, tzinfo=UTC)  # 15 October local
    assert window["window_end"] == datetime(2026, 11, 14, 17, tzinfo=UTC)  # 14 November included
    dead = [read("derived/dead_letters", v) for t, _, v, _ in out.sent if t == "dead"]  # type: ignore[arg-type]
    assert [(d["field_path"], d["rule"]) for d in dead] == [("reporting_unit_code", NOT_CONFIGURED)]
    wrong_report = Out(NOW)
    task.process("t", [batch(value("4", "UB-2", NOW, code="BC-Q"))], wrong_report)
    assert [read("derived/dead_letters", v)["field_path"] for t, _, v, _ in wrong_report.sent] == [
        "report_code"
    ]
    tick = Out(NOW)
    task.tick(tick)
    missing = lateness(tick)
    assert set(missing) == {"UB-1/BC-Q"}  # the monthly ones came
    quarter_start, quarter_end = reporting_periods.last_due_period(
        NOW, PROVINCE.reporting_units[0].reports[1]
    )
    deadline = reporting_periods.deadline_ms(quarter_end, PROVINCE.reporting_units[0].reports[1])
    assert missing["UB-1/BC-Q"]["is_final"] is False
    assert missing["UB-1/BC-Q"]["value"] == reporting_periods.days_late(None, deadline, NOW)


def test_a_missing_report_grows_each_day_and_its_submission_makes_it_final() -> None:
    task, _ = reports()
    days = []
    for day in range(3):
        out = Out(DEADLINE + day * DAY_MS + 1)
        task.tick(out)
        task.tick(out)  # a second tick the same day changes nothing
        days.append(
            [
                (r["value"], r["revision"], r["is_final"])
                for r in lateness(out).values()
                if r["entity_id"] == "UB-2"
            ]
        )
    assert days == [[(1.0, 1, False)], [(2.0, 2, False)], [(3.0, 3, False)]]
    out = Out(DEADLINE + 2 * DAY_MS + 5)
    task.process("t", [batch(value("v", "UB-2", DEADLINE + 2 * DAY_MS + 4))], out)
    assert [(r["value"], r["revision"], r["is_final"]) for r in lateness(out).values()] == [(3.0, 4, True)]


def test_a_resend_counts_once_and_an_earlier_submission_revises_the_final() -> None:
    task, _ = reports()
    out = Out(NOW)
    task.step([(Origin("t", 0, 0), value("a", "UB-1", DEADLINE + DAY_MS + 1))], out)
    task.step([(Origin("t", 0, 1), value("a", "UB-1", DEADLINE + DAY_MS + 1))], out)  # resent
    task.step([(Origin("t", 0, 2), value("b", "UB-1", DEADLINE + 2 * DAY_MS))], out)  # later: no change
    task.step([(Origin("t", 0, 3), value("c", "UB-1", DEADLINE - 1))], out)  # earlier: on time after all
    rows = [read("derived/indicators", v) for t, _, v, _ in out.sent if t == "indicators"]  # type: ignore[arg-type]
    assert [(r["value"], r["revision"], r["sample_count"], r["is_final"]) for r in rows] == [
        (2.0, 1, 1, True),
        (0.0, 2, 3, True),
    ]


def test_report_state_is_bounded_and_a_value_for_a_closed_period_is_late() -> None:
    """A year of monthly reports, each submitted on time, with a tick every day: the store keeps the
    latest due period and what is not yet due, plus the quarterly report that never comes (awaited:
    its missing periods stay until submitted). A resend of a long-closed period's value is a late
    event and changes nothing."""
    task, store = reports()
    quarterly_report = PROVINCE.reporting_units[0].reports[1]
    day = T
    first_end = None
    quarters_due = set()
    for _ in range(365):
        quarters_due.add(reporting_periods.last_due_period(day, quarterly_report)[0])
        start, end = reporting_periods.last_due_period(day, MONTHLY)
        first_end = first_end or end
        out = Out(day)
        for unit in ("UB-1", "UB-2"):
            task.step([(Origin("t", 0, 0), value(f"{unit}-{start}", unit, day, period_end=end))], out)
        task.tick(out)
        day += DAY_MS
    monthly = {k for k, v in store.data.items() if v["c"] == "BC-01"}
    quarterly = [v for v in store.data.values() if v["c"] == "BC-Q"]
    assert len(monthly) <= 2 * 2
    assert len(quarterly) == len(quarters_due) == 5 and all(v["s"] is None for v in quarterly)
    out = Out(day)
    task.step([(Origin("t", 0, 9), value("late", "UB-1", day, period_end=first_end))], out)
    assert [t for t, _, _, _ in out.sent] == ["late"]
    event = read("derived/late_events", out.sent[0][2])  # type: ignore[arg-type]
    assert event["processor"] == "input_health/report_lateness/UB-1/BC-01"


def test_an_awaited_period_is_recorded_when_it_comes_then_forgotten() -> None:
    """UB-2 sends nothing for two months: the older missing period stays awaited; its value, when it
    comes, is final with its days late, and the entry is then deleted at the next tick."""
    task, store = reports()
    task.tick(Out(DEADLINE + 1))
    later = DEADLINE + 40 * DAY_MS
    task.tick(Out(later))
    out = Out(later)
    task.step([(Origin("t", 0, 0), value("v", "UB-2", later))], out)
    got = lateness(out)["UB-2/BC-01"]
    assert (got["value"], got["is_final"], got["window_end"]) == (
        40.0,
        True,
        datetime(2026, 11, 14, 17, tzinfo=UTC),
    )
    assert any(v["u"] == "UB-2" and v["p"] == START.isoformat() for v in store.data.values())
    task.tick(Out(later + 1))
    assert not any(v["u"] == "UB-2" and v["p"] == START.isoformat() for v in store.data.values())
