"""Spreadsheet cells that cannot run: formula triggers neutralised on export, restored on import."""

from __future__ import annotations

# A cell starting with one of these is a formula (or starts one) in Excel and LibreOffice.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def neutralise(value: str) -> str:
    """Prefix an apostrophe to a cell a spreadsheet would evaluate.

    Cells already starting with an apostrophe get one too, so restore() is an exact inverse.
    """
    if value.startswith(FORMULA_TRIGGERS) or value.startswith(ESCAPE):
        return ESCAPE + value
    return value


def restore(value: str) -> str:
    """Undo neutralise()."""
    return value[1:] if value.startswith(ESCAPE) else value
