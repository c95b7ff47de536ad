"""Exports that spreadsheets open: Excel workbooks and CSV files, with every text that a
spreadsheet would read as a formula kept as plain text."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# A cell starting with one of these is a formula (or becomes one) in Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def workbook(title: str, header: list[str], rows: Iterable[list]) -> bytes:
    """One sheet with a header row; text is written as text (never a formula), without the
    control characters a worksheet cannot hold."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_clean(title)[:31] or "Kvitt")

    def cells(values: list) -> list:
        row = []
        for value in values:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=_clean(value))
                cell.data_type = "s"
                row.append(cell)
            else:
                row.append(value)
        return row

    sheet.append(cells(header))
    for values in rows:
        sheet.append(cells(values))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(header: list[str], rows: Iterable[list], delimiter: str = ";") -> str:
    """A CSV whose text fields a spreadsheet shows as text: a leading apostrophe before a
    formula sign (numbers and dates are passed as the caller formats them, as non-text)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for values in rows:
        writer.writerow([_csv_safe(value) for value in values])
    return out.getvalue()


def _clean(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _csv_safe(value) -> str:
    if isinstance(value, str):
        value = _clean(value)
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return "" if value is None else str(value)
