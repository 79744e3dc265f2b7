"""Every recogniser of batch.pages, run on every saved page, against a table of expected
results (juriscraper's way: pure classifiers tested on saved pages).

The pages in ``saved/`` are hand-kept copies in the shapes courts serve: upper-case
tags, unquoted attributes, ``C<U>i</U>vil``, ``Log<BR>Out``, ``&nbsp;``, an unclosed
``<HEAD>``, Windows-1252 bytes, ``<BASE HREF>``, and a few pages nobody expects.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from batch import CONFIG_DIR
from batch.markup import Page, parse_page
from batch.pages import (
    PageKind,
    PatternError,
    Patterns,
    classify_confirm_answer,
    classify_credentials_answer,
    credentials_form,
    filing_menus,
    find_link_item,
    has_filing_menus,
    is_logged_in,
)
from batch.registry import CourtType

SAVED = Path(__file__).parent / "saved"
ALSD = "https://ecf.alsd.uscourts.gov/cgi-bin/"
ALSB = "https://ecf.alsb.uscourts.gov/cgi-bin/"
CA11 = "https://ecf.ca11.uscourts.gov/n/beam/"
TXSB = "https://ecf.txsb.uscourts.gov/cgi-bin/"
DISTRICT, BANKRUPTCY, APPELLATE = CourtType.DISTRICT, CourtType.BANKRUPTCY, CourtType.APPELLATE


@dataclass(frozen=True)
class Fill:
    login: str
    password: str
    hidden: tuple[str, ...]
    action: str
    enctype: str


@dataclass(frozen=True)
class Expect:
    url: str  # where the page was fetched from
    logged_in: bool = True
    menus: dict[CourtType, list[str]] = field(default_factory=dict)  # absent type: none
    link_item: str | None = None
    fill: Fill | None = None
    answer: PageKind = PageKind.UNRECOGNIZED  # classify_credentials_answer
    names: tuple[str, str] = ("", "")  # (PACER name, CM/ECF name) of a VERIFY
    verify_action: str | None = None
    confirm: PageKind = PageKind.UNRECOGNIZED  # classify_confirm_answer


PAGES: dict[str, Expect] = {
    # Section 2: main pages before and after linking.
    "district_main_unlinked.html": Expect(ALSD + "login.pl"),
    "district_main_linked.html": Expect(ALSD + "login.pl", menus={DISTRICT: ["Civil", "Criminal"]}),
    "bankruptcy_main_linked.html": Expect(ALSB + "login.pl", menus={BANKRUPTCY: ["Bankruptcy", "Adversary"]}),
    "appellate_main_unlinked.html": Expect(
        "https://ecf.ca11.uscourts.gov/cgi-bin/login.pl", link_item=CA11 + "LinkAccount.jsp?step=1"
    ),
    "appellate_main_linked.html": Expect(
        "https://ecf.ca11.uscourts.gov/cgi-bin/login.pl", menus={APPELLATE: ["Filing"]}
    ),
    # Section 3: the Utilities menu, with and without the link item.
    "utilities_with_item.html": Expect(ALSD + "DisplayMenu.pl?Utilities", link_item=ALSD + "LinkAccount.pl"),
    "utilities_lowercase_base.html": Expect(
        "https://ecf.txsb.uscourts.gov/cgi-bin/DisplayMenu.pl?Utilities",
        link_item=TXSB + "NGLink.pl?action=start&src=menu",
    ),
    "utilities_without_item.html": Expect(ALSD + "DisplayMenu.pl?Utilities"),
    # Section 4: the credentials form, in the sandbox's shape and in another.
    "credentials_form.html": Expect(
        ALSD + "LinkAccount.pl",
        fill=Fill("login", "key", ("csrf", "court_id"), ALSD + "LinkAccount.pl", "multipart/form-data"),
    ),
    "credentials_form_alt.html": Expect(
        ALSD + "NGLink.pl?action=start",
        fill=Fill(
            "username",
            "pwd",
            ("nonce", "src"),
            ALSD + "NGLink.pl?step=credentials",
            "application/x-www-form-urlencoded",
        ),
    ),
    # Section 5: the answers to the credentials.
    "verify_table.html": Expect(
        ALSD + "LinkAccount.pl",
        answer=PageKind.VERIFY,
        names=("Jane Q. Doe", "Doe, Jane Q."),
        verify_action=ALSD + "LinkConfirm.pl",
    ),
    "verify_dl.html": Expect(
        ALSD + "NGLink.pl?step=credentials",
        answer=PageKind.VERIFY,
        names=("Robert Smith", "Smith, Robert J., Jr."),
        verify_action=ALSD + "NGLink.pl?step=confirm",  # not the Cancel form
    ),
    "verify_inline.html": Expect(
        ALSD + "Verify.pl?id=7",
        answer=PageKind.VERIFY,
        names=("Maria José Peña", "Peña, Maria J."),  # Windows-1252 bytes, no charset
        verify_action=ALSD + "Verify.pl?id=7",  # ACTION="" posts back to the page
    ),
    "verify_missing_name.html": Expect(ALSD + "LinkAccount.pl"),  # a name cell is &nbsp;
    "verify_no_form.html": Expect(ALSD + "LinkAccount.pl"),  # names but nothing to confirm with
    "bad_credentials.html": Expect(
        ALSD + "LinkAccount.pl",
        fill=Fill("login", "key", ("csrf",), ALSD + "LinkAccount.pl", "multipart/form-data"),
        answer=PageKind.BAD_CREDENTIALS,
        confirm=PageKind.BAD_CREDENTIALS,
    ),
    # Also says "incorrect": the lock is what a person must act on.
    "locked.html": Expect(ALSD + "LinkAccount.pl", answer=PageKind.LOCKED, confirm=PageKind.LOCKED),
    "locked_other_wording.html": Expect(ALSD + "NGLink.pl"),  # see test_a_changed_wording_is_a_config_edit
    "linked_elsewhere.html": Expect(
        ALSD + "LinkAccount.pl", answer=PageKind.LINKED_ELSEWHERE, confirm=PageKind.LINKED_ELSEWHERE
    ),
    "already_linked.html": Expect(
        ALSD + "NGLink.pl", answer=PageKind.ALREADY_LINKED, confirm=PageKind.ALREADY_LINKED
    ),
    # Section 6: the answers to the confirm.
    "linked.html": Expect(
        ALSD + "LinkConfirm.pl", menus={DISTRICT: ["Civil", "Criminal"]}, confirm=PageKind.LINKED
    ),
    # Also contains "... are now linked" inside a longer sentence: the refusal wins.
    "names_differ.html": Expect(ALSD + "LinkConfirm.pl", confirm=PageKind.NAMES_DIFFER),
    # Where an expired session lands: a login form, but no logout link.
    "pacer_login.html": Expect(
        "https://pacer.login.uscourts.gov/csologin/login.jsf?pscCourtId=ALSDC", logged_in=False
    ),
    # Nobody expects these; none may pass for anything.
    "maintenance.html": Expect(ALSD + "LinkAccount.pl", logged_in=False),
    "generic_error.html": Expect(ALSD + "LinkAccount.pl", logged_in=False),
    "empty.html": Expect(ALSD + "LinkAccount.pl", logged_in=False),
    "garbage.bin": Expect(ALSD + "LinkAccount.pl", logged_in=False),
}

CASES = sorted(PAGES.items())
IDS = [name for name, _ in CASES]


@pytest.fixture(scope="module")
def patterns() -> Patterns:
    return Patterns.default()


def load(name: str) -> Page:
    return parse_page((SAVED / name).read_bytes(), PAGES[name].url)


def test_every_saved_page_has_expected_results() -> None:
    assert sorted(p.name for p in SAVED.iterdir()) == sorted(PAGES)


@pytest.mark.parametrize(("name", "expect"), CASES, ids=IDS)
def test_is_logged_in(name: str, expect: Expect, patterns: Patterns) -> None:
    assert is_logged_in(load(name), patterns) is expect.logged_in


@pytest.mark.parametrize(("name", "expect"), CASES, ids=IDS)
@pytest.mark.parametrize("court_type", list(CourtType), ids=str)
def test_filing_menus(name: str, expect: Expect, court_type: CourtType, patterns: Patterns) -> None:
    page = load(name)
    want = expect.menus.get(court_type, [])
    assert filing_menus(page, court_type, patterns) == want
    assert has_filing_menus(page, court_type, patterns) is bool(want)


@pytest.mark.parametrize(("name", "expect"), CASES, ids=IDS)
def test_find_link_item(name: str, expect: Expect, patterns: Patterns) -> None:
    assert find_link_item(load(name), patterns) == expect.link_item


@pytest.mark.parametrize(("name", "expect"), CASES, ids=IDS)
def test_credentials_form(name: str, expect: Expect) -> None:
    fill = credentials_form(load(name))
    if expect.fill is None:
        assert fill is None
        return
    assert fill is not None
    got = Fill(
        fill.login_field,
        fill.password_field,
        tuple(i.name for i in fill.hidden),
        fill.form.action,
        fill.form.enctype,
    )
    assert got == expect.fill
    assert fill.form.method == "POST"
    assert all(i.type == "hidden" and i.value for i in fill.hidden)  # echoed as they came


@pytest.mark.parametrize(("name", "expect"), CASES, ids=IDS)
def test_classify_credentials_answer(name: str, expect: Expect, patterns: Patterns) -> None:
    answer = classify_credentials_answer(load(name), patterns)
    assert answer.kind is expect.answer
    assert (answer.pacer_name, answer.ecf_name) == expect.names
    assert (answer.form.action if answer.form else None) == expect.verify_action


@pytest.mark.parametrize(("name", "expect"), CASES, ids=IDS)
def test_classify_confirm_answer(name: str, expect: Expect, patterns: Patterns) -> None:
    assert classify_confirm_answer(load(name), patterns) is expect.confirm


def test_link_item_inside_a_longer_text_counts_as_whole_words(patterns: Patterns) -> None:
    # utilities_lowercase_base.html shows the item with "(required for NextGen)" added;
    # an "Unlink ..." item only contains it inside a word.
    page = parse_page(b"<a href=/u>Unlink a CM/ECF account to my PACER account</a><a href=/h>Help</a>", ALSD)
    assert find_link_item(page, patterns) is None


def test_verify_form_echoes_its_token() -> None:
    answer = classify_credentials_answer(load("verify_table.html"), Patterns.default())
    assert answer.form is not None
    assert [(i.name, i.type) for i in answer.form.inputs] == [("csrf", "hidden"), ("", "submit")]
    assert answer.form.enctype == "multipart/form-data"


# -- patterns come from configuration -----------------------------------------------


def default_table() -> dict[str, Any]:
    with (CONFIG_DIR / "default.toml").open("rb") as f:
        table: dict[str, Any] = tomllib.load(f)["patterns"]
    return table


def test_default_is_the_config_file() -> None:
    assert Patterns.default() == Patterns.from_config(default_table())
    assert Patterns.default().filing_menus[DISTRICT] == ("Civil", "Criminal")


def test_a_changed_wording_is_a_config_edit() -> None:
    page = load("locked_other_wording.html")
    assert classify_credentials_answer(page, Patterns.default()).kind is PageKind.UNRECOGNIZED
    table = default_table()
    table["locked"] = [*table["locked"], "your court filer account has been TEMPORARILY disabled"]
    assert classify_credentials_answer(page, Patterns.from_config(table)).kind is PageKind.LOCKED


def test_every_recogniser_reads_its_patterns() -> None:
    table = default_table()
    table["logout_href"] = "/cgi-bin/iquery.pl"
    table["filing_menus"] = {**table["filing_menus"], "district": ["Query"]}
    table["link_item"] = ["Change Client Code"]
    table["ecf_name_label"] = "CM/ECF Login"
    table["linked"] = ["An e-mail confirming the link has been sent"]
    custom = Patterns.from_config(table)
    assert is_logged_in(load("maintenance.html"), custom) is False
    assert is_logged_in(load("district_main_unlinked.html"), custom) is True
    assert filing_menus(load("district_main_unlinked.html"), DISTRICT, custom) == ["Query"]
    assert find_link_item(load("utilities_with_item.html"), custom) == ALSD + "ChangeClientCode.pl"
    answer = classify_credentials_answer(load("verify_table.html"), custom)
    assert (answer.kind, answer.ecf_name) == (PageKind.VERIFY, "jdoe1")
    table["linked"] = ["Your accounts are linked"]
    assert classify_confirm_answer(load("linked.html"), Patterns.from_config(table)) is PageKind.UNRECOGNIZED


def test_logout_href_without_query() -> None:
    table = default_table()
    table["logout_href"] = "/cgi-bin/iquery.pl"  # a pattern with no "?" still matches a bare path
    assert is_logged_in(load("credentials_form.html"), Patterns.from_config(table))


def test_a_single_text_may_stand_for_a_list() -> None:
    table = default_table()
    table["locked"] = "temporarily disabled"
    table["filing_menus"] = {**table["filing_menus"], "district": "Civil"}  # not "C", "i", "v"...
    patterns = Patterns.from_config(table)
    assert patterns.locked == ("temporarily disabled",)
    assert patterns.filing_menus[DISTRICT] == ("Civil",)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("logout_href", None),
        ("logout_href", 3),
        ("pacer_name_label", "   "),
        ("locked", []),
        ("locked", ["fine", ""]),
        ("locked", [" \u00a0 "]),  # empty once collapsed: it would be "found" on every page
        ("bad_credentials", {"a": 1}),
        ("filing_menus", ["Civil"]),
        ("filing_menus", {"district": [1], "bankruptcy": ["B"], "appellate": ["F"]}),
        ("filing_menus", {"district": ["Civil"], "bankruptcy": ["B"]}),
        ("filing_menus", {"district": ["C"], "bankruptcy": ["B"], "appellate": ["F"], "tax": ["T"]}),
        ("lockd", ["a misspelt key"]),
    ],
)
def test_bad_tables_name_the_key(key: str, value: object) -> None:
    table = default_table()
    if value is None:
        del table[key]
    else:
        table[key] = value
    with pytest.raises(ValueError, match=key.split(".")[0]):
        Patterns.from_config(table)


@pytest.mark.parametrize(
    ("key", "value", "at_fault"),
    [
        ("logout_href", 3, "logout_href"),
        ("locked", [], "locked"),
        ("lockd", ["a misspelt key"], "lockd"),
        ("filing_menus", ["Civil"], "filing_menus"),
        ("filing_menus", {"district": [1], "bankruptcy": ["B"], "appellate": ["F"]}, "filing_menus.district"),
        (
            "filing_menus",
            {"district": ["C"], "bankruptcy": ["B"], "appellate": ["F"], "tax": ["T"]},
            "filing_menus.tax",
        ),
    ],
)
def test_a_bad_table_says_which_key_is_at_fault(key: str, value: object, at_fault: str) -> None:
    # settings reads .key to tell whether the --config file or the defaults set the bad value.
    table = default_table()
    table[key] = value
    with pytest.raises(PatternError) as caught:
        Patterns.from_config(table)
    assert caught.value.key == at_fault
    with pytest.raises(PatternError) as caught:
        Patterns.from_config([])  # type: ignore[arg-type]
    assert caught.value.key == ""


def test_sandbox_wording_is_recognised() -> None:
    # The built-in sandbox and the default patterns must agree (link-protocol.md section 5).
    from batch.sandbox import app

    patterns = Patterns.default()

    def page(text: str) -> Page:
        return parse_page(f"<HTML><BODY><P><B>{text}</B></P></BODY></HTML>".encode(), ALSD)

    assert classify_credentials_answer(page(app.BAD_CREDENTIALS), patterns).kind is PageKind.BAD_CREDENTIALS
    assert classify_credentials_answer(page(app.LOCKED), patterns).kind is PageKind.LOCKED
    assert classify_credentials_answer(page(app.LINKED_ELSEWHERE), patterns).kind is PageKind.LINKED_ELSEWHERE
    assert classify_credentials_answer(page(app.ALREADY_LINKED), patterns).kind is PageKind.ALREADY_LINKED
    assert classify_confirm_answer(page(app.NOW_LINKED), patterns) is PageKind.LINKED
    assert classify_confirm_answer(page(app.NAMES_DIFFER), patterns) is PageKind.NAMES_DIFFER
