"""Pure recognisers of court pages, over parsed pages and patterns from configuration.

Nothing here knows a URL or a field name of the link form: links are found by their
visible text, forms by their input types, answers by wording kept in ``[patterns]`` of
``config/default.toml`` (link-protocol.md: the form, its fields and the texts are not
public). A page that matches no pattern is UNRECOGNIZED, never guessed at.
"""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

from batch import CONFIG_DIR
from batch.markup import Form, Page, norm
from batch.registry import CourtType

_TEXT_LISTS = (
    "link_item",
    "bad_credentials",
    "locked",
    "linked_elsewhere",
    "already_linked",
    "linked",
    "names_differ",
    "login_disabled",
    "login_not_upgraded",
)
_TEXTS = ("logout_href", "utilities_path", "pacer_name_label", "ecf_name_label")


@dataclass(frozen=True, slots=True)
class Patterns:
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
    filing_menus: Mapping[CourtType, tuple[str, ...]]

    @classmethod
    def from_config(cls, table: Mapping[str, Any]) -> Patterns:
        """Build from the ``[patterns]`` table; ValueError names a missing or bad key."""
        values: dict[str, Any] = {}
        for key in _TEXTS:
            if not isinstance(table.get(key), str) or not table[key]:
                raise ValueError(f"[patterns] {key} must be non-empty text")
            values[key] = table[key]
        for key in _TEXT_LISTS:
            items = table.get(key)
            if not isinstance(items, list) or not items or not all(isinstance(i, str) and i for i in items):
                raise ValueError(f"[patterns] {key} must be a list of non-empty texts")
            values[key] = tuple(items)
        menus = table.get("filing_menus")
        if not isinstance(menus, Mapping):
            raise ValueError("[patterns.filing_menus] must name the menus of each court type")
        try:
            values["filing_menus"] = {t: tuple(menus[t.value]) for t in CourtType}
        except (KeyError, TypeError):
            raise ValueError(
                "[patterns.filing_menus] needs district, bankruptcy and appellate lists"
            ) from None
        return cls(**values)

    @classmethod
    def default(cls) -> Patterns:
        with (CONFIG_DIR / "default.toml").open("rb") as f:
            return cls.from_config(tomllib.load(f)["patterns"])


class PageKind(Enum):
    VERIFY = "verify"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    LINKED_ELSEWHERE = "linked_elsewhere"
    ALREADY_LINKED = "already_linked"
    NAMES_DIFFER = "names_differ"
    LINKED = "linked"
    UNRECOGNIZED = "unrecognized"


@dataclass(frozen=True, slots=True)
class FormFill:
    form: Form
    login_field: str
    password_field: str


@dataclass(frozen=True, slots=True)
class CredentialsAnswer:
    kind: PageKind
    pacer_name: str = ""
    ecf_name: str = ""
    form: Form | None = None


def _says(page: Page, texts: Iterable[str]) -> bool:
    body = norm(page.text)
    return any(norm(t) in body for t in texts)


def is_logged_in(page: Page, patterns: Patterns) -> bool:
    """juriscraper's test: a logged-in CM/ECF page links to ``login.pl?logout``."""
    want = patterns.logout_href.casefold()
    for link in page.links:
        parts = urlsplit(link.href)
        if f"{parts.path}?{parts.query}".casefold().endswith(want):
            return True
    return False


def filing_menus(page: Page, court_type: CourtType, patterns: Patterns) -> list[str]:
    """The filing menus among the page's links (their presence means "linked here")."""
    wanted = {norm(m): m for m in patterns.filing_menus[court_type]}
    found = {wanted[norm(link.text)] for link in page.links if norm(link.text) in wanted}
    return [m for m in patterns.filing_menus[court_type] if m in found]


def find_link_item(page: Page, patterns: Patterns) -> str | None:
    items = [norm(t) for t in patterns.link_item]
    for link in page.links:
        text = norm(link.text)
        if text and any(item == text or item in text for item in items):
            return link.href
    return None


def _text_like(kind: str) -> bool:
    return kind in ("text", "email", "")


def credentials_form(page: Page) -> FormFill | None:
    """The POST form with exactly one text input and one password input, whatever their names."""
    for form in page.forms:
        if form.method != "POST":
            continue
        texts = [i for i in form.inputs if _text_like(i.type) and i.name]
        passwords = [i for i in form.inputs if i.type == "password" and i.name]
        if len(texts) == 1 and len(passwords) == 1:
            return FormFill(form, texts[0].name, passwords[0].name)
    return None


def _value_after(page: Page, label: str) -> str:
    """The text shown after a label: the next block, or the rest of "Label: value"."""
    want = norm(label)
    blocks = page.blocks
    for i, block in enumerate(blocks):
        text = norm(block)
        if text == want or text == want + ":":
            return blocks[i + 1].strip() if i + 1 < len(blocks) else ""
        if text.startswith(want + ":"):
            return block.split(":", 1)[1].strip()
    return ""


def classify_credentials_answer(page: Page, patterns: Patterns) -> CredentialsAnswer:
    """The court's answer to the CM/ECF login and password (link-protocol.md section 5)."""
    for kind, texts in (
        (PageKind.LOCKED, patterns.locked),
        (PageKind.BAD_CREDENTIALS, patterns.bad_credentials),
        (PageKind.LINKED_ELSEWHERE, patterns.linked_elsewhere),
        (PageKind.ALREADY_LINKED, patterns.already_linked),
    ):
        if _says(page, texts):
            return CredentialsAnswer(kind)
    posts = [f for f in page.forms if f.method == "POST"]
    pacer = _value_after(page, patterns.pacer_name_label)
    ecf = _value_after(page, patterns.ecf_name_label)
    labels = {norm(patterns.pacer_name_label), norm(patterns.ecf_name_label)}
    if posts and pacer and ecf and norm(pacer) not in labels and norm(ecf) not in labels:
        return CredentialsAnswer(PageKind.VERIFY, pacer, ecf, posts[0])
    return CredentialsAnswer(PageKind.UNRECOGNIZED)


def classify_confirm_answer(page: Page, patterns: Patterns) -> PageKind:
    """The court's answer to the confirm: linked, names differ, or one of the section 5 errors."""
    if _says(page, patterns.names_differ):
        return PageKind.NAMES_DIFFER
    if _says(page, patterns.linked):
        return PageKind.LINKED
    kind = classify_credentials_answer(page, patterns).kind
    return kind if kind is not PageKind.VERIFY else PageKind.UNRECOGNIZED


_HIDDEN_VALUE = re.compile(
    rb"""(<input\b[^>]*?\btype\s*=\s*["']?(?:hidden|password)\b[^>]*?\bvalue\s*=\s*)("[^"]*"|'[^']*'|[^\s>]*)""",
    re.I,
)
_HIDDEN_VALUE_FIRST = re.compile(
    rb"""(<input\b[^>]*?\bvalue\s*=\s*)("[^"]*"|'[^']*'|[^\s>]*)([^>]*?\btype\s*=\s*["']?(?:hidden|password)\b)""",
    re.I,
)
_TOKENISH = re.compile(rb"[A-Za-z0-9]{100,}")
MASK = b"********"


def snapshot_html(body: bytes, secrets: Iterable[str]) -> bytes:
    """A copy of a page safe to save beside the results: secrets, form tokens and
    session-token-shaped runs removed. Pure."""
    out = body
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        forms = {
            secret,
            html.escape(secret),
            html.escape(secret, quote=False),
            quote(secret, safe=""),
            quote_plus(secret),
        }
        for form in sorted(forms, key=len, reverse=True):
            out = out.replace(form.encode("utf-8", "replace"), MASK)
    out = _HIDDEN_VALUE.sub(lambda m: m.group(1) + b'""', out)
    out = _HIDDEN_VALUE_FIRST.sub(lambda m: m.group(1) + b'""' + m.group(3), out)
    return _TOKENISH.sub(MASK, out)
