"""What the chaos run proves, from the ledger and ClickHouse alone.

- raw tables: every acknowledged event id is stored, and stored once (counted without FINAL, so a
  second insert that a background merge has not yet collapsed shows);
- the warehouse's minute rollups of vehicle counts (fed by materialized views at insert time, so a
  second insert would stay in them for good): records and vehicles per camera-minute equal the ledger's;
- the stream engine's final minute totals of vehicles per camera, intersection and area equal those
  the ledger gives, for every minute wholly inside the run (a minute holding a record that reached
  its window after the window's grace is reported as late, not compared: it is in `late_events`);
- alerts: each alert's revisions run 0..n without a gap, and no rule opened a second alert for an
  entity while its first was still open;
- notifications: no message was sent twice for the same alert.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from clickhouse_connect.driver.client import Client

from ioc.province import Province
from load_tests.chaos.ledger import Ledger
from sinks.tables import MAPPINGS
from streams.model.indicators import TRAFFIC_VOLUME
from streams.model.traffic import camera_areas

LEDGER_TABLE = "chaos_ledger"
EVENT_ID_IN_REF = re.compile(r"event_id=([^)]+)\)")
TRAFFIC_MINUTE_PROCESSORS = ("traffic/camera/1m", "traffic/intersection/1m", "traffic/area/1m")


@dataclass
class RawCheck:
    """Per event id: how many rows the raw tables hold."""

    stored: dict[str, int] = field(default_factory=dict)

    def lost(self, ids: Iterable[str]) -> int:
        return sum(1 for i in ids if self.stored.get(i, 0) == 0)

    def duplicated(self, ids: Iterable[str]) -> int:
        return sum(1 for i in ids if self.stored.get(i, 0) > 1)


@dataclass(frozen=True)
class LevelCheck:
    """One level's comparison: windows compared, and those that differ (missing, short or over)."""

    level: str
    compared: int
    short: int  # fewer (or none) than the ledger gives: records lost on the way
    over: int  # more than the ledger gives: records counted twice
    late_windows: int = 0
    examples: tuple[str, ...] = ()


def load_ledger(client: Client, ledger: Ledger) -> None:
    """The ledger's ids in a warehouse table, so that each raw table is checked with one join."""
    tables = {mapping.topic.name: mapping.table for mapping in MAPPINGS if mapping.event_key is not None}
    client.command(f"DROP TABLE IF EXISTS {LEDGER_TABLE}")
    client.command(
        f"CREATE TABLE {LEDGER_TABLE} (event_id String, tbl LowCardinality(String)) ENGINE = MergeTree ORDER BY (tbl, event_id)"
    )
    rows = [
        (event_id, tables[feed])
        for feed, ids in ledger.by_feed().items()
        if feed in tables
        for event_id in ids
    ]
    client.insert(LEDGER_TABLE, rows, column_names=["event_id", "tbl"])
    held = int(client.query(f"SELECT count() FROM {LEDGER_TABLE}").result_rows[0][0])  # noqa: S608 - a constant
    if held != len(rows):
        # An id missing here would be counted lost (the warehouse once kept only an insert's first block).
        raise RuntimeError(f"the ledger table holds {held:,} of {len(rows):,} ids")


def raw_counts(client: Client) -> RawCheck:
    """How many rows each ledger id has in its raw table (absent: not stored)."""
    check = RawCheck()
    listed = client.query(f"SELECT DISTINCT tbl FROM {LEDGER_TABLE}")  # noqa: S608 - a constant
    tables = [row[0] for row in listed.result_rows]
    for table in tables:
        result = client.query(
            f"SELECT event_id, count() FROM {table} "  # noqa: S608 - table names from sinks/tables.py
            f"WHERE event_id IN (SELECT event_id FROM {LEDGER_TABLE} WHERE tbl = {{t:String}}) GROUP BY event_id",
            parameters={"t": table},
        )
        check.stored.update({str(event_id): int(n) for event_id, n in result.result_rows})
    return check


def late_ids(client: Client) -> set[str]:
    """Ids of vehicle counts that reached a minute window after its grace (the engine's `late_events`)."""
    result = client.query(
        "SELECT record_ref FROM late_events WHERE processor IN {p:Array(String)}",
        parameters={"p": list(TRAFFIC_MINUTE_PROCESSORS)},
    )
    return {match.group(1) for (ref,) in result.result_rows if (match := EVENT_ID_IN_REF.search(str(ref)))}


def expected_minutes(
    ledger: Ledger, province: Province, start_ms: int, end_ms: int
) -> dict[tuple[str, str, int], tuple[int, int]]:
    """(entity type, entity id, minute) → (records, vehicles) from the ledger, for minutes in [start, end)."""
    totals: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0])
    for count in ledger.counts.values():
        if not start_ms <= count.minute_ms < end_ms:
            continue
        intersection = province.intersection_of(count.camera_id)
        keys = [("camera", count.camera_id)]
        if intersection is not None:
            keys.append(("intersection", intersection.id))
        keys += [("area", area) for area in camera_areas(province, count.camera_id)[1]]
        for entity_type, entity_id in keys:
            total = totals[(entity_type, entity_id, count.minute_ms)]
            total[0] += 1
            total[1] += count.vehicles
    return {key: (records, vehicles) for key, (records, vehicles) in totals.items()}


def compare(
    level: str,
    expected: dict[tuple[str, int], int],
    found: dict[tuple[str, int], int],
    late_minutes: set[tuple[str, int]],
) -> LevelCheck:
    keys = (set(expected) | set(found)) - late_minutes
    short = [k for k in keys if found.get(k, 0) < expected.get(k, 0)]
    over = [k for k in keys if found.get(k, 0) > expected.get(k, 0)]
    examples = tuple(
        f"{entity} {datetime.fromtimestamp(ms / 1000, UTC):%H:%M}: ledger {expected.get((entity, ms), 0)}, "
        f"found {found.get((entity, ms), 0)}"
        for entity, ms in sorted(short + over)[:5]
    )
    late = len({k for k in late_minutes if k in expected})
    return LevelCheck(level, len(keys), len(short), len(over), late, examples)


def minute_totals(
    client: Client, ledger: Ledger, province: Province, start_ms: int, end_ms: int
) -> list[LevelCheck]:
    """The rollup (camera) and the engine's finals (camera, intersection, area) against the ledger."""
    expected = expected_minutes(ledger, province, start_ms, end_ms)
    late = late_ids(client)
    late_keys: set[tuple[str, str, int]] = set()
    for event_id in late & set(ledger.counts):
        count = ledger.counts[event_id]
        late_keys.add(("camera", count.camera_id, count.minute_ms))
        intersection = province.intersection_of(count.camera_id)
        if intersection is not None:
            late_keys.add(("intersection", intersection.id, count.minute_ms))
        late_keys |= {("area", area, count.minute_ms) for area in camera_areas(province, count.camera_id)[1]}
    span = {"start": start_ms, "end": end_ms}
    rollup = client.query(
        "SELECT camera_id, toUnixTimestamp64Milli(bucket_start), records, vehicles FROM camera_vehicle_counts_1m "
        "WHERE bucket_start >= fromUnixTimestamp64Milli({start:Int64}) AND bucket_start < fromUnixTimestamp64Milli({end:Int64})",
        parameters=span,
    ).result_rows
    finals = client.query(
        "SELECT entity_type, entity_id, toUnixTimestamp64Milli(window_start), value FROM indicators_current "
        "WHERE indicator = {ind:String} AND is_final AND dateDiff('second', window_start, window_end) = 60 "
        "AND window_start >= fromUnixTimestamp64Milli({start:Int64}) AND window_start < fromUnixTimestamp64Milli({end:Int64})",
        parameters=span | {"ind": TRAFFIC_VOLUME},
    ).result_rows
    camera_expected = {(e, m): v for (t, e, m), v in expected.items() if t == "camera"}
    # Late records are stored, so the rollup (fed at insert) must hold them: no minute is excluded.
    checks = [
        compare(
            f"warehouse rollup: {what} per camera-minute",
            {k: totals[i] for k, totals in camera_expected.items()},
            {(str(c), int(m)): int(totals[i]) for c, m, *totals in rollup},
            set(),
        )
        for i, what in enumerate(("records", "vehicles"))
    ]
    for entity_type in ("camera", "intersection", "area"):
        checks.append(
            compare(
                f"stream engine: vehicles per {entity_type}-minute (final)",
                {(e, m): v for (t, e, m), (_, v) in expected.items() if t == entity_type},
                {(str(e), int(m)): int(v or 0) for t, e, m, v in finals if t == entity_type},
                {(e, m) for t, e, m in late_keys if t == entity_type},
            )
        )
    return checks


def alert_checks(client: Client) -> tuple[int, int, int]:
    """(alerts, alerts with a revision missing, second openings while the first was open)."""
    revisions = client.query(
        "SELECT alert_id, groupUniqArray(revision) FROM alerts GROUP BY alert_id"
    ).result_rows
    gaps = sum(1 for _, revs in revisions if sorted(revs) != list(range(max(revs) + 1)))
    episodes = client.query(
        "SELECT rule_id, entity_type, entity_id, alert_id, min(opened_at), max(resolved_at) "
        "FROM alerts GROUP BY rule_id, entity_type, entity_id, alert_id ORDER BY rule_id, entity_type, entity_id, min(opened_at)"
    ).result_rows
    overlaps = 0
    by_entity: dict[tuple[str, str, str], list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for rule, entity_type, entity_id, _, opened, resolved in episodes:
        by_entity[(rule, entity_type, entity_id)].append((opened, resolved))
    for spans in by_entity.values():
        for (_, first_resolved), (second_opened, _) in zip(spans, spans[1:], strict=False):
            if first_resolved is None or second_opened < first_resolved:
                overlaps += 1
    return len(revisions), gaps, overlaps


def notifications_sent_twice(client: Client) -> tuple[int, int]:
    """(messages sent, messages sent more than once). A grouped message carries several alerts under
    one message id, each with its own `sent` row: a repeat is the same message id for the same alert."""
    sent = Counter(
        (str(message_id), str(alert_id))
        for message_id, alert_id in client.query(
            "SELECT message_id, alert_id FROM notifications WHERE action = 'sent'"
        ).result_rows
    )
    return len({message_id for message_id, _ in sent}), sum(1 for n in sent.values() if n > 1)
