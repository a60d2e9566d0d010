"""The month's traffic as an SVG drawn server-side: in, out, the 95th line and the commit.

One function, used by the portal's usage page and by the invoice PDF.
"""

from __future__ import annotations

import datetime
import math
import zoneinfo
from decimal import Decimal

import numpy as np
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from tcfo_portal.formatting import format_bitrate

from .buckets import MISSING
from .counters import BUCKET_SECONDS

WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 20, 40


#: A tick step is one of these times a power of ten; the axis has 3 to 6 steps.
_TICK_MANTISSAS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5))
_TICK_COUNTS = range(3, 7)
#: The scale of a chart with nothing to draw (no traffic, no commit): up to 1 Mbit/s.
_EMPTY_SCALE = Decimal(1_000_000)


def nice_ticks(peak: float | int | Decimal) -> list[Decimal]:
    """The y axis ticks for a chart whose highest value is ``peak`` (bit/s): from 0 by a nice
    step (1, 2, 2.5 or 5 times a power of ten) in 3 to 6 steps, the top the lowest such
    value at or above ``peak`` (2.4 Gbit/s tops out at 2.5 Gbit/s, not 5)."""
    value = Decimal(str(peak)) if not isinstance(peak, Decimal) else peak
    if value <= 0:
        value = _EMPTY_SCALE
    exponent = value.adjusted()
    # Some step of the three powers always gives 3 to 6 ticks; this one is the fallback.
    fallback = Decimal(1).scaleb(exponent + 1)
    best: tuple[Decimal, int, Decimal] = (fallback, 4, fallback / 4)
    for power in range(exponent - 2, exponent + 1):
        for mantissa in _TICK_MANTISSAS:
            step = mantissa.scaleb(power)
            count = max(1, math.ceil(value / step))
            if count not in _TICK_COUNTS:
                continue
            top = step * count
            # The lowest top wins; between equal tops, fewer ticks read better.
            if (top, count) < (best[0], best[1]):
                best = (top, count, step)
    top, count, step = best
    return [step * index for index in range(count + 1)]


def _path(xs: np.ndarray, ys: np.ndarray, present: np.ndarray) -> str:
    """An SVG path that lifts the pen over missing buckets (missing is not drawn as zero).

    A bucket with no neighbour drawn (a lone sample between missing ones) gets a short tick, so
    that it shows: a path of one point draws nothing."""
    parts: list[str] = []
    drawing = False
    flags = present.tolist()
    for index, (x, y, here) in enumerate(zip(xs.tolist(), ys.tolist(), flags, strict=True)):
        if here:
            parts.append(f"{'L' if drawing else 'M'}{x:.1f} {y:.1f}")
            if not drawing and (index + 1 == len(flags) or not flags[index + 1]):
                parts.append("h1.5")
        drawing = here
    return " ".join(parts)


def usage_chart_svg(
    *,
    start: int,
    in_bps: np.ndarray,
    out_bps: np.ndarray,
    p95_bps: int | None,
    commit_bps: int | None,
    title: str,
    time_zone: str = "UTC",
) -> SafeString:
    """The chart of one period: ``start`` is the first bucket (UNIX seconds); days are marked
    at midnight in ``time_zone`` (the billing party's).

    Any number of buckets is drawn, none included (a month before the service's activation, a
    month to come, a first visit before any data): the frame, the scale, the commit and the
    95th (if known) are drawn, and the chart says that no bucket has data. Missing buckets lift
    the pen, so a few samples in a month are drawn as the points they are.
    """
    count = int(in_bps.size)
    if out_bps.size != count:
        raise ValueError(f"in_bps has {count} buckets, out_bps {out_bps.size}.")
    present = in_bps != MISSING
    peak = max(
        int(in_bps[present].max(initial=0)),
        int(out_bps[present].max(initial=0)),
        p95_bps or 0,
        commit_bps or 0,
    )
    ticks = nice_ticks(peak)
    ceiling = float(ticks[-1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    # One bucket sits on the left edge; n buckets span the plot from edge to edge.
    xs = LEFT + np.arange(count) * (plot_w / max(count - 1, 1))

    def y_of(values: np.ndarray | float) -> np.ndarray | float:
        return TOP + plot_h - (np.asarray(values, dtype=float) / ceiling) * plot_h

    days = []
    zone = zoneinfo.ZoneInfo(time_zone)
    local = datetime.datetime.fromtimestamp(start, zone)
    midnight = local.replace(hour=0, minute=0, second=0) + datetime.timedelta(
        days=0 if local.hour == local.minute == 0 else 1
    )
    step = 1 if count * BUCKET_SECONDS <= 10 * 86_400 else 5
    while True:
        index = (int(midnight.timestamp()) - start) // BUCKET_SECONDS
        if index >= count:
            break
        if midnight.day == 1 or (midnight.day - 1) % step == 0:
            days.append({"x": round(float(xs[index]), 1), "label": midnight.strftime("%d %b")})
        midnight += datetime.timedelta(days=1)
    gridlines = [
        {"y": round(float(y_of(float(tick))), 1), "label": format_bitrate(tick)} for tick in ticks
    ]
    lines = []
    # The 95th is labelled on the left, the commit on the right: they are often close.
    for css, value, label, x, anchor in (
        ("p95", p95_bps, "95th", LEFT + 4, "start"),
        ("commit", commit_bps, "commit", WIDTH - RIGHT, "end"),
    ):
        if value is not None:
            lines.append(
                {
                    "css": css,
                    "y": round(float(y_of(value)), 1),
                    "label": f"{label} {format_bitrate(value)}",
                    "x": x,
                    "anchor": anchor,
                }
            )
    return render_to_string(
        "billing/usage_chart.svg",
        {
            "title": title,
            "width": WIDTH,
            "height": HEIGHT,
            "left": LEFT,
            "right": WIDTH - RIGHT,
            "top": TOP,
            "bottom": HEIGHT - BOTTOM,
            "in_path": _path(xs, y_of(np.where(present, in_bps, 0)), present),
            "out_path": _path(xs, y_of(np.where(present, out_bps, 0)), present),
            "gridlines": gridlines,
            "days": days,
            "lines": lines,
            "samples": int(present.sum()),
            "count": count,
            "empty": not present.any(),
            "middle_x": LEFT + plot_w / 2,
            "middle_y": TOP + plot_h / 2,
        },
    )
