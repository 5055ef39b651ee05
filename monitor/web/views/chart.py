"""The heat chart as inline SVG (no script, no inline styles, so the CSP stays strict)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from monitor.web.html import Html, join, render
from monitor.web.views.parts import local_time

WIDTH = 640
HEIGHT = 180
PAD_LEFT = 44
PAD_RIGHT = 12
PAD_TOP = 12
PAD_BOTTOM = 28


def scale_points(series: Sequence[tuple[datetime, float]]) -> list[tuple[float, float]]:
    """(time, heat) → SVG coordinates inside the padded plot area; a single point sits in the middle."""
    if not series:
        return []
    t0 = series[0][0].timestamp()
    t1 = series[-1][0].timestamp()
    top = max(h for _, h in series) or 1.0
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    out: list[tuple[float, float]] = []
    for at, heat in series:
        x = PAD_LEFT + (plot_w / 2 if t1 == t0 else (at.timestamp() - t0) / (t1 - t0) * plot_w)
        y = PAD_TOP + plot_h - max(0.0, heat) / top * plot_h
        out.append((round(x, 1), round(y, 1)))
    return out


def heat_chart(series: Sequence[tuple[datetime, float]], zone: tzinfo) -> Html:
    """A line-and-area chart of heat over time, with the peak and the time span labelled in `zone`."""
    if not series:
        return Html('<p class="muted">暂无热度数据（该事件没有关联的舆情帖文序列）。</p>')
    points = scale_points(series)
    line = " ".join(f"{x},{y}" for x, y in points)
    base = HEIGHT - PAD_BOTTOM
    area = f"{points[0][0]},{base} {line} {points[-1][0]},{base}"
    peak = max(h for _, h in series)
    start, end = local_time(series[0][0], zone), local_time(series[-1][0], zone)
    # the span's ends; one time bucket gets one label, under its dot
    ends = (
        [(points[0][0], "middle", start)]
        if series[0][0] == series[-1][0]
        else [(PAD_LEFT, "start", start), (WIDTH - PAD_RIGHT, "end", end)]
    )
    span = join(
        render('<text class="tick" x="{x}" y="{y}" text-anchor="{a}">{t}</text>', x=x, y=HEIGHT - 8, a=a, t=t)
        for x, a, t in ends
    )
    dots = join(
        render(
            '<circle class="heat-dot" cx="{x}" cy="{y}" r="2.5"><title>{t} 热度 {h}</title></circle>',
            x=x,
            y=y,
            t=local_time(at, zone),
            h=f"{heat:.0f}",
        )
        for (x, y), (at, heat) in zip(points, series, strict=True)
    )
    return render(
        '<svg class="heat-chart" viewBox="0 0 {w} {h}" role="img" aria-label="热度曲线，峰值 {peak}">'
        '<line class="axis" x1="{pl}" y1="{base}" x2="{xr}" y2="{base}"/>'
        '<line class="axis" x1="{pl}" y1="{pt}" x2="{pl}" y2="{base}"/>'
        '<text class="tick" x="{tx}" y="{ty}" text-anchor="end">{peak}</text>'
        '<text class="tick" x="{tx}" y="{base}" text-anchor="end">0</text>'
        '<polygon class="heat-area" points="{area}"/>'
        '<polyline class="heat-line" points="{line}"/>{dots}{span}'
        "</svg>",
        w=WIDTH,
        h=HEIGHT,
        pl=PAD_LEFT,
        pt=PAD_TOP,
        xr=WIDTH - PAD_RIGHT,
        base=base,
        tx=PAD_LEFT - 6,
        ty=PAD_TOP + 8,
        peak=f"{peak:.0f}",
        area=area,
        line=line,
        dots=dots,
        span=span,
    )
