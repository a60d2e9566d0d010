"""Pictures of the network drawn server-side as SVG: a path's route, a fiber pair's spectrum.

Geometry is computed here; ``templates/leasing/svg/`` draws it, with Django's escaping of every
name that comes from data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from organisations.models import Organisation

from .choices import GRID_SLOTS, SegmentMedium, SpectrumState
from .models import FiberPair, Path, Segment
from .selectors import HeldRange, chain_of, ownership_on
from .spectrum import ANCHOR_THZ, SLOT_GHZ, slot_start_thz

WIDTH = 960
OPERATOR_COLOURS = ["#0b6e99", "#c2410c", "#15803d", "#7c3aed", "#b45309", "#be185d"]


def operator_colours(operators: list[Organisation]) -> dict[int, str]:
    """A stable colour per operator (by name), the same on every picture."""
    ordered = sorted({o.pk: o for o in operators}.values(), key=lambda o: o.name)
    return {o.pk: OPERATOR_COLOURS[i % len(OPERATOR_COLOURS)] for i, o in enumerate(ordered)}


# --- spectrum map ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    x: float
    width: float
    css: str
    label: str


def _thz_span(start: int, end: int) -> str:
    return f"{slot_start_thz(start)} to {slot_start_thz(end)} THz"


def spectrum_map_svg(
    fiber_pair: FiberPair,
    held: list[HeldRange],
    *,
    on: datetime.date,
    detailed: bool,
) -> SafeString:
    """The usable band of ``fiber_pair`` with what is taken from ``on`` on.

    ``detailed`` (operators): each block says who holds it for what and is coloured in service or
    reserved; otherwise (customers) blocks only say the spectrum is taken.
    """
    band = fiber_pair.band
    scale = WIDTH / band.width
    blocks = []
    taken_slots = 0
    for taken in held:
        start, end = max(taken.start, band.start), min(taken.end, band.end)
        if end <= start:
            continue
        taken_slots += end - start
        when = f"from {taken.valid_from}" + (f" to {taken.valid_to}" if taken.valid_to else "")
        if detailed:
            what = taken.product.code if taken.product else "operator carrier"
            state = SpectrumState(taken.state)
            label = f"{taken.holder.name} · {what} · {state.label.lower()} {when}"
            css = taken.state
        else:
            label, css = "Taken", "taken"  # never whose, never since or until when
        blocks.append(
            Block(
                x=round((start - band.start) * scale, 2),
                width=round((end - start) * scale, 2),
                css=css,
                label=f"{label} · {_thz_span(start, end)}",
            )
        )
    step = GRID_SLOTS[fiber_pair.grid]
    channel_lines = (
        [round(i * step * scale, 2) for i in range(1, band.width // step)] if step > 1 else []
    )
    first_tick = (slot_start_thz(band.start) * 2).to_integral_value(ROUND_CEILING) / 2
    ticks = []
    thz = first_tick
    while thz <= slot_start_thz(band.end):
        slot = (thz - ANCHOR_THZ) * 1000 / SLOT_GHZ
        ticks.append({"x": round(float(slot - band.start) * scale, 2), "label": f"{thz}"})
        thz += Decimal("0.5")
    free_ghz = (band.width - taken_slots) * SLOT_GHZ
    return render_to_string(
        "leasing/svg/spectrum_map.svg",
        {
            "fiber_pair": fiber_pair,
            "width": WIDTH,
            "blocks": blocks,
            "channel_lines": channel_lines,
            "ticks": ticks,
            "on": on,
            "free_ghz": free_ghz,
            "band_label": _thz_span(band.start, band.end),
        },
    )


# --- route ----------------------------------------------------------------------------------------


def route_svg(path: Path, *, on: datetime.date) -> SafeString:
    """``path`` as a line of sites joined by its segments, each with its length and owners.

    ``path`` comes from ``selectors.paths_with_segments()`` (no further queries).
    """
    segments: list[Segment] = chain_of(path)
    sites = [path.a_site]
    for segment in segments:
        here = sites[-1]
        sites.append(segment.z_site if segment.a_site_id == here.pk else segment.a_site)
    margin = 80
    spacing = (WIDTH - 2 * margin) / max(len(segments), 1)
    owners = {segment.pk: ownership_on(segment, on) for segment in segments}
    colours = operator_colours([o for shares in owners.values() for o in shares])
    drawn_sites = [
        {"site": site, "x": round(margin + i * spacing, 1)} for i, site in enumerate(sites)
    ]
    drawn_segments = []
    for i, segment in enumerate(segments):
        x1, x2 = drawn_sites[i]["x"] + 14, drawn_sites[i + 1]["x"] - 14
        bar, x = [], x1
        for operator, percent in sorted(owners[segment.pk].items(), key=lambda kv: kv[0].name):
            width = (x2 - x1) * float(percent) / 100
            bar.append(
                {
                    "x": round(x, 1),
                    "width": round(width, 1),
                    "colour": colours[operator.pk],
                    "label": f"{operator.name} {percent.normalize():f}%",
                }
            )
            x += width
        drawn_segments.append(
            {
                "segment": segment,
                "x1": x1,
                "x2": x2,
                "mid": round((x1 + x2) / 2, 1),
                "subsea": segment.medium == SegmentMedium.SUBSEA,
                "bar": bar,
            }
        )
    return render_to_string(
        "leasing/svg/route.svg",
        {
            "path": path,
            "width": WIDTH,
            "sites": drawn_sites,
            "segments": drawn_segments,
            "on": on,
        },
    )
