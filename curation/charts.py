"""Figures drawn on the server, so the public pages need no JavaScript."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

PALETTE = ["#1f5f99", "#c4501b", "#2e7d3c", "#8a4f9e", "#8f6a00", "#0f7272", "#6b6b6b"]


@dataclass(frozen=True)
class Frame:
    """A chart's drawing area: one for a laptop's width, one for a phone's, in SVG units."""

    name: str
    width: int
    height: int
    most_year_ticks: int
    left: int = 40
    bottom: int = 28
    top: int = 12
    right: int = 12


WIDE = Frame("wide", 720, 260, most_year_ticks=10)
NARROW = Frame("narrow", 300, 220, most_year_ticks=4, left=30)
YEAR_STEPS = (1, 2, 5, 10, 20, 25, 50, 100)
OTHER = "other"  # the partners beyond the top few, in one grey stack


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    label: str


@dataclass
class Tick:
    position: float
    label: int


def agreements_per_year(
    rows: list[tuple[str, str, int]], names: dict[str, str], top: int = 6
) -> dict:
    """Stacked bars of agreements per year, one colour per partner of the home country.

    Drawn twice, for a wide and a narrow frame, so that the text stays legible at any width;
    the table under it gives the same numbers to anyone who cannot see the bars."""
    home = settings.COOP_HOME_COUNTRY
    totals: dict[str, int] = defaultdict(int)
    for _, code, count in rows:
        if code != home:
            totals[code] += count
    partners = sorted(totals, key=lambda code: (-totals[code], code))[:top]
    colors = {code: PALETTE[index] for index, code in enumerate(partners)}
    per_year: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for year, code, count in rows:
        if code != home:
            per_year[int(year)][code if code in colors else OTHER] += count
    if not per_year:
        return {"frames": [], "legend": []}
    columns = [*partners, OTHER] if any(OTHER in stack for stack in per_year.values()) else partners
    labels = {code: names.get(code, code) for code in partners} | {OTHER: gettext("other partners")}
    first, last = min(per_year), max(per_year)
    tallest = max(sum(stack.values()) for stack in per_year.values())
    return {
        "first": first,
        "last": last,
        "frames": [
            _draw(frame, per_year, columns, labels, colors, tallest) for frame in (WIDE, NARROW)
        ],
        "legend": [
            (
                labels[code],
                colors.get(code, PALETTE[-1]),
                sum(s.get(code, 0) for s in per_year.values()),
            )
            for code in columns
        ],
        "table": {
            "columns": [labels[code] for code in columns],
            "rows": [
                (year, [stack.get(code, 0) for code in columns], sum(stack.values()))
                for year, stack in sorted(per_year.items())
            ],
        },
    }


def _draw(frame: Frame, per_year, columns, labels, colors, tallest) -> dict:
    first, last = min(per_year), max(per_year)
    plot_width = frame.width - frame.left - frame.right
    baseline = frame.height - frame.bottom
    slot = plot_width / (last - first + 1)
    unit = (baseline - frame.top) / tallest
    bars = []
    for year, stack in sorted(per_year.items()):
        base = baseline
        for code in columns:
            if stack.get(code):
                height = stack[code] * unit
                base -= height
                bars.append(
                    Bar(
                        x=round(frame.left + (year - first) * slot + slot * 0.1, 1),
                        y=round(base, 1),
                        width=round(max(slot * 0.8, 1.5), 1),
                        height=round(height, 1),
                        color=colors.get(code, PALETTE[-1]),
                        label=f"{year}: {labels[code]}, {stack[code]}",
                    )
                )
    step = next(
        (s for s in YEAR_STEPS if (last - first) // s + 1 <= frame.most_year_ticks), YEAR_STEPS[-1]
    )
    years = range(first + (-first) % step, last + 1, step)
    counts = sorted({0, tallest, *([tallest // 2] if tallest >= 4 else [])})
    return {
        "name": frame.name,
        "width": frame.width,
        "height": frame.height,
        "left": frame.left,
        "right": frame.width - frame.right,
        "baseline": baseline,
        "bars": bars,
        # About a thousand bars: written here, not through the template's tags (six values a
        # bar, most of the home page's time). Only the label is text; the rest are numbers
        # and the palette's colours.
        "bars_svg": mark_safe(
            "".join(
                f'<rect x="{bar.x}" y="{bar.y}" width="{bar.width}" height="{bar.height}" '
                f'fill="{bar.color}"><title>{escape(bar.label)}</title></rect>'
                for bar in bars
            )
        ),
        "year_ticks": [Tick(round(frame.left + (y - first + 0.5) * slot, 1), y) for y in years],
        "count_ticks": [Tick(round(baseline - c * unit, 1), c) for c in counts],
    }


@dataclass
class Passage:
    text: str
    citations: list


def highlighted_passages(text: str, citations: list) -> list[Passage]:
    """Split text into plain passages and quoted ones, each quote with the citations it serves.

    citations must be sorted by quote_start; overlapping quotes merge into one passage.
    """
    passages: list[Passage] = []
    position = 0
    for citation in citations:
        if citation.quote_start is None:
            continue
        if passages and passages[-1].citations and citation.quote_start < position:
            extra = text[position : citation.quote_end] if citation.quote_end > position else ""
            passages[-1].text += extra
            passages[-1].citations.append(citation)
            position = max(position, citation.quote_end)
            continue
        if citation.quote_start > position:
            passages.append(Passage(text[position : citation.quote_start], []))
        passages.append(Passage(text[citation.quote_start : citation.quote_end], [citation]))
        position = citation.quote_end
    passages.append(Passage(text[position:], []))
    return passages
