"""``pacer-link template``: a blank input workbook with headers, a court drop-down kept on a
hidden sheet, and an instructions sheet."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from batch.accounts import KNOWN_COLUMNS, REQUIRED_COLUMNS, SECRET_COLUMNS
from batch.registry import Court

TEMPLATE_ROWS = 1000

INSTRUCTIONS = [
    ("pacer-link input workbook", ""),
    ("", ""),
    ("One row per attorney and court.", "An attorney admitted in three courts has three rows."),
    ("attorney_name", "As the firm knows the attorney; only shown in the results."),
    ("pacer_username", "The attorney's upgraded, individual PACER username (8 characters or more)."),
    (
        "pacer_password",
        "The PACER password. Secret: or write env:NAME to read it from an environment variable.",
    ),
    ("court", "The court id from the drop-down (e.g. alsd, alsb, ca11)."),
    (
        "cmecf_login",
        "The court-issued CM/ECF login. The column is formatted as text: leading zeros are kept.",
    ),
    ("cmecf_password", "The CM/ECF password. Secret, env:NAME allowed."),
    ("pacer_otp_secret", "Optional: the base32 TOTP secret of an account enrolled in MFA. Secret."),
    ("client_code", "Optional: PACER client code."),
    ("other columns", "Any other column is kept and shown in the results."),
    ("", ""),
    (
        "One PACER login per account",
        "Rows with the same pacer_username share one login; give them the same password.",
    ),
    ("Check first", "pacer-link check FILE validates the workbook without sending anything."),
    ("Run", "pacer-link run FILE links every row; run it again to retry only what can succeed now."),
    ("Keep it safe", "This file holds passwords: never e-mail it or leave it on a shared drive."),
]


def write_template(path: Path, courts: Mapping[str, Court], *, overwrite: bool = False) -> None:
    if path.exists() and not overwrite:
        raise FileExistsError(path)
    wb = Workbook()
    ws = wb.active
    ws.title = "Attorneys"
    ws.append(list(KNOWN_COLUMNS))
    for i, name in enumerate(KNOWN_COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True, color=None if name in REQUIRED_COLUMNS else "808080")
        letter = cell.column_letter
        ws.column_dimensions[letter].width = 24
        if name in SECRET_COLUMNS or name in ("cmecf_login", "pacer_username", "client_code"):
            for row in range(2, TEMPLATE_ROWS + 2):
                ws.cell(row=row, column=i).number_format = "@"  # text: no lost leading zeros
    ws.freeze_panes = "A2"

    court_sheet = wb.create_sheet("Courts")
    court_sheet.append(["court", "name", "type"])
    for court in sorted(courts.values(), key=lambda c: c.id):
        court_sheet.append([court.id, court.name, court.type.value])
    court_sheet.sheet_state = "hidden"
    court_col = ws.cell(row=1, column=KNOWN_COLUMNS.index("court") + 1).column_letter
    dv = DataValidation(
        type="list",
        formula1=f"=Courts!$A$2:$A${len(courts) + 1}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Unknown court",
        error="Pick a court id from the list (see the hidden Courts sheet).",
    )
    dv.add(f"{court_col}2:{court_col}{TEMPLATE_ROWS + 1}")
    ws.add_data_validation(dv)

    info = wb.create_sheet("Instructions")
    info.column_dimensions["A"].width = 30
    info.column_dimensions["B"].width = 100
    for a, b in INSTRUCTIONS:
        info.append([a, b])
    info["A1"].font = Font(bold=True, size=14)
    for row in info.iter_rows(min_row=2):
        row[0].font = Font(bold=True)
        row[1].alignment = Alignment(wrap_text=True)
    wb.save(path)
    os.chmod(path, 0o600)  # it will hold passwords once filled in
