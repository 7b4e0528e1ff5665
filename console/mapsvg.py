"""An alert's place on a map of the province, drawn as inline SVG from config/province.yaml.

No map tiles can be fetched on the centre's machines, and the province file has no boundaries: each
commune or ward is drawn as the hull of the intersections and stations it holds (a sketch of where
it is, labelled with its name), the alert's area is highlighted, and the alert itself is a marker at
its coordinates, else at its intersection, camera or station, else at its area's centre.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from html import escape
from typing import Any

from ioc.province import Province

WIDTH, HEIGHT, MARGIN = 640, 440, 24
Point = tuple[float, float]  # (longitude, latitude)


def _hull(points: list[Point]) -> list[Point]:
    """The convex hull (Andrew's monotone chain), counter-clockwise."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    upper: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


@dataclass(frozen=True)
class _Projection:
    """Longitude and latitude onto the picture, north up, same scale both ways near the equator."""

    west: float
    south: float
    scale: float

    def __call__(self, point: Point) -> Point:
        x = MARGIN + (point[0] - self.west) * self.scale
        y = HEIGHT - MARGIN - (point[1] - self.south) * self.scale
        return round(x, 1), round(y, 1)


def _points_by_area(province: Province) -> dict[str, list[Point]]:
    by_area: dict[str, list[Point]] = defaultdict(list)
    for place in (*province.intersections, *province.stations):
        by_area[province.current_area(place.area)].append((place.longitude, place.latitude))
    return by_area


def alert_point(province: Province, alert: dict[str, Any]) -> Point | None:
    """Where to put the alert: its own coordinates, else its entity's, else its area's centre."""
    if alert.get("latitude") is not None and alert.get("longitude") is not None:
        return float(alert["longitude"]), float(alert["latitude"])
    entity = str(alert.get("entity_id", ""))
    intersections = {i.id: i for i in province.intersections}
    place = intersections.get(entity) or province.intersection_of(entity) or province.station(entity)
    if place is not None:
        return place.longitude, place.latitude
    points = _points_by_area(province).get(province.current_area(str(alert.get("area_code", ""))), [])
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


class ProvinceMap:
    """The province drawn once (hulls, labels, places); each alert adds its highlight and marker."""

    def __init__(self, province: Province) -> None:
        self.province = province
        by_area = _points_by_area(province)
        self._every = [p for points in by_area.values() for p in points]
        self._shapes: list[tuple[str, str]] = []  # (area code, SVG element with a {cls} slot)
        self._labels: list[str] = []
        if not self._every:
            return
        west, east = min(p[0] for p in self._every), max(p[0] for p in self._every)
        south, north = min(p[1] for p in self._every), max(p[1] for p in self._every)
        span_x, span_y = max(east - west, 1e-6), max(north - south, 1e-6)
        self._project = _Projection(
            west, south, min((WIDTH - 2 * MARGIN) / span_x, (HEIGHT - 2 * MARGIN) / span_y)
        )
        for code, points in sorted(by_area.items()):
            hull = [self._project(p) for p in _hull(points)]
            cx, cy = sum(x for x, _ in hull) / len(hull), sum(y for _, y in hull) / len(hull)
            if len(hull) >= 3:
                path = " ".join(f"{x},{y}" for x, y in hull)
                shape = f'<polygon class="{{cls}}" data-area="{escape(code)}" points="{path}"/>'
            else:
                shape = (
                    f'<circle class="{{cls}}" data-area="{escape(code)}" cx="{cx:.1f}" cy="{cy:.1f}" r="10"/>'
                )
            self._shapes.append((code, shape))
            name = escape(province.area_name(code))
            self._labels.append(f'<text class="area-label" x="{cx:.1f}" y="{cy:.1f}">{name}</text>')
        self._places = "".join(
            f'<circle class="place" cx="{x}" cy="{y}" r="1.6"/>' for x, y in map(self._project, self._every)
        )

    def draw(self, alert: dict[str, Any]) -> str:
        """The SVG element, ready to be placed in the page as it is (every text escaped)."""
        if not self._every:
            return '<p class="muted">Cấu hình tỉnh chưa có tọa độ nào để vẽ bản đồ.</p>'
        highlighted = self.province.current_area(str(alert.get("area_code", "")))
        parts = [
            f'<svg class="map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="Bản đồ {escape(self.province.name_vi)}" xmlns="http://www.w3.org/2000/svg">',
            f'<rect width="{WIDTH}" height="{HEIGHT}" class="map-bg"/>',
            *(
                shape.replace("{cls}", "area area-hit" if code == highlighted else "area")
                for code, shape in self._shapes
            ),
            self._places,
            *self._labels,
        ]
        point = alert_point(self.province, alert)
        if point is not None:
            x, y = self._project(point)
            parts.append(f'<circle class="alert-marker" cx="{x}" cy="{y}" r="9"/>')
            parts.append(f'<circle class="alert-dot" cx="{x}" cy="{y}" r="4"/>')
        parts.append("</svg>")
        return "".join(parts)
