"""OpenDocument spreadsheets (LibreOffice's own format), read and written cell by cell.

tablib's ODS reader keeps only a cell's first paragraph and drops runs of empty cells, which
shifts the columns after them; this reader follows the format as LibreOffice writes it.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from defusedxml.ElementTree import iterparse

TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
ROW, CELL, COVERED = (
    f"{{{TABLE}}}table-row",
    f"{{{TABLE}}}table-cell",
    f"{{{TABLE}}}covered-table-cell",
)
PARAGRAPH, SHEET = f"{{{TEXT}}}p", f"{{{TABLE}}}table"
# LibreOffice writes the empty rest of a row or sheet as one element repeated a million times.
MAX_REPEAT = 1000


def read_rows(content) -> Iterator[list[str]]:
    """The first sheet's rows of content.xml, each a list of cell texts."""
    row: list[str] = []
    for event, element in iterparse(content, events=("start", "end")):
        if event == "start":
            continue
        if element.tag in (CELL, COVERED):
            repeat = int(element.get(f"{{{TABLE}}}number-columns-repeated", "1"))
            row += [_cell_value(element)] * min(repeat, MAX_REPEAT)
            element.clear()
        elif element.tag == ROW:
            while row and not row[-1]:
                row.pop()
            repeat = int(element.get(f"{{{TABLE}}}number-rows-repeated", "1"))
            for _ in range(min(repeat, MAX_REPEAT)):
                yield list(row)
            row = []
            element.clear()
        elif element.tag == SHEET:
            return


def _cell_value(cell) -> str:
    kind = cell.get(f"{{{OFFICE}}}value-type", "")
    paragraphs = [_text(p) for p in cell.iter(PARAGRAPH)]
    if paragraphs or kind in ("", "string"):
        return "\n".join(paragraphs)
    for attribute in ("date-value", "value", "boolean-value", "time-value"):
        value = cell.get(f"{{{OFFICE}}}{attribute}")
        if value is not None:
            return value
    return ""


def _text(paragraph) -> str:
    """A paragraph's text with its spaces, tabs and line breaks spelt out."""
    parts = [paragraph.text or ""]
    for child in paragraph:
        name = child.tag.rsplit("}", 1)[-1]
        if name == "s":
            parts.append(" " * int(child.get(f"{{{TEXT}}}c", "1")))
        elif name == "tab":
            parts.append("\t")
        elif name == "line-break":
            parts.append("\n")
        else:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def write(handle, title: str, headers: list[str], rows: Iterable) -> None:
    """A one-sheet document, every cell a string, each line of a cell a paragraph; written
    row by row into the zip, so a big sheet never sits in memory."""
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", MANIFEST)
        with archive.open("content.xml", "w") as content:
            content.write(CONTENT_HEAD.format(title=escape(title[:31], {'"': "&quot;"})).encode())
            content.write(_row_xml(headers).encode("utf-8"))
            for cells in rows:
                content.write(_row_xml(cells).encode("utf-8"))
            content.write(CONTENT_TAIL.encode())


def _row_xml(cells) -> str:
    return (
        "<table:table-row>" + "".join(_cell_xml(str(cell)) for cell in cells) + "</table:table-row>"
    )


def _cell_xml(value: str) -> str:
    if not value:
        return "<table:table-cell/>"
    paragraphs = "".join(f"<text:p>{_spaced(escape(line))}</text:p>" for line in value.split("\n"))
    return f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>'


def _spaced(text: str) -> str:
    """ODF collapses runs of spaces and drops them at a paragraph's ends: spell those out."""
    text = text.replace("\t", "<text:tab/>")
    return _SPACES.sub(lambda m: f'<text:s text:c="{len(m.group())}"/>', text)


# Runs of two or more spaces, and any space at the start or the end of a paragraph.
_SPACES = re.compile(r"^ +| +$| {2,}")
MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{MIMETYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
CONTENT_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-content xmlns:office="{OFFICE}" xmlns:table="{TABLE}" '
    f'xmlns:text="{TEXT}" office:version="1.2"><office:body><office:spreadsheet>'
    '<table:table table:name="{title}">'
)
CONTENT_TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>"
