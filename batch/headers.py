"""How a header cell is matched to a column, and which extra columns look like secrets."""

from __future__ import annotations

import re

_IGNORED = re.compile(r"[\s_\-/]+")
_OPTIONAL = re.compile(r"\(\s*optional\s*\)\s*$", re.I)
# An extra column called e.g. "old password" holds a secret we were not told about: hide it.
# Checked on the header squeezed of spaces ("old password") and word by word ("ECF Pass").
# Hiding a harmless column is cheap; showing a password is not, so the net is wide.
_SECRET_LOOKING = re.compile(r"password|passwd|passphrase|passcode|passwort|kennwort|secret(?!ar)|pwd")
_SECRET_WORDS = frozenset(
    {"pw", "pass", "pin", "otp", "totp", "mfa", "2fa", "token", "tokens", "creds", "credential",
     "credentials", "key", "keys", "seed", "auth"}
)  # fmt: skip
# Words of a header, camelCase split: "MFAKey" -> mfa, key; "ecf_pass2" -> ecf, pass2.
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+[A-Za-z]*")


def looks_secret(header: str) -> bool:
    words = {w.casefold() for w in _WORD.findall(header)}
    return bool(_SECRET_LOOKING.search(header_key(header)) or words & _SECRET_WORDS)


def header_key(text: str) -> str:
    """How a header is compared: case, spaces, ``_ - /`` and "(optional)" do not count."""
    return _IGNORED.sub("", _OPTIONAL.sub("", text.strip())).casefold()
