"""PACER Central Sign-On: one login per account per run, its token shared by the account's
court rows, one new login only after the token expired, and a logout at the end.

PACER asks scripts to log in once and reuse the token; "excessive authentication calls"
can get access suspended (PACER notice, Oct 2024). A rejected login is never retried.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pyotp

from batch.accounts import AccountRow
from batch.logs import log
from batch.outcomes import Outcome
from batch.pages import Patterns
from batch.pool import LOGIN_HOST, GaveUp, PoliteClient, TransientError

# loginResult codes: "13" is public; "7" and "8" are the sandbox's model (link-protocol.md 1).
_CODES = {
    "13": Outcome.PACER_BAD_CREDENTIALS,
    "7": Outcome.PACER_ACCOUNT_DISABLED,
    "8": Outcome.PACER_NOT_UPGRADED,
}


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str = ""  # the nextGenCSO token on success
    outcome: Outcome | None = None  # why it failed, when it failed
    detail: str = ""
    warning: str = ""  # errorDescription of a successful login, if any


def classify_login(answer: object, patterns: Patterns) -> LoginResult:
    """Read a cso-auth JSON answer: code first, then the description's wording."""
    if not isinstance(answer, dict) or not isinstance(answer.get("loginResult"), str):
        return LoginResult(
            outcome=Outcome.UNRECOGNIZED_PAGE,
            detail="PACER's login answer was not the expected JSON",
        )
    code = answer["loginResult"].strip()
    description = str(answer.get("errorDescription") or "").strip()
    token = str(answer.get("nextGenCSO") or "")
    if code == "0":
        if not token:
            return LoginResult(
                outcome=Outcome.UNRECOGNIZED_PAGE,
                detail="PACER accepted the login but sent no token",
            )
        return LoginResult(token=token, warning=description)
    outcome = _CODES.get(code)
    if outcome is None:
        low = description.casefold()
        if any(p.casefold() in low for p in patterns.login_disabled):
            outcome = Outcome.PACER_ACCOUNT_DISABLED
        elif any(p.casefold() in low for p in patterns.login_not_upgraded):
            outcome = Outcome.PACER_NOT_UPGRADED
        else:
            outcome = Outcome.UNRECOGNIZED_PAGE
    said = f": {description}" if description else ""
    return LoginResult(outcome=outcome, detail=f"PACER refused the login (code {code}){said}")


@dataclass
class AccountSession:
    """One PACER account's login, shared by all its court rows in this run."""

    client: PoliteClient
    row: AccountRow  # any row of the account: they share username, password, OTP secret
    patterns: Patterns
    wall_clock: Callable[[], float] = time.time
    token: str = ""
    logins: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def login(self) -> LoginResult:
        row = self.row
        body = {
            "loginId": row.pacer_username,
            "password": row.pacer_password.reveal(),
            "redactFlag": "1",
        }
        if row.client_code:
            body["clientCode"] = row.client_code
        if row.pacer_otp_secret:
            totp = pyotp.TOTP(row.pacer_otp_secret.reveal().replace(" ", "").upper())
            body["otpCode"] = totp.at(self.wall_clock())
        self.logins += 1
        url = f"{self.client.env.login_url}/services/cso-auth"
        try:
            response = await self.client.request(LOGIN_HOST, "POST", url, json=body)
        except GaveUp as exc:
            return LoginResult(outcome=Outcome.GAVE_UP, detail=f"PACER login did not answer: {exc}")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code != 200:
            answer = None
        result = classify_login(answer, self.patterns)
        if result.outcome is Outcome.UNRECOGNIZED_PAGE and response.status_code != 200:
            result = LoginResult(
                outcome=result.outcome, detail=f"PACER's login answered HTTP {response.status_code}"
            )
        self.token = result.token
        log.info(
            "pacer_login",
            pacer_username=row.pacer_username,
            ok=bool(result.token),
            outcome=result.outcome,
            login_number=self.logins,
        )
        return result

    async def refresh(self, stale: str) -> str:
        """A court said the token ``stale`` expired: log in again, once for all the rows that
        noticed. Returns the token to use, or "" when the new login failed."""
        async with self._lock:
            if self.token and self.token != stale:
                return self.token  # another row already logged in again
            result = await self.login()
            return result.token

    async def logout(self) -> None:
        if not self.token:
            return
        url = f"{self.client.env.login_url}/services/cso-logout"
        try:
            await self.client.request(LOGIN_HOST, "POST", url, json={"nextGenCSO": self.token})
        except (GaveUp, TransientError) as exc:
            # The token expires on its own; a failed logout changes no row's outcome.
            log.warning("pacer_logout_failed", pacer_username=self.row.pacer_username, reason=str(exc))
        self.token = ""
