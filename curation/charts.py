"""Figures drawn on the server, so the public pages need no JavaScript."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings

PALETTE = ["#1f5f99", "#c4501b", "#2e8540", "#8a4f9e", "#b8860b", "#0f7c7c", "#777777"]
WIDTH, HEIGHT, MARGIN = 720, 240, 32


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    label: str


def agreements_per_year(
    rows: list[tuple[str, str, int]], names: dict[str, str], top: int = 6
) -> dict:
    """Stacked bars of agreements per year, one colour per partner of the home country."""
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
            per_year[int(year)][code if code in colors else "other"] += count
    if not per_year:
        return {"bars": [], "legend": [], "width": WIDTH, "height": HEIGHT}
    first, last = min(per_year), max(per_year)
    span = last - first + 1
    tallest = max(sum(stack.values()) for stack in per_year.values())
    slot = (WIDTH - 2 * MARGIN) / span
    unit = (HEIGHT - 2 * MARGIN) / tallest
    bars = []
    for year, stack in sorted(per_year.items()):
        base = HEIGHT - MARGIN
        for code in [*partners, "other"]:
            if stack.get(code):
                height = stack[code] * unit
                base -= height
                name = names.get(code, code) if code != "other" else "other partners"
                bars.append(
                    Bar(
                        x=round(MARGIN + (year - first) * slot, 1),
                        y=round(base, 1),
                        width=round(max(slot * 0.8, 1), 1),
                        height=round(height, 1),
                        color=colors.get(code, PALETTE[-1]),
                        label=f"{year}: {name}, {stack[code]}",
                    )
                )
    legend = [(names.get(code, code), colors[code]) for code in partners]
    if any("other" in stack for stack in per_year.values()):
        legend.append(("other partners", PALETTE[-1]))
    return {
        "bars": bars,
        "legend": legend,
        "first": first,
        "last": last,
        "tallest": tallest,
        "width": WIDTH,
        "height": HEIGHT,
        "baseline": HEIGHT - MARGIN,
        "margin": MARGIN,
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
