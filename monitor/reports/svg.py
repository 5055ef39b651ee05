"""Inline SVG charts (pure functions returning markup): horizontal bars, stacked bars and time series."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from unicodedata import east_asian_width
from zoneinfo import ZoneInfo

PALETTE = ("#c0392b", "#e67e22", "#2e86c1", "#27ae60", "#8e44ad", "#7f8c8d")
FONT = 'font-family="Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"'


def _open(title: str, width: int, height: int) -> str:
    return (
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f"{FONT}><title>{escape(title)}</title>"
    )


def _char_width(c: str, font_px: float) -> float:
    """A CJK (wide) character is one em, anything else about 0.6 em."""
    return font_px if east_asian_width(c) in "WF" else 0.6 * font_px


def text_width(text: str, font_px: float) -> float:
    """Estimated rendered width of `text` (pure)."""
    return sum(_char_width(c, font_px) for c in text)


def fit(text: str, max_px: float, font_px: float) -> str:
    """`text`, or as much of it as fits in `max_px` followed by …, so a long name never runs into the next
    label or off the chart (pure)."""
    if text_width(text, font_px) <= max_px:
        return text
    room = max_px - font_px  # the ellipsis
    out = []
    for c in text:
        room -= _char_width(c, font_px)
        if room < 0:
            break
        out.append(c)
    return "".join(out) + "…"


def _label(text: str, max_px: float, font_px: float) -> str:
    """Escaped label text fitted to `max_px`; a shortened one keeps its full text as a tooltip."""
    short = fit(text, max_px, font_px)
    return escape(short) if short == text else f"<title>{escape(text)}</title>{escape(short)}"


def _num(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.1f}"


def bar_chart(
    title: str, items: Sequence[tuple[str, float]], *, width: int = 560, colour: str = PALETTE[2]
) -> str:
    """One horizontal bar per (label, value), the value printed at the bar's end."""
    if not items:
        return f'<p class="empty">{escape(title)}：无数据</p>'
    row, label_w, top = 24, 150, 8
    height = top + row * len(items) + 8
    peak = max(v for _, v in items) or 1.0
    bar_w = width - label_w - 60
    parts = [
        _open(title, width, height),
    ]
    for n, (label, value) in enumerate(items):
        y = top + n * row
        w = max(1.0, bar_w * value / peak) if value > 0 else 0.0
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12">'
            f"{_label(label, label_w - 10, 12)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="16" fill="{colour}" rx="2"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" font-size="12" data-value="{_num(value)}">'
            f"{_num(value)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(
    title: str,
    rows: Sequence[tuple[str, Sequence[float]]],
    legend: Sequence[tuple[str, str]],
    *,
    width: int = 720,
) -> str:
    """One horizontal bar per row split into segments; `legend` gives (name, colour) per segment."""
    if not rows:
        return f'<p class="empty">{escape(title)}：无数据</p>'
    row, label_w, top = 24, 260, 28  # room for 部门 · 时限, e.g. 云江市住房和城乡建设局 · 回应关切
    height = top + row * len(rows) + 8
    peak = max(sum(values) for _, values in rows) or 1.0
    bar_w = width - label_w - 50
    parts = [
        _open(title, width, height),
    ]
    x = label_w
    for name, colour in legend:
        parts.append(
            f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="16" font-size="12">{escape(name)}</text>'
        )
        x += 28 + 13 * len(name)
    for n, (label, values) in enumerate(rows):
        y = top + n * row
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12">'
            f"{_label(label, label_w - 10, 12)}</text>"
        )
        x0: float = label_w
        for value, (_, colour) in zip(values, legend, strict=True):
            w = bar_w * value / peak
            if w > 0:
                parts.append(f'<rect x="{x0:.1f}" y="{y + 4}" width="{w:.1f}" height="16" fill="{colour}"/>')
            x0 += w
        parts.append(f'<text x="{x0 + 6:.1f}" y="{y + 16}" font-size="12">{_num(sum(values))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    title: str,
    series: Sequence[tuple[str, Sequence[tuple[datetime, float]]]],
    tz: ZoneInfo,
    *,
    width: int = 640,
    height: int = 220,
) -> str:
    """Time series lines on a shared time axis, with the first/last times and the peak value labelled."""
    points = [p for _, s in series for p in s]
    if not points:
        return f'<p class="empty">{escape(title)}：无数据</p>'
    left, right, top, bottom = 48, 12, 12, 40 + 16 * ((len(series) + 2) // 3)
    t0 = min(t for t, _ in points).timestamp()
    t1 = max(t for t, _ in points).timestamp()
    span = (t1 - t0) or 1.0
    peak = max(v for _, v in points) or 1.0
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        _open(title, width, height),
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 10}" text-anchor="end" font-size="11">{_num(peak)}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    fmt = "%H:%M" if t1 - t0 <= 86400 else "%m-%d %H:%M"
    for at, anchor, x in ((t0, "start", left), (t1, "end", width - right)):
        label = datetime.fromtimestamp(at, tz).strftime(fmt)
        parts.append(
            f'<text x="{x}" y="{top + plot_h + 14}" text-anchor="{anchor}" font-size="11">{label}</text>'
        )
    for n, (name, s) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        coords = [
            (left + plot_w * (t.timestamp() - t0) / span, top + plot_h - plot_h * v / peak) for t, v in s
        ]
        if len(coords) == 1:
            cx, cy = coords[0]
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{colour}"/>')
        else:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        column = plot_w // 3
        lx = left + (n % 3) * column
        ly = top + plot_h + 30 + 16 * (n // 3)
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{ly}" font-size="11">{_label(name, column - 22, 11)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
