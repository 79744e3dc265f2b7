"""The link flow in one court (link-protocol.md sections 2-6), for one row.

main page -> (already linked?) -> Utilities -> link item -> credentials form -> answer
-> names compared here -> confirm -> main page again: filing menus must appear.

Expected answers (a wrong password, a lock, a name mismatch) come back as a
``RowResult``. Internally two exceptions steer the flow: ``Restart`` (a form post lost
its answer, or the session expired mid-way: start over from the main page, which also
tells whether a lost confirm went through) and ``Interrupted`` (the run is stopping and
this row has not sent its confirm: abandon it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from batch.accounts import AccountRow
from batch.logs import log
from batch.markup import Form, Page, parse_page
from batch.names import names_match
from batch.outcomes import Outcome, RowResult
from batch.pacer import AccountSession
from batch.pages import (
    PageKind,
    Patterns,
    classify_confirm_answer,
    classify_credentials_answer,
    credentials_form,
    filing_menus,
    find_link_item,
    is_logged_in,
)
from batch.pool import GaveUp, PoliteClient, TransientError
from batch.registry import Court

MAX_REDIRECTS = 5


class Restart(Exception):
    """Raised to start the row's flow over from the court's main page."""


class Interrupted(Exception):
    """Raised when the run is stopping and this row has not sent its confirm."""


#: What the flow tells the journal as it goes: the step reached, and (before it is sent)
#: that the confirm is about to go out.
StepHook = Callable[[str], None]


@dataclass
class CourtFlow:
    client: PoliteClient
    session: AccountSession
    court: Court
    row: AccountRow
    patterns: Patterns
    flow_attempts: int
    confirm_pending: bool  # the journal says an earlier attempt sent the confirm
    on_step: StepHook
    on_confirm_sent: Callable[[], None]
    save_snapshot: Callable[[str, bytes], str]  # (step, body) -> where it was saved
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    cookies: dict[str, str] = field(default_factory=dict)
    attempts: int = 0
    #: The PACER token in force when the last page (and its one-time form token) was
    #: fetched: a form fetched under an older token is stale once another row of the
    #: account has logged in again.
    _page_token: str = ""
    #: This row has had its one new login after an expiry.
    _relogged: bool = False

    @property
    def base(self) -> str:
        return self.client.env.court_base(self.court.id)

    async def run(self) -> RowResult:
        last = ""
        for _ in range(self.flow_attempts):
            if self.stopping.is_set() and not self.confirm_pending:
                raise Interrupted
            self.attempts += 1
            try:
                result = await self._flow()
            except Restart as exc:
                last = str(exc)
                log.info("flow_restart", row=self.row.row, court=self.court.id, reason=last)
                continue
            except GaveUp as exc:
                return self._result(Outcome.GAVE_UP, f"{exc}; rerun later, it is safe")
            return result
        return self._result(Outcome.GAVE_UP, f"gave up after {self.attempts} tries: {last}")

    def _result(self, outcome: Outcome, detail: str) -> RowResult:
        return RowResult(outcome, detail, attempts=self.attempts, confirm_sent=self.confirm_pending)

    def _unrecognized(self, step: str, response: httpx.Response, why: str) -> RowResult:
        where = self.save_snapshot(step, response.content)
        return self._result(
            Outcome.UNRECOGNIZED_PAGE, f"{why} (HTTP {response.status_code}); snapshot: {where}"
        )

    # -- the flow -------------------------------------------------------------------

    async def _flow(self) -> RowResult:
        main_url = f"{self.base}/cgi-bin/login.pl"
        response, main = await self._get("main_page", main_url)
        if not is_logged_in(main, self.patterns):
            return self._unrecognized(
                "main_page", response, "the court's main page is not a logged-in CM/ECF page"
            )
        menus = filing_menus(main, self.court.type, self.patterns)
        if menus:
            shown = ", ".join(menus)
            if self.confirm_pending:  # a confirm whose answer was lost did go through
                return self._result(
                    Outcome.LINKED,
                    f"linked: the confirm sent earlier went through; filing menus ({shown}) appear",
                )
            return self._result(
                Outcome.ALREADY_LINKED,
                f"already linked in {self.court.id}: filing menus ({shown}) appear; nothing submitted",
            )

        item = find_link_item(main, self.patterns)
        if item is None:
            response, utilities = await self._get("utilities", self._utilities_url(main))
            item = find_link_item(utilities, self.patterns)
            if item is None:
                return self._result(
                    Outcome.COURT_NOT_NEXTGEN,
                    f"{self.court.id} shows no link item under Utilities and no filing menus: "
                    "it does not offer linking",
                )

        response, form_page = await self._get("link_form", item)
        fill = credentials_form(form_page)
        if fill is None:
            return self._unrecognized("link_form", response, "the link page has no CM/ECF login form")
        values = {
            fill.login_field: self.row.cmecf_login,
            fill.password_field: self.row.cmecf_password.reveal(),
        }
        response, answer_page = await self._post("credentials", fill.form, values)
        answer = classify_credentials_answer(answer_page, self.patterns)
        if answer.kind is not PageKind.VERIFY:
            return self._answer_result("credentials", response, answer.kind)

        if not names_match(answer.pacer_name, answer.ecf_name):
            return self._result(
                Outcome.NAME_MISMATCH,
                f"PACER name '{answer.pacer_name}' and CM/ECF name '{answer.ecf_name}' "
                "differ; nothing confirmed",
            )
        if self.stopping.is_set():
            raise Interrupted
        assert answer.form is not None  # VERIFY always carries its form
        self.on_confirm_sent()  # the journal knows before the court does
        self.confirm_pending = True
        response, confirm_page = await self._post("confirm", answer.form, {})
        kind = classify_confirm_answer(confirm_page, self.patterns)
        if kind is not PageKind.LINKED:
            return self._answer_result("confirm", response, kind)

        response, after = await self._get("verify_menus", main_url)
        menus = filing_menus(after, self.court.type, self.patterns)
        if not menus:
            return self._unrecognized(
                "verify_menus",
                response,
                "the court said the accounts are linked, but no filing menus appear",
            )
        return self._result(Outcome.LINKED, f"linked and verified: filing menus ({', '.join(menus)}) appear")

    def _answer_result(self, step: str, response: httpx.Response, kind: PageKind) -> RowResult:
        court = self.court.id
        simple: Mapping[PageKind, tuple[Outcome, str]] = {
            PageKind.BAD_CREDENTIALS: (
                Outcome.ECF_BAD_CREDENTIALS,
                f"{court} rejected the CM/ECF login or password",
            ),
            PageKind.LOCKED: (Outcome.ECF_LOCKED_OUT, f"{court} says the CM/ECF account is locked"),
            PageKind.LINKED_ELSEWHERE: (
                Outcome.ECF_LINKED_ELSEWHERE,
                f"{court} says the CM/ECF account is linked to another PACER account",
            ),
            PageKind.ALREADY_LINKED: (
                Outcome.ALREADY_LINKED,
                f"{court} says the PACER account is already linked to a CM/ECF account there",
            ),
            PageKind.NAMES_DIFFER: (
                Outcome.NAME_MISMATCH,
                f"{court} refused the link: the PACER and CM/ECF names do not match",
            ),
        }
        if kind in simple:
            outcome, detail = simple[kind]
            return self._result(outcome, detail)
        return self._unrecognized(
            step, response, f"the court's answer to the {step} step matches no known page"
        )

    def _utilities_url(self, main: Page) -> str:
        for link in main.links:
            if link.text.casefold() == "utilities":
                return link.href
        return self.base + self.patterns.utilities_path

    # -- requests -------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        token = self.session.token
        jar = {**self.cookies, "NextGenCSO": token, "PacerSession": token}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}

    def _keep_cookies(self, response: httpx.Response) -> None:
        for name, value in response.cookies.items():
            if name not in ("NextGenCSO", "PacerSession"):
                self.cookies[name] = value

    async def _log_in_again(self, stale: str, step: str) -> None:
        """The court sent the PACER login page for the token ``stale``: log in again once and
        let the caller repeat the step; a second expiry for this row is ``gave_up``
        (link-protocol.md §2). An expiry of a token another row has already renewed costs
        nothing and does not count."""
        if self.session.token != stale:
            return
        if self._relogged:
            raise GaveUp(f"{self.court.id} sent the PACER login page again after a new login ({step})")
        self._relogged = True
        if not await self.session.refresh(stale):
            raise GaveUp(f"{self.court.id}: the PACER session expired and a new login failed")

    def _is_login_redirect(self, response: httpx.Response) -> bool:
        location = response.headers.get("Location", "")
        return response.is_redirect and (
            "/csologin/" in location or location.startswith(self.client.env.login_url)
        )

    async def _get(self, step: str, url: str) -> tuple[httpx.Response, Page]:
        self.on_step(step)
        for _ in range(MAX_REDIRECTS + 2):
            stale = self.session.token
            response = await self.client.request(self.court.id, "GET", url, headers=self._headers())
            self._keep_cookies(response)
            if self._is_login_redirect(response):
                await self._log_in_again(stale, step)
                continue  # repeat the step with the new token
            if response.is_redirect and "Location" in response.headers:
                url = str(response.url.join(response.headers["Location"]))
                continue
            self._page_token = self.session.token
            return response, parse_page(response.content, str(response.url))
        raise GaveUp(f"{self.court.id} redirected too many times")

    async def _post(self, step: str, form: Form, values: Mapping[str, str]) -> tuple[httpx.Response, Page]:
        self.on_step(step)
        if self.session.token != self._page_token:
            raise Restart(f"{step}: the PACER session was renewed since the form was shown")
        fields = [(i.name, values.get(i.name, i.value)) for i in form.inputs if i.name and i.type != "submit"]
        submit = next((i for i in form.inputs if i.type == "submit" and i.name), None)
        if submit is not None:
            fields.append((submit.name, submit.value))
        stale = self.session.token
        try:
            # Always multipart/form-data, the encoding CM/ECF forms use (link-protocol.md §4),
            # whatever the page declares; ``files`` with no file name makes plain form parts.
            response = await self.client.request(
                self.court.id,
                form.method or "POST",
                form.action,
                headers=self._headers(),
                idempotent=False,
                files=[(name, (None, value)) for name, value in fields],
            )
        except TransientError as exc:
            raise Restart(f"{step}: {exc.reason}") from None
        self._keep_cookies(response)
        self._page_token = self.session.token
        if self._is_login_redirect(response):
            await self._log_in_again(stale, step)
            # The form's one-time token belonged to the old session: fetch it again.
            raise Restart(f"{step}: the PACER session expired")
        if response.status_code >= 400:
            return response, parse_page(b"", str(response.url))
        return response, parse_page(response.content, str(response.url))
