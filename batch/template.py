"""``pacer-link template``: a blank input workbook with headers, a court drop-down kept on a
hidden sheet, and an instructions sheet.

The file is created readable by its owner only: once filled in it holds passwords.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from batch.accounts import KNOWN_COLUMNS, REQUIRED_COLUMNS, SECRET_COLUMNS
from batch.registry import Court

TEMPLATE_ROWS = 1000  # data rows that get the drop-down and the text format
SHEET, COURTS_SHEET, INSTRUCTIONS_SHEET = "Attorneys", "Courts", "Instructions"

#: What each column means: the header's comment and a line of the Instructions sheet.
COLUMN_HELP = {
    "attorney_name": "Required. The attorney as the firm knows them; only shown in the results.",
    "pacer_username": (
        "Required. The attorney's upgraded, individual PACER username (8 characters or more)."
    ),
    "pacer_password": "Required, secret. The PACER password, or env:NAME (see below).",
    "court": "Required. The court id from the drop-down, e.g. alsd, alsb, ca11 (the Courts list).",
    "cmecf_login": (
        "Required. The court-issued CM/ECF login. The column is formatted as text, so leading zeros are kept."
    ),
    "cmecf_password": "Required, secret. The CM/ECF password for that court, or env:NAME.",
    "pacer_otp_secret": (
        "Optional, secret. For a PACER account enrolled in multi-factor authentication: the "
        "base32 secret shown at enrollment (the text under the QR code), or env:NAME."
    ),
    "client_code": "Optional. The PACER client code to sign in with.",
}
_WIDTHS = {"attorney_name": 28, "court": 10, "pacer_otp_secret": 36}

INSTRUCTIONS: list[tuple[str, str]] = [
    ("pacer-link input workbook", ""),
    ("", ""),
    ("Never share this file", "It holds passwords. Do not e-mail it or leave it on a shared drive."),
    ("One row per attorney and court", "An attorney admitted in three courts has three rows."),
    *COLUMN_HELP.items(),
    ("other columns", "Any other column (office, notes) is kept and shown in the results."),
    ("", ""),
    (
        "env:NAME",
        "A secret cell may say env:NAME instead of the secret: the value is then read from the "
        "environment variable NAME when the run starts, and the file holds no password.",
    ),
    (
        "One PACER login per account",
        "Rows with the same pacer_username are one PACER account: it signs in once for all its "
        "rows, so give them the same password, MFA secret and client code.",
    ),
    (
        "MFA secret",
        "Needed only for accounts enrolled in PACER multi-factor authentication; leave it empty otherwise.",
    ),
    ("", ""),
    ("Check first", "pacer-link check FILE validates the workbook offline; it sends nothing."),
    ("Run", "pacer-link run FILE links every row and writes FILE's .results.xlsx beside it."),
    ("Run again", "pacer-link run FILE again retries only the rows that can succeed now; it is safe."),
]


def _attorneys_sheet(wb: Workbook, courts: Mapping[str, Court]) -> None:
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = SHEET
    ws.append(list(KNOWN_COLUMNS))
    for i, name in enumerate(KNOWN_COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        # Optional columns in grey: a person sees at once what must be filled in.
        cell.font = Font(bold=True, color=None if name in REQUIRED_COLUMNS else "808080")
        cell.comment = Comment(COLUMN_HELP[name], "pacer-link")
        ws.column_dimensions[cell.column_letter].width = _WIDTHS.get(name, 22)
        if name in SECRET_COLUMNS or name in ("cmecf_login", "pacer_username", "client_code"):
            for row in range(2, TEMPLATE_ROWS + 2):
                # Text, so Excel keeps "00123" and does not turn "1e5" into a number.
                ws.cell(row=row, column=i).number_format = "@"
    ws.freeze_panes = "A2"
    if not courts:
        return  # a list validation over no courts would be an invalid range
    letter = ws.cell(row=1, column=KNOWN_COLUMNS.index("court") + 1).column_letter
    dv = DataValidation(
        type="list",
        # No leading "=": Excel writes the reference bare in <formula1>.
        formula1=f"{COURTS_SHEET}!$A$2:$A${len(courts) + 1}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Unknown court",
        error="Pick a court id from the list (the Courts sheet holds the ids and names).",
        showInputMessage=True,
        promptTitle="court",
        prompt="The court id, e.g. alsd, alsb, ca11.",
    )
    dv.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
    ws.add_data_validation(dv)


def _courts_sheet(wb: Workbook, courts: Mapping[str, Court]) -> None:
    ws = wb.create_sheet(COURTS_SHEET)
    ws.append(["court", "name", "type", "NextGen (offers linking)"])
    for court in sorted(courts.values(), key=lambda c: c.id):
        ws.append([court.id, court.name, court.type.value, "yes" if court.nextgen else "no"])
    ws.column_dimensions["B"].width = 50
    # Hidden: the drop-down needs the list, a person filling in rows does not.
    ws.sheet_state = "hidden"


def _instructions_sheet(wb: Workbook) -> None:
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 100
    for a, b in INSTRUCTIONS:
        ws.append([a, b])
    ws["A1"].font = Font(bold=True, size=14)
    for row in ws.iter_rows(min_row=2):
        row[0].font = Font(bold=True)
        row[1].alignment = Alignment(wrap_text=True, vertical="top")


def write_template(path: Path, courts: Mapping[str, Court], *, overwrite: bool = False) -> None:
    """Write a blank input workbook. Raises ``FileExistsError`` if ``path`` exists, unless
    ``overwrite``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(path)
    wb = Workbook()
    _attorneys_sheet(wb, courts)
    _courts_sheet(wb, courts)
    _instructions_sheet(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    if not overwrite:
        # O_EXCL: never clobbers a file that appeared meanwhile; 0600 from the first byte.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(buffer.getvalue())
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buffer.getvalue())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
