"""Unit tests of the window engine (streams/engine: gates, totals and their owners), through the
traffic model: acceptance (late, duplicate), totals judged on each source's clock, hopping windows,
closing on event time and on the wall clock, provisional throttling, bounded state, exactly-once
results across crashes, and the same finals however the work is split and interleaved.

Times: T = 2024-01-01T00:00:00Z. Grace 30 s, idle 60 s (tests/unit/stream_harness.py).
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from typing import Any

import pytest

from streams.model.traffic import TrafficModel
from tests.unit.stream_harness import IDLE_MS, TIMING, Deployment, FinalKey
from tests.unit.test_traffic import PROVINCE

T = 1_704_067_200_000
S = 1_000
MIN = 60_000
FAR = T + 10 * 86_400_000  # a wall clock far ahead: everything quiet has closed


def rec(
    event_id: str, at: int, count: int, speed: float | None = 25.0, camera: str = "CAM-1"
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "camera_id": camera,
        "observed_at": at,
        "vehicle_count": count,
        "average_speed_kmh": speed,
    }


def traffic(partitions: int = 2, owners: int = 3, **timing: int) -> Deployment:
    return Deployment(TrafficModel(PROVINCE), partitions, owners, replace(TIMING, **timing), opened_ms=T)


def close_all(deployment: Deployment) -> dict[FinalKey, float | None]:
    """Let the wall clock run far ahead: every window closes; the finals by window."""
    deployment.run_until_quiet(FAR)
    deployment.tick(FAR)
    deployment.run_until_quiet(FAR)
    deployment.tick(FAR + 1)
    deployment.run_until_quiet(FAR + 1)
    return deployment.finals()


def volume(
    finals: dict[FinalKey, float | None], kind: str, entity: str, start: int, minutes: int = 1
) -> float | None:
    return finals[("traffic.volume", kind, entity, start, start + minutes * MIN)]


def test_duplicates_count_once_within_and_across_batches() -> None:
    """The same event_id re-sent (in the batch, or in a later one) is not counted twice anywhere."""
    d = traffic()
    d.fold(0, [rec("a", T, 10), rec("a", T, 10), rec("b", T + 5 * S, 5)], T)
    d.fold(0, [rec("a", T, 10)], T)
    got = close_all(d)
    # 10 + 5 = 15 vehicles, everywhere the camera counts.
    assert volume(got, "camera", "CAM-1", T) == 15.0
    assert volume(got, "intersection", "INT-1", T) == 15.0
    assert volume(got, "area", "75", T) == 15.0
    assert d.sources[0].duplicates == 2


def test_out_of_order_within_grace_counts_and_later_than_grace_goes_to_late_events() -> None:
    """00:01:20 moves the camera's clock to 00:01:20. 00:00:55 is out of order but its minute (end
    00:01:00 + 30 s grace = 00:01:30) is still open: counted. Then 00:02:40 moves the clock past
    00:01:30, so another record for minute 00:00 is late: not counted, sent as a late event."""
    d = traffic()
    d.fold(0, [rec("a", T + 80 * S, 1), rec("b", T + 55 * S, 2)], T)
    d.fold(0, [rec("c", T + 160 * S, 4), rec("d", T + 10 * S, 8)], T)
    got = close_all(d)
    late = [e for e in d.late_events() if e["record_ref"] == "d"]
    camera = [e for e in late if e["processor"] == "traffic/camera/1m/CAM-1"]
    assert len(late) == len(camera) == 1  # late at its gate: counted nowhere, reported once
    event = camera[0]
    assert (event["partition"], event["offset"], event["source_id"]) == (0, 3, "SRC")
    # clock 00:02:40 - (00:01:00 + 30 s) = 70 s late.
    assert (event["lateness_ms"], event["grace_ms"]) == (70_000, 30_000)
    assert json.loads(event["payload"])["vehicle_count"] == 8
    assert [volume(got, "camera", "CAM-1", T + m * MIN) for m in range(3)] == [2.0, 1.0, 4.0]
    assert [volume(got, "area", "75", T + m * MIN) for m in range(3)] == [2.0, 1.0, 4.0]


def test_a_total_closed_on_its_source_clock_refuses_a_record_its_own_camera_still_counts() -> None:
    """CAM-2 reaches 00:02:00, which takes the source's clock past INT-1's minute 00:00 (end + grace
    = 00:01:30). CAM-1 of the same source then sends 00:00:40: its own minute is open (its clock is
    0) so it counts there, but for the intersection and areas the minute has closed: late events."""
    d = traffic()
    d.fold(0, [rec("x", T + 2 * MIN, 7, camera="CAM-2"), rec("y", T + 40 * S, 3, camera="CAM-1")], T)
    got = close_all(d)
    processors = sorted(e["processor"] for e in d.late_events())
    assert processors == [
        "traffic/area/1m/26001",
        "traffic/area/1m/75",
        "traffic/area/1m/Z-QL1A",
        "traffic/intersection/1m/INT-1",
    ]
    assert volume(got, "camera", "CAM-1", T) == 3.0
    assert ("traffic.volume", "intersection", "INT-1", T, T + MIN) not in got
    # The hour windows are still open for 00:00:40 (the oldest, from 23:05, ends at 00:05): both
    # cameras count in the hour starting 00:00, 7 + 3 = 10.
    assert volume(got, "area", "26001", T, 60) == 10.0


def test_another_source_lagging_does_not_make_records_late() -> None:
    """Two sources on one partition: SRC-A is at 00:05, SRC-B still sends minute 00:00. Each source's
    records are judged on its own clock, so SRC-B's count in every total; the totals wait for it."""
    d = traffic(partitions=1)
    d.fold(0, [rec("a", T + 5 * MIN, 7, camera="CAM-2")], T, source="SRC-A")
    d.fold(0, [rec("b", T + 10 * S, 3, camera="CAM-1")], T, source="SRC-B")
    d.fold(0, [rec("c", T + 6 * MIN, 1, camera="CAM-1")], T, source="SRC-B")
    got = close_all(d)
    assert d.late_events() == []
    assert volume(got, "intersection", "INT-1", T) == 3.0
    assert volume(got, "area", "75", T + 5 * MIN) == 7.0


def test_a_total_closes_when_every_source_partition_has_passed_it() -> None:
    """Partition 0 reaches 00:03; partition 1 is still at 00:00:20: the province's minute 00:00 stays
    open at its owner. Once partition 1 passes 00:01:30 it closes, holding both partitions' records."""
    d = traffic()
    d.fold(0, [rec("a", T + 10 * S, 2, camera="CAM-1"), rec("b", T + 3 * MIN, 1, camera="CAM-1")], T)
    d.fold(1, [rec("c", T + 20 * S, 5, camera="CAM-2")], T)
    d.run_until_quiet(T)
    assert ("traffic.volume", "area", "75", T, T + MIN) not in d.finals()
    d.fold(1, [rec("d", T + 2 * MIN, 1, camera="CAM-2")], T)
    d.run_until_quiet(T)
    assert volume(d.finals(), "area", "75", T) == 7.0


def test_a_silent_source_partition_stops_holding_totals_back_after_the_idle_timeout() -> None:
    """Partition 1 never sends anything: the owners wait for it one idle timeout (wall clock), then
    close the province's minute on partition 0's progress alone."""
    d = traffic()
    d.fold(0, [rec("a", T + 10 * S, 2), rec("b", T + 3 * MIN, 1)], T)
    d.run_until_quiet(T + 59 * S)
    d.tick(T + 59 * S)
    d.run_until_quiet(T + 59 * S)
    assert ("traffic.volume", "area", "75", T, T + MIN) not in d.finals()
    d.tick(T + 61 * S)
    d.run_until_quiet(T + 61 * S)
    assert volume(d.finals(), "area", "75", T) == 2.0


def test_a_restart_that_re_sends_known_progress_does_not_leave_totals_open() -> None:
    """SIGKILL after the owners learnt partition 0's progress, before they could close anything
    (partition 1, silent, held them for its idle timeout); the restarted worker re-sends that same
    progress. Event times are a day after the wall clock, so only the watermark can close the
    minute: once no partition has sent anything for the idle timeout, nothing holds it back."""
    d = traffic()
    later = T + 86_400_000
    d.fold(0, [rec("a", later + 10 * S, 2), rec("b", later + 3 * MIN, 1)], T)
    d.run_until_quiet(T + 5 * S)
    d.crash(T + 10 * S)
    d.run_until_quiet(T + 11 * S)
    assert ("traffic.volume", "area", "75", later, later + MIN) not in d.finals()
    d.tick(T + 100 * S)
    d.run_until_quiet(T + 100 * S)
    assert volume(d.finals(), "area", "75", later) == 2.0


def test_hopping_hour_windows_hold_every_record_of_their_hour() -> None:
    """Records at 00:02 (10 vehicles) and 00:31 (20): the hour from 00:00 holds both (30); the hour
    from 23:05 the day before ends at 00:05 and holds only the first (10); the hour from 00:05 only the
    second (20). Twelve hourly windows hold each record."""
    d = traffic()
    d.fold(0, [rec("a", T + 2 * MIN, 10), rec("b", T + 31 * MIN, 20)], T)
    hours = {
        key[3]: value
        for key, value in close_all(d).items()
        if key[:3] == ("traffic.volume", "area", "26001") and key[4] - key[3] == 60 * MIN
    }
    assert hours[T] == 30.0
    assert hours[T - 55 * MIN] == 10.0
    assert hours[T + 5 * MIN] == 20.0
    assert sum(1 for start in hours if start <= T + 2 * MIN < start + 60 * MIN) == 12
    assert sum(v for v in hours.values() if v is not None) == 12 * 10 + 12 * 20


RECORDS = [
    rec("a", T + 10 * S, 3),
    rec("b", T + 100 * S, 4, camera="CAM-2"),
    rec("c", T + 20 * S, 5),
    rec("a", T + 10 * S, 3),
    rec("d", T + 200 * S, 6),
    rec("e", T + 30 * S, 9, camera="CAM-2"),
    rec("f", T + 400 * S, 1, camera="CAM-2"),
]


@pytest.mark.parametrize("cut", [1, 2, 3, 5])
def test_results_do_not_depend_on_how_records_are_cut_into_batches(cut: int) -> None:
    """Lateness and duplicates are judged record by record: any batching gives the same finals."""
    whole = traffic()
    whole.fold(0, RECORDS, T)
    parts = traffic()
    for i in range(0, len(RECORDS), cut):
        parts.fold(0, RECORDS[i : i + cut], T)
        parts.commit(T)
    assert close_all(parts) == close_all(whole)
    assert sorted(e["processor"] for e in parts.late_events()) == sorted(
        e["processor"] for e in whole.late_events()
    )


def province_minutes(
    seed: int, cameras: int = 6, minutes: int = 12
) -> dict[int, list[tuple[str, dict[str, Any]]]]:
    """Recorded input of two partitions, three sources, with out-of-order, duplicate and late records."""
    rng = random.Random(seed)
    by_partition: dict[int, list[tuple[str, dict[str, Any]]]] = {0: [], 1: []}
    for minute in range(minutes):
        for index in range(cameras):
            source = f"SRC-{index % 3}"
            partition = 0 if source == "SRC-1" else 1
            at = T + minute * MIN + rng.randrange(0, 60_000)
            camera = "CAM-1" if index % 2 else "CAM-2"
            if index >= 2:
                camera = f"CAM-X{index}"  # not configured: counts for the province only
            record = rec(
                f"{source}-{minute}-{index}", at, rng.randrange(0, 30), rng.choice([None, 20.0, 33.3]), camera
            )
            by_partition[partition].append((source, record))
            if rng.random() < 0.1:
                by_partition[partition].append((source, dict(record)))  # a resend
            if rng.random() < 0.1:
                late = dict(record, event_id=f"late-{minute}-{index}", observed_at=at - 3 * MIN)
                by_partition[partition].append((source, late))
    return by_partition


def run(
    recorded: dict[int, list[tuple[str, dict[str, Any]]]],
    rng: random.Random,
    owners: int,
    crashes: int = 0,
) -> Deployment:
    """Feed the recorded input in a random interleaving of partitions, committing and delivering
    partials at random moments; crash (and restart from the last commit) `crashes` times on the way."""
    d = traffic(partitions=2, owners=owners)
    for partition, items in recorded.items():
        d.inputs[partition] = list(items)
    while any(d.read.get(("source", p), 0) < len(d.inputs[p]) for p in d.inputs) or any(
        d.read.get(("owner", r), 0) < len(log) for r, log in d.inbox.items()
    ):
        choice = rng.random()
        if choice < 0.5:
            p = rng.randrange(2)
            position = d.read.get(("source", p), 0)
            d.feed(p, T, min(len(d.inputs[p]), position + rng.randrange(1, 6)))
        elif choice < 0.8:
            owner = rng.randrange(owners)
            d.deliver(owner, T, d.read.get(("owner", owner), 0) + rng.randrange(1, 4))
        else:
            d.commit(T)
        if crashes and rng.random() < 0.05:
            crashes -= 1
            d.crash(T)
    return d


@pytest.mark.parametrize("seed", range(6))
def test_the_same_input_gives_the_same_finals_however_it_is_split_interleaved_and_crashed(seed: int) -> None:
    """One owner partition or three, any interleaving of partitions and partials, crashes at any
    moment: every final of every camera, intersection and area is the same, and sent once (the
    harness fails on a second final for a window)."""
    recorded = province_minutes(seed)
    expected = close_all(run(recorded, random.Random(1000 + seed), owners=1))
    for attempt, (owners, crashes) in enumerate([(3, 0), (3, 5), (2, 10)]):
        got = close_all(run(recorded, random.Random(seed * 10 + attempt), owners, crashes))
        assert got == expected
    kinds = {key[1] for key in expected}
    assert kinds == {"camera", "intersection", "area"}
    # Not a vacuous comparison: the cameras' minutes add up to the input without resends and lates,
    # and so do the province's.
    unique = {
        r["event_id"]: r
        for items in recorded.values()
        for _, r in items
        if not r["event_id"].startswith("late")
    }
    assert sum(v for k, v in expected.items() if k[0] == "traffic.volume" and k[1] == "camera" and v) == sum(
        r["vehicle_count"] for r in unique.values()
    )


def test_a_crash_after_the_gate_before_the_commit_counts_nothing_twice() -> None:
    """Work done since the last commit is lost with the crash and done again from the committed
    offsets: the finals are those of a run without the crash."""
    steady = traffic()
    steady.fold(0, RECORDS, T)
    crashed = traffic()
    crashed.fold(0, RECORDS[:3], T)
    crashed.commit(T)
    crashed.fold(0, RECORDS[3:], T)
    crashed.crash(T)
    crashed.feed(0, T)
    assert close_all(crashed) == close_all(steady)


def test_a_quiet_window_closes_on_the_wall_clock_once_and_a_later_record_is_late() -> None:
    """A window closed on the wall clock (end + grace + idle = 00:02:30) is final once and forgotten;
    a record for it afterwards is late even though no newer event moved the clock."""
    d = traffic(partitions=1)
    d.fold(0, [rec("a", T, 10)], T)
    d.run_until_quiet(T)
    provisional = [
        r for r in d.indicators() if r["entity_type"] == "camera" and r["indicator"] == "traffic.volume"
    ]
    assert [(r["is_final"], r["revision"]) for r in provisional] == [(False, 1)]
    d.tick(T + 2 * MIN + 29_999)
    d.run_until_quiet(T + 2 * MIN + 29_999)
    assert not d.finals()
    d.tick(T + 2 * MIN + 30_000)
    d.run_until_quiet(T + 2 * MIN + 30_000)
    camera = [r for r in d.indicators() if r["entity_type"] == "camera" and r["is_final"]]
    assert [(r["indicator"], r["value"], r["revision"]) for r in camera] == [
        ("traffic.volume", 10.0, 2),
        ("traffic.average_speed", 25.0, 2),
    ]
    d.fold(0, [rec("b", T + 1 * S, 1)], T + 3 * MIN)
    d.run_until_quiet(T + 3 * MIN)
    assert "traffic/camera/1m/CAM-1" in {e["processor"] for e in d.late_events()}
    assert volume(d.finals(), "camera", "CAM-1", T) == 10.0


def test_provisional_results_are_throttled_but_finals_are_not() -> None:
    """Within `provisional_ms` a touched window is kept but not emitted again; the final always is."""
    d = traffic(partitions=1, provisional_ms=5_000)

    def camera_emissions() -> int:
        return sum(
            1 for r in d.indicators() if r["entity_type"] == "camera" and r["indicator"] == "traffic.volume"
        )

    d.fold(0, [rec("a", T, 1)], T)
    d.commit(T)
    d.fold(0, [rec("b", T, 2)], T + 4_999)
    d.commit(T + 4_999)
    assert camera_emissions() == 1
    d.commit(T + 5_000)  # still touched: emitted once its interval has passed, without new records
    assert camera_emissions() == 2
    assert volume(close_all(d), "camera", "CAM-1", T) == 3.0


def test_state_holds_one_key_per_device_and_total_not_per_window() -> None:
    """Days of minutes through two cameras on two partitions: closed windows are deleted
    (tombstoned), so once a later record has closed them the stores hold one key per device and per
    total plus the tasks' bookkeeping, and as many after three days as after one."""

    def keys_after(days: int) -> dict[str, set[str]]:
        d = traffic(partitions=2, owners=2)
        for minute in range(0, days * 24 * 60, 7):
            d.fold(0, [rec(f"a{minute}", T + minute * MIN, 1, camera="CAM-1")], T)
            d.fold(1, [rec(f"b{minute}", T + minute * MIN, 1, camera="CAM-2")], T)
            d.run_until_quiet(T)
        return {f"{kind}{p}": set(store.data) for (kind, p), store in d.stores.items()}

    one, three = keys_after(1), keys_after(3)
    assert one == three
    everything = set().union(*one.values())
    assert {k for k in everything if not k.startswith("~")} == {
        "traffic/camera/1m|CAM-1",
        "traffic/camera/1m|CAM-2",
        "traffic/intersection/1m|INT-1",
        *(f"traffic/area/{size}|{area}" for size in ("1m", "1h") for area in ("26001", "75", "Z-QL1A")),
    }


def test_the_tasks_close_schedules_stay_bounded_over_hours_and_idle_ticks() -> None:
    """A gate closes its own windows as its clock passes them: it keeps no schedule of due times (a
    heap nobody popped grew by an entry per window, 12.8 MiB in the benchmark's 10-minute soak). An
    owner's schedule is popped as its watermark passes; a quiet series the wall clock has closed is
    not closed again at every tick while it waits for its clock."""
    d = traffic(partitions=2, owners=2)
    for minute in range(0, 6 * 60, 3):
        d.fold(0, [rec(f"a{minute}", T + minute * MIN, 1, camera="CAM-1")], T + minute * MIN)
        d.fold(1, [rec(f"b{minute}", T + minute * MIN, 1, camera="CAM-2")], T + minute * MIN)
        d.run_until_quiet(T + minute * MIN)
        d.tick(T + minute * MIN)
    assert all(len(task.book._due) == 0 for task in d.sources.values())
    after_hours = sum(len(task.book._due) for task in d.owners.values())
    assert after_hours < 40  # the open windows' series, not the 120 windows each series has had

    quiet = T + 9 * 60 * MIN  # both cameras quiet for hours: the wall clock has closed every window
    d.tick(quiet)
    d.run_until_quiet(quiet)
    scheduled = sum(len(task.book._due) for task in d.owners.values())
    for second in range(1, 120):
        d.tick(quiet + second * S)
    assert sum(len(task.book._due) for task in d.owners.values()) == scheduled


def test_a_device_silent_past_the_horizon_is_forgotten_and_its_stragglers_are_late() -> None:
    """CAM-1 is heard at 00:00 only; CAM-2 goes on for two hours. With a one-hour horizon, once CAM-1's
    minute has closed on the wall clock its series is deleted, and a record from it older than the
    horizon behind the partition is late."""
    d = traffic(partitions=1, horizon_ms=60 * MIN)
    d.fold(0, [rec("a", T, 1, camera="CAM-1")], T)
    d.fold(0, [rec(f"b{m}", T + m * MIN, 1, camera="CAM-2") for m in range(1, 121)], T)
    d.tick(T + 3 * MIN)
    d.commit(T + 3 * MIN)
    assert "traffic/camera/1m|CAM-1" not in d.stores[("source", 0)].data
    d.fold(0, [rec("c", T + 30 * S, 5, camera="CAM-1")], T + 3 * MIN)
    assert [e["record_ref"] for e in d.late_events()] == []  # not committed yet
    d.commit(T + 3 * MIN)
    assert [e["record_ref"] for e in d.late_events()] == ["c"]


def test_an_old_value_read_back_after_compaction_removed_its_tombstone_sends_no_second_final() -> None:
    """INT-1 is heard in minute 00 only; an unconfigured camera of the same source then moves the
    clock to 00:03, which closes INT-1's minute and leaves its series empty: it is deleted. If a restore
    reads an old value of that key (compaction removed the tombstone during the read), the window it
    holds is already closed by the owner's watermark: dropped, not finalised again."""
    d = traffic(partitions=1, owners=1)
    d.fold(0, [rec("a", T, 3, camera="CAM-1")], T)
    d.run_until_quiet(T)
    key = "traffic/intersection/1m|INT-1"
    old = d.snapshot[("owner", 0)][key]
    d.fold(0, [rec("b", T + 3 * MIN, 1, camera="CAM-X")], T)
    d.run_until_quiet(T)
    assert key not in d.snapshot[("owner", 0)]
    assert volume(d.finals(), "intersection", "INT-1", T) == 3.0
    d.snapshot[("owner", 0)][key] = old  # the stale value a racing restore could read
    d.crash(T)
    d.tick(FAR)
    d.run_until_quiet(FAR)  # the harness fails on a second final
    assert volume(d.finals(), "intersection", "INT-1", T) == 3.0
    assert key not in d.stores[("owner", 0)].data or not d.stores[("owner", 0)].data[key]["w"]


def test_after_an_outage_the_backlog_is_read_before_the_wall_clock_closes_anything() -> None:
    """Workers down for longer than the idle period (the chaos run kept them down three minutes,
    the registry being away) reopen far behind the wall clock with a backlog still to read: the
    records in it count in their windows, which the wall clock closes only one idle period after
    the tasks opened, not at their first tick."""
    d = traffic()
    d.fold(0, [rec("a", T, 10)], T + S)
    d.fold(1, [rec("x", T + 2 * S, 4, camera="CAM-2")], T + S)
    d.run_until_quiet(T + 2 * S)
    back = T + 10 * MIN  # everyone restarts ten minutes later
    d.crash(back)
    # Written while the workers were down, read after they reopened.
    d.inputs[0].append(("SRC", rec("b", T + 5 * S, 5)))
    d.tick(back)
    d.run_until_quiet(back)
    d.feed(0, back + S)
    d.run_until_quiet(back + S)
    d.tick(back + IDLE_MS + 2 * S)
    d.run_until_quiet(back + IDLE_MS + 2 * S)
    got = d.finals()
    assert volume(got, "camera", "CAM-1", T) == 15.0
    assert volume(got, "intersection", "INT-1", T) == 15.0 + 4.0
    assert d.late_events() == []
