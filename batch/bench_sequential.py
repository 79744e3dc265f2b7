"""The baseline: the same links done one request at a time, the way a script written in an
afternoon would (no pool, no rate limiter, no journal), to compare pacer-link against."""

from __future__ import annotations

import time

import httpx
import openpyxl

from batch.bench_workload import Workload
from batch.markup import parse_page
from batch.pages import Patterns, classify_credentials_answer, credentials_form, find_link_item


def run_sequential(url: str, w: Workload) -> float:
    patterns = Patterns.default()
    rows = list(
        openpyxl.load_workbook(w.workbook, read_only=True).active.iter_rows(min_row=2, values_only=True)
    )
    start = time.monotonic()
    with httpx.Client(timeout=30) as http:
        tokens: dict[str, str] = {}
        for _name, user, pw, court, login, ecf_pw in rows:
            if user not in tokens:
                auth = http.post(
                    f"{url}/services/cso-auth", json={"loginId": user, "password": pw, "redactFlag": "1"}
                )
                tokens[user] = auth.json()["nextGenCSO"]
            cookies = {"Cookie": f"NextGenCSO={tokens[user]}"}
            base = f"{url}/ecf/{court}"
            http.get(f"{base}/cgi-bin/login.pl", headers=cookies)
            page = parse_page(
                http.get(f"{base}/cgi-bin/DisplayMenu.pl?Utilities", headers=cookies).content,
                base + "/cgi-bin/",
            )
            item = find_link_item(page, patterns)
            assert item is not None, f"no link item in {court}"
            fill = credentials_form(parse_page(http.get(item, headers=cookies).content, item))
            assert fill is not None, f"no credentials form in {court}"
            fields = {i.name: i.value for i in fill.form.inputs if i.name}
            fields[fill.login_field], fields[fill.password_field] = login, ecf_pw
            answer = parse_page(
                http.post(fill.form.action, data=fields, headers=cookies).content, fill.form.action
            )
            verify = classify_credentials_answer(answer, patterns)
            if verify.form is not None:
                confirm = {i.name: i.value for i in verify.form.inputs if i.name}
                http.post(verify.form.action, data=confirm, headers=cookies)
            http.get(f"{base}/cgi-bin/login.pl", headers=cookies)
        for token in tokens.values():
            http.post(f"{url}/services/cso-logout", json={"nextGenCSO": token})
    return time.monotonic() - start
