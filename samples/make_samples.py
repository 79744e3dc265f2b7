"""Write samples/sandbox-directory.toml and samples/attorneys.xlsx, which go together.

Every outcome of the contract appears at least once (gave_up and interrupted need
faults or a Ctrl-C, which the tests supply). Run: python samples/make_samples.py
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
MFA = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# username, password, name, status, mfa
PACER = [
    ("jdoe2019a", "Pacer-Jane-2026!x", "Jane Q. Doe", "active", ""),
    ("rsmith2020", "Pacer-Robert-2026!", "Robert T. Smith", "active", ""),
    ("mgarcia2018", "Pacer-Maria-2026!#", "María García", "active", MFA),
    ("badpacer01", "Pacer-Right-2026!!", "Chris Badpass", "active", ""),
    ("disabled01", "Pacer-Disabled-26!", "Dana Disabled", "disabled", ""),
    ("legacyacct", "Pacer-Legacy-2026!", "Lee Legacy", "legacy", ""),
    ("klee2021x", "Pacer-KimLee-2026!", "Kim Lee", "active", ""),
    ("tnguyen22", "Pacer-Thanh-2026!!", "Thanh Nguyen", "active", ""),
    ("pwhite2017", "Pacer-PatWhite-26!", "Pat White", "active", ""),
    ("abrown2016", "Pacer-Alex-2026!!x", "Alex Brown", "active", ""),
]
# court, login, password, name, extra TOML lines
CMECF = [
    ("alsd", "jdoe", "Ecf-Alsd-Jane-2026", "Doe, Jane Q.", ""),
    ("alsb", "jdoe", "Ecf-Alsb-Jane-2026", "Doe, Jane Quinn", ""),
    ("ca11", "jdoe11", "Ecf-Ca11-Jane-2026", "Jane Doe", ""),
    ("nysd", "rsmith", "Ecf-Nysd-Rob-2026!", "Smith, Robert T.", ""),
    ("nysb", "rsmith", "Ecf-Nysb-Rob-2026!", "Smith, Robert", 'linked_to = "rsmith2020"'),
    ("flsd", "rsmith", "Ecf-Flsd-Rob-2026!", "Smith, Bob", ""),
    ("flsd", "mgarcia", "Ecf-Flsd-Maria-26!", "GARCÍA, MARÍA", ""),
    ("ca11", "mgarcia", "Ecf-Ca11-Maria-26!", "García, María", ""),
    ("alsd", "cbad", "Ecf-Alsd-Chris-26!", "Badpass, Chris", ""),
    ("nysd", "cbad", "Ecf-Nysd-Chris-26!", "Badpass, Chris", ""),
    ("alsd", "ddisabled", "Ecf-Alsd-Dana-2026", "Disabled, Dana", ""),
    ("nysd", "llegacy", "Ecf-Nysd-Lee-2026!", "Legacy, Lee", ""),
    ("alsd", "klee", "Ecf-Alsd-Kim-2026!", "Lee, Kim", ""),
    ("nysb", "klee", "Ecf-Nysb-Kim-2026!", "Lee, Kim", ""),
    ("nysd", "tnguyen", "Ecf-Nysd-Thanh-26!", "Nguyen, Thanh", "locked = true"),
    ("alsb", "pwhite", "Ecf-Alsb-Pat-2026!", "White, Pat", 'linked_to = "pwhite1999"'),
    ("gud", "pwhite", "Ecf-Gud-Pat-2026!!", "White, Pat", ""),
    ("flsb", "abrown", "Ecf-Flsb-Alex-2026", "Brown, Alex", 'page = "maintenance"'),
    ("ca11", "abrown", "Ecf-Ca11-Alex-2026", "Brown, Alex J.", ""),
]
HEADER = [
    "Attorney Name",
    "PACER Username",
    "PACER Password",
    "Court",
    "CM/ECF Login",
    "CM/ECF Password",
    "PACER OTP Secret (optional)",
    "Client Code (optional)",
    "Office",
]
# attorney, username, court, login, pacer password override, ecf password override, office, expected
ROWS = [
    ("Jane Q. Doe", "jdoe2019a", "alsd", "jdoe", None, None, "Mobile", "linked"),
    ("Jane Q. Doe", "jdoe2019a", "alsb", "jdoe", None, None, "Mobile", "linked"),
    ("Jane Q. Doe", "jdoe2019a", "CA11", "jdoe11", None, None, "Mobile", "linked (appellate)"),
    ("Robert T. Smith", "rsmith2020", "nysd", "rsmith", None, None, "New York", "linked"),
    ("Robert T. Smith", "rsmith2020", "nysb", "rsmith", None, None, "New York", "already_linked"),
    ("Robert T. Smith", "rsmith2020", "flsd", "rsmith", None, None, "Miami", "name_mismatch"),
    ("María García", "mgarcia2018", "flsd", "mgarcia", None, None, "Miami", "linked (MFA)"),
    ("María García", "mgarcia2018", "ca11", "mgarcia", None, None, "Miami", "linked (MFA)"),
    (
        "Chris Badpass",
        "badpacer01",
        "alsd",
        "cbad",
        "Pacer-Wrong-2026!!",
        None,
        "Mobile",
        "pacer_bad_credentials",
    ),
    (
        "Chris Badpass",
        "badpacer01",
        "nysd",
        "cbad",
        "Pacer-Wrong-2026!!",
        None,
        "New York",
        "pacer_bad_credentials",
    ),
    ("Dana Disabled", "disabled01", "alsd", "ddisabled", None, None, "Mobile", "pacer_account_disabled"),
    ("Lee Legacy", "legacyacct", "nysd", "llegacy", None, None, "New York", "pacer_not_upgraded"),
    ("Kim Lee", "klee2021x", "alsd", "klee", None, "Ecf-Typo-Kim-2026", "Mobile", "ecf_bad_credentials"),
    ("Kim Lee", "klee2021x", "nysb", "klee", None, None, "New York", "linked"),
    ("Thanh Nguyen", "tnguyen22", "nysd", "tnguyen", None, None, "New York", "ecf_locked_out"),
    ("Pat White", "pwhite2017", "alsb", "pwhite", None, None, "Mobile", "ecf_linked_elsewhere"),
    ("Pat White", "pwhite2017", "gud", "pwhite", None, None, "Guam", "court_not_nextgen"),
    ("Alex Brown", "abrown2016", "flsb", "abrown", None, None, "Miami", "unrecognized_page"),
    ("Alex Brown", "abrown2016", "ca11", "abrown", None, None, "Miami", "linked"),
    ("Sam Missing", "smissing01", "alsd", "smissing", None, "", "Mobile", "invalid_row (no CM/ECF password)"),
    ("Uma Unknown", "uunknown01", "alxx", "uunknown", None, None, "Mobile", "invalid_row (unknown court)"),
    ("Old Legacy", "oldleg", "alsd", "oldleg", None, None, "Mobile", "invalid_row (6-character username)"),
    ("Jane Q. Doe", "jdoe2019a", "alsd", "jdoe", None, None, "Mobile", "duplicate_row"),
]


def directory_toml() -> str:
    lines = [
        "# The sandbox directory that goes with samples/attorneys.xlsx (made by make_samples.py).",
        "# Each row of the workbook meets one of these accounts; together they produce every",
        "# outcome. Sandbox extensions: [[court]] down/latency_ms, [[cmecf]] locked/page,",
        "# [faults] retry_after.",
        "",
        "[[court]]  # the Guam district court, modelled as not yet on NextGen: court_not_nextgen",
        'id = "gud"',
        'type = "district"',
        "nextgen = false",
        "",
    ]
    for user, pw, name, status, mfa in PACER:
        lines += [
            "[[pacer]]",
            f'username = "{user}"',
            f'password = "{pw}"',
            f'name = "{name}"',
            f'status = "{status}"',
        ]
        if mfa:
            lines.append(f'mfa_secret = "{mfa}"')
        lines.append("")
    for court, login, pw, name, extra in CMECF:
        lines += [
            "[[cmecf]]",
            f'court = "{court}"',
            f'login = "{login}"',
            f'password = "{pw}"',
            f'name = "{name}"',
        ]
        if extra:
            lines.append(extra)
        lines.append("")
    lines += ["[faults]", "seed = 1", "latency_ms = 0"]
    return "\n".join(lines) + "\n"


def workbook() -> openpyxl.Workbook:
    pacer = {p[0]: p for p in PACER}
    ecf = {(c[0], c[1]): c for c in CMECF}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Attorneys"
    ws.append(["Firm attorneys: CM/ECF accounts to link to PACER (sample; every outcome appears once)"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append(HEADER)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for attorney, user, court, login, pacer_pw, ecf_pw, office, _expected in ROWS:
        p = pacer.get(user)
        e = ecf.get((court.lower(), login))
        ws.append(
            [
                attorney,
                user,
                pacer_pw or (p[1] if p else "Pacer-Someone-2026"),
                court,
                login,
                ecf_pw if ecf_pw is not None else (e[2] if e else "Ecf-Someone-2026!"),
                p[4] if p else "",
                "FIRM-0042" if user == "jdoe2019a" else "",
                office,
            ]
        )
    for col in "ABCDEFGHI":
        ws.column_dimensions[col].width = 20
    return wb


if __name__ == "__main__":
    (HERE / "sandbox-directory.toml").write_text(directory_toml(), encoding="utf-8")
    workbook().save(HERE / "attorneys.xlsx")
    print(f"wrote {HERE / 'sandbox-directory.toml'} and {HERE / 'attorneys.xlsx'}")
