"""Write the results workbook (contract.md): Results, Needs attention, Summary with a chart.

Written to a temporary file beside the target and renamed over it, so a crash never leaves
half a workbook; created readable by its owner only (it names attorneys and their
accounts). A text cell that starts like a formula is stored as text, shown as typed.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from batch.outcomes import Kind, Outcome
from batch.report import ResultLine, RunFacts

RESULTS, ATTENTION, SUMMARY = "Results", "Needs attention", "Summary"
TAIL_COLUMNS = ("outcome", "detail", "next_step", "attempts", "finished_at", "run_id")
#: Excel (and LibreOffice, and CSV exports of this file) may evaluate text starting so.
FORMULA_START = ("=", "+", "-", "@")
_FILL = {
    Kind.DONE: PatternFill("solid", fgColor="C6EFCE"),  # green
    Kind.FIX: PatternFill("solid", fgColor="FFEB9C"),  # amber
    Kind.RETRY: PatternFill("solid", fgColor="DDEBF7"),  # light blue
}
_BOLD = Font(bold=True)
# XML 1.0 cannot hold these (a CSV input can): openpyxl would raise IllegalCharacterError.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_WIDTHS = {"row": 6, "outcome": 22, "detail": 60, "next_step": 60, "attempts": 9, "finished_at": 21}


def looks_like_formula(value: str) -> bool:
    return value.startswith(("\t", "\r")) or value.lstrip().startswith(FORMULA_START)


def utc_text(moment: datetime | None) -> str:
    """ISO 8601 in UTC, e.g. 2026-11-25T02:03:04Z; a naive time is taken as UTC already."""
    if moment is None:
        return ""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(ws: WriteOnlyWorksheet, value: str) -> WriteOnlyCell | str:
    """A cell holding ``value`` as text, even when it looks like a formula."""
    # (openpyxl cuts a cell at Excel's 32,767 characters itself; a CR comes back as LF, as
    # XML 1.0 wants, which no writer can avoid.)
    value = _ILLEGAL.sub("\ufffd", value)
    if not looks_like_formula(value):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # openpyxl stores a str starting with "=" as a formula otherwise
    cell.quotePrefix = True  # and Excel shows it as typed, never evaluates it on edit
    return cell


def _header(ws: WriteOnlyWorksheet, names: Sequence[str]) -> None:
    cells = []
    for name in names:
        cell = _text(ws, name)  # an input header is typed by a person: it may start with "="
        if isinstance(cell, str):
            cell = WriteOnlyCell(ws, value=cell)
        cell.font = _BOLD
        cells.append(cell)
    ws.append(cells)


def _line_cells(ws: WriteOnlyWorksheet, line: ResultLine, columns: Sequence[str]) -> list[object]:
    outcome = WriteOnlyCell(ws, value=str(line.outcome))
    outcome.fill = _FILL[line.outcome.kind]
    return [
        int(line.row),
        *(_text(ws, str(line.display.get(c, ""))) for c in columns),
        outcome,
        _text(ws, line.detail),
        _text(ws, line.next_step),
        int(line.attempts),
        utc_text(line.finished_at),
        _text(ws, line.run_id),
    ]


def _rows_sheet(wb: Workbook, title: str, columns: Sequence[str], lines: Sequence[ResultLine]) -> None:
    ws = wb.create_sheet(title)
    names = ["row", *columns, *TAIL_COLUMNS]
    # A write-only sheet streams its XML: panes, widths and the filter are set before any row.
    ws.freeze_panes = "A2"
    for i, name in enumerate(names, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(name, 18)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(names))}{len(lines) + 1}"
    _header(ws, names)
    for line in lines:
        ws.append(_line_cells(ws, line, columns))


def _summary_sheet(wb: Workbook, lines: Sequence[ResultLine], facts: RunFacts) -> None:
    ws = wb.create_sheet(SUMMARY)
    for letter, width in zip("ABCDEF", (30, 10, 10, 90, 10, 10), strict=True):
        ws.column_dimensions[letter].width = width

    counts = Counter(line.outcome for line in lines)
    _header(ws, ["outcome", "rows", "kind", "next step"])
    for outcome in Outcome:
        ws.append([str(outcome), counts[outcome], str(outcome.kind), outcome.next_step])
    ws.append(["total", len(lines)])
    chart = BarChart()
    chart.type = "bar"  # horizontal: fifteen outcome names stay readable
    chart.title = "Rows per outcome"
    chart.legend = None
    n = len(Outcome)
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=n + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    chart.height, chart.width = 10, 18
    ws.add_chart(chart, "F2")

    ws.append([])
    by_court: dict[str, Counter[Kind]] = {}
    for line in lines:
        by_court.setdefault(line.court or "(none)", Counter())[line.outcome.kind] += 1
    _header(ws, ["court", "done", "fix", "retry", "total"])
    for court in sorted(by_court):
        k = by_court[court]
        ws.append([_text(ws, court), k[Kind.DONE], k[Kind.FIX], k[Kind.RETRY], k.total()])

    ws.append([])
    _header(ws, ["run", "value"])
    for key, value in (
        ("run id", facts.run_id),
        ("environment", facts.environment),
        ("input file", facts.input_path),
        ("input SHA-256", facts.input_sha256),
        ("started (UTC)", utc_text(facts.started_at)),
        ("ended (UTC)", utc_text(facts.ended_at)),
        ("duration (seconds)", round(facts.duration_seconds, 1)),
    ):
        ws.append([key, _text(ws, value) if isinstance(value, str) else value])
    for key, number in _this_run(facts.this_run):
        ws.append([_text(ws, f"this run: {key}"), number])


_THIS_RUN_LABELS = {
    "new": "rows sent for the first time",
    "retried": "rows retried",
    "skip_done": "rows skipped: already done",
    "skip_unchanged": "rows skipped: unchanged, need a fix",
    "linked_now": "rows linked now",
}


def _this_run(this_run: dict[str, int]) -> list[tuple[str, int]]:
    """The known counters first (zero included, so the table has a fixed shape), then the rest."""
    known = [(label, this_run.get(key, 0)) for key, label in _THIS_RUN_LABELS.items()]
    rest = [
        (f"rows now {key}", value)
        for key, value in sorted(this_run.items())
        if key not in _THIS_RUN_LABELS and key != "sent"
    ]
    return known + rest


def write_results(path: Path, columns: Sequence[str], lines: Sequence[ResultLine], facts: RunFacts) -> None:
    """Write the results workbook at ``path``, replacing it atomically, mode 0600."""
    path = Path(path)
    wb = Workbook(write_only=True)  # streams rows: 10,000 lines in about a second
    _rows_sheet(wb, RESULTS, columns, lines)
    _rows_sheet(wb, ATTENTION, columns, [line for line in lines if not line.outcome.is_done])
    _summary_sheet(wb, lines, facts)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            wb.save(f)
            f.flush()
            os.fsync(f.fileno())  # the rename must not land before the bytes
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
