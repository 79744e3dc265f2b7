"""The sandbox's Starlette application: PACER's login API and NextGen courts (link-protocol.md)."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import pyotp
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from batch.names import names_match
from batch.sandbox import pages
from batch.sandbox.directory import Directory, SandboxCourt
from batch.sandbox.state import SandboxState

BAD_CREDENTIALS = "The CM/ECF login or password you entered is incorrect."
LOCKED = "This CM/ECF account is locked."
LINKED_ELSEWHERE = "This CM/ECF account is already linked to another PACER account."
ALREADY_LINKED = "Your PACER account is already linked to a CM/ECF account in this court."
NOW_LINKED = "Your PACER account and CM/ECF account are now linked."
NAMES_DIFFER = "The names on the PACER and CM/ECF accounts do not match."
LOGIN_ERRORS = {
    "13": "Invalid username, password, or one-time passcode.",
    "7": "Your PACER account has been disabled.",
    "8": "This PACER account must be upgraded before it can be used with NextGen CM/ECF.",
}

Handler = Callable[[Request], Awaitable[Response]]
Sleep = Callable[[float], Awaitable[None]]


async def client_gone(_request: Request, _exc: Exception) -> Response:
    """A client that hangs up mid-body (a cancelled run, Ctrl-C) is routine, not a server error:
    answer nothing useful instead of letting uvicorn log a traceback. Nobody reads this answer."""
    return Response(status_code=499)


def create_app(
    directory: Directory,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    state: SandboxState | None = None,
) -> Starlette:
    state = state or SandboxState(directory, clock=clock)
    faults = directory.faults

    def guarded(host_of: Callable[[Request], str], handler: Handler) -> Handler:
        """Every answer goes through the faults: a court that is down, the rate limit, the
        503 share (all decided before the request is acted on) and the latency."""

        async def endpoint(request: Request) -> Response:
            host = host_of(request)
            court = directory.courts.get(host)
            delay = faults.latency_ms + (court.latency_ms if court else 0)
            if delay:
                await sleep(delay / 1000)
            if not state.note_request(host, time.monotonic()):
                retry = (
                    "1"
                    if faults.retry_after == "seconds"
                    else email.utils.formatdate(time.time() + 1, usegmt=True)
                )
                return Response("Too many requests", status_code=429, headers={"Retry-After": retry})
            if (court and court.down) or (faults.error_rate and state.rng.random() < faults.error_rate):
                state.counts["responses_503"] += 1
                return Response("Service unavailable", status_code=503)
            return await handler(request)

        return endpoint

    def login_host(_request: Request) -> str:
        return "login"

    def court_host(request: Request) -> str:
        return str(request.path_params.get("court", "")).lower()

    # -- PACER login API ------------------------------------------------------------

    async def cso_auth(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse(
                {"loginResult": "13", "nextGenCSO": "", "errorDescription": "Malformed request."}, 400
            )
        login_id = str(body.get("loginId", ""))
        state.logins[login_id] += 1
        account = directory.pacer.get(login_id.casefold())
        ok = account is not None and body.get("password") == account.password
        if ok and account is not None and account.mfa_secret:
            ok = pyotp.TOTP(account.mfa_secret).verify(str(body.get("otpCode", "")), valid_window=1)
        if not ok or account is None:
            state.bad_logins[login_id] += 1
            return JSONResponse(
                {"loginResult": "13", "nextGenCSO": "", "errorDescription": LOGIN_ERRORS["13"]}
            )
        if account.status != "active":
            code = "7" if account.status == "disabled" else "8"
            return JSONResponse(
                {"loginResult": code, "nextGenCSO": "", "errorDescription": LOGIN_ERRORS[code]}
            )
        state.logins_ok[login_id] += 1
        return JSONResponse(
            {"loginResult": "0", "nextGenCSO": state.new_token(account), "errorDescription": ""}
        )

    async def cso_logout(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        state.sessions.pop(str(body.get("nextGenCSO", "")), None)
        state.counts["logouts"] += 1
        return JSONResponse({"loginResult": "0", "errorDescription": ""})

    async def login_page(request: Request) -> Response:
        return HTMLResponse(pages.login_page(request.query_params.get("pscCourtId", "")))

    # -- courts ---------------------------------------------------------------------

    def court_of(request: Request) -> SandboxCourt | None:
        return directory.courts.get(court_host(request))

    def session_token(request: Request) -> str:
        return request.cookies.get("NextGenCSO") or request.cookies.get("PacerSession") or ""

    def to_login(request: Request, court: SandboxCourt) -> Response:
        root = str(request.base_url).rstrip("/")
        url = f"{root}/csologin/login.jsf?pscCourtId={court.psc_id}&appurl={quote(str(request.url), safe='')}"
        return RedirectResponse(url, status_code=302)

    def court_view(handler: Callable[[Request, SandboxCourt, str, str], Awaitable[Response]]) -> Handler:
        """Resolve the court and the PACER session; no live session is a 302 to the login page."""

        async def endpoint(request: Request) -> Response:
            court = court_of(request)
            if court is None:
                return HTMLResponse("<HTML><BODY>Not Found</BODY></HTML>", 404)
            token = session_token(request)
            session = state.session_for(token) if token else None
            if session is None:
                return to_login(request, court)
            return await handler(request, court, token, session.username)

        return endpoint

    def linked(court: SandboxCourt, user: str) -> bool:
        return (court.id, user) in state.links

    async def main_page(request: Request, court: SandboxCourt, _token: str, user: str) -> Response:
        if "logout" in request.query_params or request.url.query == "logout":
            return HTMLResponse(pages.message_page(court, "You have logged out of CM/ECF."))
        return HTMLResponse(pages.main_page(court, linked(court, user)))

    async def menu(request: Request, court: SandboxCourt, _token: str, user: str) -> Response:
        if request.url.query.lower().startswith("utilities"):
            return HTMLResponse(pages.utilities_page(court, linked(court, user)))
        return HTMLResponse(
            pages.message_page(court, "This menu is not part of the sandbox.", linked(court, user))
        )

    async def link_form(request: Request, court: SandboxCourt, token: str, user: str) -> Response:
        if not court.nextgen:
            return HTMLResponse(pages.message_page(court, "Not Found"), 404)
        return HTMLResponse(pages.credentials_form(court, state.issue(token, court.id, "credentials")))

    async def credentials(request: Request, court: SandboxCourt, token: str, user: str) -> Response:
        form = await request.form()
        if state.redeem(str(form.get("csrf", "")), token, court.id, "credentials") is None:
            return HTMLResponse(pages.message_page(court, "Invalid or expired form."), 400)
        if linked(court, user):
            return HTMLResponse(pages.message_page(court, ALREADY_LINKED))
        login = str(form.get("login", "")).strip()
        key = (court.id, login.casefold())
        account = directory.cmecf.get(key)
        if state.is_locked(key):
            return HTMLResponse(pages.message_page(court, LOCKED))
        if account is not None and account.page == "maintenance":
            return HTMLResponse(pages.maintenance_page(court))
        if account is None or form.get("key") != account.password:
            locked_now = state.fail(key)
            return HTMLResponse(pages.message_page(court, LOCKED if locked_now else BAD_CREDENTIALS))
        state.succeed(key)
        holder = state.ecf_links.get(key)
        if holder is not None and holder != user:
            return HTMLResponse(pages.message_page(court, LINKED_ELSEWHERE))
        pacer = directory.pacer[user]
        ticket = state.issue(token, court.id, "confirm", key)
        return HTMLResponse(pages.verify_page(court, ticket, pacer.name, account.name))

    async def confirm(request: Request, court: SandboxCourt, token: str, user: str) -> Response:
        form = await request.form()
        ticket = state.redeem(str(form.get("csrf", "")), token, court.id, "confirm")
        if ticket is None or ticket.ecf_key is None:
            return HTMLResponse(pages.message_page(court, "Invalid or expired form."), 400)
        state.counts["confirms"] += 1
        account = directory.cmecf[ticket.ecf_key]
        if not names_match(directory.pacer[user].name, account.name):
            return HTMLResponse(pages.message_page(court, NAMES_DIFFER))
        state.link(court.id, user, account)
        if faults.drop_after_confirm and state.rng.random() < faults.drop_after_confirm:
            state.counts["responses_502"] += 1
            return Response("Bad gateway", status_code=502)  # linked, but the answer is lost
        return HTMLResponse(pages.message_page(court, NOW_LINKED, linked=True))

    # -- counters -------------------------------------------------------------------

    async def counters(_request: Request) -> Response:
        return JSONResponse(state.counters())

    async def reset(_request: Request) -> Response:
        state.reset_counters()
        return JSONResponse({"ok": True})

    cgi = "/ecf/{court}/cgi-bin"
    routes = [
        Route("/services/cso-auth", guarded(login_host, cso_auth), methods=["POST"]),
        Route("/services/cso-logout", guarded(login_host, cso_logout), methods=["POST"]),
        Route("/csologin/login.jsf", guarded(login_host, login_page), methods=["GET", "POST"]),
        Route(f"{cgi}/login.pl", guarded(court_host, court_view(main_page)), methods=["GET"]),
        Route(f"{cgi}/DisplayMenu.pl", guarded(court_host, court_view(menu)), methods=["GET"]),
        Route(f"{cgi}/LinkAccount.pl", guarded(court_host, court_view(link_form)), methods=["GET"]),
        Route(f"{cgi}/LinkAccount.pl", guarded(court_host, court_view(credentials)), methods=["POST"]),
        Route(f"{cgi}/LinkConfirm.pl", guarded(court_host, court_view(confirm)), methods=["POST"]),
        Route("/_sandbox/counters", counters, methods=["GET"]),
        Route("/_sandbox/reset-counters", reset, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={ClientDisconnect: client_gone})
    app.state.sandbox = state
    return app
