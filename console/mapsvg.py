"""An alert's place on a map of the province, drawn as inline SVG from config/province.yaml.

No map tiles can be fetched on the centre's machines, and the province file has no boundaries, only
places (intersections and stations, with coordinates): every place is a dot, the places of the
alert's commune or ward are highlighted with their hull (a sketch of the area, not its boundary) and
its name, and the alert itself is a marker at its coordinates, else at its intersection, camera or
station, else at its area's centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from ioc.area_shapes import Point, convex_hull, places_by_area
from ioc.province import Province

WIDTH, HEIGHT, MARGIN = 640, 440, 24


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


def alert_point(province: Province, alert: dict[str, Any]) -> Point | None:
    """Where to put the alert: its own coordinates, else its entity's, else its area's centre."""
    if alert.get("latitude") is not None and alert.get("longitude") is not None:
        return float(alert["longitude"]), float(alert["latitude"])
    entity = str(alert.get("entity_id", ""))
    intersections = {i.id: i for i in province.intersections}
    place = intersections.get(entity) or province.intersection_of(entity) or province.station(entity)
    if place is not None:
        return place.longitude, place.latitude
    points = places_by_area(province).get(province.current_area(str(alert.get("area_code", ""))), [])
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


class ProvinceMap:
    """The province drawn once (its places as dots); each alert adds its area's places, highlighted,
    the area's name, and the marker."""

    def __init__(self, province: Province) -> None:
        self.province = province
        self._by_area = places_by_area(province)
        every = [p for points in self._by_area.values() for p in points]
        self._empty = not every
        if self._empty:
            return
        west, east = min(p[0] for p in every), max(p[0] for p in every)
        south, north = min(p[1] for p in every), max(p[1] for p in every)
        span_x, span_y = max(east - west, 1e-6), max(north - south, 1e-6)
        self._project = _Projection(
            west, south, min((WIDTH - 2 * MARGIN) / span_x, (HEIGHT - 2 * MARGIN) / span_y)
        )
        self._places = "".join(
            f'<circle class="place" cx="{x}" cy="{y}" r="1.8"/>' for x, y in map(self._project, every)
        )

    def _area(self, code: str) -> str:
        """The area's places, its hull when it has three or more, and its name at their centre."""
        points = self._by_area.get(code, [])
        if not points:
            return ""
        hull = [self._project(p) for p in convex_hull(points)]
        cx, cy = sum(x for x, _ in hull) / len(hull), sum(y for _, y in hull) / len(hull)
        shape = (
            f'<polygon class="area area-hit" data-area="{escape(code)}" points="{" ".join(f"{x},{y}" for x, y in hull)}"/>'
            if len(hull) >= 3
            else f'<circle class="area area-hit" data-area="{escape(code)}" cx="{cx:.1f}" cy="{cy:.1f}" r="10"/>'
        )
        dots = "".join(
            f'<circle class="place-hit" cx="{x}" cy="{y}" r="3"/>' for x, y in map(self._project, points)
        )
        label = f'<text class="area-label" x="{cx:.1f}" y="{cy:.1f}">{escape(self.province.area_name(code))}</text>'
        return shape + dots + label

    def draw(self, alert: dict[str, Any]) -> str:
        """The SVG element, ready to be placed in the page as it is (every text escaped)."""
        if self._empty:
            return '<p class="muted">Cấu hình tỉnh chưa có tọa độ nào để vẽ bản đồ.</p>'
        parts = [
            f'<svg class="map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="Bản đồ {escape(self.province.name_vi)}" xmlns="http://www.w3.org/2000/svg">',
            f'<rect width="{WIDTH}" height="{HEIGHT}" class="map-bg"/>',
            self._places,
            self._area(self.province.current_area(str(alert.get("area_code", "")))),
        ]
        point = alert_point(self.province, alert)
        if point is not None:
            x, y = self._project(point)
            parts.append(f'<circle class="alert-marker" cx="{x}" cy="{y}" r="10"/>')
            parts.append(f'<circle class="alert-dot" cx="{x}" cy="{y}" r="4"/>')
        parts.append("</svg>")
        return "".join(parts)
