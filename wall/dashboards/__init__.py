"""One module per screen family, each with one `build()`; `all_dashboards` lists them in wall order."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from ioc.province import Province
from wall.dashboards import (
    alerts,
    environment,
    input_health,
    overview,
    public_order,
    public_services,
    traffic,
)


def map_center(province: Province) -> tuple[float, float]:
    """The middle of the province's intersections, where the traffic map opens."""
    points = [(i.latitude, i.longitude) for i in province.intersections] or [(16.0, 107.5)]
    return (
        round(sum(lat for lat, _ in points) / len(points), 4),
        round(sum(lon for _, lon in points) / len(points), 4),
    )


def all_dashboards(province: Province) -> list[Dashboard]:
    """Every wall dashboard, built from code (the province only places the traffic map)."""
    return [
        overview.build(),
        traffic.build(map_center(province)),
        public_order.build(),
        environment.build(),
        public_services.build(),
        input_health.build(),
        alerts.build(),
    ]
