"""`ioc wall snapshot`: every wall dashboard rendered to a PNG from the same panel definitions and SQL.

Grafana cannot run where the embedded default runs, and shift reports want a picture of the wall, so
this reads the generated dashboard JSON (the very panels Grafana gets), expands each panel's macros
for a time range, runs its SQL on the warehouse, and draws the result with matplotlib on the same
24-column grid, with the same thresholds, value mappings, units and "Dữ liệu cũ"/"Mất dữ liệu"
states. It is a faithful sketch, not a pixel copy of Grafana.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402 - the backend must be chosen before pyplot loads
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from wall.macros import TimeRange, expand  # noqa: E402
from wall.panels import MISSING_TEXT, STALE_TEXT, VALUE_FIELD  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")
BACKGROUND, PANEL, TEXT = "#111217", "#181b1f", "#d8d9da"
# Grafana's named colours used by the wall (its dark theme's values).
NAMED = {
    "green": "#73BF69",
    "yellow": "#FADE2A",
    "orange": "#FF9830",
    "red": "#F2495C",
    "dark-red": "#C4162A",
    "blue": "#5794F2",
    "transparent": PANEL,
}
UNITS = {"percent": "%", "velocitykmh": " km/h", "lengthmm": " mm", "s": " s", "none": ""}
ROW_PX, COLUMN_PX = 30, 80

Json = dict[str, Any]


@dataclass(frozen=True)
class Frame:
    """One panel's query result."""

    columns: list[str]
    rows: list[tuple[Any, ...]]

    def column(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


QueryRunner = Callable[[str], Frame]


def color(name: str | None) -> str:
    return NAMED.get(name or "", name or TEXT)


def _defaults(panel: Json) -> Json:
    return panel.get("fieldConfig", {}).get("defaults", {})


def unit_text(value: float, unit: str | None, decimals: int | None) -> str:
    """A number the way the panel's unit shows it (the subset of Grafana units the wall uses)."""
    digits = 0 if decimals is None and abs(value) >= 100 else (1 if decimals is None else decimals)
    number = f"{value:,.{digits}f}".replace(",", " ")
    if unit and unit.startswith("suffix:"):
        return f"{number} {unit.removeprefix('suffix:').strip()}"
    return number + UNITS.get(unit or "none", "")


def display(value: Any, config: Json) -> tuple[str, str]:
    """(text, colour) for a value through the panel's mappings, then its thresholds and unit."""
    for mapping in config.get("mappings", []):
        options = mapping["options"]
        if mapping["type"] == "special" and value is None and options["match"] == "null":
            return options["result"]["text"], color(options["result"].get("color"))
        if mapping["type"] == "value" and value is not None and _key(value) in options:
            result = options[_key(value)]
            return result.get("text", str(value)), color(result.get("color"))
    if value is None:
        return STALE_TEXT, color("#6E6E6E")
    if isinstance(value, str):
        return value, TEXT
    steps = config.get("thresholds", {}).get("steps", [])
    shade = next((s["color"] for s in reversed(steps) if s["value"] is None or value >= s["value"]), "blue")
    return unit_text(float(value), config.get("unit"), config.get("decimals")), color(shade)


def _key(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _frame_box(ax: Axes, title: str) -> None:
    ax.set_facecolor(PANEL)
    ax.set_title(title, color=TEXT, fontsize=13, loc="left")
    for spine in ax.spines.values():
        spine.set_color("#2c3235")


def draw_stat(ax: Axes, panel: Json, frame: Frame) -> None:
    field = panel["options"]["reduceOptions"]["fields"].strip("/^$")
    config = _defaults(panel)
    if not frame.rows:
        text, shade = config.get("noValue", MISSING_TEXT), color("#6E6E6E")
    else:
        text, shade = display(frame.column(field)[-1], config)
    colored = panel["options"].get("colorMode") == "background"
    _frame_box(ax, panel.get("title", ""))
    if colored:
        ax.set_facecolor(shade)
    ax.text(0.5, 0.45, text, ha="center", va="center", fontsize=30, weight="bold",
            color="#111217" if colored else TEXT, transform=ax.transAxes)  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])


def draw_bars(ax: Axes, panel: Json, frame: Frame) -> None:
    _frame_box(ax, panel.get("title", ""))
    config = _defaults(panel)
    if not frame.rows:
        ax.text(
            0.5, 0.5, config.get("noValue", MISSING_TEXT), ha="center", color=TEXT, transform=ax.transAxes
        )
        ax.set_xticks([])
        ax.set_yticks([])
        return
    names, values = frame.column("name")[::-1], frame.column(VALUE_FIELD)[::-1]
    shown = [display(v, config) for v in values]
    top = config.get("max") or max([v for v in values if v is not None] or [1])
    ax.barh(range(len(names)), [top] * len(names), color="#22252b")
    ax.barh(range(len(names)), [v if v is not None else 0 for v in values], color=[s for _, s in shown])
    ax.set_yticks([])
    for index, (text, _) in enumerate(shown):
        # Names are written on the bars, since a long Vietnamese name would not fit beside them.
        ax.text(
            top * 0.01, index, str(names[index])[:48], va="center", color="#0b0c0e", fontsize=9, weight="bold"
        )
        ax.text(top, index, f" {text}", va="center", color=TEXT, fontsize=9)
    ax.set_xlim(0, top * 1.35)
    ax.set_xticks([])


def draw_trend(ax: Axes, panel: Json, frame: Frame) -> None:
    _frame_box(ax, panel.get("title", ""))
    if not frame.rows:
        ax.text(0.5, 0.5, _defaults(panel).get("noValue", MISSING_TEXT), ha="center", color=TEXT,
                transform=ax.transAxes)  # fmt: skip
        return
    series: dict[str, list[tuple[datetime, float]]] = {}
    for moment, name, value in zip(
        frame.column("time"), frame.column("series"), frame.column(VALUE_FIELD), strict=True
    ):
        series.setdefault(str(name), []).append((_utc(moment).astimezone(VN), value))
    for name, points in list(series.items())[:8]:
        ax.plot([p[0] for p in points], [p[1] for p in points], linewidth=2, label=name)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=VN))
    ax.tick_params(colors=TEXT, labelsize=8)
    ax.legend(fontsize=8, facecolor=PANEL, labelcolor=TEXT, loc="upper left")
    ax.grid(color="#2c3235")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def draw_table(ax: Axes, panel: Json, frame: Frame) -> None:
    _frame_box(ax, panel.get("title", ""))
    ax.set_xticks([])
    ax.set_yticks([])
    if not frame.rows:
        ax.text(
            0.5,
            0.5,
            _defaults(panel).get("noValue", MISSING_TEXT),
            ha="center",
            color=TEXT,
            transform=ax.transAxes,
        )
        return
    overrides = {o["matcher"]["options"]: {p["id"]: p["value"] for p in o["properties"]}
                 for o in panel.get("fieldConfig", {}).get("overrides", [])}  # fmt: skip
    headers = [overrides.get(c, {}).get("displayName", c) for c in frame.columns]
    cells, shades = [], []
    for row in frame.rows[:12]:
        texts, colours = [], []
        for column, value in zip(frame.columns, row, strict=True):
            config = overrides.get(column, {})
            if "mappings" in config or "thresholds" in config:
                text, shade = display(value, config)
            else:
                text, shade = ("" if value is None else _short(value)), PANEL
            texts.append(text)
            colours.append(shade)
        cells.append(texts)
        shades.append(colours)
    table = ax.table(
        cellText=cells, colLabels=headers, cellColours=shades, loc="upper center", cellLoc="left"
    )
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    for cell in table.get_celld().values():
        cell.get_text().set_color(TEXT)
        cell.set_edgecolor("#2c3235")
        if cell.get_facecolor()[:3] == (1.0, 1.0, 1.0):
            cell.set_facecolor("#22252b")


def _short(value: Any) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def draw_map(ax: Axes, panel: Json, frame: Frame) -> None:
    _frame_box(ax, panel.get("title", ""))
    config = _defaults(panel)
    field = panel["options"]["layers"][0]["config"]["style"]["color"]["field"]
    if frame.rows:
        shades = [display(v, config)[1] for v in frame.column(field)]
        ax.scatter(frame.column("longitude"), frame.column("latitude"), c=shades, s=14, edgecolors="none")
    legend = [m for m in config.get("mappings", []) if m["type"] == "value"]
    for index, (_, result) in enumerate(sorted(legend[0]["options"].items()) if legend else []):
        ax.text(0.01, 0.97 - index * 0.05, f"● {result['text']}", color=color(result.get("color")), fontsize=9,
                transform=ax.transAxes, va="top")  # fmt: skip
    ax.tick_params(colors=TEXT, labelsize=7)


DRAWERS: dict[str, Callable[[Axes, Json, Frame], None]] = {
    "stat": draw_stat,
    "bargauge": draw_bars,
    "timeseries": draw_trend,
    "table": draw_table,
    "geomap": draw_map,
}


def render(dashboard: Json, run: QueryRunner, time_range: TimeRange, out: Path) -> Path:
    """Draw one dashboard into `out`/<uid>.png; each panel's SQL runs through `run`."""
    panels = [p for p in dashboard["panels"] if p["type"] in DRAWERS]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    figure = plt.figure(figsize=(24 * COLUMN_PX / 100, rows * ROW_PX / 100 + 0.8), facecolor=BACKGROUND)
    stamp = datetime.now(UTC).astimezone(VN).strftime("%H:%M:%S %d/%m/%Y")
    figure.suptitle(f"{dashboard['title']} — ảnh chụp lúc {stamp} (giờ Việt Nam)", color=TEXT, fontsize=16,
                    x=0.01, ha="left")  # fmt: skip
    grid = figure.add_gridspec(rows, 24, left=0.01, right=0.99, top=1 - 0.8 / (rows * ROW_PX / 100 + 0.8),
                               bottom=0.02, hspace=1.4, wspace=0.4)  # fmt: skip
    for panel in panels:
        pos = panel["gridPos"]
        ax = figure.add_subplot(grid[pos["y"] : pos["y"] + pos["h"], pos["x"] : pos["x"] + pos["w"]])
        DRAWERS[panel["type"]](ax, panel, run(expand(panel["targets"][0]["rawSql"], time_range)))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{dashboard['uid']}.png"
    figure.savefig(path, dpi=100, facecolor=BACKGROUND)
    plt.close(figure)
    return path


def snapshot(dashboards: Sequence[Json], run: QueryRunner, time_range: TimeRange, out: Path) -> list[Path]:
    """Every dashboard rendered; returns the image paths."""
    return [render(dashboard, run, time_range, out) for dashboard in dashboards]
