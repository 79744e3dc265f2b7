"""Reading the input workbook: headers, cell values, validation messages, repeats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from conftest import write_csv, write_xlsx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch.accounts import KNOWN_COLUMNS, SECRET_COLUMNS
from batch.outcomes import Outcome
from batch.registry import Court, CourtType, default_registry
from batch.workbook import Workbook, WorkbookError, check_report, header_key, read_workbook

PACER_PW = "CANARY-pw-pacer-5e1d"
ECF_PW = "CANARY-pw-ecf-77ab"
OTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits, valid base32
REGISTRY = {
    c: Court(c, CourtType.DISTRICT, c.upper(), f"Court {c}", True) for c in ("alsd", "alsb", "ca11", "nysd")
}


def row(**over: object) -> list[object]:
    base: dict[str, object] = {
        "attorney_name": "Jane Q. Doe",
        "pacer_username": "jdoe2019a",
        "pacer_password": PACER_PW,
        "court": "alsd",
        "cmecf_login": "jdoe",
        "cmecf_password": ECF_PW,
        "pacer_otp_secret": "",
        "client_code": "",
    }
    base.update(over)
    return [base[h] for h in KNOWN_COLUMNS]


# The shared writers of conftest, under the names these tests use.
xlsx = write_xlsx
csv_file = write_csv


def read(path: Path, **kw: object) -> Workbook:
    kw.setdefault("registry", REGISTRY)
    kw.setdefault("environ", {})
    return read_workbook(path, **kw)  # type: ignore[arg-type]


def only(wb: Workbook) -> str:
    """The detail of the one row of ``wb``, which must be a problem."""
    assert len(wb.rows) == 1 and wb.rows[0].problem is not None, wb.rows
    return wb.rows[0].detail


# -- headers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "decorate",
    [
        lambda n: n,
        lambda n: n.upper(),
        lambda n: n.replace("_", " ").title(),
        lambda n: n.replace("_", "-"),
        lambda n: n.replace("_", "/"),
        lambda n: f"  {n.replace('_', '  ')}  ",
        lambda n: f"{n.upper()} (optional)",
        lambda n: f"{n}(Optional) ",
    ],
    ids=["as-is", "upper", "title-spaces", "hyphens", "slashes", "padded", "optional", "optional-tight"],
)
def test_header_spellings_all_match(tmp_path: Path, decorate):
    path = xlsx(tmp_path / "in.xlsx", [row(client_code="C-1")], [decorate(h) for h in KNOWN_COLUMNS])
    wb = read(path)
    assert wb.columns == ("attorney_name", "pacer_username", "court", "cmecf_login", "client_code")
    account = wb.rows[0].account
    assert account is not None and account.pacer_username == "jdoe2019a" and account.client_code == "C-1"


_SEPARATORS = st.text(alphabet=" _-/", max_size=3)


@st.composite
def decorated(draw: st.DrawFn, name: str) -> str:
    words = name.split("_")
    seps = [draw(_SEPARATORS) for _ in words[1:]]
    text = words[0] + "".join(s + w for s, w in zip(seps, words[1:], strict=True))
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    text = "".join(c.upper() if f else c for c, f in zip(text, flips, strict=True))
    suffix = draw(st.sampled_from(["", " (optional)", "(OPTIONAL)", " ( Optional )  "]))
    return draw(st.sampled_from(["", " ", "\t"])) + text + suffix


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.tuples(*(decorated(n) for n in KNOWN_COLUMNS)))
def test_any_decoration_of_the_names_is_read(tmp_path: Path, headers: tuple[str, ...]):
    for header, name in zip(headers, KNOWN_COLUMNS, strict=True):
        assert header_key(header) == header_key(name), header
    wb = read(csv_file(tmp_path / "decorated.csv", [row(pacer_otp_secret=OTP)], headers))
    account = wb.rows[0].account
    assert account is not None and account.pacer_otp_secret is not None


def test_notes_beside_the_table_do_not_make_a_row(tmp_path: Path):
    path = xlsx(tmp_path / "notes.xlsx", [row(), [None] * len(KNOWN_COLUMNS) + [None, "note: call Jane"]])
    assert [r.row for r in read(path).rows] == [2]  # the note sits under no header


def test_header_below_a_title_keeps_the_sheets_row_numbers(tmp_path: Path):
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Firm attorneys (court, pacer_username)"])  # familiar words in a title: not a header
    ws.append([])
    ws.append(list(KNOWN_COLUMNS))
    ws.append(row())
    ws.append([])  # blank rows are skipped, not renumbered
    ws.append(row(court="nysd"))
    wb.save(tmp_path / "titled.xlsx")
    book = read(tmp_path / "titled.xlsx")
    assert book.header_row == 3 and book.sheet == "Sheet"
    assert [r.row for r in book.rows] == [4, 6]
    assert [r.account.court for r in book.rows if r.account] == ["alsd", "nysd"]


def test_header_must_be_in_the_first_20_rows(tmp_path: Path):
    notes = [["Court"], ["Attorney name", "Phone"]] + [[f"note {i}"] for i in range(18)]  # one word each
    path = xlsx(tmp_path / "late.xlsx", [*notes, list(KNOWN_COLUMNS), row()], ["x"])
    with pytest.raises(
        WorkbookError, match=r"late\.xlsx \(sheet 'Sheet'\): no header row in the first 20 rows"
    ):
        read(path)


def test_sheet_option_picks_the_sheet_and_lists_them_when_unknown(tmp_path: Path):
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.title = "Notes"
    first.append(["nothing here"])
    second = wb.create_sheet("Attorneys 2026")
    second.append(list(KNOWN_COLUMNS))
    second.append(row())
    wb.save(tmp_path / "two.xlsx")
    book = read(tmp_path / "two.xlsx", sheet="Attorneys 2026")
    assert book.sheet == "Attorneys 2026" and len(book.accounts) == 1
    with pytest.raises(WorkbookError, match="no header row") as refused:
        read(tmp_path / "two.xlsx")  # the first sheet by default
    assert "another sheet ('Attorneys 2026'), pick it with --sheet NAME" in str(refused.value)
    first.sheet_state = "hidden"  # a hidden first sheet is not the one a person sees first
    wb.save(tmp_path / "two.xlsx")
    assert read(tmp_path / "two.xlsx").sheet == "Attorneys 2026"
    with pytest.raises(WorkbookError, match=r"--sheet .x. applies to \.xlsx workbooks"):
        read(csv_file(tmp_path / "one.csv", [row()]), sheet="x")
    with pytest.raises(
        WorkbookError, match=r"no sheet named 'Sheet9'; its sheets are 'Notes', 'Attorneys 2026'"
    ):
        read(tmp_path / "two.xlsx", sheet="Sheet9")


def test_missing_required_columns_are_named_with_the_fix(tmp_path: Path):
    headers = [h for h in KNOWN_COLUMNS if h not in ("court", "cmecf_password")]
    path = xlsx(tmp_path / "short.xlsx", [row()[: len(headers)]], headers)
    with pytest.raises(WorkbookError) as info:
        read(path)
    message = str(info.value)
    assert "short.xlsx (sheet 'Sheet')" in message and "court, cmecf_password" in message
    assert "add a column named court" in message and "pacer-link template PATH" in message
    assert "\n" not in message


def test_a_header_given_twice_is_refused(tmp_path: Path):
    path = xlsx(tmp_path / "twice.xlsx", [[*row(), "x"]], [*KNOWN_COLUMNS, "PACER Username"])
    with pytest.raises(
        WorkbookError, match=r"the column pacer_username appears twice in the header \(columns B and I\)"
    ):
        read(path)


def test_extra_columns_are_kept_in_order_and_secret_looking_ones_are_hidden(tmp_path: Path):
    headers = ["Office", *KNOWN_COLUMNS, "Old Password", "outcome", "Notes"]
    path = xlsx(tmp_path / "extra.xlsx", [["Mobile", *row(), "CANARY-old-pw", "x", " hi "]], headers)
    wb = read(path)
    assert wb.columns == (
        "Office",
        "attorney_name",
        "pacer_username",
        "court",
        "cmecf_login",
        "client_code",
        "outcome (input)",  # the results add their own "outcome"
        "Notes",
    )
    assert wb.hidden_columns == ("Old Password",)
    assert wb.rows[0].display["Notes"] == "hi" and wb.rows[0].display["Office"] == "Mobile"
    assert not set(SECRET_COLUMNS) & set(wb.rows[0].display)
    assert "CANARY" not in repr(wb.rows[0].display)


# -- cell values ------------------------------------------------------------------------


def test_cell_types_become_the_text_a_person_typed(tmp_path: Path):
    rows = [
        row(cmecf_login="00123", client_code=dt.date(2024, 1, 2)),
        row(cmecf_login=4567.0, court="nysd", pacer_username="other2019", client_code=True),
        row(
            cmecf_login=12.5,
            court="ca11",
            pacer_username="third2019",
            client_code=dt.datetime(2024, 1, 2, 9, 30),
        ),
    ]
    accounts = read(xlsx(tmp_path / "types.xlsx", rows)).accounts
    assert [(a.cmecf_login, a.client_code) for a in accounts] == [
        ("00123", "2024-01-02"),  # a text cell keeps its leading zeros; a date is ISO text
        ("4567", "TRUE"),  # a whole number is not "4567.0"
        ("12.5", "2024-01-02T09:30:00"),
    ]


def test_numbers_formatted_with_leading_zeros_read_as_excel_shows_them(tmp_path: Path):
    # An HR export types the login 123 into a cell formatted "000000": Excel shows 000123,
    # and 000123 is what the court issued. Sending "123" would spend a lockout attempt.
    path = xlsx(tmp_path / "fmt.xlsx", [row(cmecf_login=123, cmecf_password=4567, client_code=42)])
    book = openpyxl.load_workbook(path)
    for cell, fmt in (("E2", "000000"), ("F2", "00000000"), ("H2", "0000")):
        book.active[cell].number_format = fmt
    book.save(path)
    (a,) = read(path).accounts
    assert (a.cmecf_login, a.cmecf_password.reveal(), a.client_code) == ("000123", "00004567", "0042")


@pytest.mark.parametrize(
    "header", ["PW", "ECF Pass", "OTP", "TOTP", "MFA key", "PIN", "token", "creds", "Kennwort", "OldPassword"]
)
def test_headers_that_name_a_secret_are_hidden(tmp_path: Path, header: str):
    path = xlsx(tmp_path / "s.xlsx", [[*row(), "CANARY-extra"]], [*KNOWN_COLUMNS, header])
    wb = read(path)
    assert wb.hidden_columns == (header,) and "CANARY" not in repr(wb.rows[0].display)


@pytest.mark.parametrize("header", ["Secretary", "Passport office", "Compass", "Author", "Pinned"])
def test_headers_that_merely_contain_a_secret_word_are_kept(tmp_path: Path, header: str):
    wb = read(xlsx(tmp_path / "k.xlsx", [[*row(), "kept"]], [*KNOWN_COLUMNS, header]))
    assert wb.hidden_columns == () and wb.rows[0].display[header] == "kept"


def test_a_formula_never_calculated_is_named_not_called_empty(tmp_path: Path):
    # A sheet written by a script holds formulas without saved values: read-only openpyxl
    # shows them as empty, but "fill it in" would send a person the wrong way.
    path = xlsx(tmp_path / "f.xlsx", [row(cmecf_login="=LOWER(B2)", cmecf_password="=C2")])
    assert only(read(path)) == (
        "column cmecf_login holds a formula whose value was never saved: open the file in Excel "
        "and save it (Excel stores the values), or type the value; column cmecf_password holds a "
        "formula whose value was never saved: open the file in Excel and save it (Excel stores "
        "the values), or type the value"
    )


def test_non_ascii_names_survive_xlsx_and_csv(tmp_path: Path):
    name = "José Núñez-Øberg 李"
    for path in (
        xlsx(tmp_path / "u.xlsx", [row(attorney_name=name)]),
        csv_file(tmp_path / "u.csv", [row(attorney_name=name)]),
    ):
        assert read(path).accounts[0].attorney_name == name


def test_csv_with_bom_in_cp1252_and_with_semicolons(tmp_path: Path):
    text = (
        ",".join(KNOWN_COLUMNS)
        + "\r\n"
        + ",".join(str(c) for c in row(attorney_name="René O’Brien €"))
        + "\r\n"
    )
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (tmp_path / "win.csv").write_bytes(text.encode("cp1252"))  # not valid UTF-8: the fallback
    (tmp_path / "semi.csv").write_bytes(text.replace(",", ";").encode("utf-8"))
    (tmp_path / "uni.csv").write_bytes(text.replace(",", "\t").encode("utf-16"))
    for name in ("bom.csv", "win.csv", "semi.csv", "uni.csv"):
        wb = read(tmp_path / name)
        assert wb.sheet == "csv" and wb.header_row == 1, name
        assert wb.accounts[0].attorney_name == "René O’Brien €", name
        assert wb.accounts[0].pacer_password.reveal() == PACER_PW, name


def test_csv_keeps_leading_zeros_and_counts_records_as_rows(tmp_path: Path):
    path = csv_file(
        tmp_path / "z.csv", [row(cmecf_login="000123", attorney_name="two\nlines"), row(court="nysd")]
    )
    wb = read(path)
    assert wb.accounts[0].cmecf_login == "000123"
    assert [r.row for r in wb.rows] == [2, 3]


# -- validation -------------------------------------------------------------------------

CASES = {
    "empty secret": (row(cmecf_password=""), "column cmecf_password is empty: fill it in"),
    "spaces only": (row(pacer_password="   "), "column pacer_password is empty: fill it in"),
    "empty text": (row(cmecf_login=None), "column cmecf_login is empty: fill it in"),
    "unknown court": (
        row(court="ALXX"),
        "court 'alxx' is not a known court id: use an id from the court list, e.g. alsd, alsb, ca11",
    ),
    "legacy username": (
        row(pacer_username="jdoe12"),
        "pacer_username 'jdoe12' has 6 characters: legacy PACER usernames must be upgraded first "
        "(upgraded usernames have at least 8 characters)",
    ),
    "space in username": (row(pacer_username="jane doe 2019"), "pacer_username contains a space: remove it"),
    "space in login": (row(cmecf_login="jane doe"), "cmecf_login contains a space: remove it"),
    "control character": (
        row(cmecf_login="jd\u200boe"),  # a zero-width space pasted from a web page
        "cmecf_login contains an invisible control character: retype the cell",
    ),
    # "|" would make two rows share one journal identity ("court|login|user").
    "pipe in login": (
        row(cmecf_login="x|y"),
        "cmecf_login contains '|', which no login holds: check the cell",
    ),
    "bad otp": (
        row(pacer_otp_secret="CANARY-otp-not-base32!"),
        "pacer_otp_secret is not a valid base32 TOTP secret: copy it again from the MFA enrollment",
    ),
    "short otp": (
        row(pacer_otp_secret="JBSWY3DPEHPK3PXP"),
        "pacer_otp_secret is too short (80 bits, at least 112 needed): "
        "copy the whole secret from the MFA enrollment",
    ),
    "env unset": (
        row(pacer_password="env:PACER_PW_JDOE"),
        "column pacer_password: env:PACER_PW_JDOE is not set in the environment: set it before the run "
        "or put the value in the cell",
    ),
    "env empty": (
        row(cmecf_password="env:EMPTY_ONE"),
        "column cmecf_password: env:EMPTY_ONE is empty in the environment: set it before the run",
    ),
    "long text": (
        row(attorney_name="A" * 1001),
        "column attorney_name has 1001 characters (at most 1000): shorten it",
    ),
    "long secret": (
        row(pacer_password="CANARY-" + "p" * 200),
        "column pacer_password has more than 200 characters: check that the cell holds only the secret",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_problem_names_the_column_and_the_fix(tmp_path: Path, case: str):
    cells, expected = CASES[case]
    wb = read(xlsx(tmp_path / "one.xlsx", [cells]), environ={"EMPTY_ONE": "  "})
    assert wb.rows[0].problem is Outcome.INVALID_ROW
    assert only(wb) == expected
    assert "CANARY" not in only(wb)


def test_env_secrets_come_from_the_environment(tmp_path: Path):
    path = xlsx(
        tmp_path / "env.xlsx",
        [row(pacer_password="env:PACER_PW_JDOE", cmecf_password=" ENV:ecf_pw ", pacer_otp_secret="env:OTP")],
    )
    account = read(
        path, environ={"PACER_PW_JDOE": "CANARY-from-env", "ecf_pw": "CANARY-ecf-env", "OTP": OTP}
    ).accounts[0]
    assert account.pacer_password.reveal() == "CANARY-from-env"
    assert account.cmecf_password.reveal() == "CANARY-ecf-env"
    assert account.pacer_otp_secret is not None and account.pacer_otp_secret.reveal() == OTP


def test_repeats_of_court_and_login_or_court_and_username(tmp_path: Path):
    rows = [
        row(),  # 2
        row(cmecf_login="JDOE", attorney_name="again"),  # 3: same court and login (case-folded)
        row(pacer_username="JDOE2019A", cmecf_login="other"),  # 4: same court and username
        row(court="nysd", cmecf_login="jdoe"),  # 5: another court: fine
        row(court="alsb", pacer_password="different"),  # 6: same account, another password
        row(court="zzzz"),  # 7: invalid rows do not count as "earlier"
        row(court="ca11", pacer_username="someone99", cmecf_login="x"),  # 8
        row(court="ca11", client_code="FIRM-2"),  # 9: same account, another client code
    ]
    wb = read(xlsx(tmp_path / "dups.xlsx", rows))
    got = {r.row: (r.problem, r.detail) for r in wb.rows}
    assert got[2] == (None, "") and got[5] == (None, "") and got[8] == (None, "")
    assert got[3] == (
        Outcome.DUPLICATE_ROW,
        "repeats row 2 (same court and CM/ECF login): remove it or correct it",
    )
    assert got[4] == (
        Outcome.DUPLICATE_ROW,
        "repeats row 2 (same court and PACER username): remove it or correct it",
    )
    assert got[6][0] is Outcome.INVALID_ROW
    assert got[6][1].startswith("column pacer_password differs from row 2, which has the same pacer_username")
    assert got[7][0] is Outcome.INVALID_ROW
    assert got[9][0] is Outcome.INVALID_ROW and got[9][1].startswith("column client_code differs from row 2")
    assert [a.row for a in wb.accounts] == [2, 5, 8]


def test_a_repeated_header_row_is_flagged(tmp_path: Path):
    wb = read(xlsx(tmp_path / "rehead.xlsx", [row(), list(KNOWN_COLUMNS), row(court="nysd")]))
    assert [(r.row, r.detail) for r in wb.problems] == [(3, "repeats the header row: delete this row")]


def test_court_ids_use_the_real_registry_case_insensitively(tmp_path: Path):
    wb = read_workbook(
        xlsx(tmp_path / "reg.xlsx", [row(court="CA11"), row(court="alxx", cmecf_login="z")]), environ={}
    )
    assert wb.rows[0].account is not None and wb.rows[0].account.court == "ca11"
    assert wb.rows[1].detail.startswith("court 'alxx' is not a known court id")
    assert "ca11" in default_registry()


def test_check_report_lines(tmp_path: Path):
    path = xlsx(tmp_path / "check.xlsx", [row(), row(cmecf_password=""), row()])
    lines = check_report(read(path))
    assert lines[0] == f"{path}: sheet 'Sheet', header on row 1, 3 data rows."
    assert lines[1] == "row 3: invalid_row: column cmecf_password is empty: fill it in"
    assert lines[2].startswith("row 4: duplicate_row: repeats row 2")
    assert lines[-1] == "1 rows ready (1 PACER accounts), 1 invalid, 1 duplicate."
    assert not any("CANARY" in line for line in lines)
