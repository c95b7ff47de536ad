"""Excel exports: one sheet with a header row, as the page shows it."""
from __future__ import annotations

import io
from collections.abc import Iterable


def workbook(title: str, header: list[str], rows: Iterable[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
