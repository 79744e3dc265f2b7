"""Row validation: each problem names the column and the fix, and never quotes a secret."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from batch.accounts import REQUIRED_COLUMNS, SECRET_COLUMNS, AccountRow, InputRow, Secret
from batch.outcomes import Outcome
from batch.registry import Court

MAX_TEXT, MAX_SECRET = 1000, 200
MIN_USERNAME = 8  # upgraded PACER usernames; 6-character ones are legacy accounts
_EXAMPLE_COURTS = "alsd, alsb, ca11"


MIN_OTP_BITS = 112  # RFC 4226 asks for 128 and recommends 160; pyotp refuses less than 112


def otp_secret_problem(secret: str) -> str:
    """Why a TOTP secret cannot be used, or "" when it can."""
    text = secret.replace(" ", "").upper()
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        return "pacer_otp_secret is not a valid base32 TOTP secret: copy it again from the MFA enrollment"
    if len(raw) * 8 < MIN_OTP_BITS:
        return (
            f"pacer_otp_secret is too short ({len(raw) * 8} bits, at least {MIN_OTP_BITS} needed): "
            "copy the whole secret from the MFA enrollment"
        )
    return ""


@dataclass
class Validator:
    registry: Mapping[str, Court]
    environ: Mapping[str, str]
    by_login: dict[tuple[str, str], int] = field(default_factory=dict)
    by_user_court: dict[tuple[str, str], int] = field(default_factory=dict)
    accounts: dict[str, AccountRow] = field(default_factory=dict)

    def _secret(self, raw: str, column: str, problems: list[str]) -> Secret | None:
        value = raw.strip()
        if value.lower().startswith("env:"):
            name = value[4:].strip()
            if name not in self.environ:
                problems.append(
                    f"{column} says env:{name}, but {name} is not set in the environment: set "
                    "it before the run or put the value in the cell"
                )
                return None
            value = self.environ[name]
        if not value:
            problems.append(f"column {column} is empty: fill it in")
            return None
        if len(value) > MAX_SECRET:
            problems.append(f"column {column} is longer than {MAX_SECRET} characters: check the cell")
            return None
        return Secret(value)

    def row(
        self,
        number: int,
        cells: Sequence[str],
        errors: set[int],
        known: Mapping[str, int],
        display_cols: Sequence[tuple[str, int]],
    ) -> InputRow:
        def cell(i: int) -> str:
            return cells[i] if i < len(cells) else ""

        display = {name: cell(i).replace("\xa0", " ").strip() for name, i in display_cols}
        problems: list[str] = []
        for column, i in known.items():
            if i in errors:
                problems.append(
                    f"column {column} holds a spreadsheet error value: type the value in the cell"
                )
        text = {c: cell(i).replace("\xa0", " ").strip() for c, i in known.items() if c not in SECRET_COLUMNS}
        for column in REQUIRED_COLUMNS:
            if column not in SECRET_COLUMNS and not text.get(column):
                problems.append(f"column {column} is empty (or part of a merged cell): fill it in")
        for column, value in text.items():
            if len(value) > MAX_TEXT:
                problems.append(f"column {column} is longer than {MAX_TEXT} characters: check the cell")
        court = text.get("court", "").lower()
        if court and court not in self.registry:
            problems.append(
                f"court {court!r} is not a known court id: use an id from config/courts.csv, "
                f"e.g. {_EXAMPLE_COURTS}"
            )
        user = text.get("pacer_username", "")
        if user and len(user) < MIN_USERNAME:
            problems.append(
                f"pacer_username {user!r} has {len(user)} characters: legacy PACER usernames "
                "must be upgraded first (upgraded usernames have at least 8 characters)"
            )
        if user and any(ch.isspace() for ch in user):
            problems.append("pacer_username contains a space: correct it")
        pacer_pw = self._secret(cell(known["pacer_password"]), "pacer_password", problems)
        ecf_pw = self._secret(cell(known["cmecf_password"]), "cmecf_password", problems)
        otp: Secret | None = None
        if "pacer_otp_secret" in known and cell(known["pacer_otp_secret"]).strip():
            otp = self._secret(cell(known["pacer_otp_secret"]), "pacer_otp_secret", problems)
            why = otp_secret_problem(otp.reveal()) if otp is not None else ""
            if why:
                problems.append(why)
                otp = None
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
            pacer_otp_secret=otp,
            client_code=text.get("client_code", ""),
        )
        return self._check_repeats(number, display, account)

    def _check_repeats(self, number: int, display: dict[str, str], account: AccountRow) -> InputRow:
        court, login, user = account.identity
        earlier = self.by_login.get((court, login))
        if earlier is not None:
            return InputRow(
                number,
                display,
                problem=Outcome.DUPLICATE_ROW,
                detail=f"repeats row {earlier} (same court and CM/ECF login): remove it or correct it",
            )
        earlier = self.by_user_court.get((court, user))
        if earlier is not None:
            return InputRow(
                number,
                display,
                problem=Outcome.DUPLICATE_ROW,
                detail=f"repeats row {earlier} (same court and PACER username): a PACER account "
                "links one CM/ECF account per court; remove it or correct it",
            )
        first = self.accounts.get(account.account_key)
        if first is not None:
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
                    detail=f"{' and '.join(differs)} differ(s) from row {first.row}, which has the same "
                    "pacer_username: one PACER account has one password; make the rows agree",
                )
        else:
            self.accounts[account.account_key] = account
        self.by_login[(court, login)] = number
        self.by_user_court[(court, user)] = number
        return InputRow(number, display, account=account)
