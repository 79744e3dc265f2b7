"""Properties of the page reader and recognisers over arbitrary input: they never raise,
never call a page a success it does not show, and snapshots never keep a secret."""

from __future__ import annotations

import html
from urllib.parse import quote, quote_plus

from hypothesis import given, settings
from hypothesis import strategies as st

from batch.markup import Page, norm, parse_page
from batch.pages import (
    PageKind,
    Patterns,
    classify_confirm_answer,
    classify_credentials_answer,
    credentials_form,
    filing_menus,
    find_link_item,
    is_logged_in,
    snapshot_html,
)
from batch.registry import CourtType

PATTERNS = Patterns.default()
FAST = settings(max_examples=200, deadline=None)

_TAG_NAMES = (
    "a A form FORM input INPUT td th tr table p br BR u U b div dl dt dd head HEAD title "
    "script style body base select option textarea button li meta noscript template"
)
TAGS = _TAG_NAMES.split()
_ATTR_NAMES = "href HREF type TYPE name value VALUE action method enctype charset selected checked"
ATTRS = _ATTR_NAMES.split()
VALUES = st.one_of(
    st.sampled_from(
        [
            "post",
            "POST",
            "hidden",
            "password",
            "text",
            "/cgi-bin/login.pl?logout",
            "http://[bad",
            "multipart/form-data",
            "utf-16",
            "idna",
            "",
        ]
    ),
    st.text(max_size=12),
)
FRAGMENTS = [
    "PACER Name",
    "CM/ECF Name",
    "PACER Name:",
    "CM/ECF Name: ",
    "Jane Doe",
    "Doe, Jane",
    ":",
    "&nbsp;",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "&#1114112;",
    "<!--",
    "-->",
    "<![CDATA[",
    "<!DOCTYPE [",
    "<![if",
    "</",
    "<",
    ">",
    "'",
    '"',
    "Log",
    "Out",
    "C<u>i</u>vil",
    "This CM/ECF account is locked.",
    "Link a CM/ECF account to my PACER account",
]
LINKED_PARTS = ["Your PACER account and CM/ECF account are", " now linked."]
# Whole pieces of a verify screen and of the success page, so that the random pages do
# reach VERIFY and LINKED now and then and the implications below are put to the test.
MOLECULES = [
    "<FORM METHOD=POST ACTION=LinkConfirm.pl>",
    "<INPUT TYPE=hidden NAME=csrf VALUE=t0k3n>",
    "<INPUT TYPE=submit VALUE=Submit>",
    "</FORM>",
    "<TR><TH>PACER Name</TH><TD>Jane Doe</TD>",
    "<TR><TH>CM/ECF Name</TH><TD>Doe, Jane</TD>",
    "<dt>PACER Name:<dd>",
    "<p>CM/ECF Name: Jane Doe",
    "<P><B>Your PACER account and CM/ECF account are now linked.</B>",
]


@st.composite
def attribute(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(ATTRS))
    value = draw(VALUES)
    quote_mark = draw(st.sampled_from(["", '"', "'"]))
    return draw(st.sampled_from([f" {name}", f" {name}={quote_mark}{value}{quote_mark}"]))


@st.composite
def tag(draw: st.DrawFn, tags: list[str]) -> str:
    name = draw(st.sampled_from(tags))
    if draw(st.booleans()):
        return f"</{name}>"
    attrs = "".join(draw(st.lists(attribute(), max_size=3)))
    return f"<{name}{attrs}{draw(st.sampled_from(['>', '/>', '']))}"


def html_ish(
    tags: list[str] = TAGS, fragments: list[str] = FRAGMENTS + LINKED_PARTS, molecules: list[str] = MOLECULES
) -> st.SearchStrategy[str]:
    pieces = [tag(tags), st.sampled_from(fragments), st.text(max_size=20)]
    if molecules:
        pieces.append(st.sampled_from(molecules))
    piece = st.one_of(*pieces)
    return st.lists(piece, max_size=40).map("".join)


URLS = st.one_of(
    st.sampled_from(["https://ecf.alsd.uscourts.gov/cgi-bin/login.pl", "http://[bad", "", "relative/x"]),
    st.text(max_size=20),
)


def recognise_everything(page: Page) -> None:
    is_logged_in(page, PATTERNS)
    for court_type in CourtType:
        filing_menus(page, court_type, PATTERNS)
    find_link_item(page, PATTERNS)
    credentials_form(page)
    classify_credentials_answer(page, PATTERNS)
    classify_confirm_answer(page, PATTERNS)


@FAST
@given(st.binary(max_size=3000), URLS)
def test_nothing_raises_on_bytes(body: bytes, url: str) -> None:
    page = parse_page(body, url)
    recognise_everything(page)
    snapshot_html(body, ["secret"])


@FAST
@given(html_ish(), URLS, st.sampled_from(["utf-8", "cp1252", "utf-16"]))
def test_nothing_raises_on_html_ish_text(text: str, url: str, encoding: str) -> None:
    body = text.encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace")
    page = parse_page(body, url)
    assert page.text == page.text.strip() and "  " not in page.text
    assert all(block and block == block.strip() for block in page.blocks)
    recognise_everything(page)
    snapshot_html(body, [text[:10]])


@FAST
@given(html_ish())
def test_success_only_when_the_page_says_so(text: str) -> None:
    page = parse_page(text.encode("utf-8", "surrogatepass"), "https://ecf.alsd.uscourts.gov/cgi-bin/x")
    answer = classify_credentials_answer(page, PATTERNS)
    if answer.kind is PageKind.VERIFY:
        assert answer.form in page.forms and answer.pacer_name and answer.ecf_name
        assert "pacer name" in norm(page.text) and "cm/ecf name" in norm(page.text)
    if classify_confirm_answer(page, PATTERNS) is PageKind.LINKED:
        assert any(norm(t) in norm(page.text) for t in PATTERNS.linked)


NO_FORM_TAGS = [t for t in TAGS if t.lower() not in ("form", "input", "button")]
NO_NAMES = [f for f in FRAGMENTS if "Name" not in f and "Doe" not in f]


@FAST
@given(html_ish(tags=NO_FORM_TAGS, fragments=NO_NAMES + LINKED_PARTS[:1], molecules=[]))
def test_a_page_without_names_or_form_is_never_a_success(text: str) -> None:
    page = parse_page(text.encode("utf-8", "surrogatepass"), "https://ecf.alsd.uscourts.gov/cgi-bin/x")
    assert classify_credentials_answer(page, PATTERNS).kind is not PageKind.VERIFY
    assert classify_confirm_answer(page, PATTERNS) is not PageKind.LINKED


SECRETS = (
    st.text(min_size=1, max_size=24)
    .filter(lambda s: "*" not in s and s.isprintable())
    .filter(lambda s: all(not 0xD800 <= ord(c) <= 0xDFFF for c in s))
)


@FAST
@given(html_ish(), SECRETS, st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=4))
def test_snapshot_keeps_no_planted_secret(text: str, secret: str, ways: list[int]) -> None:
    spellings = [
        secret,
        html.escape(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        f'<input type=hidden name=t value="{html.escape(secret)}">',
    ]
    step = max(1, len(text) // (len(ways) + 1))
    planted = "".join(text[i * step : (i + 1) * step] + spellings[w] for i, w in enumerate(ways))
    body = (planted + text[len(ways) * step :]).encode("utf-8", "surrogatepass")
    token = "Ab1" * 43
    out = snapshot_html(body + token.encode(), [secret])
    for spelling in spellings[:4]:
        assert spelling.encode() not in out
    assert token[:100].encode() not in out
