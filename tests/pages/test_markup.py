"""batch.markup reads what a browser shows, from the loose markup CM/ECF serves."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from batch.markup import Form, Input, Link, collapse, decode, norm, parse_page

SAVED = Path(__file__).parent / "saved"
ALSD = "https://ecf.alsd.uscourts.gov/cgi-bin/"


def saved(name: str) -> bytes:
    return (SAVED / name).read_bytes()


def test_collapse_and_norm() -> None:
    assert collapse("  Link a\u00a0CM/ECF\n\t account  ") == "Link a CM/ECF account"
    assert norm("  Log \u00a0 OUT ") == "log out"
    assert norm("STRASSE") == norm("straße")


def test_menu_bar_of_a_quirky_main_page() -> None:
    page = parse_page(saved("district_main_linked.html"), ALSD + "login.pl")
    assert [link.text for link in page.links] == [
        "Civil",  # C<U>i</U>vil: an underlined access key is not a word break
        "Criminal",
        "Query",
        "Reports",
        "Utilities",
        "Search",
        "Log Out",  # Log<BR>\nOut
    ]
    assert page.links[0] == Link("Civil", ALSD + "DisplayMenu.pl?CaseUpload")
    assert page.links[-1].href == ALSD + "login.pl?logout"


def test_visible_text_only() -> None:
    page = parse_page(saved("district_main_unlinked.html"), ALSD + "login.pl")
    assert "SOUTHERN DISTRICT OF ALABAMA" in page.blocks  # &nbsp; between the words
    assert "Welcome to the CM/ECF system." in page.text
    assert "var menus" not in page.text  # <SCRIPT>
    assert "font-family" not in page.text  # <STYLE>
    assert "CM/ECF LIVE" not in page.text  # <TITLE>
    # The <A> inside the script is not a link; &amp; in an unquoted href is decoded.
    assert [link.href for link in page.links][:2] == [
        ALSD + "iquery.pl",
        ALSD + "DisplayMenu.pl?Reports&id=1",
    ]
    assert "  " not in page.text and page.text == page.text.strip()


def test_unclosed_head_does_not_hide_the_body() -> None:
    # bankruptcy_main_linked.html has <HEAD><TITLE>..</TITLE><BODY> and no </HEAD>.
    page = parse_page(saved("bankruptcy_main_linked.html"), "https://ecf.alsb.uscourts.gov/cgi-bin/login.pl")
    assert "Official Court Electronic Document Filing System" in page.text
    assert [link.text for link in page.links][:2] == ["Bankruptcy", "Adversary"]
    assert page.links[0].href == "https://ecf.alsb.uscourts.gov/cgi-bin/DisplayMenu.pl?Bankruptcy&id=-1"
    text_then_body = parse_page(b"<html><head><title>T</title>\nBody text<p>more", "http://h/")
    assert text_then_body.blocks == ("Body text", "more")


def test_base_href_counts_for_every_link() -> None:
    page = parse_page(saved("appellate_main_unlinked.html"), "https://ecf.ca11.uscourts.gov/cgi-bin/login.pl")
    hrefs = {link.text: link.href for link in page.links}
    assert (
        hrefs["Search"] == "https://ecf.ca11.uscourts.gov/n/beam/servlet/TransportRoom?servlet=CaseSearch.jsp"
    )
    assert hrefs["Log Out"] == "https://ecf.ca11.uscourts.gov/cgi-bin/login.pl?logout"
    assert hrefs["Link My Filer Account to My PACER Account"].endswith("/n/beam/LinkAccount.jsp?step=1")
    late = parse_page(b"<a href=x>x</a><base href=http://other/dir/>", "http://h/a/")
    assert late.links == (Link("x", "http://other/dir/x"),)


def test_forms_of_the_sandbox_shape() -> None:
    page = parse_page(saved("credentials_form.html"), ALSD + "LinkAccount.pl")
    (form,) = page.forms
    assert form.action == ALSD + "LinkAccount.pl"
    assert (form.method, form.enctype) == ("POST", "multipart/form-data")
    assert form.inputs == (
        Input("csrf", "hidden", "Zm9ybS10b2tlbi0xNzMyNTI0ODAwLXNpbmdsZS11c2U"),
        Input("court_id", "hidden", "alsd"),
        Input("login", "text", ""),
        Input("key", "password", ""),
        Input("", "submit", "Submit"),  # the reset button is never sent: left out
    )


def test_forms_of_another_shape() -> None:
    page = parse_page(saved("credentials_form_alt.html"), ALSD + "NGLink.pl")
    search, link = page.forms
    assert (search.method, search.action) == ("GET", ALSD + "quicksearch.pl")
    assert link.method == "POST"
    assert link.enctype == "application/x-www-form-urlencoded"
    # The form is never closed: it ends with the document. Unchecked box: not sent.
    assert [(i.name, i.type) for i in link.inputs] == [
        ("nonce", "hidden"),
        ("src", "hidden"),
        ("username", "text"),  # no TYPE: a text input
        ("pwd", "password"),
        ("go", "submit"),
    ]


def test_empty_action_posts_back_to_the_page() -> None:
    page = parse_page(
        b"<base href=/x/><form action='' method=post></form><form method=post>", "http://h/a?b=1"
    )
    assert [f.action for f in page.forms] == ["http://h/a?b=1", "http://h/a?b=1"]


def test_select_textarea_checkbox() -> None:
    page = parse_page(
        b"<form method=POST><select name=court><option value=a>A<option value=b selected>B</select>"
        b"<select name=n><option>First one</option><option>Two</select>"
        b"<textarea name=note>hi there</textarea><input type=checkbox name=ok checked>"
        b"<input type=radio name=r value=1><input type=image name=img><input type=button value=x></form>",
        "http://h/",
    )
    assert page.forms[0].inputs == (
        Input("court", "select", "b"),
        Input("n", "select", "First one"),
        Input("note", "textarea", "hi there"),
        Input("ok", "checkbox", "on"),
        Input("img", "image", ""),
    )
    assert "hi there" not in page.text  # a control's value, not page text


def test_definition_list_blocks() -> None:
    page = parse_page(saved("verify_dl.html"), ALSD + "NGLink.pl")
    i = page.blocks.index("PACER Name:")
    assert page.blocks[i : i + 4] == ("PACER Name:", "Robert Smith", "CM/ECF Name:", "Smith, Robert J., Jr.")


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("<p>Peña</p>".encode("cp1252"), "Peña"),  # not UTF-8: Windows-1252, as old pages are
        ("<p>Peña</p>".encode(), "Peña"),
        (b'<meta charset="iso-8859-1"><p>\x93Pe\xf1a\x94</p>', "\u201cPeña\u201d"),  # "latin-1" means cp1252
        ('<meta charset="UTF-16"><p>Peña</p>'.encode(), "Peña"),  # browsers ignore that claim
        ("<meta charset=idna><p>Peña</p>".encode(), "Peña"),  # not a web encoding
        ("<meta charset=no-such-thing><p>Peña</p>".encode(), "Peña"),
        (codecs.BOM_UTF16_LE + "<p>Peña</p>".encode("utf-16-le"), "Peña"),
        (codecs.BOM_UTF8 + "<p>Peña</p>".encode(), "Peña"),
    ],
)
def test_decoding(body: bytes, text: str) -> None:
    assert parse_page(body, "http://h/").text == text
    assert isinstance(decode(body), str)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00\xff\xfe<<<>>>",
        b"<a href='http://[bad'>broken</a><a href=/next>next</a>",
        b"<!DOCTYPE html [ <!ENTITY x 'y'> ]><a href=/after>after</a>",
        b"<![if !IE]><a href=/after>after</a><![endif]>",
        b"<script/><a href=/after>after</a>",
        b"<a href=/after>after</a><!-- never closed",
    ],
)
def test_odd_markup_loses_nothing_after_it(body: bytes) -> None:
    page = parse_page(body, "http://h/")
    if b"after" in body:
        assert page.links[-1] == Link("after", "http://h/after")
    if b"next" in body:
        assert page.links == (Link("broken", "http://[bad"), Link("next", "http://h/next"))


def test_a_page_is_a_value() -> None:
    page = parse_page(saved("verify_table.html"), ALSD)
    assert page == parse_page(saved("verify_table.html"), ALSD)
    assert isinstance(page.forms[0], Form)
    with pytest.raises(AttributeError):
        page.text = "changed"  # type: ignore[misc]
