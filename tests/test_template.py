"""``pacer-link template``: the blank workbook a firm fills in."""

from __future__ import annotations

import stat
from pathlib import Path

import openpyxl
import pytest

from batch.accounts import KNOWN_COLUMNS, REQUIRED_COLUMNS, SECRET_COLUMNS
from batch.registry import Court, CourtType, default_registry
from batch.template import write_template
from batch.workbook import read_workbook

COURTS = {
    "alsd": Court("alsd", CourtType.DISTRICT, "ALSDC", "Alabama Southern District Court", True),
    "alsb": Court("alsb", CourtType.BANKRUPTCY, "ALSBK", "Alabama Southern Bankruptcy Court", True),
    "ca11": Court("ca11", CourtType.APPELLATE, "11CA", "11th Circuit Court of Appeals", False),
}


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "blank.xlsx"
    write_template(path, COURTS)
    return path


def test_attorneys_sheet_has_the_headers_bold_and_frozen(template: Path):
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == ["Attorneys", "Courts", "Instructions"]
    ws = wb["Attorneys"]
    assert [c.value for c in ws[1]] == list(KNOWN_COLUMNS)
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert all((ws.column_dimensions[c.column_letter].width or 0) >= 10 for c in ws[1])
    assert all(ws[1][i].comment is not None for i in range(len(KNOWN_COLUMNS)))


def test_secret_and_login_columns_are_text_so_zeros_stay(template: Path):
    ws = openpyxl.load_workbook(template)["Attorneys"]
    for name in (*SECRET_COLUMNS, "cmecf_login"):
        column = KNOWN_COLUMNS.index(name) + 1
        assert ws.cell(row=2, column=column).number_format == "@", name
        assert ws.cell(row=1001, column=column).number_format == "@", name
    assert ws.cell(row=2, column=KNOWN_COLUMNS.index("attorney_name") + 1).number_format == "General"


def test_court_drop_down_lists_the_hidden_courts_sheet(template: Path):
    wb = openpyxl.load_workbook(template)
    courts = wb["Courts"]
    assert courts.sheet_state == "hidden"
    listed = [r for r in courts.iter_rows(min_row=2, values_only=True)]
    assert [r[0] for r in listed] == ["alsb", "alsd", "ca11"]
    assert listed[1][1] == "Alabama Southern District Court"
    validations = wb["Attorneys"].data_validations.dataValidation
    assert len(validations) == 1
    dv = validations[0]
    assert dv.type == "list" and dv.formula1 == "Courts!$A$2:$A$4"
    letter = openpyxl.utils.get_column_letter(KNOWN_COLUMNS.index("court") + 1)
    assert str(dv.sqref) == f"{letter}2:{letter}1001"


def test_instructions_explain_the_columns_env_mfa_and_safety(template: Path):
    ws = openpyxl.load_workbook(template)["Instructions"]
    text = "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v)
    for needle in (
        *REQUIRED_COLUMNS,
        "pacer_otp_secret",
        "env:NAME",
        "multi-factor",
        "One PACER login per account",
        "Never share this file",
        "holds passwords",
        "pacer-link check",
        "pacer-link run",
    ):
        assert needle in text, needle


def test_file_is_private_and_never_overwritten_unless_asked(template: Path):
    assert stat.S_IMODE(template.stat().st_mode) == 0o600
    template.write_bytes(b"the firm's filled-in sheet")
    with pytest.raises(FileExistsError):
        write_template(template, COURTS)
    assert template.read_bytes() == b"the firm's filled-in sheet"
    write_template(template, COURTS, overwrite=True)
    assert openpyxl.load_workbook(template).sheetnames[0] == "Attorneys"
    assert stat.S_IMODE(template.stat().st_mode) == 0o600
    assert [p.name for p in template.parent.iterdir()] == [template.name]  # no temp file left


def test_the_template_reads_back_empty_and_filled_in(template: Path):
    assert read_workbook(template, registry=COURTS, environ={}).rows == ()
    wb = openpyxl.load_workbook(template)
    ws = wb["Attorneys"]
    values = ["Jane Doe", "jdoe2019a", "CANARY-pw-1", "alsd", "00042", "CANARY-pw-2", "", ""]
    for column, value in enumerate(values, start=1):
        ws.cell(row=2, column=column, value=value or None)
    wb.save(template)
    book = read_workbook(template, registry=COURTS, environ={})
    assert book.sheet == "Attorneys" and book.accounts[0].cmecf_login == "00042"


def test_with_the_real_registry_and_with_none(tmp_path: Path):
    write_template(tmp_path / "real.xlsx", default_registry())
    wb = openpyxl.load_workbook(tmp_path / "real.xlsx")
    assert wb["Courts"].max_row == len(default_registry()) + 1
    write_template(tmp_path / "none.xlsx", {})  # no courts: no drop-down, still a usable file
    wb = openpyxl.load_workbook(tmp_path / "none.xlsx")
    assert not wb["Attorneys"].data_validations.dataValidation
