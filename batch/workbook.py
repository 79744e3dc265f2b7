"""Read the input workbook (.xlsx or .csv) into rows, validating each one.

A file that cannot be used at all raises ``WorkbookError`` (exit 2, nothing sent). A
bad row does not: it becomes an ``InputRow`` with ``invalid_row`` or ``duplicate_row``
and a detail naming the column and the fix, and the other rows go on. No message ever
quotes a secret cell.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import openpyxl

from batch.accounts import KNOWN_COLUMNS, REQUIRED_COLUMNS, SECRET_COLUMNS, AccountRow, InputRow
from batch.registry import Court, default_registry
from batch.validation import Validator

HEADER_SEARCH_ROWS = 20
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted .xlsx is an OLE2 container
_IGNORED = re.compile(r"[\s_\-/]+")
_OPTIONAL = re.compile(r"\(optional\)\s*$", re.I)


class WorkbookError(Exception):
    """Raised when the input file cannot be used at all; the message names the file and the fix."""


@dataclass(frozen=True, slots=True)
class Workbook:
    path: Path
    sheet: str
    header_row: int
    columns: tuple[str, ...]  # display columns, in input order; never a secret one
    rows: tuple[InputRow, ...]
    sha256: str

    @property
    def accounts(self) -> list[AccountRow]:
        return [r.account for r in self.rows if r.account is not None]


def header_key(text: str) -> str:
    """How a header is compared: case, spaces, ``_ - /`` and "(optional)" do not count."""
    return _IGNORED.sub("", _OPTIONAL.sub("", text.strip())).casefold()


_CANONICAL = {header_key(c): c for c in KNOWN_COLUMNS}


def cell_text(value: object) -> str:
    """A cell as the text a person typed: 123.0 -> "123", dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


# -- reading raw rows -------------------------------------------------------------------


def _xlsx_rows(
    data: bytes, path: Path, sheet: str | None
) -> tuple[str, Iterator[tuple[int, list[str], set[int]]]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise WorkbookError(
            f"{path}: not a readable .xlsx workbook ({type(exc).__name__}); "
            "open it in Excel and save it again as .xlsx"
        ) from None
    names = book.sheetnames
    if sheet is not None and sheet not in names:
        raise WorkbookError(f"{path}: no sheet named {sheet!r}; its sheets are {', '.join(map(repr, names))}")
    ws = book[sheet] if sheet is not None else book[names[0]]

    def rows() -> Iterator[tuple[int, list[str], set[int]]]:
        for number, cells in enumerate(ws.iter_rows(), start=1):
            errors = {i for i, c in enumerate(cells) if getattr(c, "data_type", None) == "e"}
            yield number, [cell_text(getattr(c, "value", None)) for c in cells], errors

    return ws.title, rows()


def _csv_rows(data: bytes, path: Path) -> Iterator[tuple[int, list[str], set[int]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            yield number, cells, set()
    except csv.Error as exc:
        raise WorkbookError(f"{path}: not a readable CSV file ({exc}); save it again as CSV UTF-8") from None


def _load(path: Path, sheet: str | None) -> tuple[bytes, str, Iterator[tuple[int, list[str], set[int]]]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WorkbookError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise WorkbookError(f"{path}: is a folder, not a workbook") from None
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot be read ({exc.strerror})") from None
    if not data.strip():
        raise WorkbookError(f"{path}: the file is empty; run `pacer-link template` for a blank workbook")
    suffix = path.suffix.lower()
    if data.startswith(OLE_MAGIC):
        raise WorkbookError(
            f"{path}: the workbook is password-protected (or an old .xls); remove the "
            "password in Excel (File > Info > Protect Workbook) and save it as .xlsx"
        )
    if suffix in (".xlsx", ".xlsm"):
        name, rows = _xlsx_rows(data, path, sheet)
        return data, name, rows
    if suffix == ".csv":
        return data, "csv", _csv_rows(data, path)
    raise WorkbookError(f"{path}: unsupported file type {suffix or '(none)'!r}; use .xlsx or .csv")


# -- the header -------------------------------------------------------------------------


def _find_header(
    path: Path, sheet: str, rows: Iterator[tuple[int, list[str], set[int]]]
) -> tuple[int, list[str]]:
    best: tuple[int, set[str]] = (0, set())
    for number, cells, _errors in rows:
        keys = {_CANONICAL.get(header_key(c)) for c in cells} - {None}
        if set(REQUIRED_COLUMNS) <= keys:
            return number, cells
        if len(keys) > len(best[1]):
            best = (number, {k for k in keys if k})
        if number >= HEADER_SEARCH_ROWS:
            break
    where = f"{path} (sheet {sheet!r})" if sheet != "csv" else str(path)
    if not best[1]:
        raise WorkbookError(
            f"{where}: no header row in the first {HEADER_SEARCH_ROWS} rows; the header needs "
            f"the columns {', '.join(REQUIRED_COLUMNS)} (`pacer-link template PATH` writes one)"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in best[1]]
    raise WorkbookError(
        f"{where}: the header on row {best[0]} lacks the column(s) {', '.join(missing)}; "
        "add them, or run `pacer-link template PATH` to get a blank workbook"
    )


def _columns(path: Path, header: list[str]) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Known columns by canonical name, and the display columns (name, index) in order."""
    known: dict[str, int] = {}
    display: list[tuple[str, int]] = []
    seen_extra: set[str] = set()
    for i, text in enumerate(header):
        canonical = _CANONICAL.get(header_key(text))
        if canonical is not None:
            if canonical in known:
                raise WorkbookError(
                    f"{path}: the column {canonical} appears twice in the header "
                    f"(columns {known[canonical] + 1} and {i + 1}); keep one"
                )
            known[canonical] = i
            if canonical not in SECRET_COLUMNS:
                display.append((canonical, i))
        elif text.strip():
            name = text.strip()
            while name in seen_extra or name in KNOWN_COLUMNS:
                name += "'"
            seen_extra.add(name)
            display.append((name, i))
    return known, display


# -- rows -------------------------------------------------------------------------------


def read_workbook(
    path: Path,
    *,
    sheet: str | None = None,
    registry: Mapping[str, Court] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Workbook:
    registry = registry if registry is not None else default_registry()
    environ = environ if environ is not None else os.environ
    data, sheet_name, raw = _load(path, sheet)
    try:
        header_row, header = _find_header(path, sheet_name, raw)
        known, display_cols = _columns(path, header)
        validator = Validator(registry, environ)
        rows: list[InputRow] = []
        for number, cells, errors in raw:
            if not any(c.strip() for c in cells):
                continue  # a blank row is not a row
            rows.append(validator.row(number, cells, errors, known, display_cols))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, EOFError) as exc:
        raise WorkbookError(
            f"{path}: the workbook is damaged ({type(exc).__name__}); open it in Excel and save it again"
        ) from None
    return Workbook(
        path,
        sheet_name,
        header_row,
        tuple(n for n, _ in display_cols),
        tuple(rows),
        hashlib.sha256(data).hexdigest(),
    )
