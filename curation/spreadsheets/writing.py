"""Exports that stream: CSV and JSON row by row, XLSX through a temporary file on disk.

Every cell passes through neutralise(), so no exported cell runs as a formula.
"""

from __future__ import annotations

import csv
import json
import logging
import tempfile
from collections.abc import Iterable, Iterator

from django.http import FileResponse, StreamingHttpResponse

from curation.cells import neutralise

log = logging.getLogger("curation.spreadsheets")
CHUNK = 2000
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(headers: list[str], rows: Iterable[dict[str, str]]) -> Iterator[str]:
    """A UTF-8 CSV with byte-order mark (so Excel reads it), cells neutralised, as it is written."""
    writer = csv.DictWriter(_Echo(), fieldnames=headers)
    yield "\ufeff"
    yield writer.writeheader()
    for row in rows:
        yield writer.writerow({key: neutralise(value) for key, value in row.items()})


def attachment(response, filename: str, extension: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}.{extension}"'
    return response


def export_rows(resource, queryset) -> Iterator[dict[str, str]]:
    """Rows in batches of CHUNK objects: resource.export_rows reads each batch's lists."""
    batch = []
    for obj in queryset.prefetch_related(None).iterator(chunk_size=CHUNK):
        batch.append(obj)
        if len(batch) == CHUNK:
            yield from resource.export_rows(batch)
            batch = []
    yield from resource.export_rows(batch)


def export_response(resource, queryset, file_format: str, filename: str, *, by=None):
    log.info("%s exported %s as %s", by, filename, file_format)
    rows = export_rows(resource, queryset)
    if file_format == "csv":
        response = StreamingHttpResponse(
            csv_lines(resource.headers, rows), content_type=CONTENT_TYPES["csv"]
        )
    elif file_format == "json":
        response = StreamingHttpResponse(_json_lines(rows), content_type=CONTENT_TYPES["json"])
    elif file_format == "xlsx":
        response = FileResponse(
            _xlsx_file(resource.headers, rows), content_type=CONTENT_TYPES["xlsx"]
        )
    else:
        raise ValueError(f"Unknown export format {file_format!r}")
    return attachment(response, filename, file_format)


def _json_lines(rows: Iterable[dict]) -> Iterator[str]:
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False)
    yield "\n]\n"


def _xlsx_file(headers: list[str], rows: Iterable[dict[str, str]]):
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append([neutralise(row[header]) for header in headers])
    handle = tempfile.TemporaryFile()  # rows go to disk as written; deleted when closed
    workbook.save(handle)
    handle.seek(0)
    return handle
