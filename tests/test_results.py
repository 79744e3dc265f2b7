"""The results workbook: what a person opens after a run."""

from __future__ import annotations

import gc
import io
import stat
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart

from batch import results
from batch.outcomes import Kind, Outcome
from batch.report import ResultLine, RunFacts
from batch.results import write_results

COLUMNS = ("attorney_name", "pacer_username", "court", "cmecf_login", "Office")
TAIL = ["outcome", "detail", "next_step", "attempts", "finished_at", "run_id"]
T0 = datetime(2026, 11, 25, 2, 0, 0, tzinfo=UTC)
FACTS = RunFacts(
    run_id="20261125T020000Z-abc123",
    environment="sandbox",
    input_path="/firm/attorneys.xlsx",
    input_sha256="0f" * 32,
    started_at=T0,
    ended_at=T0 + timedelta(seconds=93.25),
    this_run={"new": 12, "retried": 2, "skip_done": 1, "linked_now": 9, "linked": 10, "gave_up": 4},
)
INJECTIONS = ['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@cmd", "  =1+1", "\t=1", "\r=1", "=", "-"]


def line(row: int, outcome: Outcome, court: str = "alsd", **display: str) -> ResultLine:
    shown = {"attorney_name": f"Attorney {row}", "pacer_username": f"user{row:05d}", "court": court}
    shown.update({"cmecf_login": f"{row:05d}", "Office": "Mobile"}, **display)
    finished = T0 + timedelta(minutes=row) if outcome is not Outcome.INTERRUPTED else None
    detail = f"what happened to row {row}"
    return ResultLine(
        row, shown, court, outcome, detail, outcome.next_step, row % 4, 1, finished, FACTS.run_id
    )


LINES = [line(i + 2, o, court=("alsd", "nysd")[i % 2]) for i, o in enumerate(Outcome)] + [
    line(20, Outcome.LINKED, court="ca11")
]


@pytest.fixture
def written(tmp_path: Path) -> openpyxl.Workbook:
    path = tmp_path / "attorneys.results.xlsx"
    write_results(path, COLUMNS, LINES, FACTS)
    return openpyxl.load_workbook(path)


def test_results_sheet_has_every_row_in_order_with_its_columns(written: openpyxl.Workbook):
    assert written.sheetnames == ["Results", "Needs attention", "Summary"]
    ws = written["Results"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == ["row", *COLUMNS, *TAIL]
    assert [r[0] for r in rows[1:]] == [x.row for x in LINES]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first == {
        "row": 2,
        "attorney_name": "Attorney 2",
        "pacer_username": "user00002",
        "court": "alsd",
        "cmecf_login": "00002",  # text: the zeros stay
        "Office": "Mobile",
        "outcome": "linked",
        "detail": "what happened to row 2",
        "next_step": None,  # empty: nothing to do
        "attempts": 2,
        "finished_at": "2026-11-25T02:02:00Z",
        "run_id": FACTS.run_id,
    }
    assert isinstance(first["row"], int) and isinstance(first["attempts"], int)
    interrupted = next(r for r in rows if r[6] == "interrupted")
    assert interrupted[10] is None  # never finished: empty, not a made-up time


def test_header_is_bold_frozen_filtered_and_sized(written: openpyxl.Workbook):
    for name, count in (("Results", len(LINES)), ("Needs attention", 13)):
        ws = written[name]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:L{count + 1}"
        assert all(c.font.b for c in ws[1])
        assert ws.column_dimensions["H"].width == 60  # detail


def test_outcome_cells_are_colored_by_kind(written: openpyxl.Workbook):
    ws = written["Results"]
    colors: dict[Kind, set[str]] = {}
    for cells in ws.iter_rows(min_row=2):
        outcome = Outcome(cells[6].value)
        colors.setdefault(outcome.kind, set()).add(cells[6].fill.fgColor.rgb)
    assert {k: len(v) for k, v in colors.items()} == {Kind.DONE: 1, Kind.FIX: 1, Kind.RETRY: 1}
    assert len({next(iter(v)) for v in colors.values()}) == 3
    assert colors[Kind.DONE] == {"00C6EFCE"}  # green


def test_needs_attention_holds_only_rows_not_done(written: openpyxl.Workbook):
    rows = list(written["Needs attention"].iter_rows(values_only=True))
    assert list(rows[0]) == ["row", *COLUMNS, *TAIL]
    expected = [x.row for x in LINES if not x.outcome.is_done]
    assert [r[0] for r in rows[1:]] == expected and len(expected) == 13
    assert {r[6] for r in rows[1:]}.isdisjoint({"linked", "already_linked"})


def _summary(written: openpyxl.Workbook) -> list[tuple[object, ...]]:
    return list(written["Summary"].iter_rows(values_only=True))


def test_summary_counts_every_outcome_and_court(written: openpyxl.Workbook):
    rows = _summary(written)
    assert rows[0][:4] == ("outcome", "rows", "kind", "next step")
    table = {r[0]: r[1:4] for r in rows[1:16]}
    assert list(table) == [o.value for o in Outcome]
    assert table["linked"] == (2, "done", None)
    assert table["ecf_locked_out"] == (1, "fix", Outcome.ECF_LOCKED_OUT.next_step)
    assert table["gave_up"][1] == "retry"
    assert rows[16][:2] == ("total", 16)
    assert rows[17] == (None,) * 5  # a blank row between the tables
    assert rows[18][:5] == ("court", "done", "fix", "retry", "total")
    courts = {r[0]: r[1:5] for r in rows[19:22]}
    assert courts == {"alsd": (1, 6, 1, 8), "ca11": (1, 0, 0, 1), "nysd": (1, 5, 1, 7)}


def test_summary_carries_the_facts_of_the_run(written: openpyxl.Workbook):
    facts = {r[0]: r[1] for r in _summary(written) if r[0]}
    assert facts["run id"] == FACTS.run_id and facts["environment"] == "sandbox"
    assert facts["input file"] == "/firm/attorneys.xlsx" and facts["input SHA-256"] == "0f" * 32
    assert facts["started (UTC)"] == "2026-11-25T02:00:00Z"
    assert facts["ended (UTC)"] == "2026-11-25T02:01:33Z"
    assert facts["duration (seconds)"] == pytest.approx(93.2, abs=0.06)
    assert facts["this run: rows sent for the first time"] == 12
    assert facts["this run: rows retried"] == 2
    assert facts["this run: rows skipped: unchanged, need a fix"] == 0
    assert facts["this run: rows linked now"] == 9
    assert facts["this run: rows now gave_up"] == 4


def test_summary_has_a_bar_chart_of_the_outcome_counts(tmp_path: Path, written: openpyxl.Workbook):
    charts = written["Summary"]._charts
    assert len(charts) == 1 and isinstance(charts[0], BarChart)
    with zipfile.ZipFile(tmp_path / "attorneys.results.xlsx") as z:
        xml = z.read("xl/charts/chart1.xml").decode()
    assert "'Summary'!$B$2:$B$16" in xml and "'Summary'!$A$2:$A$16" in xml


def test_formula_looking_text_is_stored_as_text_exactly(tmp_path: Path):
    lines = [
        ResultLine(
            i + 2,
            {"attorney_name": text, "=bad header": text},
            text,
            Outcome.INVALID_ROW,
            text,
            "",
            0,
            0,
            None,
            "r",
        )
        for i, text in enumerate(INJECTIONS)
    ]
    path = tmp_path / "inject.xlsx"
    write_results(path, ("attorney_name", "=bad header"), lines, FACTS)
    with zipfile.ZipFile(path) as z:
        assert all(b"<f>" not in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    ws = openpyxl.load_workbook(path)["Results"]
    assert ws["C1"].value == "=bad header" and ws["C1"].data_type == "s"
    for cells, text in zip(ws.iter_rows(min_row=2), INJECTIONS, strict=True):
        # XML 1.0 reads a bare CR back as LF, unless the writer (lxml) escaped it.
        texts = {text, text.replace("\r", "\n")}
        for cell in (cells[1], cells[2], cells[4]):  # display, extra column, detail
            assert cell.data_type == "s" and cell.value in texts, (cell.coordinate, text)
            assert cell.quotePrefix, cell.coordinate
    court_cell = next(r for r in openpyxl.load_workbook(path)["Summary"].iter_rows() if r[0].value == "=")[0]
    assert court_cell.data_type == "s"


def test_plain_text_is_not_quote_prefixed(written: openpyxl.Workbook):
    assert not written["Results"]["B2"].quotePrefix


def test_characters_xml_cannot_hold_and_huge_cells_do_not_break_the_file(tmp_path: Path):
    weird = ResultLine(
        2,
        {"attorney_name": "Ja\x00ne\x1b", "Office": "x" * 40_000},
        "alsd",
        Outcome.LINKED,
        "d",
        "",
        1,
        1,
        None,
        "r",
    )
    write_results(tmp_path / "w.xlsx", ("attorney_name", "Office"), [weird], FACTS)
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")["Results"]
    assert ws["B2"].value == "Ja\ufffdne\ufffd" and len(ws["C2"].value) == 32_767


def test_times_are_utc_whatever_zone_they_come_in():
    eastern = timezone(timedelta(hours=-5))
    assert results.utc_text(datetime(2026, 11, 24, 21, 3, 4, tzinfo=eastern)) == "2026-11-25T02:03:04Z"
    assert results.utc_text(datetime(2026, 11, 25, 2, 3, 4)) == "2026-11-25T02:03:04Z"
    assert results.utc_text(None) == ""


def test_file_is_private_replaced_atomically_and_leaves_no_temp_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "out.results.xlsx"
    path.write_bytes(b"previous results")
    path.chmod(0o644)
    write_results(path, COLUMNS, LINES, FACTS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    good = path.read_bytes()

    def no_rename(src: str, dst: object) -> None:
        assert Path(src).parent == tmp_path and Path(src).stat().st_size > 0  # written beside it first
        raise OSError("rename refused")

    monkeypatch.setattr(results.os, "replace", no_rename)
    with pytest.raises(OSError, match="rename refused"):
        write_results(path, COLUMNS, LINES, FACTS)
    assert path.read_bytes() == good  # the last good results survive a failed write
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # openpyxl's unsaved sheets
def test_a_save_that_fails_half_way_leaves_the_old_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "out.results.xlsx"
    path.write_bytes(b"previous results")

    def half_save(self: object, target: io.BufferedWriter) -> None:
        target.write(b"PK half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", half_save)
    with pytest.raises(OSError, match="disk full"):
        write_results(path, COLUMNS, LINES, FACTS)
    assert path.read_bytes() == b"previous results"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    gc.collect()  # the unsaved sheets' writers complain when collected: let it happen here


def test_ten_thousand_lines(tmp_path: Path):
    outcomes = list(Outcome)
    lines = [line(i + 2, outcomes[i % len(outcomes)]) for i in range(10_000)]
    path = tmp_path / "big.xlsx"
    write_results(path, COLUMNS, lines, FACTS)
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = wb["Results"].iter_rows(values_only=True)
    assert sum(1 for _ in rows) == 10_001
    wb.close()
