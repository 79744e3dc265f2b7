"""Write the results workbook (contract.md): Results, Needs attention, Summary with a chart.

Written to a temporary file beside the target and renamed over it, so a crash never
leaves half a workbook; created readable by its owner only (it names attorneys and
their accounts). A text cell that starts like a formula is stored as text.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from batch.outcomes import Kind, Outcome
from batch.report import ResultLine, RunFacts

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FILL = {
    Kind.DONE: PatternFill("solid", fgColor="C6EFCE"),
    Kind.FIX: PatternFill("solid", fgColor="FFEB9C"),
    Kind.RETRY: PatternFill("solid", fgColor="DDEBF7"),
}
_BOLD = Font(bold=True)
TAIL_COLUMNS = ("outcome", "detail", "next_step", "attempts", "finished_at", "run_id")


def _text_cell(ws: Worksheet, value: str) -> Cell | str:
    """A cell holding ``value`` as text, even when it looks like a formula."""
    if value.lstrip().startswith(_FORMULA_START):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        cell.quotePrefix = True  # and Excel shows it as typed, not evaluated
        return cell
    return value


def _header(ws: Worksheet, names: Sequence[str]) -> None:
    cells = []
    for name in names:
        c = WriteOnlyCell(ws, value=name)
        c.font = _BOLD
        cells.append(c)
    ws.append(cells)


def _line_cells(ws: Worksheet, line: ResultLine, columns: Sequence[str]) -> list[object]:
    outcome = WriteOnlyCell(ws, value=str(line.outcome))
    outcome.fill = _FILL[line.outcome.kind]
    finished = line.finished_at.strftime("%Y-%m-%dT%H:%M:%SZ") if line.finished_at else ""
    return [
        line.row,
        *(_text_cell(ws, line.display.get(c, "")) for c in columns),
        outcome,
        _text_cell(ws, line.detail),
        _text_cell(ws, line.next_step),
        line.attempts,
        finished,
        line.run_id,
    ]


def _rows_sheet(wb: Workbook, title: str, columns: Sequence[str], lines: Sequence[ResultLine]) -> None:
    ws = wb.create_sheet(title)
    names = ["row", *columns, *TAIL_COLUMNS]
    ws.freeze_panes = "A2"
    widths = {"row": 6, "detail": 60, "next_step": 60, "outcome": 22, "finished_at": 21, "run_id": 24}
    for i, name in enumerate(names):
        ws.column_dimensions[get_column_letter(i + 1)].width = widths.get(name, 18)
    # A write-only sheet streams its XML: filters and panes are set before any row.
    ws.auto_filter.ref = f"A1:{get_column_letter(len(names))}{max(1, len(lines) + 1)}"
    _header(ws, names)
    for line in lines:
        ws.append(_line_cells(ws, line, columns))


def _summary_sheet(wb: Workbook, lines: Sequence[ResultLine], facts: RunFacts) -> None:
    ws = wb.create_sheet("Summary")
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 12
    ws.column_dimensions["C"].width = 10
    ws.column_dimensions["D"].width = 80
    counts = Counter(line.outcome for line in lines)
    _header(ws, ["outcome", "rows", "kind", "next step"])
    for outcome in Outcome:
        ws.append([str(outcome), counts[outcome], str(outcome.kind), outcome.next_step])
    ws.append(["total", len(lines)])
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Rows per outcome"
    chart.legend = None
    n = len(Outcome)
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=n + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    chart.height, chart.width = 9, 16
    ws.add_chart(chart, "F2")

    ws.append([])
    by_court: dict[str, Counter[Kind]] = {}
    for line in lines:
        by_court.setdefault(line.court or "(none)", Counter())[line.outcome.kind] += 1
    _header(ws, ["court", "done", "fix", "retry", "total"])
    for court in sorted(by_court):
        k = by_court[court]
        ws.append([_text_cell(ws, court), k[Kind.DONE], k[Kind.FIX], k[Kind.RETRY], sum(k.values())])

    ws.append([])
    _header(ws, ["run", "value"])
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    for key, value in (
        ("run id", facts.run_id),
        ("environment", facts.environment),
        ("input file", facts.input_path),
        ("input SHA-256", facts.input_sha256),
        ("started (UTC)", facts.started_at.strftime(stamp)),
        ("ended (UTC)", facts.ended_at.strftime(stamp)),
        ("duration (s)", round(facts.duration_seconds, 1)),
    ):
        ws.append([key, _text_cell(ws, value) if isinstance(value, str) else value])
    labels = {
        "new": "rows sent for the first time",
        "retried": "rows retried",
        "skip_done": "rows skipped: already done",
        "skip_unchanged": "rows skipped: unchanged, need a fix",
    }
    for key, label in labels.items():
        ws.append([f"this run: {label}", facts.this_run.get(key, 0)])
    for key, value in sorted(facts.this_run.items()):
        if key.startswith("now_"):
            ws.append([f"this run: {key[4:]}", value])


def write_results(path: Path, columns: Sequence[str], lines: Sequence[ResultLine], facts: RunFacts) -> None:
    wb = Workbook(write_only=True)
    _rows_sheet(wb, "Results", columns, lines)
    _rows_sheet(wb, "Needs attention", columns, [line for line in lines if not line.outcome.is_done])
    _summary_sheet(wb, lines, facts)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            wb.save(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
