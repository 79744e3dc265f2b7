"""Row types of the input workbook, and ``Secret``, the only holder of a password.

A ``Secret`` is a plain object, not a ``str`` subclass: ``json.dumps`` refuses it and
``repr``/``str`` mask it, so a secret that strays into a log call fails loudly or shows
``'********'`` instead of leaking (structlog's note on masked ``str`` subclasses).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from batch.outcomes import Outcome

MASK = "********"


class Secret:
    """A secret value: reveal it only where it goes on the wire."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> str:  # never pickled into a snapshot or a subprocess by mistake
        raise TypeError("a Secret cannot be pickled")


#: The input columns that hold secrets: never shown in results, logs or the journal.
SECRET_COLUMNS = ("pacer_password", "cmecf_password", "pacer_otp_secret")
REQUIRED_COLUMNS = (
    "attorney_name",
    "pacer_username",
    "pacer_password",
    "court",
    "cmecf_login",
    "cmecf_password",
)
OPTIONAL_COLUMNS = ("pacer_otp_secret", "client_code")
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

#: (court, CM/ECF login, PACER username), case-folded: how the journal recognises a row
#: across runs whatever its position in the sheet.
Identity = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One valid input row: one CM/ECF account to link to one PACER account in one court."""

    row: int  # the input sheet's own row number
    attorney_name: str
    pacer_username: str
    pacer_password: Secret
    court: str  # lower-case court id, known to the registry
    cmecf_login: str
    cmecf_password: Secret
    pacer_otp_secret: Secret | None = None
    client_code: str = ""

    @property
    def identity(self) -> Identity:
        return (self.court, self.cmecf_login.casefold(), self.pacer_username.casefold())

    @property
    def account_key(self) -> str:
        """Rows with the same key are one PACER account and share one login."""
        return self.pacer_username.casefold()


@dataclass(frozen=True, slots=True)
class InputRow:
    """One data row of the sheet as read: what to show of it, and either an account or a problem.

    ``display`` holds every non-secret column in input order (the known ones under their
    canonical names, any other column under its header as written), as text.
    """

    row: int
    display: dict[str, str] = field(default_factory=dict)
    account: AccountRow | None = None
    problem: Outcome | None = None  # INVALID_ROW or DUPLICATE_ROW when account is None
    detail: str = ""
