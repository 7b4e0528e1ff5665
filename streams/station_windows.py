"""The event-time window engine of the environment agent, shared by its three sensor feeds.

Per station and feed: primary windows fold readings (deduplicated by event_id within the window),
derived windows (a local day, a 24 h span) are computed from the primary windows they cover. Each
touched window, and every open window after it whose value depends on it, is emitted as provisional
with a rising revision; a window closes when the station's watermark (its newest reading) passes its
end plus grace, or on the wall clock once the station has gone quiet, and is emitted once more as
final. A closed primary window leaves a summary behind for the windows that look back at it.
Records later than their window's grace are counted, logged and reported by the caller, never folded.

Table keys: `w|feed|station|kind|start` (open windows), `h|feed|station` (summaries of closed
primary windows), `m|feed|station` (watermark). Every write names its changelog partition (the
partition of the readings), see streams/state.py.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from faust.types import TableT

from ioc.province import Province
from streams import state
from streams.model.indicator_record import WindowStamp
from streams.model.windows import is_closed, is_late, to_millis, window_start
from streams.station_feeds import FeedSpec, Record, WindowView, station_of

log = logging.getLogger(__name__)


@dataclass
class FoldResult:
    """What one batch of one feed produced: indicator records and the records refused or late."""

    indicators: list[tuple[str, Record]] = field(default_factory=list)  # (station, indicator)
    invalid: list[tuple[Record, str, str]] = field(default_factory=list)  # (record, field, rule)
    late: list[LateRecord] = field(default_factory=list)
    duplicates: int = 0


@dataclass(frozen=True)
class LateRecord:
    """A record whose window had closed: when it happened, its window's end, the watermark it missed."""

    record: Record
    event_ms: int
    window_end_ms: int
    watermark_ms: int


@dataclass(frozen=True)
class _Window:
    key: str
    station: str
    kind: str
    start: int
    acc: Record


class StationWindows:
    """Windows of every station of every environment feed, kept in one Faust table."""

    def __init__(self, table: TableT, province: Province, grace_ms: int, idle_ms: int) -> None:
        self.table = table
        self.province = province
        self.grace_ms = grace_ms
        self.idle_ms = idle_ms

    # --- keys and small state accessors ---------------------------------------------------------

    @staticmethod
    def _window_key(feed: FeedSpec, station: str, kind: str, start: int) -> str:
        return f"w|{feed.name}|{station}|{kind}|{start}"

    def _open_windows(self, feed: FeedSpec) -> dict[str, list[_Window]]:
        """Open windows of the feed by station (one pass over the table)."""
        prefix = f"w|{feed.name}|"
        found: dict[str, list[_Window]] = defaultdict(list)
        for key, acc in state.items(self.table):
            if key.startswith(prefix):
                station, kind, start = key[len(prefix) :].rsplit("|", 2)
                found[station].append(_Window(key, station, kind, int(start), acc))
        return found

    def _watermark(self, feed: FeedSpec, station: str) -> int:
        entry = self.table.data.get(f"m|{feed.name}|{station}")
        return int(entry["ms"]) if entry else 0

    def _set_watermark(self, feed: FeedSpec, station: str, partition: int, ms: int) -> None:
        if ms > self._watermark(feed, station):
            state.put(self.table, partition, f"m|{feed.name}|{station}", {"partition": partition, "ms": ms})

    def _history(self, feed: FeedSpec, station: str) -> dict[int, Record]:
        entry = self.table.data.get(f"h|{feed.name}|{station}")
        return {int(start): summary for start, summary in (entry or {"s": {}})["s"].items()}

    # --- folding a batch ------------------------------------------------------------------------

    def fold(self, feed: FeedSpec, partition: int, records: Iterable[Record], now: int) -> FoldResult:
        """Fold one partition's decoded records; returns the provisional indicators and the refusals."""
        result = FoldResult()
        dirty: dict[str, Record] = {}
        touched: dict[str, int] = {}  # station -> earliest touched window start
        watermarks: dict[str, int] = {}
        for record in records:
            problem = feed.check(record)
            if problem is not None:
                result.invalid.append((record, *problem))
                continue
            station = station_of(record)
            observed = to_millis(record["observed_at"])
            at = feed.event_ms(record, observed)
            watermark = watermarks.setdefault(station, self._watermark(feed, station))
            start = window_start(at, feed.window_ms)
            if is_late(at, feed.window_ms, watermark, self.grace_ms):
                result.late.append(LateRecord(record, at, start + feed.window_ms, watermark))
                continue
            key = self._window_key(feed, station, "", start)
            acc = dirty.get(key) or self.table.data.get(key) or _new_window(partition, feed.window_ms)
            dirty[key] = acc
            if record["event_id"] in acc["ids"]:
                result.duplicates += 1
                continue
            acc["ids"].append(record["event_id"])
            acc["n"] += 1
            feed.fold(acc, {**record, "_ms": observed})
            touched[station] = min(touched.get(station, start), start)
            watermarks[station] = max(watermark, at)
            for kind, derived_start, size in feed.derived(start):
                derived_key = self._window_key(feed, station, kind, derived_start)
                if derived_key not in dirty and self.table.data.get(derived_key) is None:
                    dirty[derived_key] = _new_window(partition, size)
        for key, acc in dirty.items():
            state.put(self.table, acc["partition"], key, acc)
        for station, ms in watermarks.items():
            self._set_watermark(feed, station, partition, ms)
        open_windows = self._open_windows(feed)
        for station, earliest in touched.items():
            due = [w for w in open_windows[station] if w.start + w.acc["size"] > earliest]
            result.indicators += self._emit(feed, station, due, open_windows[station], final=False, now=now)
        return result

    # --- closing --------------------------------------------------------------------------------

    def close(self, feed: FeedSpec, now: int, partition: int | None = None) -> list[tuple[str, Record]]:
        """Emit as final and forget every due window of the feed (of one partition, or all)."""
        outputs: list[tuple[str, Record]] = []
        for station, windows in self._open_windows(feed).items():
            watermark = self._watermark(feed, station)
            due = [
                w
                for w in windows
                if (partition is None or w.acc["partition"] == partition)
                and is_closed(w.start, w.acc["size"], watermark, self.grace_ms, now, self.idle_ms)
            ]
            if not due:
                continue
            outputs += self._emit(feed, station, due, windows, final=True, now=now)
            self._retire(feed, station, due, watermark)
        return outputs

    def _retire(self, feed: FeedSpec, station: str, closed: list[_Window], watermark: int) -> None:
        """Move closed primary windows into the history, prune it, forget the windows, and move the
        watermark past them so a reading for them that arrives now is late, even after a wall-clock close."""
        history = self._history(feed, station)
        partition = closed[0].acc["partition"]
        closed_through = watermark
        for window in closed:
            if window.kind == "":
                history[window.start] = feed.summary(window.acc)
            state.delete(self.table, window.acc["partition"], window.key)
            closed_through = max(closed_through, window.start + window.acc["size"] + self.grace_ms)
        horizon = closed_through - feed.history_ms
        kept = {str(start): summary for start, summary in history.items() if start >= horizon}
        state.put(self.table, partition, f"h|{feed.name}|{station}", {"partition": partition, "s": kept})
        self._set_watermark(feed, station, partition, closed_through)

    # --- emitting -------------------------------------------------------------------------------

    def _emit(
        self,
        feed: FeedSpec,
        station: str,
        windows: list[_Window],
        open_windows: list[_Window],
        *,
        final: bool,
        now: int,
    ) -> list[tuple[str, Record]]:
        summaries = self._history(feed, station)
        summaries.update({w.start: feed.summary(w.acc) for w in open_windows if w.kind == "" and w.acc["n"]})
        config = self.province.station(station)
        area = config.area if config else ""
        outputs: list[tuple[str, Record]] = []
        for window in sorted(windows, key=lambda w: (w.start, w.kind)):
            window.acc["revision"] += 1
            state.put(self.table, window.acc["partition"], window.key, window.acc)
            size = window.acc["size"]
            stamp = WindowStamp(
                "station",
                station,
                area,
                window.start,
                window.start + size,
                window.acc["revision"],
                final,
                now,
            )
            view = WindowView(window.kind, window.start, size, summaries, config, stamp)
            outputs += [(station, indicator) for indicator in feed.indicators(view)]
        return outputs


def _new_window(partition: int, size_ms: int) -> Record:
    return {"partition": partition, "size": size_ms, "revision": 0, "ids": [], "n": 0}
