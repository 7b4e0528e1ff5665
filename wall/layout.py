"""Which dashboard, panel or playlist each of the 27 wall screens shows, and the kiosk link that opens it.

The wall is 3 rows of 9 screens, numbered 1-27 left to right, top to bottom. The centre 3×3 block
(columns 4-6) is one logical display driven as a single browser by the wall controller: the city
overview. The left wing carries traffic and public order, the right wing environment and public
services, the bottom corners the alerts board and input health, and three screens rotate detail
dashboards as playlists. A screen may show one panel of a dashboard full size (`viewPanel`), e.g.
the traffic map.

Kiosk links hide Grafana's chrome and, because Grafana 11/12 keep the time picker and variables in
kiosk mode unless told otherwise, also pass `_dash.hideTimePicker`, `_dash.hideVariables` and
`_dash.hideLinks` (and `_dash.hidePlaylistNav` for playlists).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from grafana_foundation_sdk.builders import playlist

from wall.dashboards import (
    alerts,
    environment,
    input_health,
    overview,
    public_order,
    public_services,
    traffic,
)

ROWS, COLUMNS = 3, 9
KIOSK_FLAGS = ("kiosk", "_dash.hideTimePicker", "_dash.hideVariables", "_dash.hideLinks")
PLAYLIST_FLAGS = (*KIOSK_FLAGS, "_dash.hidePlaylistNav")
CENTRE_COLUMNS = (4, 5, 6)


@dataclass(frozen=True)
class Playlist:
    """A rotation of detail dashboards on one screen."""

    uid: str
    name: str
    interval: str
    dashboards: tuple[str, ...]

    def builder(self) -> playlist.Playlist:
        return (
            playlist.Playlist()
            .uid(self.uid)
            .name(self.name)
            .interval(self.interval)
            .items([playlist.PlaylistItem().type("dashboard_by_uid").value(uid) for uid in self.dashboards])
        )


PLAYLISTS = (
    Playlist(
        "ioc-wall-rotate-city",
        "Luân phiên giao thông và trật tự",
        "30s",
        (traffic.UID, public_order.UID, alerts.UID),
    ),
    Playlist(
        "ioc-wall-rotate-services",
        "Luân phiên môi trường và dịch vụ công",
        "30s",
        (environment.UID, public_services.UID, input_health.UID),
    ),
    Playlist(
        "ioc-wall-rotate-all",
        "Luân phiên toàn bộ",
        "20s",
        (
            overview.UID,
            traffic.UID,
            public_order.UID,
            environment.UID,
            public_services.UID,
            input_health.UID,
            alerts.UID,
        ),
    ),
)


@dataclass(frozen=True)
class Screen:
    """One physical screen: a dashboard (optionally one panel of it, by title) or a playlist."""

    number: int
    target: str
    panel_title: str = ""
    playlist: bool = False

    @property
    def row(self) -> int:
        return (self.number - 1) // COLUMNS + 1

    @property
    def column(self) -> int:
        return (self.number - 1) % COLUMNS + 1


def _centre(number: int) -> bool:
    return (number - 1) % COLUMNS + 1 in CENTRE_COLUMNS


def _assignments() -> dict[int, Screen]:
    city, services, everything = (p.uid for p in PLAYLISTS)
    wings = [
        Screen(1, traffic.UID),
        Screen(2, traffic.UID, traffic.MAP_PANEL_TITLE),
        Screen(3, public_order.UID),
        Screen(7, environment.UID),
        Screen(8, environment.UID, environment.AQI_PANEL_TITLE),
        Screen(9, public_services.UID),
        Screen(10, public_order.UID, public_order.INCIDENTS_PANEL_TITLE),
        Screen(11, city, playlist=True),
        Screen(12, traffic.UID, traffic.MAP_PANEL_TITLE),
        Screen(16, environment.UID, environment.WATER_PANEL_TITLE),
        Screen(17, services, playlist=True),
        Screen(18, public_services.UID, public_services.ON_TIME_PANEL_TITLE),
        Screen(19, alerts.UID),
        Screen(20, alerts.UID, alerts.BOARD_PANEL_TITLE),
        Screen(21, everything, playlist=True),
        Screen(25, input_health.UID),
        Screen(26, alerts.UID),
        Screen(27, input_health.UID),
    ]
    centre = [Screen(n, overview.UID) for n in range(1, ROWS * COLUMNS + 1) if _centre(n)]
    return {screen.number: screen for screen in [*wings, *centre]}


SCREENS: tuple[Screen, ...] = tuple(screen for _, screen in sorted(_assignments().items()))


def kiosk_url(base_url: str, screen: Screen, panel_ids: dict[str, dict[str, int]]) -> str:
    """The URL a screen's browser opens; `panel_ids` maps dashboard uid -> panel title -> panel id."""
    base = base_url.rstrip("/")
    if screen.playlist:
        return f"{base}/playlists/play/{screen.target}?{'&'.join(PLAYLIST_FLAGS)}"
    query = ["orgId=1", *KIOSK_FLAGS, "refresh=10s"]
    if screen.panel_title:
        query.append(f"viewPanel=panel-{panel_ids[screen.target][screen.panel_title]}")
    return f"{base}/d/{quote(screen.target)}?{'&'.join(query)}"
