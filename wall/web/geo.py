"""The areas the wall's maps draw under their markers, from the province configuration alone.

No map tiles can be fetched here, and `config/province.yaml` gives areas no boundary, only the
places in them (intersections and sensor stations, with coordinates). So each commune or ward is
drawn as the outline of its configured places: their convex hull, widened a little so an area with
one or two places is still a visible shape. It shows where each area's places are, not its legal
boundary; a province that adds boundaries to its configuration can draw those instead.
"""

from __future__ import annotations

from typing import Any

from ioc.area_shapes import Point, convex_hull, places_by_area
from ioc.province import Province

# Degrees added around each place before the hull is taken (~0.6 km), so no outline is a point.
PAD_DEG = 0.006
DRAWN_LEVELS = ("ward", "commune")


def _padded(points: list[Point]) -> list[Point]:
    return [
        (lon + dx, lat + dy)
        for lon, lat in points
        for dx in (-PAD_DEG, PAD_DEG)
        for dy in (-PAD_DEG, PAD_DEG)
    ]


def area_outlines(province: Province) -> list[dict[str, Any]]:
    """Each commune or ward with configured places: code, Vietnamese name, outline as [lon, lat] pairs."""
    places = places_by_area(province)
    outlines = []
    for area in province.areas:
        if area.level in DRAWN_LEVELS and places.get(area.code):
            hull = convex_hull(_padded(places[area.code]))
            outlines.append(
                {
                    "code": area.code,
                    "name": area.name_vi,
                    "outline": [[round(x, 5), round(y, 5)] for x, y in hull],
                }
            )
    return outlines
