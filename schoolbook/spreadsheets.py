"""Spreadsheets that come in and go out.

In: an .xlsx is a zip of XML files. Before openpyxl sees one, `zip_check` reads the zip's directory (no
decompression) and refuses a file whose entries are too many, would expand to too much in total, expand too
far over their compressed size, or have names that are absolute or climb out (".."). The declared sizes are
enough: Python's zipfile stops reading an entry at its declared size and then checks its CRC, so an entry
that lies about its size fails instead of expanding further. openpyxl parses a worksheet whole when it opens
a workbook unless the sheet declares its size first (<dimension>), so a large entry must be such a sheet.
`workbook_open` then opens the checked bytes read-only (streamed, not loaded whole); the readers stop at
the rows and columns the import needs.

Out: every user string written to a cell or a CSV field is text, never a formula. `cell_text` is for CSV
(OWASP: a value starting with = + - @ tab or CR gets a leading apostrophe); `sheet_append` writes a row to an
openpyxl sheet with every string cell typed as a string, so "=HYPERLINK(…)" shows as the text it is.
`csv_lines` writes the data centres' CSV exports (attendance, payments) line by line for streaming;
`workbook_bytes` an export workbook of one sheet (accounting software, the sector database)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import PurePosixPath

from django.conf import settings
from django.utils.translation import gettext

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class SpreadsheetError(Exception):
    """A file refused before it is read, with the reason for the person who uploaded it."""


def not_a_spreadsheet() -> str:
    return gettext("Không phải tệp bảng tính .xlsx hoặc .csv.")


def zip_check(data: bytes) -> None:
    """SpreadsheetError unless the zip's directory is within the limits in settings (SPREADSHEET_MAX_*)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise SpreadsheetError(not_a_spreadsheet()) from error
    if len(entries) > settings.SPREADSHEET_MAX_ENTRIES:
        raise SpreadsheetError(
            gettext("Tệp bảng tính có quá nhiều thành phần (%(count)d; tối đa %(limit)d).")
            % {"count": len(entries), "limit": settings.SPREADSHEET_MAX_ENTRIES}
        )
    for entry in entries:
        path = PurePosixPath(entry.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or ":" in entry.filename:
            raise SpreadsheetError(not_a_spreadsheet())
        if entry.file_size > settings.SPREADSHEET_MAX_RATIO * max(entry.compress_size, 1) and (
            entry.file_size > settings.SPREADSHEET_RATIO_FROM_BYTES
        ):
            raise SpreadsheetError(_too_big())
    if sum(entry.file_size for entry in entries) > settings.SPREADSHEET_MAX_UNCOMPRESSED_BYTES:
        raise SpreadsheetError(_too_big())
    large = [entry for entry in entries if entry.file_size > settings.SPREADSHEET_MAX_PARSED_WHOLE_BYTES]
    if large:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for entry in large:
                if not _has_dimension(archive, entry):
                    raise SpreadsheetError(_too_big())


def _has_dimension(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bool:
    """Whether a large entry is a worksheet that declares its size (<dimension>) before its data: opening a
    workbook, openpyxl parses every sheet without one whole, so only those are allowed to be large. Only
    the entry's first bytes are decompressed."""
    try:
        with archive.open(entry) as stream:
            head = stream.read(4096)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise SpreadsheetError(not_a_spreadsheet()) from error
    dimension, data = head.find(b"<dimension "), head.find(b"<sheetData")
    return dimension != -1 and (data == -1 or dimension < data)


def _too_big() -> str:
    return gettext(
        "Tệp bảng tính khi giải nén quá lớn (tối đa %(limit)d MB dữ liệu): hãy chỉ giữ các dòng cần nhập."
    ) % {"limit": settings.SPREADSHEET_MAX_UNCOMPRESSED_BYTES // 2**20}


def workbook_open(data: bytes):
    """The checked workbook, read-only (rows are parsed as they are read). SpreadsheetError if refused or
    unreadable. The caller closes it."""
    zip_check(data)
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds (BadZipFile, KeyError, XML errors…)
        raise SpreadsheetError(not_a_spreadsheet()) from error


def cell_text(value: str) -> str:
    """A user string for a CSV field: one that a spreadsheet would run as a formula (leading spaces aside)
    gets an apostrophe."""
    return "'" + value if value.lstrip(" ").startswith(FORMULA_STARTS) else value


class _Echo:
    """csv.writer wants a file; this one hands each written line back (Django's streaming CSV recipe)."""

    def write(self, value):
        return value


def csv_value(value) -> str:
    """A value of a data export's CSV: booleans 1/0, None empty, text formula-safe (`cell_text`)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    return cell_text(value) if isinstance(value, str) else str(value)


def csv_lines(fields: list[str], records):
    """CSV lines, produced one at a time: UTF-8 with a BOM on the header (Excel then shows the accents),
    then each record (a dict) in the order of `fields`."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(fields)
    for record in records:
        yield writer.writerow([csv_value(record[name]) for name in fields])


def sheet_append(sheet, values) -> list:
    """sheet.append, with every string written as a string (openpyxl would make "=…" a live formula); the
    row's cells. The cells are made here rather than found again afterwards: `sheet.max_row` scans every
    cell of the sheet, which made a long export quadratic."""
    from openpyxl.cell.cell import Cell

    cells = []
    for value in values:
        cell = Cell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        cells.append(cell)
    sheet.append(cells)
    return cells


def workbook_bytes(title: str, columns: list[tuple[str, int, str | None]], lines) -> bytes:
    """An .xlsx of one sheet: a bold header of `columns` (header, width, number format or None), frozen, then
    one row per item of `lines` (lists of values), each written with `sheet_append`. A number format applies
    to the column's cells ("@": text, so an identifier typed later keeps its leading zeros)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    header = sheet_append(sheet, [header for header, _width, _format in columns])
    for cell, (_header, width, _format) in zip(header, columns, strict=True):
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"
    formats = [
        (index, number_format) for index, (_h, _w, number_format) in enumerate(columns) if number_format
    ]
    for values in lines:
        row = sheet_append(sheet, values)
        for index, number_format in formats:
            row[index].number_format = number_format
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
