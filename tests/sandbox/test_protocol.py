"""The sandbox speaks link-protocol.md: every row of its tables, in process (ASGI) and on a
loopback port."""

from __future__ import annotations

import asyncio
import re
import tomllib

import httpx
import pyotp
import pytest

from batch.sandbox.app import (
    ALREADY_LINKED,
    BAD_CREDENTIALS,
    LINKED_ELSEWHERE,
    LOCKED,
    NAMES_DIFFER,
    NOW_LINKED,
    create_app,
)
from batch.sandbox.directory import parse_directory
from batch.sandbox.server import SandboxServer
from batch.sandbox.state import SandboxState

MFA = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
DIRECTORY = f"""
[[court]]
id = "gud"
nextgen = false

[[pacer]]
username = "jdoe2019a"
password = "Jane-Pacer-Pass-1"
name = "Jane Q. Doe"

[[pacer]]
username = "mfauser01"
password = "Mfa-Pacer-Pass-11"
name = "Mo Fa"
mfa_secret = "{MFA}"

[[pacer]]
username = "disabled1"
password = "Disabled-Pass-111"
name = "Dee Sabled"
status = "disabled"

[[pacer]]
username = "legacy001"
password = "Legacy-Pass-11111"
name = "Lee Gacy"
status = "legacy"

[[pacer]]
username = "other0001"
password = "Other-Pacer-Pass1"
name = "Otto Other"

[[cmecf]]
court = "alsd"
login = "jdoe"
password = "Jane-Ecf-Pass-111"
name = "Doe, Jane Q."

[[cmecf]]
court = "alsb"
login = "jdoe"
password = "Jane-Ecf-Pass-222"
name = "Doe, Janet"

[[cmecf]]
court = "nysd"
login = "taken"
password = "Taken-Ecf-Pass-11"
name = "Doe, Jane"
linked_to = "someone99"

[[cmecf]]
court = "ca11"
login = "jdoe"
password = "Jane-Ecf-Pass-333"
name = "Jane Doe"

[[cmecf]]
court = "alsd"
login = "otto"
password = "Otto-Ecf-Pass-111"
name = "Other, Otto"
"""


def _directory(extra: str = ""):
    return parse_directory(tomllib.loads(DIRECTORY + extra))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def asgi_client(state: SandboxState | None = None, extra: str = "") -> httpx.AsyncClient:
    d = _directory(extra)
    app = create_app(d, state=state or SandboxState(d))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")


async def login(client: httpx.AsyncClient, user: str, password: str, **extra: str) -> dict:
    r = await client.post(
        "/services/cso-auth", json={"loginId": user, "password": password, "redactFlag": "1", **extra}
    )
    assert r.status_code == 200
    return r.json()


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"NextGenCSO={token}"}


def hidden(html: str, name: str = "csrf") -> str:
    match = re.search(rf'NAME={name} VALUE="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def to_verify(
    client: httpx.AsyncClient, token: str, court: str, login_: str, password: str
) -> httpx.Response:
    form = await client.get(f"/ecf/{court}/cgi-bin/LinkAccount.pl", headers=cookie(token))
    return await client.post(
        f"/ecf/{court}/cgi-bin/LinkAccount.pl",
        headers=cookie(token),
        files={"csrf": (None, hidden(form.text)), "login": (None, login_), "key": (None, password)},
    )


def run(coro):
    return asyncio.run(coro)


# -- section 1: the login API ---------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "password", "code", "says"),
    [
        ("jdoe2019a", "Jane-Pacer-Pass-1", "0", ""),
        ("jdoe2019a", "wrong", "13", "Invalid username, password, or one-time passcode."),
        ("nobody001", "whatever", "13", "Invalid username, password, or one-time passcode."),
        ("disabled1", "Disabled-Pass-111", "7", "Your PACER account has been disabled."),
        ("legacy001", "Legacy-Pass-11111", "8", "must be upgraded"),
        ("mfauser01", "Mfa-Pacer-Pass-11", "13", "one-time passcode"),  # enrolled in MFA, no otpCode
    ],
)
def test_login_codes(user: str, password: str, code: str, says: str):
    async def go():
        async with asgi_client() as c:
            return await login(c, user, password)

    answer = run(go())
    assert answer["loginResult"] == code and says in answer["errorDescription"]
    assert len(answer["nextGenCSO"]) == (128 if code == "0" else 0)


def test_totp_right_and_wrong():
    async def go():
        async with asgi_client() as c:
            good = await login(c, "mfauser01", "Mfa-Pacer-Pass-11", otpCode=pyotp.TOTP(MFA).now())
            bad = await login(c, "mfauser01", "Mfa-Pacer-Pass-11", otpCode="000000")
            return good, bad

    good, bad = run(go())
    assert good["loginResult"] == "0" and bad["loginResult"] == "13"


def test_logout_ends_the_token_and_a_court_then_redirects_to_login():
    async def go():
        async with asgi_client() as c:
            token = (await login(c, "jdoe2019a", "Jane-Pacer-Pass-1"))["nextGenCSO"]
            before = await c.get("/ecf/alsd/cgi-bin/login.pl", headers=cookie(token))
            out = await c.post("/services/cso-logout", json={"nextGenCSO": token})
            after = await c.get("/ecf/alsd/cgi-bin/login.pl", headers=cookie(token))
            none = await c.get("/ecf/alsd/cgi-bin/login.pl")
            return before, out, after, none

    before, out, after, none = run(go())
    assert before.status_code == 200 and "login.pl?logout" in before.text
    assert out.json() == {"loginResult": "0", "errorDescription": ""}
    for r in (after, none):
        assert r.status_code == 302
        assert "/csologin/login.jsf?pscCourtId=ALSDC&appurl=" in r.headers["location"]


# -- sections 2-6: the court -----------------------------------------------------------


def test_full_link_in_each_court_type_shows_filing_menus():
    async def go():
        async with asgi_client() as c:
            token = (await login(c, "jdoe2019a", "Jane-Pacer-Pass-1"))["nextGenCSO"]
            pages = {}
            for court, pw in (("alsd", "Jane-Ecf-Pass-111"), ("ca11", "Jane-Ecf-Pass-333")):
                main = await c.get(f"/ecf/{court}/cgi-bin/login.pl", headers=cookie(token))
                verify = await to_verify(c, token, court, "jdoe", pw)
                confirm = await c.post(
                    f"/ecf/{court}/cgi-bin/LinkConfirm.pl",
                    headers=cookie(token),
                    data={"csrf": hidden(verify.text)},
                )
                after = await c.get(f"/ecf/{court}/cgi-bin/login.pl", headers=cookie(token))
                pages[court] = (main.text, verify.text, confirm.text, after.text)
            return pages

    pages = run(go())
    main, verify, confirm, after = pages["alsd"]
    assert "C<U>i</U>vil" not in main and "C<U>i</U>vil" in after and "Cr<U>i</U>minal" in after
    assert "<TH ALIGN=left>PACER Name</TH><TD>Jane Q. Doe</TD>" in verify and "Doe, Jane Q." in verify
    assert NOW_LINKED in confirm
    main, _verify, confirm, after = pages["ca11"]
    assert "Link My Filer Account to My PACER Account" in main and "<U>F</U>iling" not in main
    assert "<U>F</U>iling" in after and NOW_LINKED in confirm


def test_utilities_item_and_court_not_nextgen():
    async def go():
        async with asgi_client() as c:
            token = (await login(c, "jdoe2019a", "Jane-Pacer-Pass-1"))["nextGenCSO"]
            ok = await c.get("/ecf/alsb/cgi-bin/DisplayMenu.pl?Utilities", headers=cookie(token))
            not_ng = await c.get("/ecf/gud/cgi-bin/DisplayMenu.pl?Utilities", headers=cookie(token))
            unknown = await c.get("/ecf/zzzz/cgi-bin/login.pl", headers=cookie(token))
            return ok.text, not_ng.text, unknown.status_code

    ok, not_ng, unknown = run(go())
    assert "Your Account" in ok and "Link a CM/ECF account to my PACER&nbsp;account" in ok
    assert "Your Account" in not_ng and "Link a CM/ECF" not in not_ng
    assert unknown == 404


def test_form_tokens_are_one_time_and_bound_to_the_session():
    async def go():
        async with asgi_client() as c:
            jane = (await login(c, "jdoe2019a", "Jane-Pacer-Pass-1"))["nextGenCSO"]
            otto = (await login(c, "other0001", "Other-Pacer-Pass1"))["nextGenCSO"]
            form = await c.get("/ecf/alsd/cgi-bin/LinkAccount.pl", headers=cookie(jane))
            ticket = hidden(form.text)
            fields = {"csrf": ticket, "login": "jdoe", "key": "Jane-Ecf-Pass-111"}
            foreign = await c.post("/ecf/alsd/cgi-bin/LinkAccount.pl", headers=cookie(otto), data=fields)
            first = await c.post("/ecf/alsd/cgi-bin/LinkAccount.pl", headers=cookie(jane), data=fields)
            reused = await c.post("/ecf/alsd/cgi-bin/LinkAccount.pl", headers=cookie(jane), data=fields)
            missing = await c.post(
                "/ecf/alsd/cgi-bin/LinkAccount.pl", headers=cookie(jane), data={"login": "jdoe", "key": "x"}
            )
            return foreign.status_code, first.status_code, reused.status_code, missing.status_code

    # Another account's session cannot use Jane's form (cookie isolation), and a token works once.
    assert run(go()) == (400, 200, 400, 400)


@pytest.mark.parametrize(
    ("user", "password", "court", "login_", "ecf_password", "says"),
    [
        ("jdoe2019a", "Jane-Pacer-Pass-1", "alsd", "jdoe", "wrong-password", BAD_CREDENTIALS),
        ("jdoe2019a", "Jane-Pacer-Pass-1", "alsd", "nosuchlogin", "whatever", BAD_CREDENTIALS),
        ("jdoe2019a", "Jane-Pacer-Pass-1", "nysd", "taken", "Taken-Ecf-Pass-11", LINKED_ELSEWHERE),
    ],
)
def test_credentials_answers(user, password, court, login_, ecf_password, says):
    async def go():
        async with asgi_client() as c:
            token = (await login(c, user, password))["nextGenCSO"]
            return (await to_verify(c, token, court, login_, ecf_password)).text

    assert says in run(go())


def test_already_linked_and_names_that_differ():
    async def go():
        async with asgi_client(
            extra='\n[[cmecf]]\ncourt = "nysb"\nlogin = "jd"\npassword = "x-x-x-x-x-x-x-x"\n'
            'name = "Doe, Jane"\nlinked_to = "jdoe2019a"\n'
        ) as c:
            token = (await login(c, "jdoe2019a", "Jane-Pacer-Pass-1"))["nextGenCSO"]
            main = await c.get("/ecf/nysb/cgi-bin/login.pl", headers=cookie(token))
            already = await to_verify(c, token, "nysb", "jd", "x-x-x-x-x-x-x-x")
            verify = await to_verify(c, token, "alsb", "jdoe", "Jane-Ecf-Pass-222")
            refused = await c.post(
                "/ecf/alsb/cgi-bin/LinkConfirm.pl", headers=cookie(token), data={"csrf": hidden(verify.text)}
            )
            return main.text, already.text, verify.text, refused.text

    main, already, verify, refused = run(go())
    assert "<U>B</U>ankruptcy" in main  # filing menus: linked before any submission
    assert ALREADY_LINKED in already
    assert "Doe, Janet" in verify  # the verify screen shows both names; the client decides
    assert NAMES_DIFFER in refused  # and the court refuses a confirm of different names


def test_lockout_after_five_failures_for_five_minutes_doubling():
    clock = Clock()
    d = _directory()
    state = SandboxState(d, clock=clock)

    async def attempt(c, token, password):
        return (await to_verify(c, token, "alsd", "jdoe", password)).text

    async def go():
        async with asgi_client(state=state) as c:
            token = (await login(c, "jdoe2019a", "Jane-Pacer-Pass-1"))["nextGenCSO"]
            answers = [await attempt(c, token, "bad") for _ in range(6)]
            locked_right = await attempt(c, token, "Jane-Ecf-Pass-111")
            clock.now += 301
            after_lock = await attempt(c, token, "bad")  # a further failure locks again, for 10 min
            clock.now += 301
            still = await attempt(c, token, "Jane-Ecf-Pass-111")
            clock.now += 300
            unlocked = await attempt(c, token, "Jane-Ecf-Pass-111")
            return answers, locked_right, after_lock, still, unlocked

    answers, locked_right, after_lock, still, unlocked = run(go())
    assert all(BAD_CREDENTIALS in a for a in answers[:5]) and LOCKED in answers[5]
    assert LOCKED in locked_right  # while locked even the right password is refused
    assert LOCKED in after_lock and LOCKED in still
    assert "PACER Name" in unlocked  # the lock ran out; a right password resets the count
    assert state.counters()["lockouts"] == 2
    assert state.counters()["bad_credential_submissions"] == {"alsd/jdoe": 7}


# -- faults ------------------------------------------------------------------------------


def test_error_rate_is_seeded_and_repeatable():
    async def statuses(seed: int) -> list[int]:
        async with asgi_client(extra=f"\n[faults]\nseed = {seed}\nerror_rate = 0.5\n") as c:
            return [
                (await c.post("/services/cso-auth", json={"loginId": "x", "password": "y"})).status_code
                for _ in range(20)
            ]

    a, b, c = run(statuses(4)), run(statuses(4)), run(statuses(5))
    assert a == b and a != c and 503 in a and 200 in a


def test_drop_after_confirm_links_then_loses_the_answer():
    async def go():
        d = _directory("\n[faults]\ndrop_after_confirm = 1.0\n")
        state = SandboxState(d)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(d, state=state)), base_url="http://127.0.0.1"
        ) as c:
            token = (await login(c, "jdoe2019a", "Jane-Pacer-Pass-1"))["nextGenCSO"]
            verify = await to_verify(c, token, "alsd", "jdoe", "Jane-Ecf-Pass-111")
            lost = await c.post(
                "/ecf/alsd/cgi-bin/LinkConfirm.pl", headers=cookie(token), data={"csrf": hidden(verify.text)}
            )
            main = await c.get("/ecf/alsd/cgi-bin/login.pl", headers=cookie(token))
            return lost.status_code, main.text, state.counters()

    status, main, counters = run(go())
    assert status == 502 and "C<U>i</U>vil" in main and counters["links"] == {"alsd/jdoe2019a": 1}


def test_rate_limit_429_with_retry_after_and_counters_on_a_loopback_port():
    d = _directory("\n[faults]\nrate_limit = 5\n")
    with SandboxServer(d) as server, httpx.Client(base_url=server.url) as c:
        answers = [c.get("/csologin/login.jsf") for _ in range(12)]
        counters = c.get("/_sandbox/counters").json()
    codes = [a.status_code for a in answers]
    assert codes[:5] == [200] * 5 and 429 in codes
    assert all(a.headers["Retry-After"] == "1" for a in answers if a.status_code == 429)
    assert counters["responses_429"] >= 7 and counters["max_rate"]["login"] >= 12
    assert counters["requests"]["login"] == 12


def test_token_ttl_expires_after_n_court_requests():
    async def go():
        async with asgi_client(extra="\n[faults]\ntoken_ttl_requests = 2\n") as c:
            token = (await login(c, "jdoe2019a", "Jane-Pacer-Pass-1"))["nextGenCSO"]
            return [
                (await c.get("/ecf/alsd/cgi-bin/login.pl", headers=cookie(token))).status_code
                for _ in range(3)
            ]

    assert run(go()) == [200, 200, 302]


def test_two_accounts_linking_at_once_in_one_court_stay_apart():
    """Cookie isolation: concurrent sessions in the same court never see each other's state."""

    async def link(c: httpx.AsyncClient, user: str, pw: str, login_: str, ecf_pw: str) -> str:
        token = (await login(c, user, pw))["nextGenCSO"]
        verify = await to_verify(c, token, "alsd", login_, ecf_pw)
        confirm = await c.post(
            "/ecf/alsd/cgi-bin/LinkConfirm.pl", headers=cookie(token), data={"csrf": hidden(verify.text)}
        )
        return verify.text + confirm.text

    async def go():
        d = _directory()
        state = SandboxState(d)
        app = create_app(d, state=state)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as c:
            jane, otto = await asyncio.gather(
                link(c, "jdoe2019a", "Jane-Pacer-Pass-1", "jdoe", "Jane-Ecf-Pass-111"),
                link(c, "other0001", "Other-Pacer-Pass1", "otto", "Otto-Ecf-Pass-111"),
            )
        return jane, otto, state.counters()

    jane, otto, counters = run(go())
    assert "Jane Q. Doe" in jane and "Otto" not in jane
    assert "Otto Other" in otto and "Jane" not in otto
    assert counters["links"] == {"alsd/jdoe2019a": 1, "alsd/other0001": 1} and counters["double_links"] == []
