"""Spreadsheet cells that cannot run: formula triggers neutralised on export, restored on import."""

from __future__ import annotations

# A cell starting with one of these is a formula (or starts one) in Excel and LibreOffice.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
_STARTS = frozenset((*FORMULA_TRIGGERS, ESCAPE))  # each one character


def neutralise(value: str) -> str:
    """Prefix an apostrophe to a cell a spreadsheet would evaluate.

    Cells already starting with an apostrophe get one too, so restore() is an exact inverse.
    """
    if value[:1] in _STARTS:  # called for every exported cell: one lookup, not two scans
        return ESCAPE + value
    return value


def restore(value: str) -> str:
    """Undo neutralise(): take off an apostrophe only where neutralise() put one, before a
    formula trigger or another apostrophe. "'tis" typed by an editor stays as it is."""
    if value.startswith(ESCAPE) and value[1:].startswith((*FORMULA_TRIGGERS, ESCAPE)):
        return value[1:]
    return value
