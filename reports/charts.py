"""Charts as inline SVG, drawn in Python: no plotting library, the same output in HTML and in the PDF
Chromium prints, and text that stays text (searchable, sharp at any zoom)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")
WIDTH, HEIGHT = 680, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 28
BAR = "#2f6fb3"
AXIS = "#888888"


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
    return f"{value:,.0f}".replace(",", ".") if value >= 10 else f"{value:g}".replace(".", ",")


def hourly_bars(points: tuple[tuple[datetime, float], ...], unit_vi: str) -> str:
    """A bar per hour of the day, labelled with the local hour; an empty day says so in the chart."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" font-family="sans-serif" font-size="10">'
    ]
    if not points:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="{AXIS}">Không có dữ liệu</text>'
        )
        return "".join(parts) + "</svg>"
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
