"""The vocabulary between indicator models and the window engine: routes, places, views, the model contract.

A *route* is one windowed computation (say `traffic/area/1h`: an area's traffic over an hour hopping
by five minutes); a *place* is a route for one entity (area 26001); a record's *placement* is its
device's gate (where it is judged and deduplicated, on its own partition) and the totals it counts in
(owned by whichever task their key hashes to). A model says where records count and how they fold and
turn into indicator values; streams/engine does everything else. Pure: models are tested alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from streams.model.shapes import Shape

Acc = dict[str, Any]
Value = tuple[str, float | None, str, int, str]  # (code, value, unit, sample count, label)
NO_WINDOW = -(2**62)  # `first` of a contribution that counts in no window (kept for a model's state only)


@dataclass(frozen=True)
class Route:
    """One windowed computation: its name (also the late-event processor), entity type and shape."""

    name: str
    entity_type: str
    shape: Shape
    emit: bool = True


@dataclass(frozen=True)
class Place:
    """Where a record counts for one route: the entity and the area code its indicators carry."""

    route: Route
    entity_id: str
    area_code: str

    @property
    def key(self) -> str:
        return f"{self.route.name}|{self.entity_id}"


@dataclass(frozen=True, eq=False)
class Placement:
    """All the places of one record: its device's gate (None when the model has no device windows) and
    the totals it counts in, which other tasks own, grouped by window shape (every total of one shape
    judges a record alike). `key` names the placement (the device, usually): the engine adds a record
    once per shape to a running sum for its placement and spreads that sum over the totals at commit,
    instead of adding every record to every total. `also` are further gates of the same device (a
    station's hourly and daily VN_AQI): each judges the record on its own windows, and only `gate`
    decides whether it counts in the totals. Models build placements once per device."""

    key: str
    gate: Place | None
    totals: tuple[tuple[Shape, tuple[Place, ...]], ...] = ()
    also: tuple[Place, ...] = ()

    @classmethod
    def of(
        cls, key: str, gate: Place | None, totals: Sequence[Place] = (), also: Sequence[Place] = ()
    ) -> Placement:
        if also and gate is None:
            raise ValueError(f"placement {key}: further gates need a first gate")
        shapes: dict[Shape, list[Place]] = {}
        for place in totals:
            shapes.setdefault(place.route.shape, []).append(place)
        return cls(key, gate, tuple((shape, tuple(places)) for shape, places in shapes.items()), tuple(also))


@dataclass(frozen=True)
class WindowView:
    """One window being emitted, as a model needs it to compute its values."""

    route: Route
    entity_id: str
    area_code: str
    start_ms: int  # the reported start (the window's own start for most routes)
    end_ms: int
    panes: list[tuple[int, Acc]]  # (pane start, what counts in this window), oldest first
    state: Any  # the series' model state, for models that keep one (None otherwise)
    as_of_ms: int  # the end when final, else the watermark (capped at the end)
    final: bool


class Model(Protocol):
    """What one kind of indicator knows; the windows' life is the engine's job."""

    routes: Sequence[Route]

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """(field, rule) a decoded record breaks, or None when it can be counted."""

    def event_ms(self, record: dict[str, Any]) -> int:
        """The moment that places the record in its windows (epoch ms)."""

    def place(self, record: dict[str, Any]) -> Placement:
        """Where the record counts."""

    def empty(self, route: Route) -> Acc:
        """A new pane's accumulator for the route."""

    def add(self, route: Route, acc: Acc, record: dict[str, Any]) -> None:
        """Fold one accepted record into a pane's accumulator."""

    def merge(self, route: Route, acc: Acc, other: Acc) -> None:
        """Fold another accumulator of the same route into `acc`."""

    def values(self, view: WindowView) -> list[Value]:
        """The indicator values of one window."""


class StatefulModel(Model, Protocol):
    """A model whose windows read a state of the whole series (dossiers of a department), not only
    the panes: every contribution is absorbed into it, even one too late for any window. What the
    state absorbed is not copied into the panes as well (a month's pane would hold the month): a
    stateful model's panes only mark the windows its contributions touched, so `view.panes` holds
    empty accumulators and `view.state` is what its windows read."""

    def absorb(self, route: Route, state: Any, acc: Acc, first: int) -> Any:
        """Fold a contribution into the series state (None at first); returns the new state. `first`
        is the start of the oldest window the contribution counts in, NO_WINDOW when it came too late
        for every window holding it: the state can then tell each window what came in time for it,
        as panes do, whatever the order in which the owner read its partials."""

    def prune(self, route: Route, state: Any, closed_through_ms: int) -> Any:
        """Forget what no open or future window can need; None when nothing is left."""
