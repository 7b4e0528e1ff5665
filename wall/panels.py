"""Shared panel builders and the wall's conventions, in one place so every screen follows them.

Conventions (issue #9): Vietnamese titles and units; big stat values readable across the room;
thresholds coloured by severity; and never a frozen number. Every value panel's SQL returns the
shown value in a column `value` and the age of the data behind it in `data_age_s`; the SQL itself
turns `value` into NULL once the data is older than the panel expects, and the panel maps NULL to
"Dữ liệu cũ" (stale) and an empty result to "Mất dữ liệu" (no data). Tables show `data_age_s` as a
coloured column. Time series show gaps instead of drawing on, and "Mất dữ liệu" when empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from grafana_foundation_sdk.builders import bargauge, common, dashboard, geomap, stat, table, timeseries
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models.dashboard import (
    DashboardSpecialValueMapOptions,
    DynamicConfigValue,
    GridPos,
    SpecialValueMap,
    SpecialValueMatch,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
)

from wall.query import DATASOURCE, ClickHouseQueryBuilder, QueryFormat

STALE_TEXT = "Dữ liệu cũ"
MISSING_TEXT = "Mất dữ liệu"
STALE_COLOR = "#6E6E6E"
VALUE_FIELD = "value"
AGE_FIELD = "data_age_s"
SEVERITY_GREEN, SEVERITY_ORANGE, SEVERITY_RED = "green", "orange", "red"

Steps = Sequence[tuple[float | None, str]]


def thresholds(steps: Steps) -> dashboard.ThresholdsConfig:
    """Absolute thresholds from (lower bound, colour) pairs; the first bound is None (the base)."""
    return (
        dashboard.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=bound, color=color) for bound, color in steps])
    )


def rising_severity(orange: float, red: float) -> Steps:
    """Higher is worse: green, then orange from `orange`, red from `red`."""
    return ((None, SEVERITY_GREEN), (orange, SEVERITY_ORANGE), (red, SEVERITY_RED))


def falling_severity(red_below: float, orange_below: float) -> Steps:
    """Lower is worse (on-time rates, cameras online): red below `red_below`, orange below `orange_below`."""
    return ((None, SEVERITY_RED), (red_below, SEVERITY_ORANGE), (orange_below, SEVERITY_GREEN))


def value_texts(texts: Mapping[int, tuple[str, str]] | Mapping[str, tuple[str, str]]) -> ValueMap:
    """Level numbers shown as words (e.g. congestion 3 -> "Ùn tắc"), each with its colour."""
    return ValueMap(
        options={
            str(level): ValueMappingResult(text=text, color=color) for level, (text, color) in texts.items()
        }
    )


def stale_mapping() -> SpecialValueMap:
    """NULL (the SQL's mark for data older than expected) shown as "Dữ liệu cũ" in grey."""
    return SpecialValueMap(
        DashboardSpecialValueMapOptions(
            match=SpecialValueMatch.NULL, result=ValueMappingResult(text=STALE_TEXT, color=STALE_COLOR)
        )
    )


def fresh(value_sql: str, age_sql: str, max_age_s: int) -> str:
    """SQL select-list for the convention: the value, NULL once `age_sql` passes `max_age_s`."""
    return f"if({age_sql} IS NULL OR {age_sql} > {max_age_s}, NULL, {value_sql}) AS {VALUE_FIELD}, {age_sql} AS {AGE_FIELD}"


def _place(builder: object, x: int, y: int, w: int, h: int) -> None:
    builder.grid_pos(GridPos(h=h, w=w, x=x, y=y))  # type: ignore[attr-defined]


def big_stat(
    title: str,
    sql: str,
    *,
    unit: str,
    steps: Steps,
    pos: tuple[int, int, int, int],
    mappings: Sequence[ValueMap] = (),
    decimals: int | None = None,
    description: str = "",
) -> stat.Panel:
    """One large number with a severity background; NULL shows "Dữ liệu cũ", no row "Mất dữ liệu"."""
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .with_target(ClickHouseQueryBuilder(sql))
        .unit(unit)
        .thresholds(thresholds(steps))
        .color_scheme(dashboard.FieldColor().mode("thresholds"))
        .mappings([*mappings, stale_mapping()])
        .no_value(MISSING_TEXT)
        .color_mode(common_models.BigValueColorMode.BACKGROUND)
        .graph_mode(common_models.BigValueGraphMode.NONE)
        .text_mode(common_models.BigValueTextMode.VALUE)
        .justify_mode(common_models.BigValueJustifyMode.CENTER)
        .text(common.VizTextDisplayOptions().value_size(72).title_size(28))
        .reduce_options(common.ReduceDataOptions().calcs(["last"]).fields(f"/^{VALUE_FIELD}$/").values(False))
    )
    if decimals is not None:
        panel.decimals(decimals)
    _place(panel, *pos)
    return panel


def bars(
    title: str,
    sql: str,
    *,
    unit: str,
    steps: Steps,
    pos: tuple[int, int, int, int],
    mappings: Sequence[ValueMap] = (),
    max_value: float | None = None,
    limit: int = 20,
) -> bargauge.Panel:
    """One bar per row (named by the row's `name` column), coloured by severity."""
    panel = (
        bargauge.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .with_target(ClickHouseQueryBuilder(sql))
        .unit(unit)
        .min(0)
        .thresholds(thresholds(steps))
        .color_scheme(dashboard.FieldColor().mode("thresholds"))
        .mappings([*mappings, stale_mapping()])
        .no_value(MISSING_TEXT)
        .display_mode(common_models.BarGaugeDisplayMode.BASIC)
        .orientation(common_models.VizOrientation.HORIZONTAL)
        .show_unfilled(True)
        .text(common.VizTextDisplayOptions().value_size(28).title_size(22))
        .reduce_options(
            common.ReduceDataOptions().calcs(["last"]).fields(f"/^{VALUE_FIELD}$/").values(True).limit(limit)
        )
    )
    if max_value is not None:
        panel.max(max_value)
    _place(panel, *pos)
    return panel


def trend(
    title: str, sql: str, *, unit: str, pos: tuple[int, int, int, int], steps: Steps | None = None
) -> timeseries.Panel:
    """A time series (time, series name, value rows; the plugin makes one line per name)."""
    panel = (
        timeseries.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .with_target(ClickHouseQueryBuilder(sql, QueryFormat.TIME_SERIES))
        .unit(unit)
        .no_value(MISSING_TEXT)
        .line_width(3)
        .fill_opacity(10)
        .span_nulls(False)
        .legend(
            common.VizLegendOptions()
            .show_legend(True)
            .placement(common_models.LegendPlacement.BOTTOM)
            .display_mode(common_models.LegendDisplayMode.LIST)
        )
    )
    if steps is not None:
        panel.thresholds(thresholds(steps)).thresholds_style(
            common.GraphThresholdsStyleConfig().mode(common_models.GraphTresholdsStyleMode.LINE)
        )
    _place(panel, *pos)
    return panel


def board(
    title: str,
    sql: str,
    *,
    pos: tuple[int, int, int, int],
    max_age_s: int,
    column_mappings: dict[str, Sequence[ValueMap]] | None = None,
) -> table.Panel:
    """A table whose `data_age_s` column turns red once the feed behind it is older than `max_age_s`."""
    panel = (
        table.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .with_target(ClickHouseQueryBuilder(sql))
        .no_value(MISSING_TEXT)
        .cell_height(common_models.TableCellHeight.LG)
        .override_by_name(
            AGE_FIELD,
            [
                DynamicConfigValue(id_val="displayName", value="Độ trễ dữ liệu"),
                DynamicConfigValue(id_val="unit", value="s"),
                DynamicConfigValue(
                    id_val="thresholds", value=thresholds(rising_severity(max_age_s, max_age_s)).build()
                ),
                DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background"}),
                DynamicConfigValue(id_val="mappings", value=[stale_mapping()]),
            ],
        )
    )
    for column, mappings in (column_mappings or {}).items():
        panel.override_by_name(
            column,
            [
                DynamicConfigValue(id_val="mappings", value=list(mappings)),
                DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background"}),
            ],
        )
    _place(panel, *pos)
    return panel


def point_map(
    title: str,
    sql: str,
    *,
    color_field: str,
    steps: Steps,
    mappings: Sequence[ValueMap],
    center: tuple[float, float],
    zoom: float,
    pos: tuple[int, int, int, int],
) -> geomap.Panel:
    """Markers at each row's `latitude`/`longitude`, coloured by `color_field` through `steps`."""
    layer = (
        common.MapLayerOptions()
        .type("markers")
        .name("Điểm")
        .location(
            common.FrameGeometrySource()
            .mode(common_models.FrameGeometrySourceMode.COORDS)
            .latitude("latitude")
            .longitude("longitude")
        )
        .config(
            {
                "showLegend": True,
                "style": {
                    "color": {"field": color_field, "fixed": STALE_COLOR},
                    "opacity": 0.9,
                    "size": {"fixed": 8},
                    "symbol": {"fixed": "img/icons/marker/circle.svg", "mode": "fixed"},
                },
            }
        )
        .tooltip(True)
    )
    panel = (
        geomap.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .with_target(ClickHouseQueryBuilder(sql))
        .thresholds(thresholds(steps))
        .color_scheme(dashboard.FieldColor().mode("thresholds"))
        .mappings([*mappings, stale_mapping()])
        .no_value(MISSING_TEXT)
        .view(geomap.MapViewConfig().id("coords").lat(center[0]).lon(center[1]).zoom(zoom))
        .layers([layer])
    )
    _place(panel, *pos)
    return panel
