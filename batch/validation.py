"""Row validation for ``batch.workbook``: each problem names the column and the fix.

A detail never quotes a secret cell: it says "column pacer_password", not what is in it.
Typed non-secret values (a court id, a username) may be quoted, cut short.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from batch.accounts import REQUIRED_COLUMNS, SECRET_COLUMNS, AccountRow, InputRow, Secret
from batch.outcomes import Outcome
from batch.registry import Court

MAX_TEXT, MAX_SECRET = 1000, 200
MIN_USERNAME = 8  # upgraded PACER usernames; 6-character ones are legacy accounts
MIN_OTP_BITS = 112  # pyotp refuses shorter secrets (RFC 4226 asks for 128)
_EXAMPLE_COURTS = "alsd, alsb, ca11"
_EDGE = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width characters that ride along with pasted text
# Only an identifier after "env:" makes a reference: a password such as "env:Summer!2024" stays
# a password. Only a conventional (upper-case) name is quoted back: "env:hunter2" might be one.
_ENV_REF = re.compile(r"env:\s*([A-Za-z_][A-Za-z0-9_]*)", re.I)
_CONVENTIONAL = re.compile(r"[A-Z_][A-Z0-9_]*")

Merges = Sequence[tuple[int, int, int, int]]  # merged ranges: min_col, min_row, max_col, max_row


def clean(text: str) -> str:
    """Outer whitespace (NBSP and zero-width characters too) goes; inner NBSP becomes a space."""
    return text.replace("\xa0", " ").strip().strip(_EDGE).strip()


def _quote(value: str) -> str:
    """A typed, non-secret value for a detail: quoted, and cut short if long."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


def otp_secret_bits(secret: str) -> int | None:
    """How many bits a base32 TOTP secret holds (spaces and case do not count), or None when
    it is not base32. Usable when at least ``MIN_OTP_BITS``; also the sandbox's rule."""
    text = secret.replace(" ", "").upper()
    try:
        return len(base64.b32decode(text + "=" * (-len(text) % 8))) * 8
    except (binascii.Error, ValueError):
        return None


def otp_secret_problem(secret: str) -> str:
    """Why a TOTP secret cannot be used, or "" when it can. Never quotes the secret."""
    bits = otp_secret_bits(secret)
    if bits is None:
        return "pacer_otp_secret is not a valid base32 TOTP secret: copy it again from the MFA enrollment"
    if bits < MIN_OTP_BITS:
        return (
            f"pacer_otp_secret is too short ({bits} bits, at least {MIN_OTP_BITS} needed): "
            "copy the whole secret from the MFA enrollment"
        )
    return ""


@dataclass
class Validator:
    """Turns raw rows into ``InputRow``s, remembering earlier rows to find repeats."""

    registry: Mapping[str, Court]
    environ: Mapping[str, str]
    known: Mapping[str, int]  # canonical column -> cell index
    display: Sequence[tuple[str, int]]  # (display name, cell index), input order
    merges: Merges = ()
    _by_login: dict[tuple[str, str], int] = field(default_factory=dict)
    _by_user: dict[tuple[str, str], int] = field(default_factory=dict)
    _accounts: dict[str, AccountRow] = field(default_factory=dict)

    def display_of(self, cells: Sequence[str], problems: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, i in self.display:
            value = clean(cells[i]) if i < len(cells) else ""
            if len(value) > MAX_TEXT:
                problems.append(f"column {name} has {len(value)} characters (at most {MAX_TEXT}): shorten it")
                value = value[:MAX_TEXT] + "…"  # the results and the journal keep a readable part
            out[name] = value
        return out

    def row(self, number: int, cells: Sequence[str], errors: set[int]) -> InputRow:
        def cell(column: str) -> str:
            i = self.known[column]
            return cells[i] if i < len(cells) else ""

        problems: list[str] = []
        display = self.display_of(cells, problems)
        bad = [c for c, i in self.known.items() if i in errors]  # in column order: a stable detail
        for column in bad:
            if not clean(cell(column)):  # a formula Excel never calculated (see sheet_xml)
                problems.append(
                    f"column {column} holds a formula whose value was never saved: open the file "
                    "in Excel and save it (Excel stores the values), or type the value"
                )
                continue
            what = "an error value" if column in SECRET_COLUMNS else f"the error {clean(cell(column))}"
            problems.append(
                f"column {column} holds {what} instead of a value: fix the formula or type the value"
            )
        text = {c: display[c] for c in self.known if c not in SECRET_COLUMNS}
        for column in REQUIRED_COLUMNS:
            if column not in SECRET_COLUMNS and column not in bad and not text[column]:
                problems.append(self._empty(number, column))
        court = text["court"].lower()
        if court and "court" not in bad and court not in self.registry:
            problems.append(
                f"court {_quote(court)} is not a known court id: use an id from the court list, "
                f"e.g. {_EXAMPLE_COURTS}"
            )
        user = text["pacer_username"]
        if user and "pacer_username" not in bad and len(user) < MIN_USERNAME:
            problems.append(
                f"pacer_username {_quote(user)} has {len(user)} characters: legacy PACER usernames must "
                f"be upgraded first (upgraded usernames have at least {MIN_USERNAME} characters)"
            )
        for column in ("pacer_username", "cmecf_login"):
            value = text[column]
            if any(ch.isspace() for ch in value):
                problems.append(f"{column} contains a space: remove it")
            elif not value.isprintable():
                problems.append(f"{column} contains an invisible control character: retype the cell")
            if "|" in value:  # also keeps the journal's "court|login|user" identities apart
                problems.append(f"{column} contains '|', which no login holds: check the cell")
        secrets = {
            c: self._secret(number, c, cell(c), problems)
            for c in SECRET_COLUMNS
            if c in self.known and c not in bad
        }
        pacer_pw, ecf_pw = secrets.get("pacer_password"), secrets.get("cmecf_password")
        if problems or pacer_pw is None or ecf_pw is None:
            return InputRow(number, display, problem=Outcome.INVALID_ROW, detail="; ".join(problems))
        account = AccountRow(
            row=number,
            attorney_name=text["attorney_name"],
            pacer_username=user,
            pacer_password=pacer_pw,
            court=court,
            cmecf_login=text["cmecf_login"],
            cmecf_password=ecf_pw,
            pacer_otp_secret=secrets.get("pacer_otp_secret"),
            client_code=text.get("client_code", ""),
        )
        return self._check_repeats(number, display, account)

    def _empty(self, number: int, column: str) -> str:
        col = self.known[column] + 1
        for min_col, min_row, max_col, max_row in self.merges:
            inside = min_col <= col <= max_col and min_row <= number <= max_row
            if inside and (col, number) != (min_col, min_row):
                # Only the top-left cell of a merge keeps a value; the others read as empty.
                return (
                    f"column {column} is empty because it is part of a merged cell (merged or empty "
                    "cell): unmerge the cells and fill in the value on every row"
                )
        return f"column {column} is empty: fill it in"

    def _secret(self, number: int, column: str, raw: str, problems: list[str]) -> Secret | None:
        # Outer whitespace goes (it is never part of a pasted password); inner spaces stay.
        value = raw.strip().strip(_EDGE).strip()
        ref = _ENV_REF.fullmatch(value)
        if ref:
            name = ref.group(1)
            shown = f"env:{name}" if _CONVENTIONAL.fullmatch(name) else "the env: variable it names"
            if name not in self.environ:
                problems.append(
                    f"column {column}: {shown} is not set in the environment: set it before the run "
                    "or put the value in the cell"
                )
                return None
            value = self.environ[name].strip()
            if not value:
                problems.append(
                    f"column {column}: {shown} is empty in the environment: set it before the run"
                )
                return None
        if not value:
            if column in REQUIRED_COLUMNS:
                problems.append(self._empty(number, column))
            return None
        if len(value) > MAX_SECRET:
            problems.append(
                f"column {column} has more than {MAX_SECRET} characters: check that the cell holds "
                "only the secret"
            )
            return None
        if column == "pacer_otp_secret":
            why = otp_secret_problem(value)
            if why:
                problems.append(why)
                return None
        return Secret(value)

    def _check_repeats(self, number: int, display: dict[str, str], account: AccountRow) -> InputRow:
        court, login, user = account.identity
        for index, key, what in (
            (self._by_login, (court, login), "same court and CM/ECF login"),
            (self._by_user, (court, user), "same court and PACER username"),
        ):
            earlier = index.get(key)
            if earlier is not None:
                return InputRow(
                    number,
                    display,
                    problem=Outcome.DUPLICATE_ROW,
                    detail=f"repeats row {earlier} ({what}): remove it or correct it",
                )
        first = self._accounts.get(account.account_key)
        if first is not None:
            # One PACER account signs in once for all its rows: which password would be right?
            differs = [
                name
                for name, a, b in (
                    ("pacer_password", first.pacer_password, account.pacer_password),
                    ("pacer_otp_secret", first.pacer_otp_secret, account.pacer_otp_secret),
                    ("client_code", first.client_code, account.client_code),
                )
                if a != b
            ]
            if differs:
                return InputRow(
                    number,
                    display,
                    problem=Outcome.INVALID_ROW,
                    detail=f"column {' and column '.join(differs)} differs from row {first.row}, which has "
                    "the same pacer_username: one PACER login serves all its rows; make the rows agree",
                )
        else:
            self._accounts[account.account_key] = account
        self._by_login[(court, login)] = number
        self._by_user[(court, user)] = number
        return InputRow(number, display, account=account)
