"""Charts as inline SVG, drawn in Python: no plotting library, the same output in HTML and in the PDF
Chromium prints, and text that stays text (searchable, sharp at any zoom).

Two charts: the daily brief's bars by local hour, and the period report's bars by area (this period
against the previous one, with the plan as a line). Both use the same axis rounding and number
format."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from reports.period_model import AreaLine, IndicatorResult

VN = ZoneInfo("Asia/Ho_Chi_Minh")
WIDTH, HEIGHT = 680, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 28
BAR = "#2f6fb3"
PREVIOUS = "#a9c3e0"
PLAN = "#c0392b"
AXIS = "#888888"
# The period chart shows at most this many areas: 15 rows of 18 px make a chart about a third of an
# A4 page, so a form's chart and its table stay together, and labels stay at a readable 10 px. The
# province has about 100 communes; every area is still in the table under the chart.
TOP_AREAS = 15
AREA_LABEL_W, AREA_ROW, AREA_HEAD, AREA_FOOT = 170, 18, 40, 26


def _nice_top(peak: float) -> float:
    """A round number at or above `peak` for the axis (1, 2, 5 × 10^n)."""
    if peak <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= peak:
        step *= 10
    for factor in (1, 2, 5, 10):
        if factor * step >= peak:
            return factor * step
    return 10 * step


def _number(value: float) -> str:
    """Vietnamese: '.' groups thousands, ',' marks decimals; whole numbers from 10 up, else 2 places
    at most (a rate of 98,5 % stays 98,5)."""
    value += 0.0  # -0.0 reads 0
    if abs(value) >= 10:
        text = f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 1000 else f"{value:,.1f}"
        return text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{round(value, 2):g}".replace(".", ",")


def _svg_open(width: float, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" font-family="sans-serif" font-size="10">'
    )


def _no_data(width: float, y: float, text: str = "Không có dữ liệu") -> str:
    return f'<text x="{width / 2}" y="{y}" text-anchor="middle" fill="{AXIS}">{escape(text)}</text>'


def hourly_bars(points: tuple[tuple[datetime, float], ...], unit_vi: str) -> str:
    """A bar per hour of the day, labelled with the local hour; an empty day says so in the chart."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [_svg_open(WIDTH, HEIGHT)]
    if not points:
        return parts[0] + _no_data(WIDTH, HEIGHT / 2) + "</svg>"
    top = _nice_top(max(v for _, v in points))
    slot = plot_w / 24
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" fill="{AXIS}">{_number(top * fraction)}</text>'
        )
    for moment, value in points:
        hour = moment.astimezone(VN).hour
        height = plot_h * value / top
        x = LEFT + hour * slot + 1
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{slot - 2:.1f}" height="{height:.1f}" '
            f'fill="{BAR}"><title>{hour:02d}:00 — {_number(value)} {escape(unit_vi)}</title></rect>'
        )
    for hour in range(0, 24, 3):
        parts.append(
            f'<text x="{LEFT + hour * slot + slot / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle" '
            f'fill="{AXIS}">{hour:02d}h</text>'
        )
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 1}" fill="{AXIS}">{escape(unit_vi)} / giờ</text>')
    return "".join(parts) + "</svg>"


def shown_areas(areas: tuple[AreaLine, ...], limit: int = TOP_AREAS) -> tuple[AreaLine, ...]:
    """The `limit` areas with the highest value this period, highest first; areas with no value this
    period come after, by the previous period's value."""

    def rank(area: AreaLine) -> tuple[bool, float, float]:
        current, previous = area.line.current, area.line.previous
        return current is None, -(current or 0.0), -(previous or 0.0)

    return tuple(sorted(areas, key=rank)[:limit])


def _plan_on_areas(result: IndicatorResult) -> bool:
    """Whether the plan can be read against each area: a target on a mean, min or max is on the areas'
    own scale; a target on a sum is for the province's total and no single area compares with it."""
    return result.indicator.target is not None and result.indicator.over_areas != "sum"


def _axis(values: list[float]) -> tuple[float, float]:
    """[low, high] of the value axis: zero included, both ends rounded out (1, 2, 5 × 10^n)."""
    high, low = max(values, default=0.0), min(values, default=0.0)
    top = _nice_top(high) if high > 0 else 0.0
    bottom = -_nice_top(-low) if low < 0 else 0.0
    return bottom, top if top > bottom else 1.0


def _label(name: str, limit: int = 30) -> str:
    return escape(name if len(name) <= limit else name[: limit - 1] + "…")


def area_bars(result: IndicatorResult, limit: int = TOP_AREAS) -> str:
    """One indicator by area: a bar for this period and one for the previous per area (the `limit`
    highest this period, named in the title when some are left out), and the plan as a dashed line
    when it applies to each area; an indicator with no area values says so in the chart."""
    indicator, target = result.indicator, result.indicator.target
    shown = shown_areas(result.areas, limit)
    title = f"{indicator.name_vi} theo địa bàn"
    if len(shown) < len(result.areas):
        title += f": {len(shown)}/{len(result.areas)} địa bàn có giá trị kỳ này cao nhất"
    height = AREA_HEAD + len(shown) * AREA_ROW + AREA_FOOT if shown else AREA_HEAD  # empty: one line of text
    parts = [
        _svg_open(WIDTH, height),
        f'<text x="0" y="13" font-size="11" font-weight="bold">{escape(title)}</text>',
    ]
    if not shown:
        parts.append(_no_data(WIDTH, AREA_HEAD - 8, "Không có dữ liệu theo địa bàn ở cả kỳ này và kỳ trước"))
        return "".join(parts) + "</svg>"
    plan_line = target is not None and _plan_on_areas(result)
    values = [v for a in shown for v in (a.line.current, a.line.previous) if v is not None]
    bottom, top = _axis(values + ([target.value] if plan_line and target else []))
    left, right = AREA_LABEL_W, WIDTH - 56
    rows_end = AREA_HEAD + len(shown) * AREA_ROW

    def x(value: float) -> float:
        return left + (right - left) * (value - bottom) / (top - bottom)

    legend = [(BAR, "Kỳ này"), (PREVIOUS, "Kỳ trước")]
    for index, (colour, text) in enumerate(legend):
        parts.append(f'<rect x="{index * 90}" y="22" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{index * 90 + 14}" y="31">{text}</text>')
    if target is not None:
        sign = "≥" if target.direction == "at_least" else "≤"
        if plan_line:
            parts.append(
                f'<line x1="180" x2="196" y1="27" y2="27" stroke="{PLAN}" stroke-width="2" stroke-dasharray="4 2"/>'
            )
            parts.append(f'<text x="200" y="31" fill="{PLAN}">Kế hoạch {sign} {_number(target.value)}</text>')
        else:
            parts.append(
                f'<text x="180" y="31" fill="{AXIS}">Kế hoạch {sign} {_number(target.value)} là của toàn tỉnh '
                "(tổng các địa bàn), không so với từng địa bàn</text>"
            )
    for value in sorted({bottom, 0.0, (bottom + top) / 2, top}):
        parts.append(
            f'<line x1="{x(value):.1f}" x2="{x(value):.1f}" y1="{AREA_HEAD - 2}" y2="{rows_end}" stroke="#ddd"/>'
            f'<text x="{x(value):.1f}" y="{rows_end + 11}" text-anchor="middle" fill="{AXIS}">{_number(value)}</text>'
        )
    for row, area in enumerate(shown):
        y = AREA_HEAD + row * AREA_ROW
        parts.append(
            f'<text x="{left - 4}" y="{y + 11}" text-anchor="end" data-area="{escape(area.area_code)}">'
            f"{_label(area.area_vi)}</text>"
        )
        for offset, value, colour, when in ((1, area.line.current, BAR, "kỳ này"),
                                            (9, area.line.previous, PREVIOUS, "kỳ trước")):  # fmt: skip
            if value is None:
                continue
            start, end = sorted((x(0.0), x(value)))
            parts.append(
                f'<rect x="{start:.1f}" y="{y + offset}" width="{max(end - start, 0.5):.1f}" height="7" '
                f'fill="{colour}"><title>{escape(area.area_vi)}, {when}: {_number(value)} '
                f"{escape(indicator.unit)}</title></rect>"
            )
        if area.line.current is not None:
            parts.append(
                f'<text x="{max(x(0.0), x(area.line.current)) + 3:.1f}" y="{y + 8}" font-size="9">'
                f"{_number(area.line.current)}</text>"
            )
    if plan_line and target is not None:
        parts.append(
            f'<line class="plan" x1="{x(target.value):.1f}" x2="{x(target.value):.1f}" y1="{AREA_HEAD - 4}" '
            f'y2="{rows_end + 2}" stroke="{PLAN}" stroke-width="1.5" stroke-dasharray="4 2"/>'
        )
    parts.append(f'<text x="0" y="{height - 2}" fill="{AXIS}">Đơn vị: {escape(indicator.unit)}</text>')
    return "".join(parts) + "</svg>"
