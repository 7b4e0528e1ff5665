"""One chaos run: start the platform, load it, strike each fault in turn, then check and report.

Per fault the table gives: the time from the strike until records acknowledged after the fault
ended are in the raw table and the engine has computed indicators again ("recover"); the records
acknowledged between the strike and that moment ("delayed": they went through the fault); of the
records acknowledged from the strike until the next fault, how many the raw tables lack ("lost")
or hold twice ("duplicated").
"""

from __future__ import annotations

import json
import signal
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from ioc.province import Province, load_province
from ioc.stack.artifacts import Progress
from load_tests.cameras import CameraRates
from load_tests.chaos import verify
from load_tests.chaos.ledger import MINUTE_MS, Ledger
from load_tests.chaos.load import FailoverSender
from load_tests.chaos.platform import ChaosPlatform
from load_tests.chaos.schedule import VARIANTS, Fault
from load_tests.faults import FaultConfig
from load_tests.live import BATCH_SIZE
from load_tests.pacing import run_live
from load_tests.province_sim import ProvinceSimulator, SimConfig
from warehouse.users import WRITER, client_auth

SEED = 16
PROBE_IDS = 20
RECOVERY_TIMEOUT_S = 300.0
# After the load stops, the platform is given this long to store and close everything acknowledged.
DRAIN_TIMEOUT_S = 240.0
# Vendors resend a share of records (same event id) and cameras report incidents often enough
# that alerts open and notify during a run of minutes.
LOAD_FAULTS = FaultConfig(duplicate_share=0.01)
CAMERA_RATES = CameraRates(incident_per_min=0.002)


@dataclass
class FaultRow:
    fault: str
    struck_at: str
    recover_s: float | None
    delayed: int
    lost: int = 0
    duplicated: int = 0
    _start: float = field(default=0.0, repr=False)


@dataclass
class Outcome:
    variant: str
    started_at: str
    acknowledged: int
    resent: int
    baseline: FaultRow
    faults: list[FaultRow]
    levels: list[verify.LevelCheck]
    alerts: int
    alert_revision_gaps: int
    alerts_opened_twice: int
    notifications_sent: int
    notifications_sent_twice: int
    restarts: dict[str, int]

    @property
    def clean(self) -> bool:
        return (
            self.baseline.lost == self.baseline.duplicated == 0
            and all(r.lost == r.duplicated == 0 and r.recover_s is not None for r in self.faults)
            and all(level.short == level.over == 0 for level in self.levels)
            and self.alert_revision_gaps == self.alerts_opened_twice == self.notifications_sent_twice == 0
        )

    def as_json(self) -> dict[str, Any]:
        body = asdict(self)
        for row in [body["baseline"], *body["faults"]]:
            row.pop("_start")
        body["clean"] = self.clean
        return body


class LoadThread(threading.Thread):
    """The load driver; a failure it meets (a gateway refusing for a reason no retry mends) ends the run."""

    def __init__(self, simulator: ProvinceSimulator, sender: FailoverSender, stop: threading.Event) -> None:
        super().__init__(name="chaos-load", daemon=True)
        self.simulator, self.sender, self.stop = simulator, sender, stop
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            run_live(self.simulator, self.sender, BATCH_SIZE, self.stop)
        except BaseException as exc:
            self.error = exc


class ChaosRun:
    """The platform, the ledger and the load of one run."""

    def __init__(self, variant: str, stack_dir: Path, progress: Progress) -> None:
        self.variant = variant
        self.platform = ChaosPlatform(stack_dir, progress)
        self.progress = progress
        self.ledger = Ledger()
        self.stop = threading.Event()
        self.load: LoadThread | None = None

    def warehouse(self) -> Client:
        assert self.platform.endpoints is not None  # noqa: S101 - after start
        return clickhouse_connect.get_client(
            dsn=self.platform.endpoints.clickhouse,
            database="ioc",
            **client_auth(self.platform.settings, WRITER),
        )

    def wait(self, seconds: float) -> None:
        """Sleep, keeping the children running as compose would; raise if the load driver failed."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.load is not None and self.load.error is not None:
                raise RuntimeError(f"the load driver failed: {self.load.error}") from self.load.error
            for name in self.platform.revive():
                self.progress(f"{name} exited by itself; started again")
            time.sleep(1)

    def flowing(self, since: float) -> bool:
        """Whether records acknowledged after `since` are stored and the engine has computed since then."""
        ids = self.ledger.first_after(since, PROBE_IDS)
        if len(ids) < PROBE_IDS:
            return False
        try:
            client = self.warehouse()
            stored = client.query(
                "SELECT uniqExact(event_id) FROM camera_vehicle_counts WHERE event_id IN {ids:Array(String)}",
                parameters={"ids": ids},
            ).result_rows[0][0]
            fresh = client.query(
                "SELECT count() FROM indicators WHERE computed_at >= fromUnixTimestamp64Milli({t:Int64})",
                parameters={"t": int(since * 1000)},
            ).result_rows[0][0]
        except Exception:  # the warehouse itself may be the one down
            return False
        return int(stored) == len(ids) and int(fresh) > 0

    def recover(self, healed_at: float) -> float | None:
        """The time data flowed end to end again after `healed_at`, or None past the timeout."""
        deadline = time.monotonic() + RECOVERY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.flowing(healed_at + 1):
                return time.time()
            self.wait(2)
        return None

    def strike(self, fault: Fault) -> FaultRow:
        if fault.of_stack:
            self.platform.settle()
        self.progress(f"fault: {fault.name} (for {fault.hold_s:.0f} s)")
        start = time.time()
        heal = fault.strike(self.platform)
        self.wait(fault.hold_s)
        heal()
        recovered = self.recover(time.time())
        row = FaultRow(
            fault.name,
            datetime.fromtimestamp(start, UTC).isoformat(timespec="seconds"),
            None if recovered is None else round(recovered - start, 1),
            len(self.ledger.acked_between(start, recovered or time.time())),
            _start=start,
        )
        self.progress(f"  recovered after {row.recover_s} s" if recovered else "  not recovered in time")
        return row

    def drain(self) -> verify.RawCheck:
        """Wait until every acknowledged record is stored (or the drain times out); the raw counts."""
        client = self.warehouse()
        verify.load_ledger(client, self.ledger)
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while True:
            raw = verify.raw_counts(client)
            missing = raw.lost(self.ledger.entries)
            if missing == 0 or time.monotonic() > deadline:
                return raw
            self.progress(f"waiting for {missing:,} acknowledged records to be stored…")
            self.wait(10)

    def settled_levels(self, province: Province, start_ms: int, end_ms: int) -> list[verify.LevelCheck]:
        """The minute totals, compared again while windows are still closing (idle series close late)."""
        client = self.warehouse()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while True:
            levels = verify.minute_totals(client, self.ledger, province, start_ms, end_ms)
            if all(level.short == level.over == 0 for level in levels) or time.monotonic() > deadline:
                return levels
            self.progress("waiting for the last windows to close…")
            self.wait(10)

    def run(self) -> Outcome:
        """The whole run; the platform is stopped at the end whatever happened (SIGTERM included)."""
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            return self._run()
        finally:
            self.stop.set()
            self.platform.stop()

    def _run(self) -> Outcome:
        secret = self.platform.start()
        province = load_province(self.platform.settings.province_file)
        started = time.time()
        simulator = ProvinceSimulator(
            province,
            SEED,
            datetime.fromtimestamp(started, UTC),
            SimConfig(faults=LOAD_FAULTS, camera_rates=CAMERA_RATES),
        )
        sender = FailoverSender(self.platform.gateway_urls, secret, self.ledger, self.stop)
        self.load = LoadThread(simulator, sender, self.stop)
        self.load.start()
        self.progress("load: the whole province, live, through the gateways; waiting for data to flow…")
        if self.recover(started) is None:
            raise RuntimeError("no data reached the warehouse before the first fault")
        variant = VARIANTS[self.variant]
        self.wait(variant.warm_up_s)
        rows = []
        for fault in variant.faults:
            rows.append(self.strike(fault))
            self.wait(variant.settle_s)
        self.wait(variant.tail_s)
        self.platform.settle()
        self.stop.set()
        self.load.join(timeout=60)
        stopped = time.time()
        self.progress(f"load stopped: {len(self.ledger):,} records acknowledged; checking…")
        raw = self.drain()
        for row, end in zip(rows, [r._start for r in rows[1:]] + [stopped], strict=True):
            window = self.ledger.acked_between(row._start, end)
            row.lost, row.duplicated = raw.lost(window), raw.duplicated(window)
        warm_up = self.ledger.acked_between(0, rows[0]._start)
        baseline = FaultRow(
            "(none: before the first fault)", "", None, 0, raw.lost(warm_up), raw.duplicated(warm_up)
        )
        # Whole minutes inside the load, the last one closed well before it stopped.
        first_minute = (int(started * 1000) // MINUTE_MS + 1) * MINUTE_MS
        last_minute = (int(stopped * 1000) // MINUTE_MS - 1) * MINUTE_MS
        levels = self.settled_levels(province, first_minute, last_minute)
        client = self.warehouse()
        alerts, gaps, twice = verify.alert_checks(client)
        sent, sent_twice = verify.notifications_sent_twice(client)
        return Outcome(
            self.variant,
            datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
            len(self.ledger),
            sender.resent,
            baseline,
            rows,
            levels,
            alerts,
            gaps,
            twice,
            sent,
            sent_twice,
            self.platform.children.restarts(),
        )


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM ends the run as Ctrl-C does, so that `finally` stops what it started."""
    raise KeyboardInterrupt


def run_chaos(variant: str, stack_dir: Path, progress: Progress) -> Outcome:
    return ChaosRun(variant, stack_dir, progress).run()


def write_result(outcome: Outcome, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%MZ")
    path = folder / f"chaos-{outcome.variant}-{stamp}.json"
    path.write_text(json.dumps(outcome.as_json(), indent=2, default=str) + "\n")
    return path
