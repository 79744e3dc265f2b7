"""Do two account names belong to the same person? (link-protocol.md, section 6)

The client compares the PACER name with the CM/ECF name itself before it confirms a
link, and the sandbox refuses a confirm by the same rule. Deliberately literal: "Bob"
and "Robert" do not match, because a person must decide that, not a nickname table.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "esq"})


@dataclass(frozen=True, slots=True)
class ParsedName:
    first: str
    middles: tuple[str, ...]
    last: str


def _clean(word: str) -> str:
    # Drop punctuation (periods of initials, apostrophes, hyphens) but keep letters and digits.
    return "".join(ch for ch in word if ch.isalnum())


def parse_name(raw: str) -> ParsedName | None:
    """Normalise a name to first, middles, last; None without at least a first and a last word."""
    text = unicodedata.normalize("NFKC", raw).casefold()
    parts = [p for p in (part.strip() for part in text.split(",")) if p]
    # "Doe, Jane Q., Jr." -> the parts that are only suffixes do not count as "Last, First".
    parts = [p for p in parts if not all(_clean(w) in SUFFIXES for w in p.split())]
    if len(parts) >= 2:  # "Last, First Middle" -> "First Middle Last"
        parts = [*parts[1:], parts[0]]
    words = [w for w in (_clean(w) for w in " ".join(parts).split()) if w]
    # A suffix is never the first word: "J.R. Smith" keeps his initials.
    words = [w for i, w in enumerate(words) if i == 0 or w not in SUFFIXES]
    if len(words) < 2:
        return None  # one word is not a first and a last name: a person decides
    return ParsedName(first=words[0], middles=tuple(words[1:-1]), last=words[-1])


def _middle_compatible(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) == 1 and long_.startswith(short)


def names_match(pacer_name: str, ecf_name: str) -> bool:
    a, b = parse_name(pacer_name), parse_name(ecf_name)
    if a is None or b is None:
        return False
    if a.first != b.first or a.last != b.last:
        return False
    if not a.middles or not b.middles:
        return True
    return len(a.middles) == len(b.middles) and all(
        _middle_compatible(x, y) for x, y in zip(a.middles, b.middles, strict=True)
    )
