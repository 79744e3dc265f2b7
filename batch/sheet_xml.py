"""What read-only openpyxl does not say about a sheet, read from the sheet's own XML.

Read-only mode (the only mode that reads 10,000 rows in little memory) shows a merged cell
as empty, and a formula that was never calculated (a file written by a script and never
saved by Excel) as empty too. Both would read as "fill it in"; the XML says why a cell is
empty, so the message can say what to do.
"""

from __future__ import annotations

import re

from openpyxl.utils.cell import column_index_from_string, range_boundaries

Merges = list[tuple[int, int, int, int]]  # merged ranges: min_col, min_row, max_col, max_row

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z]+[0-9]+(?::[A-Za-z]+[0-9]+)?)"')
# A cell whose only content is a formula, with no value or an empty one.
_UNSAVED_FORMULA = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)([0-9]+)"[^>]*>\s*'
    rb"<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)


def sheet_xml(ws: object) -> bytes:
    """The sheet's XML through ``_get_source``, openpyxl's own (private) way to it. What is
    read from it only sharpens messages, so without it (a future openpyxl) it is empty."""
    get_source = getattr(ws, "_get_source", None)
    if get_source is None:
        return b""
    with get_source() as src:
        data: bytes = src.read()
    return data


def merged_ranges(xml: bytes) -> Merges:
    return [range_boundaries(m.decode().upper()) for m in _MERGE.findall(xml)]  # type: ignore[misc]


def unsaved_formulas(xml: bytes) -> set[tuple[int, int]]:
    """(row, column index from 0) of the cells that hold a formula with no saved value."""
    return {(int(r), column_index_from_string(c.decode()) - 1) for c, r in _UNSAVED_FORMULA.findall(xml)}
