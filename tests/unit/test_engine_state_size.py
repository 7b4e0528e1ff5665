"""No changelog record outgrows a Kafka message, whatever the backlog: the worker died with
MSG_SIZE_TOO_LARGE (`message.max.bytes`, by default 1,000,000 bytes in librdkafka's producer and
1,048,588 in the broker) replaying one past day quickly (`load_tests/past_day.py`), on the province's
`public_service/area/month` series, which held every dossier of the month in one value, and crashed
again at every restart.

A day of the simulated province's dossier events (the department feed of `load_tests`, the whole
province: 40 reporting units) is replayed at once through the engine's tasks (tests/unit/stream_harness.py),
and every record the stores write is measured.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from ioc.province import Province, load_province
from ioc.settings import Settings
from load_tests.departments import DepartmentFeeds, DepartmentRates
from streams.engine.store import PART, Store, decode, encode
from streams.model.services import DossierModel
from tests.unit.stream_harness import TIMING, Deployment
from topics.catalog import DEPARTMENT_DOSSIER_EVENTS

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MESSAGE_MAX_BYTES = 1_000_000  # librdkafka's default message.max.bytes, which the worker's producer keeps
RECORD_BOUND = 4_096  # one case with its pending events; the whole month's state is what grows
# Provisional results at most every 5 s, as in production: the wall clock stands still while a backlog
# is read, so each window is emitted once provisional and once final (figures are over every case).
REPLAY_TIMING = replace(TIMING, provisional_ms=5_000)


@cache
def province() -> Province:
    return load_province(Settings().province_file)


def _ms(value: Any) -> Any:
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else value


@cache
def day_of_dossier_events(day: date) -> list[list[tuple[str, dict[str, Any]]]]:
    """The province's dossier events of `day` and the 2 hours before it, by 10 minutes, as
    `load_tests/past_day.py` sends them: (source id, record with instants in epoch ms)."""
    feeds = DepartmentFeeds(province(), random.Random("42-departments"), DepartmentRates(), None)
    at = datetime.combine(day, time(0), VN) - timedelta(hours=2)
    steps = []
    while at < datetime.combine(day + timedelta(days=1), time(0), VN):
        step = []
        for _ in range(10):
            at += timedelta(minutes=1)
            for feed, source_id, record in feeds.minute(at):
                if feed.name == DEPARTMENT_DOSSIER_EVENTS.name:
                    step.append((source_id, {key: _ms(value) for key, value in record.items()}))
        steps.append(step)
    return steps


def test_a_days_backlog_replayed_at_once_writes_no_record_near_the_message_limit() -> None:
    """The province's month series holds every dossier of the month (> 1 MB after this one day: a
    single record of it is what the producer refused); each case is its own record, so the largest
    record is one case's, whatever the number of cases."""
    model = DossierModel(province(), 48 * 3_600_000, resend_margin_ms=TIMING.horizon_ms)
    now = int(datetime(2026, 12, 8, 10, tzinfo=VN).timestamp() * 1000)  # the wall clock: a day later
    d = Deployment(
        model, partitions=3, owners=3, schema="department/dossier_events", opened_ms=now, timing=REPLAY_TIMING
    )
    for step in day_of_dossier_events(date(2026, 12, 7)):
        for source_id, record in step:
            d.fold(zlib.crc32(source_id.encode()) % 3, [record], now, source=source_id)
        d.run_until_quiet(now)  # at once: the wall clock stays while a day of event time goes by
    code = province().code
    owner = d.stores[("owner", d.totals.partition("area", code))]
    month = owner.data[f"public_service/area/month|{code}"]
    assert len(encode(month)) > MESSAGE_MAX_BYTES  # what one record of it would have been
    assert len(month["x"]["d"]) > 5_000  # cases
    biggest = max(d.largest, key=d.largest.__getitem__)
    assert d.largest[biggest] <= RECORD_BOUND, (biggest, d.largest[biggest])
    assert d.largest[f"public_service/area/month|{code}"] <= RECORD_BOUND
    assert any(PART in key for key in d.largest)


def test_cases_restored_from_their_own_records_give_the_same_finals_as_without_a_crash() -> None:
    """Cases stored apart are read back with their series after a crash (the month's windows keep
    counting the dossiers received before it), and the changelog holds exactly the cases held."""
    model = DossierModel(province(), 48 * 3_600_000, resend_margin_ms=TIMING.horizon_ms)
    now = int(datetime(2026, 12, 8, 10, tzinfo=VN).timestamp() * 1000)
    steps = day_of_dossier_events(date(2026, 12, 7))[:40]
    finals = []
    for crash_at in (None, 20):
        d = Deployment(
            model,
            partitions=2,
            owners=2,
            schema="department/dossier_events",
            opened_ms=now,
            timing=REPLAY_TIMING,
        )
        for number, step in enumerate(steps):
            for source_id, record in step:
                d.fold(zlib.crc32(source_id.encode()) % 2, [record], now, source=source_id)
            d.run_until_quiet(now)
            if number == crash_at:
                source_id, record = steps[number + 1][0]
                d.fold(zlib.crc32(source_id.encode()) % 2, [record], now, source=source_id)  # lost
                d.crash(now)
        for later in range(3):
            d.run_until_quiet(now + 40 * 86_400_000 + later)
            d.tick(now + 40 * 86_400_000 + later)
        d.run_until_quiet(now + 40 * 86_400_000 + 3)
        finals.append(d.finals())
        for (kind, partition), log in d.snapshot.items():  # the changelog holds exactly the live cases
            live = d.stores[(kind, partition)].data
            stored = {key.split(PART)[0] + PART + key.split(PART)[1] for key in log if PART in key}
            held = {
                key + PART + case
                for key, series in live.items()
                if key[0] != "~" and series["x"]
                for case in series["x"]["d"]
            }
            assert stored == held
    assert finals[0] == finals[1]
    assert len(finals[0]) > 100


def test_a_map_stored_apart_writes_what_changed_and_tombstones_what_is_gone() -> None:
    """Each entry is its own record, written when assigned; a removed entry, a deleted key's entries
    and entries read back without their key (a restore racing the log cleaner) become tombstones."""
    log: dict[str, bytes] = {}
    written: list[str] = []

    def send(topic: str, partition: int, key: bytes, value: bytes | None) -> None:
        written.append(key.decode())
        if value is None:
            log.pop(key.decode(), None)
        else:
            log[key.decode()] = value

    store = Store("changelog", 0)
    store.data["k"] = {"x": {"d": {}, "open": 1}}
    parts = store.attach("k", store.data["k"]["x"], "d")
    parts["a"], parts["b"] = [1], [2]
    store.flush(send)
    assert set(log) == {"k", f"k{PART}a", f"k{PART}b"}
    assert decode(log["k"]) == {"x": {"d": {}, "open": 1}}  # the map is not in its key's record
    written.clear()
    parts["b"] = [3]
    store.touch("k")
    store.flush(send)
    assert written == ["k", f"k{PART}b"]  # not a
    del parts["a"]
    store.touch("k")
    store.flush(send)
    assert set(log) == {"k", f"k{PART}b"}
    restored = Store("changelog", 0)
    for key, value in log.items():
        restored.apply(key.encode(), value)
    again = restored.attach("k", restored.data["k"]["x"], "d")
    assert again == {"b": [3]} and not again.changed
    restored.delete("k")
    restored.flush(send)
    assert log == {}
    orphan = Store("changelog", 0)
    orphan.apply(f"k{PART}c".encode(), encode([4]))
    orphan.unclaimed_parts()
    log[f"k{PART}c"] = encode([4])
    orphan.flush(send)
    assert log == {}
