"""A forgiving reader of CM/ECF pages: visible text, links, forms. Pure; never raises.

Real CM/ECF markup is old and loose (domain.md): upper-case tags, unquoted attributes,
access keys underlined inside words (``C<u>i</u>vil``), labels broken across lines
(``Log<br>Out``), ``&nbsp;`` between words. What counts is the text a browser shows, so
inline tags are joined without a space and block tags split text into blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

_SPACE = re.compile(r"\s+")
_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "menu",
        "nav",
        "ol",
        "option",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "label",
        "legend",
        "select",
        "textarea",
    ]
)
_INVISIBLE = frozenset({"script", "style", "title", "head", "noscript", "template"})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def collapse(text: str) -> str:
    """White space (``&nbsp;`` included) folded to single spaces, ends trimmed."""
    return _SPACE.sub(" ", text.replace("\xa0", " ")).strip()


def norm(text: str) -> str:
    """``collapse`` and case-folded: how every pattern is compared with a page."""
    return collapse(text).casefold()


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    href: str  # absolute


@dataclass(frozen=True, slots=True)
class Input:
    name: str
    type: str
    value: str


@dataclass(frozen=True, slots=True)
class Form:
    action: str  # absolute
    method: str  # upper case
    enctype: str  # lower case
    inputs: tuple[Input, ...]


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    text: str
    blocks: tuple[str, ...]
    links: tuple[Link, ...]
    forms: tuple[Form, ...]


@dataclass
class _OpenForm:
    action: str
    method: str
    enctype: str
    inputs: list[Input] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = url
        self.blocks: list[str] = []
        self._block: list[str] = []
        self._hidden = 0
        self._link: tuple[str, list[str]] | None = None
        self.links: list[Link] = []
        self._form: _OpenForm | None = None
        self.forms: list[Form] = []
        self._textarea: tuple[str, list[str]] | None = None
        self._select: str | None = None
        self._select_value: str | None = None

    def _break(self) -> None:
        if self._link is not None:
            self._link[1].append(" ")  # "Log<BR>Out" reads "Log Out", not "LogOut"
        text = collapse("".join(self._block))
        if text:
            self.blocks.append(text)
        self._block = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag in _INVISIBLE:
            self._hidden += 1
            return
        if tag == "base" and a.get("href"):
            self.base = urljoin(self.base, a["href"])
        if tag in _BLOCK:
            self._break()
        if tag == "a" and "href" in a:
            self._end_link()
            self._link = (urljoin(self.base, a["href"].strip()), [])
        elif tag == "form":
            self._end_form()
            self._form = _OpenForm(
                action=urljoin(self.base, a.get("action", "").strip()) if a.get("action") else self.base,
                method=(a.get("method") or "GET").upper(),
                enctype=(a.get("enctype") or "application/x-www-form-urlencoded").lower(),
            )
        elif tag == "input" and self._form is not None:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form.inputs.append(Input(a.get("name", ""), kind, a.get("value", "")))
        elif tag == "button" and self._form is not None and (a.get("type") or "submit").lower() == "submit":
            self._form.inputs.append(Input(a.get("name", ""), "submit", a.get("value", "")))
        elif tag == "textarea":
            self._textarea = (a.get("name", ""), [])
        elif tag == "select":
            self._select, self._select_value = a.get("name", ""), None
        elif tag == "option" and self._select is not None and (self._select_value is None or "selected" in a):
            self._select_value = a.get("value", "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self._hidden = max(0, self._hidden - 1)
            return
        if tag == "a":
            self._end_link()
        elif tag == "form":
            self._end_form()
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form.inputs.append(Input(self._textarea[0], "textarea", "".join(self._textarea[1])))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if self._form is not None:
                self._form.inputs.append(Input(self._select, "select", self._select_value or ""))
            self._select = None
        if tag in _BLOCK:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._textarea is not None:
            self._textarea[1].append(data)
            return
        self._block.append(data)
        if self._link is not None:
            self._link[1].append(data)

    def _end_link(self) -> None:
        if self._link is not None:
            href, parts = self._link
            self.links.append(Link(collapse("".join(parts)), href))
            self._link = None

    def _end_form(self) -> None:
        if self._form is not None:
            f = self._form
            self.forms.append(Form(f.action, f.method, f.enctype, tuple(f.inputs)))
            self._form = None

    def finish(self) -> None:
        self._end_link()
        self._end_form()  # an unclosed form ends with the document
        self._break()


def decode(body: bytes) -> str:
    match = _META_CHARSET.search(body[:4096])
    if match:
        try:
            return body.decode(match.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")  # old court pages are Windows-1252


def parse_page(body: bytes, url: str) -> Page:
    reader = _Reader(url)
    try:
        reader.feed(decode(body))
        reader.close()
    except Exception:  # html.parser can trip on pathological input: keep what was read
        pass
    reader.finish()
    blocks = tuple(reader.blocks)
    return Page(url, collapse(" ".join(blocks)), blocks, tuple(reader.links), tuple(reader.forms))
