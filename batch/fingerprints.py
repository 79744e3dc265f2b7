"""How the journal names a row (its identity) and recognises its contents (a keyed hash)."""

from __future__ import annotations

import hashlib
import hmac
import json

from batch.accounts import AccountRow


def identity_key(row: AccountRow) -> str:
    """The row's identity as stored: "court|cmecf_login|pacer_username", case-folded.
    Neither part can hold "|" (court ids are letters; logins are checked by validation)."""
    return "|".join(row.identity)


def row_fingerprint(key: bytes, row: AccountRow) -> str:
    """A keyed hash of everything that is sent for the row. attorney_name is left out:
    it is only for people reading the results, and a corrected spelling is no reason to
    resend a password that was rejected. JSON-encoding keeps ("ab","c") != ("a","bc")."""
    otp = row.pacer_otp_secret.reveal() if row.pacer_otp_secret else ""
    # "fingerprint/1" is bumped if this list ever changes, so old prints never match by chance.
    fields = ["fingerprint/1", row.court, row.cmecf_login, row.cmecf_password.reveal(),
              row.pacer_username, row.pacer_password.reveal(), otp, row.client_code]  # fmt: skip
    return hmac.new(key, json.dumps(fields).encode("utf-8"), hashlib.sha256).hexdigest()
