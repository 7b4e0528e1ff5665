"""Where each area's places are, and the outline around them: the sketch of an area that the wall's
maps and the console's alert map draw.

`config/province.yaml` gives areas no boundary, only places with coordinates (intersections and
sensor stations), and no map tiles can be fetched on the centre's machines; so an area is drawn as
the convex hull of its places. It shows where the area's places are, not its legal boundary.
"""

from __future__ import annotations

from collections import defaultdict

from ioc.province import Province

Point = tuple[float, float]  # (longitude, latitude)


def places_by_area(province: Province) -> dict[str, list[Point]]:
    """The coordinates of every intersection and station, under the current code of its area."""
    by_area: dict[str, list[Point]] = defaultdict(list)
    for place in (*province.intersections, *province.stations):
        by_area[province.current_area(place.area)].append((place.longitude, place.latitude))
    return by_area


def convex_hull(points: list[Point]) -> list[Point]:
    """Andrew's monotone chain: the hull's corners counter-clockwise, without repeats."""
    unique = sorted(set(points))
    if len(unique) <= 2:
        return unique

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    upper: list[Point] = []
    for point in unique:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], point) <= 0:
            lower.pop()
        lower.append(point)
    for point in reversed(unique):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], point) <= 0:
            upper.pop()
        upper.append(point)
    return lower[:-1] + upper[:-1]
