"""Pure recognisers of court pages, over parsed pages and patterns from configuration.

Nothing here knows a URL or a field name of the link form: links are found by their
visible text, forms by their input types, answers by wording kept in ``[patterns]`` of
``config/default.toml`` (link-protocol.md sections 3-6: the form, its fields and the
texts are not public). Every pattern is compared after ``norm`` (white space collapsed,
case-folded) with the text a browser shows. A page that matches no pattern is
``PageKind.UNRECOGNIZED``, never guessed at: the caller saves a snapshot
(``snapshot_html``) and a person looks.

Both answers the court gives (to the credentials, then to the confirm) are read into
one enum, ``PageKind``, so the caller maps each kind to an outcome in one place.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

from batch import CONFIG_DIR
from batch.markup import Form, Input, Page, collapse, norm
from batch.registry import CourtType

_TEXTS = ("logout_href", "utilities_path", "pacer_name_label", "ecf_name_label")
_LIST_KEYS = (
    "link_item bad_credentials locked linked_elsewhere already_linked linked names_differ "
    "login_disabled login_not_upgraded"
)
_TEXT_LISTS = tuple(_LIST_KEYS.split())


class PatternError(ValueError):
    """A ``[patterns]`` table that cannot be used. ``key`` is the dotted key at fault
    (``"filing_menus.district"``; ``""`` for the table itself), so that settings can tell
    which configuration file set it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _text(key: str, value: object) -> str:
    # A pattern that is empty after collapsing would be "found" in every page.
    if not isinstance(value, str) or not collapse(value):
        raise PatternError(key, f"[patterns] {key} must be a non-empty text, not {value!r}")
    return value


def _texts(key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):  # one wording written without brackets: forgive it
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise PatternError(key, f'[patterns] {key} must be a list of texts, such as ["..."], not {value!r}')
    return tuple(_text(key, item) for item in value)


@dataclass(frozen=True, slots=True)
class Patterns:
    """The ``[patterns]`` table: every wording the tool looks for on a court page."""

    logout_href: str
    utilities_path: str
    pacer_name_label: str
    ecf_name_label: str
    link_item: tuple[str, ...]
    bad_credentials: tuple[str, ...]
    locked: tuple[str, ...]
    linked_elsewhere: tuple[str, ...]
    already_linked: tuple[str, ...]
    linked: tuple[str, ...]
    names_differ: tuple[str, ...]
    login_disabled: tuple[str, ...]
    login_not_upgraded: tuple[str, ...]
    filing_menus: Mapping[CourtType, tuple[str, ...]] = field(hash=False)

    @classmethod
    def from_config(cls, table: Mapping[str, Any]) -> Patterns:
        """Build from the ``[patterns]`` table; PatternError names a missing, unknown or bad key."""
        if not isinstance(table, Mapping):
            raise PatternError("", "[patterns] must be a table")
        known = {*_TEXTS, *_TEXT_LISTS, "filing_menus"}
        unknown = sorted(set(table) - known)
        if unknown:  # a misspelt override would otherwise be ignored without a word
            raise PatternError(
                unknown[0],
                f"[patterns] has unknown key {unknown[0]!r}; known keys: {', '.join(sorted(known))}",
            )
        values: dict[str, Any] = {key: _text(key, table.get(key)) for key in _TEXTS}
        values.update({key: _texts(key, table.get(key)) for key in _TEXT_LISTS})
        menus = table.get("filing_menus")
        if not isinstance(menus, Mapping):
            raise PatternError(
                "filing_menus",
                "[patterns.filing_menus] must be a table with district, bankruptcy and appellate",
            )
        wrong = sorted(set(menus) - {t.value for t in CourtType})
        if wrong:
            raise PatternError(
                f"filing_menus.{wrong[0]}",
                f"[patterns.filing_menus] has unknown court type {wrong[0]!r}; "
                f"known: {', '.join(t.value for t in CourtType)}",
            )
        values["filing_menus"] = {t: _texts(f"filing_menus.{t.value}", menus.get(t.value)) for t in CourtType}
        return cls(**values)

    @classmethod
    def default(cls) -> Patterns:
        """The patterns of ``config/default.toml``."""
        with (CONFIG_DIR / "default.toml").open("rb") as f:
            return cls.from_config(tomllib.load(f)["patterns"])


class PageKind(Enum):
    """What a court's answer page says (link-protocol.md sections 5 and 6)."""

    VERIFY = "verify"  # the verify screen: both names and a form to confirm with
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    LINKED_ELSEWHERE = "linked_elsewhere"
    ALREADY_LINKED = "already_linked"
    NAMES_DIFFER = "names_differ"  # the court refused the confirm
    LINKED = "linked"  # the court says the link is made (the menus still get checked)
    UNRECOGNIZED = "unrecognized"


@dataclass(frozen=True, slots=True)
class FormFill:
    """The credentials form, and which of its inputs take the CM/ECF login and password."""

    form: Form
    login_field: str
    password_field: str
    hidden: tuple[Input, ...]  # sent back unchanged (one holds a one-time form token)


@dataclass(frozen=True, slots=True)
class CredentialsAnswer:
    kind: PageKind
    pacer_name: str = ""  # VERIFY only
    ecf_name: str = ""  # VERIFY only
    form: Form | None = None  # VERIFY only: the form that confirms the link


def _says(page: Page, texts: Iterable[str]) -> bool:
    body = norm(page.text)
    return any(norm(t) in body for t in texts)


def is_logged_in(page: Page, patterns: Patterns) -> bool:
    """juriscraper's test: a logged-in CM/ECF page links to ``login.pl?logout``; PACER's
    login page (where an expired session lands) does not."""
    want = patterns.logout_href.strip().casefold()
    for link in page.links:
        try:
            parts = urlsplit(link.href)
        except ValueError:
            continue
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        if tail.casefold().endswith(want):
            return True
    return False


def filing_menus(page: Page, court_type: CourtType, patterns: Patterns) -> list[str]:
    """The filing menus among the page's links, in configuration order. Exact visible
    text: "Civil" must not be found in "Civil Rights Cases" or in a paragraph."""
    shown = {norm(link.text) for link in page.links}
    return [m for m in patterns.filing_menus[court_type] if norm(m) in shown]


def has_filing_menus(page: Page, court_type: CourtType, patterns: Patterns) -> bool:
    return bool(filing_menus(page, court_type, patterns))


def find_link_item(page: Page, patterns: Patterns) -> str | None:
    """The absolute href of the "Link ... to my PACER account" item, found by its
    visible text (the href differs between servers). An exact text wins over a link
    whose text contains the item as whole words (a court may add "(required for
    NextGen)"; "Unlink a CM/ECF account..." must not pass for it)."""
    items = [norm(t) for t in patterns.link_item]
    texts = [(norm(link.text), link.href) for link in page.links]
    for text, href in texts:
        if text in items:
            return href
    within = [re.compile(rf"(?<!\w){re.escape(item)}(?!\w)") for item in items]
    for text, href in texts:
        if any(r.search(text) for r in within):
            return href
    return None


def _text_like(kind: str) -> bool:
    return kind in ("text", "email")  # markup.Input.type is "text" when TYPE is absent


def credentials_form(page: Page) -> FormFill | None:
    """The one POST form with exactly one text input and one password input, whatever
    their names (``login``/``key`` in the sandbox, other names elsewhere). None when no
    form, or more than one, fits: the caller must not guess where a password goes."""
    fits: list[FormFill] = []
    for form in page.forms:
        if form.method != "POST":
            continue
        texts = [i for i in form.inputs if _text_like(i.type) and i.name]
        passwords = [i for i in form.inputs if i.type == "password" and i.name]
        if len(texts) == 1 and len(passwords) == 1:
            hidden = tuple(i for i in form.inputs if i.type == "hidden")
            fits.append(FormFill(form, texts[0].name, passwords[0].name, hidden))
    return fits[0] if len(fits) == 1 else None


_SEPARATOR = re.compile(r"[:\s]*")


def _label_regex(label: str) -> re.Pattern[str]:
    # "PACER Name: Jane Doe" in one block; re.I is enough for the ASCII labels courts use.
    return re.compile(rf"{re.escape(collapse(label))}\s*:\s*(\S.*)", re.I | re.S)


def _value_after(page: Page, label: str, labels: Iterable[str]) -> str:
    """The text shown after a label: the next block (``<th>Label</th><td>value</td>``,
    ``<dt>``/``<dd>``, "Label:" then value), or the rest of one "Label: value" block.
    Empty when the label is missing or the next thing shown is another label (an empty
    ``<td>`` leaves no block, so "PACER Name" would be followed by "CM/ECF Name")."""
    want = norm(label)
    names = {norm(x) for x in labels}
    joined = [_label_regex(x) for x in labels]

    def is_label(block: str) -> bool:
        return norm(block).rstrip(": ") in names or any(r.fullmatch(block) for r in joined)

    one_block = _label_regex(label)
    blocks = page.blocks
    for i, block in enumerate(blocks):
        if norm(block).rstrip(": ") == want:
            # skip a lone ":" cell between label and value (<td>:</td>)
            rest = [b for b in blocks[i + 1 :] if not _SEPARATOR.fullmatch(b)]
            return rest[0] if rest and not is_label(rest[0]) else ""
        match = one_block.fullmatch(block)
        if match:
            return match.group(1).strip()
    return ""


def _verify_form(page: Page) -> Form | None:
    # The verify form asks nothing: hidden inputs and a submit button. A separate Cancel
    # form asks nothing either, but carries no hidden form token (sections 4 and 6), so
    # the one with hidden inputs wins. Still ambiguous: no form we dare confirm with.
    asks = ("password", "text", "email", "textarea")
    forms = [f for f in page.forms if f.method == "POST" and not any(i.type in asks for i in f.inputs)]
    tokened = [f for f in forms if any(i.type == "hidden" for i in f.inputs)]
    for group in (tokened, forms):
        if group:
            return group[0] if len(group) == 1 else None
    return None


# The section 5 errors, most severe first: a lock page may repeat "incorrect", and the
# lock is what a person must act on.
def _error_kind(page: Page, patterns: Patterns) -> PageKind | None:
    for kind, texts in (
        (PageKind.LOCKED, patterns.locked),
        (PageKind.BAD_CREDENTIALS, patterns.bad_credentials),
        (PageKind.LINKED_ELSEWHERE, patterns.linked_elsewhere),
        (PageKind.ALREADY_LINKED, patterns.already_linked),
    ):
        if _says(page, texts):
            return kind
    return None


def classify_credentials_answer(page: Page, patterns: Patterns) -> CredentialsAnswer:
    """The court's answer to the CM/ECF login and password (link-protocol.md section 5):
    an error text first; VERIFY only with a form and both names; else UNRECOGNIZED."""
    kind = _error_kind(page, patterns)
    if kind is not None:
        return CredentialsAnswer(kind)
    labels = (patterns.pacer_name_label, patterns.ecf_name_label)
    pacer = _value_after(page, patterns.pacer_name_label, labels)
    ecf = _value_after(page, patterns.ecf_name_label, labels)
    form = _verify_form(page)
    if form is not None and pacer and ecf:
        return CredentialsAnswer(PageKind.VERIFY, pacer, ecf, form)
    return CredentialsAnswer(PageKind.UNRECOGNIZED)


def classify_confirm_answer(page: Page, patterns: Patterns) -> PageKind:
    """The court's answer to the confirm (section 6): LINKED, NAMES_DIFFER, one of the
    section 5 errors, or UNRECOGNIZED. Every refusal is looked for before the success
    text, so a page that says both is never taken for a link."""
    if _says(page, patterns.names_differ):
        return PageKind.NAMES_DIFFER
    kind = _error_kind(page, patterns)
    if kind is not None:
        return kind
    if _says(page, patterns.linked):
        return PageKind.LINKED
    return PageKind.UNRECOGNIZED


# -- snapshots -------------------------------------------------------------------------

MASK = b"********"
# One <input ...> tag, quoted values skipped whole so a ">" inside one does not end it.
_INPUT_TAG = re.compile(rb"""<input\b(?:[^>"']|"[^"]*"|'[^']*')*>?""", re.I)
_SECRET_TYPE = re.compile(rb"""(?<![\w-])type\s*=\s*["']?\s*(?:hidden|password)(?![\w-])""", re.I)
_VALUE = re.compile(rb"""((?<![\w-])value\s*=\s*)("[^"]*"|'[^']*'|[^\s>"']*)""", re.I)
_TOKENISH = re.compile(rb"[A-Za-z0-9]{100,}")  # the 128-character nextGenCSO token, form tickets
_PERCENT = re.compile(r"%[0-9A-F]{2}")


def _blank_input(match: re.Match[bytes]) -> bytes:
    tag = match.group(0)
    return _VALUE.sub(rb'\1""', tag) if _SECRET_TYPE.search(tag) else tag


def _spellings(secret: str) -> set[bytes]:
    """The ways a page may carry a secret: as is, HTML-escaped, URL-encoded, in a
    JavaScript string; in UTF-8 or in the Windows-1252 of old court pages."""
    texts = {
        secret,
        html.escape(secret),
        html.escape(secret, quote=False),
        html.escape(secret).replace("&#x27;", "&#39;"),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    for encoded in (quote(secret, safe=""), quote(secret), quote_plus(secret)):
        texts |= {encoded, _PERCENT.sub(lambda m: m.group(0).lower(), encoded)}
    out: set[bytes] = set()
    for text in texts:
        for encoding in ("utf-8", "cp1252"):
            with contextlib.suppress(UnicodeEncodeError):
                out.add(text.encode(encoding))
    return {b for b in out if b}


def snapshot_html(body: bytes, secrets: Iterable[str]) -> bytes:
    """A copy of a page safe to save beside the results. Pure. Hidden and password
    inputs lose their values (form tokens), every spelling of each secret becomes
    ``********``, and token-shaped runs of 100+ letters and digits go too."""
    out = _INPUT_TAG.sub(_blank_input, bytes(body))
    # Secrets after the inputs: blanking a value could join text into a secret again.
    spellings: set[bytes] = set()
    for secret in secrets:
        if isinstance(secret, str) and secret:
            spellings |= _spellings(secret)
    for spelling in sorted(spellings, key=len, reverse=True):
        out = out.replace(spelling, MASK)
    return _TOKENISH.sub(MASK, out)
