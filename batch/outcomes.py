"""The outcome vocabulary of ``contract.md`` and what each outcome means for a person and a rerun.

The names are a contract: scripts read them from the results workbook and the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a rerun does with a row that ended with an outcome of this kind."""

    DONE = "done"  # never touched again
    FIX = "fix"  # a person must act; not resent unless the row changed or --retry-unchanged
    RETRY = "retry"  # safe to retry as is


class Outcome(StrEnum):
    LINKED = "linked"
    ALREADY_LINKED = "already_linked"
    NAME_MISMATCH = "name_mismatch"
    PACER_BAD_CREDENTIALS = "pacer_bad_credentials"
    PACER_ACCOUNT_DISABLED = "pacer_account_disabled"
    PACER_NOT_UPGRADED = "pacer_not_upgraded"
    ECF_BAD_CREDENTIALS = "ecf_bad_credentials"
    ECF_LOCKED_OUT = "ecf_locked_out"
    ECF_LINKED_ELSEWHERE = "ecf_linked_elsewhere"
    COURT_NOT_NEXTGEN = "court_not_nextgen"
    INVALID_ROW = "invalid_row"
    DUPLICATE_ROW = "duplicate_row"
    UNRECOGNIZED_PAGE = "unrecognized_page"
    GAVE_UP = "gave_up"
    INTERRUPTED = "interrupted"

    @property
    def kind(self) -> Kind:
        return _KIND[self]

    @property
    def next_step(self) -> str:
        """What a person should do about a row with this outcome (empty when nothing)."""
        return _NEXT_STEP[self]

    @property
    def is_done(self) -> bool:
        return self.kind is Kind.DONE


_KIND: dict[Outcome, Kind] = {
    Outcome.LINKED: Kind.DONE,
    Outcome.ALREADY_LINKED: Kind.DONE,
    Outcome.GAVE_UP: Kind.RETRY,
    Outcome.INTERRUPTED: Kind.RETRY,
}
_KIND.update({o: Kind.FIX for o in Outcome if o not in _KIND})

_NEXT_STEP: dict[Outcome, str] = {
    Outcome.LINKED: "",
    Outcome.ALREADY_LINKED: "",
    Outcome.NAME_MISMATCH: (
        "Ask the court's CM/ECF help desk to correct the name on the CM/ECF account, or update "
        "the PACER account's name at pacer.uscourts.gov (Manage My Account), then run again "
        "with --retry-outcome name_mismatch."
    ),
    Outcome.PACER_BAD_CREDENTIALS: (
        "Check the PACER username, password and MFA secret with the attorney; correct the row, "
        "then run again. Do not retry the same password: repeated failures can lock the account."
    ),
    Outcome.PACER_ACCOUNT_DISABLED: (
        "Call the PACER Service Center (800-676-6856) to reactivate the account, then run again "
        "with --retry-outcome pacer_account_disabled."
    ),
    Outcome.PACER_NOT_UPGRADED: (
        "Upgrade the PACER account at pacer.uscourts.gov (Manage My Account), put the upgraded "
        "username in the row, then run again."
    ),
    Outcome.ECF_BAD_CREDENTIALS: (
        "Correct the CM/ECF login or password in the row (ask the court to reset the password "
        "if unknown), then run again. Another wrong try can lock the CM/ECF account."
    ),
    Outcome.ECF_LOCKED_OUT: (
        "Wait for the lock to expire or ask the court's CM/ECF help desk to unlock the account; "
        "check the password in the row, then run again with --retry-outcome ecf_locked_out."
    ),
    Outcome.ECF_LINKED_ELSEWHERE: (
        "The CM/ECF account is linked to a different PACER account: ask the court's CM/ECF help "
        "desk which one, and correct the row, or have the court remove the old link and run again "
        "with --retry-outcome ecf_linked_elsewhere."
    ),
    Outcome.COURT_NOT_NEXTGEN: (
        "The court does not offer linking yet: check the court id, or once the court has moved "
        "to NextGen CM/ECF, run again with --retry-outcome court_not_nextgen."
    ),
    Outcome.INVALID_ROW: "Correct the cell named in the detail, then run again.",
    Outcome.DUPLICATE_ROW: ("Remove the duplicate row or correct its court, CM/ECF login or PACER username."),
    Outcome.UNRECOGNIZED_PAGE: (
        "The court showed a page the tool does not know. Check the account by hand in the "
        "court's CM/ECF site; send the saved snapshot to whoever maintains config/patterns. "
        "To try again: --retry-outcome unrecognized_page."
    ),
    Outcome.GAVE_UP: (
        "The court or PACER did not answer in time (or the tool hit an error: see the detail). "
        "Run again later; it is safe."
    ),
    Outcome.INTERRUPTED: "The run stopped before this row finished. Run again; it is safe.",
}


@dataclass(frozen=True, slots=True)
class RowResult:
    """What became of one row: the outcome, a sentence for a person, and what was tried."""

    outcome: Outcome
    detail: str
    attempts: int = 0
    confirm_sent: bool = False
