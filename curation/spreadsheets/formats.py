"""django-import-export file formats for coop's sheets: CSV, XLSX, ODS and JSON.

Each reads bytes and refuses what it cannot read safely (size, zip bombs, XML entities, wrong
encodings) with a SpreadsheetError whose message tells the editor what to do. Every cell
arrives as text: the resource parses it. Each writes rows as they come (stream()), so a big
export never sits in memory; export_data() is the library's whole-Dataset entry point.
Cells are neutralised by the resource (see resources.SheetResource.export_resource).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator

import tablib
from defusedxml import DefusedXmlException
from django.conf import settings
from import_export.formats import base_formats

# Blank rows after the data (LibreOffice may save a million): stop after this many in a row.
TRAILING_BLANK_ROWS = 200
CODE_PAGES = {
    "cp1258": "Windows-1258 (Vietnamese)",
    "cp1252": "Windows-1252 (Western European)",
    "cp1251": "Windows-1251 (Cyrillic)",
}


class SpreadsheetError(ValueError):
    """A file that cannot be read as a sheet, with what the editor can do about it."""


def cell_text(value) -> str:
    """A cell as the text the editor typed: 2000 not 2000.0, a date without a time. Text is
    normalised later, by the column's widget, as every way in normalises it (rules.as_stored)."""
    if type(value) is str:  # nearly every cell: first, and fast
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _dataset(headers: list, rows: Iterable[list]) -> tablib.Dataset:
    """Rows padded to the headers; blank rows inside the data are kept (as empty rows) so that
    row numbers stay those a spreadsheet shows, and trailing blank rows are dropped."""
    headers = [cell_text(header).strip() for header in headers]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise SpreadsheetError("The file has no header row: the first row must name the columns.")
    width, kept, blanks = len(headers), [], []
    for number, row in enumerate(rows, start=2):
        cells = [cell_text(value) for value in row]
        if not any(cell.strip() for cell in cells):
            blanks.append([""] * width)
            if len(blanks) >= TRAILING_BLANK_ROWS:
                break
            continue
        if any(cell.strip() for cell in cells[width:]):
            raise SpreadsheetError(f"Row {number} has more cells than there are column headers.")
        kept += blanks
        blanks = []
        kept.append((cells + [""] * width)[:width])
    return tablib.Dataset(*kept, headers=headers)


def _check_size(data: bytes) -> None:
    limit = settings.IMPORT_MAX_BYTES
    if len(data) > limit:
        raise SpreadsheetError(
            f"The file is {len(data) / 2**20:.1f} MB; the limit is {limit / 2**20:.0f} MB. "
            "Split it into smaller files."
        )


def _open_zip(data: bytes, kind: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SpreadsheetError(
            f"The file is not a valid {kind} (it is not a zip archive)."
        ) from None
    unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise SpreadsheetError(
            f"The workbook unpacks to {unpacked / 2**20:.0f} MB, more than the "
            f"{settings.IMPORT_MAX_UNPACKED_BYTES / 2**20:.0f} MB allowed: it may be a zip bomb."
        )
    return archive


class SheetFormat(base_formats.TablibFormat):
    """Reads bytes (the admin and `manage.py import --format` hand it the file as is)."""

    EXTENSION = ""

    def get_title(self) -> str:
        return self.EXTENSION

    def get_extension(self) -> str:
        return self.EXTENSION

    def is_binary(self) -> bool:
        return True

    def can_import(self) -> bool:
        return True

    def can_export(self) -> bool:
        return True

    def create_dataset(self, in_stream, **kwargs) -> tablib.Dataset:
        data = in_stream.encode("utf-8") if isinstance(in_stream, str) else bytes(in_stream)
        _check_size(data)
        return self.read(data)

    def read(self, data: bytes) -> tablib.Dataset:
        raise NotImplementedError

    def export_data(self, dataset: tablib.Dataset, **kwargs) -> bytes:
        output = self.stream(dataset.headers, iter(dataset), title=dataset.title or "")
        if hasattr(output, "read"):
            return output.read()
        return "".join(output).encode("utf-8")

    def stream(self, headers: list[str], rows: Iterable, title: str = ""):
        """The file, written as rows come: text chunks, or an open binary file."""
        raise NotImplementedError


class CSV(SheetFormat):
    """UTF-8 with or without BOM, UTF-16, or a Windows code page, detected where it can be;
    comma, semicolon or tab separated. Written as UTF-8 with a BOM, which Excel reads."""

    EXTENSION = "csv"
    CONTENT_TYPE = "text/csv"

    def get_title(self) -> str:
        return {None: "csv"}.get(self.encoding, f"csv ({CODE_PAGES.get(self.encoding)})")

    def read(self, data: bytes) -> tablib.Dataset:
        text = decode(data, self.encoding)
        if "\x00" in text:
            raise SpreadsheetError("The file holds NUL bytes: it is not a text CSV file.")
        first_line = text.split("\n", 1)[0]
        delimiter = max([",", ";", "\t"], key=first_line.count)
        # strict: a quote left open is an error, not the rest of the file read as one cell
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        complete = [0]  # the last line of the last row read whole

        def rows():
            for row in reader:
                complete[0] = reader.line_num
                yield row

        try:
            read = rows()
            return _dataset(next(read, []), read)
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                message = (
                    f"A quoted cell that starts on line {complete[0] + 1} is never closed: a "
                    'closing " is missing, so the rest of the file would be read as one cell.'
                )
            else:
                message = f"The CSV file is malformed near line {reader.line_num}: {error}."
            raise SpreadsheetError(message) from None

    DIALECT = "excel"
    BUFFER = 64 * 1024  # characters a chunk of the stream holds: one write per chunk, not row

    def stream(self, headers, rows, title=""):
        writer = csv.writer(_Echo(), dialect=self.DIALECT)
        lines, size = ["\ufeff", writer.writerow(headers)], 0
        for row in rows:
            line = writer.writerow(row)
            lines.append(line)
            size += len(line)
            if size >= self.BUFFER:
                yield "".join(lines)
                lines, size = [], 0
        yield "".join(lines)


class CSVWindows1258(CSV):
    """A CSV file in a Windows code page that detection may miss: the editor names it."""

    def __init__(self, encoding=None):  # the library passes its own default: this one wins
        super().__init__("cp1258")


class CSVWindows1252(CSV):
    def __init__(self, encoding=None):
        super().__init__("cp1252")


class CSVWindows1251(CSV):
    def __init__(self, encoding=None):
        super().__init__("cp1251")


class TSV(CSV):
    EXTENSION = "tsv"
    CONTENT_TYPE = "text/tab-separated-values"
    DIALECT = "excel-tab"


class _Echo:
    def write(self, value: str) -> str:
        return value


def decode(data: bytes, encoding: str | None = None) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise SpreadsheetError(
                f"The file is not {CODE_PAGES.get(encoding, encoding)}: choose its encoding "
                "again, or save it as “CSV UTF-8”."
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
        pass
    guessed = _guess_code_page(data)
    if guessed is None:
        raise SpreadsheetError(
            "The file is not UTF-8. In Excel choose “Save as… CSV UTF-8 (comma delimited)”, "
            "or pick the file's Windows encoding (Vietnamese: Windows-1258) as its format."
        )
    return data.decode(guessed)


def _guess_code_page(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(CODE_PAGES)).best()
    return best.encoding if best is not None else None


class XLSX(SheetFormat):
    """The first sheet; on export a sheet named after the records, its header row frozen."""

    EXTENSION = "xlsx"
    CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def read(self, data: bytes) -> tablib.Dataset:
        import openpyxl

        if not openpyxl.DEFUSEDXML:  # pragma: no cover - defusedxml is a dependency
            raise SpreadsheetError("XLSX import is disabled: defusedxml is not installed.")
        archive = _open_zip(data, "XLSX workbook")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            values = workbook.worksheets[0].iter_rows(values_only=True)
            headers = list(next(values, ()))
            dataset = _dataset(headers, (row[: len(headers) + 50] for row in values))
            workbook.close()
            if _holds_formulas(archive):
                _refuse_formulas_without_results(data, dataset.headers)
        except SpreadsheetError:
            raise
        except Exception as error:  # openpyxl raises many kinds for a broken workbook
            if _unsafe_xml(error):
                raise SpreadsheetError(UNSAFE_XML.format(kind="XLSX workbook")) from None
            raise SpreadsheetError(
                f"The XLSX workbook could not be read: {type(error).__name__}: {error}"[:300]
            ) from None
        return dataset

    def stream(self, headers, rows, title=""):
        import openpyxl
        from openpyxl.utils import get_column_letter

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet(title=(title or "sheet")[:31])
        sheet.freeze_panes = "A2"
        for index, header in enumerate(headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column_width(header)
        sheet.append(headers)
        for row in rows:
            sheet.append(list(row))
        handle = tempfile.TemporaryFile()  # rows go to disk as written; deleted when closed
        workbook.save(handle)
        handle.seek(0)
        return handle


UNSAFE_XML = (
    "The {kind} declares XML entities or a document type, which spreadsheet programs do not "
    "write and coop does not read (they can expand into huge text or read the server's "
    "files). Open it in Excel or LibreOffice and save it again."
)


def _unsafe_xml(error: BaseException | None) -> bool:
    """Was error, or an error that led to it, defusedxml refusing entities or a DTD?"""
    while error is not None:
        if isinstance(error, DefusedXmlException):
            return True
        error = error.__cause__ or error.__context__
    return False


def _holds_formulas(archive: zipfile.ZipFile) -> bool:
    """Does a worksheet hold a formula element (<f>)? Read in pieces, without unpacking it."""
    formula = re.compile(rb"<(?:\w+:)?f[ />]")
    for member in archive.namelist():
        if member.startswith("xl/worksheets/") and member.endswith(".xml"):
            with archive.open(member) as sheet:
                tail = b""
                while piece := sheet.read(1 << 20):
                    if formula.search(tail + piece):
                        return True
                    tail = piece[-16:]
    return False


def _refuse_formulas_without_results(data: bytes, headers: list[str]) -> None:
    """A formula cell whose result the file does not hold (a program that writes workbooks
    without calculating them) would be read as empty: refuse it, naming the cell."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    def rows(data_only: bool):
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
        return workbook.worksheets[0].iter_rows(values_only=True)

    for number, (results, written) in enumerate(zip(rows(True), rows(False), strict=True), start=1):
        for index, (result, formula) in enumerate(zip(results, written, strict=False)):
            if result is None and isinstance(formula, str) and formula.startswith("="):
                column = headers[index] if index < len(headers) else get_column_letter(index + 1)
                raise SpreadsheetError(
                    f"Row {number}, column “{column}” holds a formula ({formula[:60]}) whose "
                    "result the file does not hold, so it would be read as empty. Open the "
                    "file in a spreadsheet program and save it again, or type the value."
                )


def column_width(header: str) -> int:
    """Wide enough to read: free text wide, codes and dates narrow."""
    wide = {"title_en", "title_original", "summary", "quote", "translation", "captured_text"}
    narrow = {"reference", "version", "kind", "status", "found", "inferred", "country"}
    return 60 if header in wide else 12 if header in narrow else 24


class ODS(SheetFormat):
    """LibreOffice's own format, read from its XML as it streams (repeated cells and rows,
    paragraphs, spaces and line breaks as LibreOffice writes them) and written row by row."""

    EXTENSION = "ods"
    CONTENT_TYPE = "application/vnd.oasis.opendocument.spreadsheet"

    def read(self, data: bytes) -> tablib.Dataset:
        from curation.spreadsheets.ods import read_rows

        archive = _open_zip(data, "ODS spreadsheet")
        try:
            with archive.open("content.xml") as content:
                rows = read_rows(content)
                return _dataset(next(rows, []), rows)
        except SpreadsheetError:
            raise
        except Exception as error:
            if _unsafe_xml(error):
                raise SpreadsheetError(UNSAFE_XML.format(kind="ODS spreadsheet")) from None
            raise SpreadsheetError(
                f"The ODS spreadsheet could not be read: {type(error).__name__}: {error}"[:300]
            ) from None

    def stream(self, headers, rows, title=""):
        from curation.spreadsheets.ods import write

        handle = tempfile.TemporaryFile()
        write(handle, title or "sheet", headers, rows)
        handle.seek(0)
        return handle


class JSON(SheetFormat):
    """A list of objects, one per row (or {"results": [...]}, as the public downloads)."""

    EXTENSION = "json"
    CONTENT_TYPE = "application/json"

    def read(self, data: bytes) -> tablib.Dataset:
        try:
            # Numbers stay as written ("1e400" is not read as inf); NaN and Infinity are not
            # JSON; a key given twice in one object is refused, not overwritten.
            records = json.loads(
                decode(data),
                parse_float=str,
                parse_int=str,
                parse_constant=_not_json,
                object_pairs_hook=_object_without_repeated_keys,
            )
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
        for number, record in enumerate(records, start=2):
            for key, value in record.items():
                if isinstance(value, dict | list):
                    raise SpreadsheetError(
                        f"Row {number}, “{key}”: a cell must be text or a number, not a list "
                        "or an object (write a list as “a; b”)."
                    )
                if _SURROGATE.search(key) or isinstance(value, str) and _SURROGATE.search(value):
                    raise SpreadsheetError(
                        f"Row {number}, “{key[:60]!r}”: the text holds an unpaired surrogate "
                        "escape (such as \\ud800), which is not a character. Fix the file's "
                        "export and upload it again."
                    )
        return _dataset(headers, ([record.get(key) for key in headers] for record in records))

    def stream(self, headers, rows, title="") -> Iterator[str]:
        yield "["
        for index, row in enumerate(rows):
            cells = dict(zip(headers, row, strict=True))
            yield ("," if index else "") + "\n" + json.dumps(cells, ensure_ascii=False)
        yield "\n]\n"


_SURROGATE = re.compile("[\ud800-\udfff]")


def _not_json(constant: str):
    raise SpreadsheetError(
        f"The JSON file holds {constant}, which is not a number in JSON: write the amount, or "
        "leave the cell empty."
    )


def _object_without_repeated_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _ in pairs]
    if len(set(keys)) < len(keys):
        repeated = next(key for key in keys if keys.count(key) > 1)
        raise SpreadsheetError(
            f"An object in the JSON file gives “{repeated[:60]}” twice: which value is meant? "
            "Keep one of them."
        )
    return dict(pairs)


FORMATS = [CSV, XLSX, ODS, JSON, TSV, CSVWindows1258, CSVWindows1252, CSVWindows1251]
BY_EXTENSION = {fmt.EXTENSION: fmt for fmt in FORMATS[:5]}


def format_for(filename: str) -> type[SheetFormat]:
    """The format a file name's extension says, or a SpreadsheetError naming the ones read."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in BY_EXTENSION:
        raise SpreadsheetError(
            f"“{filename}” is not a CSV, TSV, XLSX, ODS or JSON file: save the sheet in one of "
            "these formats."
        )
    return BY_EXTENSION[extension]


def dataset_of(data: bytes, filename: str, encoding: str | None = None) -> tablib.Dataset:
    return format_for(filename)(encoding).create_dataset(data)
