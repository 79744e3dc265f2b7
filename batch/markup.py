"""A forgiving reader of CM/ECF pages: visible text, links, forms. Pure; never raises.

Real CM/ECF markup is old and loose (domain.md): upper-case tags, unquoted attributes,
access keys underlined inside words (``C<u>i</u>vil``), labels broken across lines
(``Log<br>Out``), ``&nbsp;`` between words, ``<HEAD>`` never closed. What counts is the
text a browser shows, so inline tags are joined without a space and block tags split
the text into blocks ("label then value" pairs are read block by block).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

_SPACE = re.compile(r"\s+")
# Tags a browser lays out as their own box (or a line break): text on either side of
# them never runs together, so they end one block and start the next.
_BLOCK_TAGS = (
    "address article aside blockquote br caption center dd dir div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr label legend li main menu nav ol option p pre section "
    "select table tbody td textarea tfoot th thead tr ul"
)
_BLOCK = frozenset(_BLOCK_TAGS.split())
# Content a browser never shows on the page. <noscript> is not here: the client runs no
# script, so, like a browser with scripting off, it sees what <noscript> says.
_INVISIBLE = frozenset({"script", "style", "title", "head", "template"})
# What may sit inside <head>; any other tag means the author forgot </HEAD> (CM/ECF
# pages often do) and the browser has already started the body.
_HEAD_CONTENT = frozenset({"title", "meta", "link", "style", "script", "base", "noscript", "template"})
# Never part of what a form sends.
_NOT_SENT = frozenset({"reset", "button"})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def collapse(text: str) -> str:
    """White space (``&nbsp;`` included) folded to single spaces, ends trimmed."""
    return _SPACE.sub(" ", text.replace("\xa0", " ")).strip()


def norm(text: str) -> str:
    """``collapse`` and case-folded: how every pattern is compared with a page."""
    return collapse(text).casefold()


@dataclass(frozen=True, slots=True)
class Link:
    text: str  # visible text, collapsed
    href: str  # absolute


@dataclass(frozen=True, slots=True)
class Input:
    name: str
    type: str  # lower case; "text" when absent; "textarea", "select" for those elements
    value: str


@dataclass(frozen=True, slots=True)
class Form:
    action: str  # absolute; the page's URL when absent or empty
    method: str  # upper case
    enctype: str  # lower case
    inputs: tuple[Input, ...]  # what the form can send: unchecked boxes, reset and button left out


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    text: str  # everything visible, collapsed
    blocks: tuple[str, ...]
    links: tuple[Link, ...]
    forms: tuple[Form, ...]


def _join(base: str, href: str) -> str:
    try:
        return urljoin(base, href.strip())
    except ValueError:  # "http://[bad" is not a URL; keep the text rather than lose the page
        return href.strip()


@dataclass
class _OpenForm:
    action: str  # raw: resolved once the document's <BASE> is known
    method: str
    enctype: str
    inputs: list[Input] = field(default_factory=list)


@dataclass
class _OpenSelect:
    name: str
    value: str | None = None  # the selected option's value, else the first option's
    chosen: bool = False
    option: tuple[str | None, list[str]] | None = None  # (value attribute, text so far)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.blocks: list[str] = []
        self._block: list[str] = []
        self._hidden: list[str] = []  # open invisible elements
        self._link: tuple[str, list[str]] | None = None
        self.links: list[tuple[str, str]] = []  # (raw href, text)
        self._form: _OpenForm | None = None
        self.forms: list[_OpenForm] = []
        self._textarea: tuple[str, list[str]] | None = None
        self._select: _OpenSelect | None = None

    # -- structure -----------------------------------------------------------------

    def _break(self) -> None:
        if self._link is not None:
            self._link[1].append(" ")  # "Log<BR>Out" reads "Log Out", not "LogOut"
        text = collapse("".join(self._block))
        if text:
            self.blocks.append(text)
        self._block = []

    def _leave_head(self) -> None:
        if "head" in self._hidden:
            del self._hidden[self._hidden.index("head") :]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, empty=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # "<script/>" or "<title/>" open nothing here: a browser would swallow the rest of
        # the page, a reader of old pages is better off ignoring the stray slash's tag.
        self._start(tag, attrs, empty=True)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], empty: bool) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and self.base is None and a.get("href", "").strip():
            self.base = a["href"]  # the first <BASE HREF> counts, for links before it too
        if tag not in _HEAD_CONTENT and tag != "head":
            self._leave_head()
        if tag in _INVISIBLE:
            if not empty:
                self._hidden.append(tag)
            return
        if self._hidden:
            return  # markup inside <title>, <template> or an open <head> shows nothing
        if tag in _BLOCK:
            self._break()
        if tag == "a" and "href" in a:
            self._end_link()
            self._link = (a["href"], [])
        elif tag == "form":
            # A <FORM> inside an unclosed one starts a new form: the page author meant two.
            self._end_form()
            self._form = _OpenForm(
                action=a.get("action", ""),
                method=(a.get("method") or "GET").strip().upper(),
                enctype=(a.get("enctype") or "application/x-www-form-urlencoded").strip().lower(),
            )
        elif tag == "input":
            self._input(a)
        elif tag == "button" and (a.get("type") or "submit").strip().lower() == "submit":
            self._add(Input(a.get("name", ""), "submit", a.get("value", "")))
        elif tag == "textarea" and not empty:
            self._textarea = (a.get("name", ""), [])
        elif tag == "select":
            self._end_select()
            self._select = _OpenSelect(a.get("name", ""))
        elif tag == "option" and self._select is not None:
            self._end_option()
            self._select.option = (a.get("value"), [])
            if "selected" in a and not self._select.chosen:
                self._select.chosen = True
                self._select.value = None  # taken when the option ends
        if empty and tag in _BLOCK:
            self._break()

    def _input(self, a: dict[str, str]) -> None:
        kind = (a.get("type") or "text").strip().lower()
        if kind in _NOT_SENT or (kind in ("checkbox", "radio") and "checked" not in a):
            return
        if kind in ("checkbox", "radio") and "value" not in a:
            a["value"] = "on"  # what a browser sends for a checked box without a value
        self._add(Input(a.get("name", ""), kind, a.get("value", "")))

    def _add(self, item: Input) -> None:
        if self._form is not None:
            self._form.inputs.append(item)

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            if tag in self._hidden:
                del self._hidden[len(self._hidden) - 1 - self._hidden[::-1].index(tag) :]
            return
        if self._hidden:
            return
        if tag == "a":
            self._end_link()
        elif tag == "form":
            self._end_form()
        elif tag == "textarea" and self._textarea is not None:
            self._add(Input(self._textarea[0], "textarea", "".join(self._textarea[1])))
            self._textarea = None
        elif tag == "option":
            self._end_option()
        elif tag == "select":
            self._end_select()
        if tag in _BLOCK:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._hidden == ["head"] and data.strip():
            self._leave_head()  # text after an unclosed <HEAD> is body text
        if self._hidden:
            return
        if self._textarea is not None:
            self._textarea[1].append(data)  # a control's value, not page text
            return
        if self._select is not None and self._select.option is not None:
            self._select.option[1].append(data)
        self._block.append(data)
        if self._link is not None:
            self._link[1].append(data)

    def parse_html_declaration(self, i: int) -> int:
        # _markupbase raises AssertionError on odd "<!...[" declarations; a browser
        # reads them as a bogus comment up to the next ">".
        try:
            return super().parse_html_declaration(i)
        except AssertionError:
            end = self.rawdata.find(">", i + 2)
            return -1 if end < 0 else end + 1

    # -- closing elements ------------------------------------------------------------

    def _end_link(self) -> None:
        if self._link is not None:
            href, parts = self._link
            self.links.append((href, collapse("".join(parts))))
            self._link = None

    def _end_option(self) -> None:
        select = self._select
        if select is None or select.option is None:
            return
        value, parts = select.option
        chosen = value if value is not None else collapse("".join(parts))
        if select.value is None:
            select.value = chosen  # the first option, or the selected one (reset to None)
        select.option = None

    def _end_select(self) -> None:
        if self._select is not None:
            self._end_option()
            self._add(Input(self._select.name, "select", self._select.value or ""))
            self._select = None

    def _end_form(self) -> None:
        if self._form is not None:
            self._end_select()
            self.forms.append(self._form)
            self._form = None

    def finish(self) -> None:
        self._end_link()
        if self._textarea is not None:  # an unclosed textarea swallowed the rest: keep it as a value
            self._add(Input(self._textarea[0], "textarea", "".join(self._textarea[1])))
            self._textarea = None
        self._end_form()  # an unclosed form ends with the document
        self._break()


def _codec(label: bytes) -> str | None:
    try:
        name = codecs.lookup(label.decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"  # browsers ignore a <meta> claiming UTF-16: the bytes read it as ASCII
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"  # what browsers (and old court pages) mean by either label
    return name


def decode(body: bytes) -> str:
    """Bytes to text the way a browser does: byte-order mark, then ``<meta charset>``,
    then UTF-8 if the bytes are valid UTF-8, else Windows-1252 (old court pages)."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    match = _META_CHARSET.search(body[:4096])
    declared = _codec(match.group(1)) if match else None
    if declared:
        try:
            return body.decode(declared, errors="replace")
        except Exception:  # some codecs ("idna", "base64") refuse; ignore the claim
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def parse_page(body: bytes, url: str) -> Page:
    """What a browser would show of ``body`` fetched from ``url``. Never raises."""
    reader = _Reader()
    try:
        reader.feed(decode(body))
        reader.close()
    except Exception:  # a last resort on pathological input: keep what was read
        pass
    reader.finish()
    base = _join(url, reader.base) if reader.base else url
    blocks = tuple(reader.blocks)
    links = tuple(Link(text, _join(base, href)) for href, text in reader.links)
    forms = tuple(
        Form(
            # An empty action posts back to the page itself (not to <BASE>), as browsers do.
            _join(base, f.action) if f.action.strip() else url,
            f.method if f.method in ("GET", "POST") else "GET",
            f.enctype,
            tuple(f.inputs),
        )
        for f in reader.forms
    )
    return Page(url, collapse(" ".join(blocks)), blocks, links, forms)
