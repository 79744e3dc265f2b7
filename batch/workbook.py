"""Read the input workbook (.xlsx or .csv) into rows, validating each one.

A file that cannot be used at all raises ``WorkbookError`` (exit 2, nothing sent). A bad
row does not: it becomes an ``InputRow`` with ``invalid_row`` or ``duplicate_row`` and a
detail naming the column and the fix, and the other rows go on. No message ever quotes a
secret cell, and no message built from a library's exception quotes any cell at all:
openpyxl's messages can contain cell text, and a cell may hold a password.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
from openpyxl.utils.cell import get_column_letter

from batch.accounts import KNOWN_COLUMNS, REQUIRED_COLUMNS, SECRET_COLUMNS, AccountRow, InputRow
from batch.headers import header_key, looks_secret
from batch.outcomes import Outcome
from batch.registry import Court, default_registry
from batch.sheet_xml import Merges, merged_ranges, sheet_xml, unsaved_formulas
from batch.validation import Validator, clean

HEADER_SEARCH_ROWS = 20
ACCEPTED = ".xlsx (Excel workbook) or .csv (text, UTF-8)"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an encrypted .xlsx (and an old .xls) is an OLE2 container
ZIP_MAGIC = b"PK\x03\x04"
#: What Excel shows (and writes to CSV) instead of a value when a formula fails.
ERROR_VALUES = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
    | {"#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!"}
)
#: Columns the results workbook adds: an input column of the same name is renamed.
RESULT_COLUMNS = ("row", "outcome", "detail", "next_step", "attempts", "finished_at", "run_id")

RawRow = tuple[int, list[str], set[int]]  # sheet row number, cells as text, indexes of error cells


class WorkbookError(Exception):
    """Raised when the input file cannot be used at all; the message names the file and the fix."""


@dataclass(frozen=True, slots=True)
class Workbook:
    path: Path
    sheet: str  # the sheet's name; "csv" for a .csv file
    header_row: int
    columns: tuple[str, ...]  # display columns, in input order; never a secret one
    rows: tuple[InputRow, ...]
    sha256: str
    hidden_columns: tuple[str, ...] = ()  # extra columns left out because their header looks secret

    @property
    def accounts(self) -> list[AccountRow]:
        return [r.account for r in self.rows if r.account is not None]

    @property
    def problems(self) -> list[InputRow]:
        return [r for r in self.rows if r.problem is not None]


#: Header key -> the column it names.
CANONICAL = {header_key(c): c for c in KNOWN_COLUMNS}


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


#: A number format that pads with zeros ("000000"): Excel shows 123 as "000123".
_ZERO_PADDED = re.compile(r"0+")


def _shown(cell: object) -> str:
    """An xlsx cell as Excel shows it. A CM/ECF login typed as a number into a cell
    formatted "000000" is the text "000123" to the person who typed it, and to the court."""
    value = getattr(cell, "value", None)
    fmt = getattr(cell, "number_format", "General") or "General"
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and float(value).is_integer()
        and value >= 0
        and _ZERO_PADDED.fullmatch(fmt)
    ):
        return str(int(value)).zfill(len(fmt))
    return cell_text(value)


# -- reading raw rows -------------------------------------------------------------------


def _damaged(where: str, exc: BaseException) -> WorkbookError:
    # Only the exception's type: its message may quote a cell, and a cell may be a password.
    return WorkbookError(
        f"{where}: the workbook is damaged ({type(exc).__name__}); "
        "open it in Excel and save it again as .xlsx"
    )


def _guarded(rows: Iterable[RawRow], where: str) -> Iterator[RawRow]:
    """``rows``, with any library failure while parsing turned into a ``WorkbookError``."""
    it = iter(rows)
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except WorkbookError:
            raise
        except Exception as exc:  # openpyxl, zipfile, zlib and the XML parser raise many types
            raise _damaged(where, exc) from None
        yield item


def _xlsx_rows(
    data: bytes, path: Path, sheet: str | None
) -> tuple[str, Iterator[RawRow], Merges, tuple[str, ...]]:
    """The sheet's name, rows and merges, and the other visible sheets when none was asked for."""
    if not data.startswith(ZIP_MAGIC):
        raise WorkbookError(f"{path}: not an Excel workbook (no .xlsx content inside); use {ACCEPTED}")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        names = [ws.title for ws in book.worksheets]  # chart sheets hold no rows
        if sheet is not None and sheet not in names:
            raise WorkbookError(
                f"{path}: no sheet named {sheet!r}; its sheets are {', '.join(map(repr, names))}"
            )
        if not names:
            raise WorkbookError(f"{path}: the workbook has no sheet with cells; use {ACCEPTED}")
        # "The first sheet" is the first one a person sees: a hidden sheet does not count.
        visible = [ws.title for ws in book.worksheets if ws.sheet_state == "visible"] or names
        ws = book[sheet if sheet is not None else visible[0]]
        others = tuple(n for n in visible if n != ws.title) if sheet is None else ()
        # Some writers declare a wrong used range ("A1:A1"); read-only mode would trust it.
        ws.reset_dimensions()  # type: ignore[union-attr]
        xml = sheet_xml(ws)
        merges, unsaved = merged_ranges(xml), unsaved_formulas(xml)
    except WorkbookError:
        raise
    except Exception as exc:
        raise _damaged(str(path), exc) from None

    def rows() -> Iterator[RawRow]:
        for number, cells in enumerate(ws.iter_rows(), start=1):
            texts = [_shown(c) for c in cells]
            errors = {i for i, c in enumerate(cells) if getattr(c, "data_type", None) == "e"}
            errors.update(i for i, t in enumerate(texts) if not t and (number, i) in unsaved)
            errors.update(i for i, t in enumerate(texts) if t in ERROR_VALUES)
            yield number, texts, errors
        book.close()

    return ws.title, _guarded(rows(), f"{path} (sheet {ws.title!r})"), merges, others


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Excel's plain "CSV" on Windows


def _csv_rows(text: str, path: Path, delimiter: str) -> Iterator[RawRow]:
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for number, cells in enumerate(reader, start=1):
            yield number, cells, {i for i, c in enumerate(cells) if c.strip() in ERROR_VALUES}
    except csv.Error:  # its messages are safe, but say nothing a person can act on
        raise WorkbookError(
            f"{path}: not a readable CSV file (a cell is too long or its quotes are unbalanced); "
            "save it again from Excel as CSV UTF-8"
        ) from None


def _is_header(cells: list[str]) -> bool:
    return set(REQUIRED_COLUMNS) <= {CANONICAL.get(header_key(c)) for c in cells}


def _csv_delimiter(text: str, path: Path) -> str:
    """Excel writes ";" instead of "," in some locales, and tabs as "Unicode text"."""
    for delimiter in (",", ";", "\t"):
        for number, cells, _errors in _csv_rows(text, path, delimiter):
            if _is_header(cells):
                return delimiter
            if number >= HEADER_SEARCH_ROWS:
                break
    return ","


def _load(path: Path, sheet: str | None) -> tuple[bytes, str, Iterator[RawRow], Merges, tuple[str, ...]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WorkbookError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise WorkbookError(f"{path}: is a folder, not a workbook") from None
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot be read ({exc.strerror})") from None
    if not data.strip():
        raise WorkbookError(f"{path}: the file is empty; run `pacer-link template PATH` for a blank workbook")
    if data.startswith(OLE_MAGIC):
        raise WorkbookError(
            f"{path}: the workbook is password-protected (or an old .xls file); remove the password "
            "in Excel: File > Info > Protect Workbook, then save it as .xlsx"
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return data, *_xlsx_rows(data, path, sheet)
    if suffix == ".csv":
        if data.startswith(ZIP_MAGIC):
            raise WorkbookError(f"{path}: this is an Excel workbook, not CSV text; rename it to .xlsx")
        text = _decode(data)
        return data, "csv", _csv_rows(text, path, _csv_delimiter(text, path)), [], ()
    raise WorkbookError(f"{path}: unsupported file type {suffix or '(none)'!r}; use {ACCEPTED}")


# -- the header -------------------------------------------------------------------------

_TEMPLATE_HINT = "or run `pacer-link template PATH` to get a blank workbook"


def _find_header(where: str, rows: Iterator[RawRow]) -> tuple[int, list[str]]:
    best_number, best = 0, set[str]()
    for number, cells, _errors in rows:
        if _is_header(cells):
            return number, cells
        keys = {k for k in (CANONICAL.get(header_key(c)) for c in cells) if k}
        if len(keys) > max(1, len(best)):  # one familiar word in a title is not a header
            best_number, best = number, keys
        if number >= HEADER_SEARCH_ROWS:
            break
    if not best:
        raise WorkbookError(
            f"{where}: no header row in the first {HEADER_SEARCH_ROWS} rows; add a header row with the "
            f"columns {', '.join(REQUIRED_COLUMNS)}, {_TEMPLATE_HINT}"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in best]
    raise WorkbookError(
        f"{where}: the header on row {best_number} lacks the column(s) {', '.join(missing)}; "
        f"add a column named {' and one named '.join(missing)}, {_TEMPLATE_HINT}"
    )


@dataclass
class _Columns:
    known: dict[str, int] = field(default_factory=dict)  # canonical name -> index
    display: list[tuple[str, int]] = field(default_factory=list)  # (name, index), input order
    hidden: list[str] = field(default_factory=list)


def _columns(where: str, header: list[str]) -> _Columns:
    cols = _Columns()
    taken = {c.casefold() for c in (*KNOWN_COLUMNS, *RESULT_COLUMNS)}
    for i, raw in enumerate(header):
        text, canonical = clean(raw), CANONICAL.get(header_key(raw))
        if canonical is not None:
            if canonical in cols.known:
                raise WorkbookError(
                    f"{where}: the column {canonical} appears twice in the header "
                    f"(columns {get_column_letter(cols.known[canonical] + 1)} and "
                    f"{get_column_letter(i + 1)}); delete or rename one"
                )
            cols.known[canonical] = i
            if canonical not in SECRET_COLUMNS:
                cols.display.append((canonical, i))
        elif looks_secret(raw):
            cols.hidden.append(text)
        elif text:
            # An input column called "outcome" or "row" would be confused with ours.
            name = f"{text} (input)" if text.casefold() in taken else text
            n = 2
            while name.casefold() in taken:
                name, n = f"{text} ({n})", n + 1
            taken.add(name.casefold())
            cols.display.append((name, i))
    return cols


# -- the workbook -----------------------------------------------------------------------


def read_workbook(
    path: Path,
    *,
    sheet: str | None = None,
    registry: Mapping[str, Court] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Workbook:
    """Every data row of ``path``, validated. Raises ``WorkbookError`` if the file is unusable."""
    # openpyxl warns about what it drops from real Excel files (extensions, styles): noise
    # on a person's terminal, and not ours to act on.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _read(Path(path), sheet, registry, environ)


def _read(
    path: Path, sheet: str | None, registry: Mapping[str, Court] | None, environ: Mapping[str, str] | None
) -> Workbook:
    registry = registry if registry is not None else default_registry()
    environ = environ if environ is not None else os.environ
    data, sheet_name, raw, merges, others = _load(path, sheet)
    if sheet is not None and sheet_name == "csv":
        raise WorkbookError(f"{path}: --sheet {sheet!r} applies to .xlsx workbooks; a CSV file has one table")
    where = str(path) if sheet_name == "csv" else f"{path} (sheet {sheet_name!r})"
    try:
        header_row, header = _find_header(where, raw)
    except WorkbookError as exc:
        if not others:
            raise
        raise WorkbookError(
            f"{exc}; or, if the rows are on another sheet ({', '.join(map(repr, others))}), "
            f"pick it with --sheet NAME"
        ) from None
    cols = _columns(where, header)
    validator = Validator(registry, environ, cols.known, cols.display, merges)
    named = sorted({*cols.known.values(), *(i for _name, i in cols.display)})
    rows: list[InputRow] = []
    for number, cells, errors in raw:
        # A row is blank when its named columns are: notes beside the table do not make a row.
        if not any(clean(cells[i]) for i in named if i < len(cells)):
            continue
        if _is_header(cells):  # a second table pasted below the first
            problems: list[str] = []
            display = validator.display_of(cells, problems)
            detail = "repeats the header row: delete this row"
            rows.append(InputRow(number, display, problem=Outcome.INVALID_ROW, detail=detail))
            continue
        rows.append(validator.row(number, cells, errors))
    return Workbook(
        path=path,
        sheet=sheet_name,
        header_row=header_row,
        columns=tuple(name for name, _i in cols.display),
        rows=tuple(rows),
        sha256=hashlib.sha256(data).hexdigest(),
        hidden_columns=tuple(cols.hidden),
    )


def check_report(wb: Workbook) -> list[str]:
    """What ``pacer-link check`` prints: where the table is, one line per problem, the counts."""
    lines = [f"{wb.path}: sheet {wb.sheet!r}, header on row {wb.header_row}, {len(wb.rows)} data rows."]
    if wb.hidden_columns:
        lines.append(
            f"left out of the results because the header looks secret: {', '.join(wb.hidden_columns)}"
        )
    lines.extend(f"row {r.row}: {r.problem}: {r.detail}" for r in wb.problems)
    kinds = Counter(r.problem for r in wb.problems)
    accounts = wb.accounts
    lines.append(
        f"{len(accounts)} rows ready ({len({a.account_key for a in accounts})} PACER accounts), "
        f"{kinds[Outcome.INVALID_ROW]} invalid, {kinds[Outcome.DUPLICATE_ROW]} duplicate."
    )
    return lines
