"""The whole province as one seeded stream of records, in the order a real network would deliver them.

`ProvinceSimulator` reads the province of `config/province.yaml` (cameras, crowd zones, stations,
reporting units), asks each family's generator (`cameras`, `sensors`, `departments`) for one minute
of records at a time, lets the fault injector make some late, out of order, duplicated or invalid,
and keeps everything in a heap ordered by the moment it is due to be sent. `due(until)` pops what
is due; pacing it (live on the wall clock, or at a fixed rate) is `load_tests.pacing`'s job. The
same seed and the same start give exactly the same records.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ioc.province import Province
from load_tests.cameras import CameraFeeds, CameraRates, sim_cameras
from load_tests.departments import DepartmentFeeds, DepartmentRates
from load_tests.emission import Emission
from load_tests.faults import FaultConfig, FaultInjector
from load_tests.sensors import SensorFeeds, WeatherRates

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class SimConfig:
    """What to simulate: how much of the province (None: all of it), the rates and the faults."""

    cameras: int | None = None
    stations: int | None = None
    reporting_units: int | None = None
    faults: FaultConfig = field(default_factory=FaultConfig)
    camera_rates: CameraRates = field(default_factory=CameraRates)
    weather_rates: WeatherRates = field(default_factory=WeatherRates)
    department_rates: DepartmentRates = field(default_factory=DepartmentRates)


class ProvinceSimulator:
    """Every input feed of the province, minute by minute from `start`, reproducible with `seed`."""

    def __init__(
        self, province: Province, seed: int, start: datetime, config: SimConfig | None = None
    ) -> None:
        config = config or SimConfig()
        # One generator per concern, each with its own seeded stream: changing one family's rates
        # does not change what the others generate.
        self.cameras = CameraFeeds(
            sim_cameras(province, random.Random(f"{seed}-layout"), config.cameras),
            random.Random(f"{seed}-cameras"),
            config.camera_rates,
        )
        self.sensors = SensorFeeds(
            province, random.Random(f"{seed}-sensors"), config.weather_rates, config.stations
        )
        self.departments = DepartmentFeeds(
            province, random.Random(f"{seed}-departments"), config.department_rates, config.reporting_units
        )
        self.faults = FaultInjector(config.faults, random.Random(f"{seed}-faults"))
        self.generated_until = start.replace(second=0, microsecond=0)
        self._heap: list[Emission] = []
        self._sequence = itertools.count()
        self.generated = 0

    def _next_sequence(self) -> int:
        return next(self._sequence)

    def _generate_minute(self) -> None:
        start = self.generated_until
        end = start + MINUTE
        for feeds in (self.cameras, self.sensors, self.departments):
            for feed, source_id, record in feeds.minute(end):
                self.generated += 1
                # Catch-up records (last period's reports) carry old event times: send them now.
                send_at = max(record["observed_at"], start)
                emission = Emission(send_at, self._next_sequence(), feed, source_id, record)
                for out in self.faults.apply(emission, self._next_sequence):
                    heapq.heappush(self._heap, out)
        self.generated_until = end

    def due(self, until: datetime) -> list[Emission]:
        """Every emission due to be sent before `until`, in sending order."""
        # Faults delay emissions, never advance them: once the minutes through `until` exist,
        # nothing generated later can be due before it.
        while self.generated_until <= until:
            self._generate_minute()
        out = []
        while self._heap and self._heap[0].send_at < until:
            out.append(heapq.heappop(self._heap))
        return out

    def take(self, count: int) -> list[Emission]:
        """The next `count` emissions in sending order, whatever their time (for rate-paced runs)."""
        out: list[Emission] = []
        while len(out) < count:
            if not self._heap or self._heap[0].send_at >= self.generated_until:
                self._generate_minute()
                continue
            out.append(heapq.heappop(self._heap))
        return out
