"""snapshot_html: a page saved for a person to read carries no secret and no token."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from batch.pages import MASK, snapshot_html

SAVED = Path(__file__).parent / "saved"
PASSWORD = 'Tr0ub4dor&3 "quoted" <ok>/é'
TOKEN = "aB3" * 42 + "xy"  # 128 letters and digits, the shape of a nextGenCSO token


def test_form_tokens_are_blanked() -> None:
    body = (SAVED / "credentials_form.html").read_bytes()
    out = snapshot_html(body, [])
    assert b"Zm9ybS10b2tlbi0xNzMyNTI0ODAwLXNpbmdsZS11c2U" not in out
    assert b'<INPUT TYPE=hidden NAME=csrf VALUE="">' in out
    assert b'<INPUT TYPE=hidden NAME=court_id VALUE="">' in out
    assert b"<INPUT TYPE=text NAME=login SIZE=20 MAXLENGTH=40>" in out  # the rest is untouched
    assert b"Enter the CM/ECF login and password issued by the court." in out


@pytest.mark.parametrize(
    "tag",
    [
        b"<input type=password name=key value=hunter2hunter2>",
        b"<INPUT VALUE='hunter2hunter2' TYPE='PASSWORD' NAME=key>",
        b'<input name="t" value="hunter2hunter2" type = "hidden" >',
        b'<input type="hidden" title="a > b" value="hunter2hunter2">',
        b'<input type="hidden" data-value="x" value="hunter2hunter2">',
    ],
)
def test_hidden_and_password_values_are_blanked(tag: bytes) -> None:
    assert b"hunter2" not in snapshot_html(b"<form>" + tag + b"</form>", [])


def test_other_values_are_kept() -> None:
    body = b'<input type=text name=login value="jdoe1"><input type=submit value=Submit>'
    assert snapshot_html(body, []) == body


@pytest.mark.parametrize(
    "spelling",
    [
        PASSWORD,
        html.escape(PASSWORD),
        html.escape(PASSWORD, quote=False),
        quote(PASSWORD, safe=""),
        re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(PASSWORD, safe="")),
        quote_plus(PASSWORD),
        '"Tr0ub4dor&3 \\"quoted\\" <ok>/\\u00e9"',  # in a JavaScript string
    ],
)
def test_every_spelling_of_a_secret_goes(spelling: str) -> None:
    body = f"<p>You typed {spelling} here</p>".encode()
    out = snapshot_html(body, [PASSWORD, ""])
    assert out.startswith(b"<p>You typed ") and MASK in out
    assert b"Tr0ub4dor" not in out


def test_windows_1252_pages_too() -> None:
    body = f"<p>{PASSWORD}</p>".encode("cp1252")
    assert b"Tr0ub4dor" not in snapshot_html(body, [PASSWORD])


def test_token_shaped_runs_go() -> None:
    body = f"<script>document.cookie='NextGenCSO={TOKEN}'</script><a href=/x?t={TOKEN}>x</a>".encode()
    out = snapshot_html(body, [])
    assert TOKEN.encode() not in out and TOKEN[:100].encode() not in out
    assert out.count(MASK) == 2


def test_pure() -> None:
    body = (SAVED / "verify_table.html").read_bytes()
    assert snapshot_html(body, ["Jane"]) == snapshot_html(body, iter(["Jane"]))
    assert body == (SAVED / "verify_table.html").read_bytes()
