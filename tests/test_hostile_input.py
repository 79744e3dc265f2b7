"""Files that are not what they claim, cells that try to leak or break things, and size.

Whatever the input, ``read_workbook`` either returns rows or raises ``WorkbookError`` with
one line naming the file, and no message (error or row detail) ever carries a secret.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch.accounts import KNOWN_COLUMNS
from batch.outcomes import Outcome
from batch.registry import Court, CourtType
from batch.workbook import Workbook, WorkbookError, check_report, read_workbook

CANARIES = ("CANARY-pw-a1b2c3", "CANARY-ecf-d4e5f6", "CANARYOTPAAAAAAAAAAAAAAAAAAAAAAA")
REGISTRY = {c: Court(c, CourtType.DISTRICT, c.upper(), c, True) for c in ("alsd", "nysd", "ca11")}
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def row(**over: object) -> list[object]:
    base: dict[str, object] = dict(
        zip(
            KNOWN_COLUMNS,
            ["Jane Doe", "jdoe2019a", CANARIES[0], "alsd", "jdoe", CANARIES[1], CANARIES[2], ""],
            strict=True,
        )
    )
    base.update(over)
    return [base[h] for h in KNOWN_COLUMNS]


def xlsx_bytes(rows: Sequence[Sequence[object]], headers: Sequence[object] = KNOWN_COLUMNS) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx(path: Path, rows: Sequence[Sequence[object]], headers: Sequence[object] = KNOWN_COLUMNS) -> Path:
    path.write_bytes(xlsx_bytes(rows, headers))
    return path


def only(wb: Workbook) -> str:
    """The detail of the one row of ``wb``, which must be a problem."""
    assert len(wb.rows) == 1 and wb.rows[0].problem is not None, wb.rows
    return wb.rows[0].detail


def read(path: Path) -> Workbook:
    return read_workbook(path, registry=REGISTRY, environ={})


def refused(path: Path, *fragments: str) -> str:
    with pytest.raises(WorkbookError) as info:
        read(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    for canary in CANARIES:
        assert canary not in message
    return message


# -- files that are not workbooks -------------------------------------------------------


def test_missing_file_and_folder(tmp_path: Path):
    refused(tmp_path / "nope.xlsx", "file not found")
    refused(tmp_path, "is a folder")


@pytest.mark.parametrize("content", [b"", b"  \r\n\t"])
@pytest.mark.parametrize("name", ["empty.xlsx", "empty.csv"])
def test_empty_file(tmp_path: Path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    refused(path, "the file is empty", "pacer-link template")


@pytest.mark.parametrize("name", ["notes.txt", "book.ods", "book.xls", "noext"])
def test_wrong_extension_says_what_is_accepted(tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_bytes(xlsx_bytes([row()]))
    refused(path, "unsupported file type", ".xlsx", ".csv")


def test_text_named_xlsx_is_not_a_workbook(tmp_path: Path):
    path = tmp_path / "fake.xlsx"
    path.write_text(",".join(KNOWN_COLUMNS) + "\n" + ",".join(map(str, row())))
    refused(path, "not an Excel workbook", ".xlsx", ".csv")


def test_xlsx_named_csv_says_rename_it(tmp_path: Path):
    path = tmp_path / "real.csv"
    path.write_bytes(xlsx_bytes([row()]))
    refused(path, "rename it to .xlsx")


def test_encrypted_workbook_says_how_to_remove_the_password(tmp_path: Path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + CANARIES[0].encode())
    refused(path, "password-protected", "File > Info > Protect Workbook")


def test_corrupt_zip(tmp_path: Path):
    data = xlsx_bytes([row()] * 50)
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    refused(path, "damaged", "save it again")


def test_zip_that_is_not_a_workbook(tmp_path: Path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("readme.txt", CANARIES[0])
    path = tmp_path / "other.xlsx"
    path.write_bytes(buffer.getvalue())
    refused(path, "damaged")


def test_broken_sheet_xml_never_quotes_a_cell(tmp_path: Path):
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes([row()]))) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        "</sheetData>", f"<row><c>{CANARIES[0]}<</row>"
    ).encode()
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    refused(path, "damaged")


# -- cells that try to leak or break ------------------------------------------------------


def test_no_detail_and_no_report_line_carries_a_secret(tmp_path: Path):
    rows = [
        row(),
        row(court="bogus"),  # invalid, secrets present
        row(pacer_username="short"),
        row(pacer_otp_secret=CANARIES[0]),  # not base32
        row(cmecf_password=CANARIES[1] * 20),  # too long
        row(court="nysd", cmecf_login="other"),  # same account, same secrets: fine
        row(court="ca11", pacer_password=CANARIES[1]),  # same account, another password
        row(pacer_password="env:" + CANARIES[0].replace("-", "_")),  # an env name that might be a password
        row(),  # duplicate
    ]
    path = tmp_path / "canaries.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    wb = read(path)
    assert len(wb.problems) == 7
    text = "\n".join([*check_report(wb), *(repr(r) for r in wb.rows)])
    for canary in (*CANARIES, CANARIES[0].replace("-", "_")):
        assert canary not in text


def test_formula_looking_text_is_read_as_text(tmp_path: Path):
    path = tmp_path / "inject.csv"
    path.write_text(
        ",".join([*KNOWN_COLUMNS, "notes"])
        + "\n"
        + ",".join([*map(str, row(attorney_name="=HYPERLINK(1)")), "@SUM(1)"])
        + "\n",
        encoding="utf-8",
    )
    wb = read(path)
    assert wb.rows[0].display["attorney_name"] == "=HYPERLINK(1)" and wb.rows[0].display["notes"] == "@SUM(1)"


def test_very_long_cells_are_invalid_and_kept_short(tmp_path: Path):
    path = tmp_path / "long.xlsx"
    path.write_bytes(xlsx_bytes([[*row(), "n" * 5000]], [*KNOWN_COLUMNS, "notes"]))
    wb = read(path)
    assert wb.rows[0].problem is Outcome.INVALID_ROW
    assert wb.rows[0].detail == "column notes has 5000 characters (at most 1000): shorten it"
    assert len(wb.rows[0].display["notes"]) == 1001  # what the results show: a readable part


def test_control_characters_in_a_csv_do_not_break_reading(tmp_path: Path):
    path = tmp_path / "ctrl.csv"
    line = ",".join(map(str, row(attorney_name="Jane\x00\x07Doe")))
    path.write_bytes((",".join(KNOWN_COLUMNS) + "\n" + line + "\n").encode())
    assert read(path).accounts[0].attorney_name == "Jane\x00\x07Doe"


def _patch_cell(path: Path, ref: str, cell_xml: str) -> None:
    """Replace one cell's XML, e.g. to give a formula the cached value Excel would save."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet, n = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)', cell_xml, sheet, count=1)
    assert n == 1, ref
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_formula_gives_its_cached_value_and_error_values_are_invalid(tmp_path: Path):
    rows = [row(cmecf_login="=A1"), row(court="nysd", attorney_name="x"), row(court="ca11", cmecf_login="y")]
    path = xlsx(tmp_path / "formulas.xlsx", rows)
    _patch_cell(path, "E2", '<c r="E2" t="str"><f>"00"&amp;"77"</f><v>0077</v></c>')
    _patch_cell(path, "A3", '<c r="A3" t="e"><f>VLOOKUP(1,Z:Z,2,0)</f><v>#N/A</v></c>')
    _patch_cell(path, "E4", '<c r="E4" t="e"><f>WEBSERVICE(1)</f><v>#NEWFANGLED!</v></c>')  # any error type
    wb = read(path)
    assert wb.rows[2].detail.startswith("column cmecf_login holds the error #NEWFANGLED! instead of a value")
    assert wb.rows[0].account is not None and wb.rows[0].account.cmecf_login == "0077"
    assert wb.rows[1].problem is Outcome.INVALID_ROW
    assert wb.rows[1].detail == (
        "column attorney_name holds the error #N/A instead of a value: fix the formula or type the value"
    )


def test_error_value_in_a_secret_column_is_invalid_and_not_quoted(tmp_path: Path):
    path = xlsx(tmp_path / "err.xlsx", [row(cmecf_password="#REF!")])
    assert only(read(path)) == (
        "column cmecf_password holds an error value instead of a value: fix the formula or type the value"
    )


def test_merged_cells_leave_the_others_empty_and_say_so(tmp_path: Path):
    path = tmp_path / "merged.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(KNOWN_COLUMNS))
    ws.append(row(attorney_name="Jane Q. Doe"))
    ws.append(row(attorney_name=None, court="nysd", cmecf_login="jd2"))
    ws.merge_cells("A2:A3")  # one attorney, two courts: a merge Excel users often make
    wb.save(path)
    book = read(path)
    assert book.rows[0].account is not None  # the top-left cell keeps the value
    assert book.rows[1].problem is Outcome.INVALID_ROW
    assert "column attorney_name is empty because it is part of a merged cell (merged or empty cell)" in (
        book.rows[1].detail
    )


def test_stray_spaces_nbsp_and_zero_width_are_trimmed_but_secrets_keep_inner_spaces(tmp_path: Path):
    path = xlsx(
        tmp_path / "spaces.xlsx",
        [
            row(
                attorney_name="\xa0 Jane  Doe \u200b",
                pacer_username=" jdoe2019a\xa0",
                court=" ALSD ",
                cmecf_login="\tjdoe ",
                pacer_password="  two words  ",
            )
        ],
    )
    account = read(path).accounts[0]
    assert account.attorney_name == "Jane  Doe"
    assert (account.pacer_username, account.court, account.cmecf_login) == ("jdoe2019a", "alsd", "jdoe")
    assert account.pacer_password.reveal() == "two words"


def test_several_problems_are_all_listed_without_a_secret(tmp_path: Path):
    wb = read(
        xlsx(
            tmp_path / "many.xlsx",
            [row(court="zzzz", pacer_username="abc", cmecf_password="", pacer_otp_secret="CANARY!!")],
        )
    )
    detail = only(wb)
    for part in (
        "court 'zzzz'",
        "pacer_username 'abc' has 3 characters",
        "column cmecf_password is empty",
        "pacer_otp_secret is not a valid base32",
    ):
        assert part in detail
    assert detail.count("; ") == 3 and "CANARY" not in detail and CANARIES[0] not in detail


def test_env_reference_that_might_be_a_password_is_not_quoted(tmp_path: Path):
    wb = read(xlsx(tmp_path / "envpw.xlsx", [row(pacer_password="env:hunter2secret")]))
    assert "hunter2secret" not in only(wb)
    assert "column pacer_password: the env: variable it names is not set in the environment" in only(wb)
    # Not an identifier after "env:": an ordinary password that happens to start so.
    wb = read(xlsx(tmp_path / "envpw2.xlsx", [row(pacer_password="env:Summer!2024")]))
    assert wb.accounts[0].pacer_password.reveal() == "env:Summer!2024"


def test_a_wrong_used_range_in_the_file_is_not_trusted(tmp_path: Path):
    """Some writers declare "A1:A1" as the used range; read-only openpyxl would believe it."""
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes([row(), row(court="nysd")]))) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = re.sub(
        r'<dimension ref="[^"]+"', '<dimension ref="A1:A1"', sheet
    ).encode()
    path = tmp_path / "dim.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert [a.court for a in read(path).accounts] == ["alsd", "nysd"]


# -- size -------------------------------------------------------------------------------


def test_ten_thousand_rows(tmp_path: Path):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Attorneys")
    ws.append(list(KNOWN_COLUMNS))
    for i in range(10_000):
        ws.append(row(pacer_username=f"user{i:06d}", cmecf_login=f"{i:07d}", court=("alsd", "nysd")[i % 2]))
    wb.save(tmp_path / "big.xlsx")
    started = time.perf_counter()
    book = read(tmp_path / "big.xlsx")
    print(f"read 10,000 rows in {time.perf_counter() - started:.2f} s")  # no assert: machines vary
    assert len(book.rows) == 10_000 and len(book.accounts) == 10_000
    assert book.rows[-1].row == 10_001 and book.accounts[7].cmecf_login == "0000007"


# -- anything at all --------------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
_CELL = st.one_of(
    st.none(),
    _TEXT,
    st.sampled_from([*KNOWN_COLUMNS, "env:X", "#N/A", "=1+", "alsd", "ALSD", "jdoe2019a", " ", "\xa0"]),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1)),
)


@FAST
@given(st.lists(st.lists(_CELL, max_size=10), max_size=8), st.booleans())
def test_random_small_workbooks_raise_nothing_but_workbook_error(
    tmp_path: Path, rows: list[list[object]], with_header: bool
):
    path = tmp_path / "random.xlsx"
    path.write_bytes(xlsx_bytes(rows, list(KNOWN_COLUMNS) if with_header else ["x"]))
    try:
        wb = read(path)
    except WorkbookError as exc:
        assert "\n" not in str(exc)
        return
    assert all((r.account is None) != (r.problem is None) for r in wb.rows)


@FAST
@given(st.binary(max_size=300), st.sampled_from([".xlsx", ".csv"]))
def test_random_bytes_raise_nothing_but_workbook_error(tmp_path: Path, data: bytes, suffix: str):
    path = tmp_path / f"bytes{suffix}"
    path.write_bytes(data)
    with contextlib.suppress(WorkbookError):
        read(path)


_VALID = xlsx_bytes([row(), row(court="nysd")])


@FAST
@given(st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_damaged_workbooks_raise_nothing_but_workbook_error(tmp_path: Path, flips: list[tuple[int, int]]):
    data = bytearray(_VALID)
    for at, value in flips:
        data[at] = value
    path = tmp_path / "flipped.xlsx"
    path.write_bytes(bytes(data))
    try:
        read(path)
    except WorkbookError as exc:
        assert all(canary not in str(exc) for canary in CANARIES)
