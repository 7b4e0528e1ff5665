"""Checking records against their feed's contract, the same way for every door.

Each record is converted by the feed's `JsonRecordConverter` (the documented coercions only) and
judged by the feed's own rules when it has some (a report value against its form, ioc/forms), then
its event time (`observed_at`, which every input record carries) must fall in the accepted window:
not more than `max_future_s` ahead of the gateway's clock (a device with a wrong clock) and not
older than `max_age_days` (stale data would land in closed windows, and the dedup memory keeps ids
only that long). A rejection names the record's index, its event id when readable, the field path
(`records[3].vehicle_count`) and the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from avro_schemas.json_records import JsonRecordConverter, RecordError
from ingest.feeds import Feed

EVENT_TIME_FIELD = "observed_at"


@dataclass(frozen=True)
class TimeWindow:
    """How far from now an event time may be."""

    max_future: timedelta
    max_age: timedelta

    def check(self, moment: datetime, now: datetime, path: str) -> None:
        if moment > now + self.max_future:
            raise RecordError(
                path,
                "timestamp-in-future",
                f"{moment.isoformat()} is more than {self.max_future.total_seconds():.0f} s ahead of "
                f"the gateway's clock ({now.isoformat()}); check the device clock and its time zone",
            )
        if moment < now - self.max_age:
            raise RecordError(
                path,
                "timestamp-too-old",
                f"{moment.isoformat()} is older than {self.max_age.days} days; send recent data only",
            )


@dataclass(frozen=True)
class Accepted:
    """A valid record: its place in the request, its id and its Avro datum."""

    index: int
    event_id: str
    datum: dict[str, Any]


@dataclass(frozen=True)
class Rejection:
    """A record that broke its contract, said so a vendor can fix it."""

    index: int
    event_id: str
    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "event_id": self.event_id,
            "field": self.field,
            "rule": self.rule,
            "message": self.message,
        }


def _event_id(raw: Any) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("event_id"), str):
        return str(raw["event_id"])
    return ""


def check_record(feed: Feed, raw: Any, index: int, window: TimeWindow, now: datetime) -> Accepted:
    """The record as Avro data, or RecordError whose path starts at `records[index]`."""
    prefix = f"records[{index}]"
    try:
        datum = feed.converter.convert(raw)
        if feed.check is not None:
            datum = feed.check(raw, datum)
    except RecordError as exc:
        path = f"{prefix}.{exc.path}" if exc.path else prefix
        raise RecordError(path, exc.rule, exc.message) from None
    if not datum["event_id"]:
        raise RecordError(f"{prefix}.event_id", "required", "event_id must not be empty")
    window.check(datum[EVENT_TIME_FIELD], now, f"{prefix}.{EVENT_TIME_FIELD}")
    return Accepted(index, datum["event_id"], datum)


def check_records(
    feed: Feed, records: list[Any], window: TimeWindow, now: datetime
) -> tuple[list[Accepted], list[Rejection]]:
    """Split a request's records into the valid and the rejected, keeping their indexes."""
    accepted: list[Accepted] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(records):
        try:
            accepted.append(check_record(feed, raw, index, window, now))
        except RecordError as exc:
            rejected.append(Rejection(index, _event_id(raw), exc.path, exc.rule, exc.message))
    return accepted, rejected


_SENT_AT = JsonRecordConverter({"type": "long", "logicalType": "timestamp-millis"})


def parse_sent_at(value: Any) -> datetime:
    """An envelope's optional `sent_at`, under the same time rules as every record field."""
    try:
        moment: datetime = _SENT_AT.convert(value)
    except RecordError as exc:
        raise RecordError("sent_at", exc.rule, exc.message) from None
    return moment


def time_window(max_future_s: float, max_age_days: float) -> TimeWindow:
    """The accepted event-time window from the gateway's settings."""
    return TimeWindow(timedelta(seconds=max_future_s), timedelta(days=max_age_days))
