"""The import preview's marks: a changed value shown whole, its changed words marked."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
CONTEXT = 12  # tokens kept on each side of a change in a long unchanged stretch


@register.simple_tag
def word_diff(old: str, new: str) -> str:
    """old and new as one text: removed words in <del>, added words in <ins>, everything
    escaped; long unchanged stretches between changes are shortened to "…"."""
    before, after = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    parts = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(escape(_shortened(before[i1:i2])))
            continue
        if i2 > i1:
            parts.append(f"<del>{escape(''.join(before[i1:i2]))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{escape(''.join(after[j1:j2]))}</ins>")
    return mark_safe("".join(parts))


def _shortened(tokens: list[str]) -> str:
    if len(tokens) <= 3 * CONTEXT:
        return "".join(tokens)
    return "".join(tokens[:CONTEXT]) + " … " + "".join(tokens[-CONTEXT:])
