"""Read an uploaded CSV, XLSX or JSON file into rows of text cells, or refuse it plainly.

Every refusal is a SpreadsheetError whose message tells the editor what to do.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings

FORMATS = ("csv", "xlsx", "json")
ENCODINGS = {
    "auto": "Detect (UTF-8 or UTF-16)",
    "cp1252": "Windows-1252 (Western European)",
    "cp1258": "Windows-1258 (Vietnamese)",
    "cp1251": "Windows-1251 (Cyrillic)",
}
# Blank rows after the data (LibreOffice may save a million): stop after this many in a row.
TRAILING_BLANK_ROWS = 200


class SpreadsheetError(ValueError):
    pass


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number as the editor sees it, cells)


def file_format(filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in FORMATS:
        raise SpreadsheetError(
            f"“{filename}” is not a CSV, XLSX or JSON file: save the sheet in one of these formats."
        )
    return extension


def read_table(data: bytes, filename: str, encoding: str = "auto") -> Table:
    limit = settings.IMPORT_MAX_BYTES
    if len(data) > limit:
        raise SpreadsheetError(
            f"The file is {len(data) / 2**20:.1f} MB; the limit is {limit / 2**20:.0f} MB. "
            "Split it into smaller files."
        )
    kind = file_format(filename)
    table = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_json}[kind](data, encoding)
    if not table.headers or not any(table.headers):
        raise SpreadsheetError("The file has no header row: the first row must name the columns.")
    return table


def decode(data: bytes, encoding: str) -> str:
    """The file's text in NFC: Windows-1258 spells Vietnamese tones as combining marks."""
    return unicodedata.normalize("NFC", _decode(data, encoding))


def _decode(data: bytes, encoding: str) -> str:
    if encoding not in ENCODINGS:
        raise SpreadsheetError(f"Unknown encoding “{encoding}”.")
    if encoding != "auto":
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as error:
            raise SpreadsheetError(
                f"The file is not {ENCODINGS[encoding]} (byte {error.start} does not fit): "
                "choose its encoding again, or save it as “CSV UTF-8”."
            ) from None
    for bom, codec in [
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ]:
        if data.startswith(bom):
            return data.decode(codec)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SpreadsheetError(
            "The file is not UTF-8. In Excel choose “Save as… CSV UTF-8 (comma delimited)”, "
            "or pick the file's Windows encoding (Vietnamese: Windows-1258) and upload it again."
        ) from None


def _read_csv(data: bytes, encoding: str) -> Table:
    text = decode(data, encoding)
    if "\x00" in text:
        raise SpreadsheetError("The file holds NUL bytes: it is not a text CSV file.")
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [cell.strip() for cell in next(reader, [])]
        rows = _rows(headers, enumerate(reader, start=2))  # numbered as a spreadsheet shows
    except csv.Error as error:
        message = f"The CSV file is malformed near line {reader.line_num}: {error}."
        raise SpreadsheetError(message) from None
    return Table(headers, rows)


def _rows(headers: list[str], numbered_rows) -> list[tuple[int, dict[str, str]]]:
    rows, blanks = [], 0
    for number, values in numbered_rows:
        cells = ["" if value is None else str(value) for value in values]
        if not any(cell.strip() for cell in cells):
            blanks += 1
            if blanks >= TRAILING_BLANK_ROWS:
                break
            continue
        blanks = 0
        if len(cells) > len(headers) and any(cells[len(headers) :]):
            raise SpreadsheetError(f"Row {number} has more cells than there are column headers.")
        rows.append(
            (number, dict(zip(headers, cells + [""] * (len(headers) - len(cells)), strict=False)))
        )
    return rows


def _read_xlsx(data: bytes, encoding: str) -> Table:
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # pragma: no cover - defusedxml is a dependency
        raise SpreadsheetError("XLSX import is disabled: defusedxml is not installed.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise SpreadsheetError(
            "The file is not a valid XLSX workbook (it is not a zip archive)."
        ) from None
    if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise SpreadsheetError(
            f"The workbook unpacks to {unpacked / 2**20:.0f} MB, more than the "
            f"{settings.IMPORT_MAX_UNPACKED_BYTES / 2**20:.0f} MB allowed: it may be a zip bomb."
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        headers = [str(cell).strip() if cell is not None else "" for cell in next(values, ())]
        while headers and not headers[-1]:
            headers.pop()
        numbered = (
            (number, [_cell_text(value) for value in row[: len(headers) + 50]])
            for number, row in enumerate(values, start=2)
        )
        rows = _rows(headers, numbered)
        workbook.close()
    except SpreadsheetError:
        raise
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        raise SpreadsheetError(
            f"The XLSX workbook could not be read: {type(error).__name__}: {error}"[:300]
        ) from None
    return Table(headers, rows)


def _cell_text(value) -> str:
    """A workbook cell as the text the editor typed: 2000 not 2000.0, a date without a time."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_json(data: bytes, encoding: str) -> Table:
    try:
        records = json.loads(decode(data, "auto"))
    except json.JSONDecodeError as error:
        raise SpreadsheetError(f"The JSON file is malformed: {error}.") from None
    except RecursionError:
        raise SpreadsheetError(
            "The JSON file is nested too deeply: it must be a list of flat objects."
        ) from None
    if isinstance(records, dict):
        records = records.get("results", records.get("rows"))
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise SpreadsheetError("The JSON file must hold a list of objects, one per row.")
    headers = list(dict.fromkeys(key for record in records for key in record))
    rows = [
        (index, {key: "" if record.get(key) is None else str(record.get(key)) for key in headers})
        for index, record in enumerate(records, start=1)
    ]
    return Table(headers, rows)
