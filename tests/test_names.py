"""batch.names.names_match: the rules of link-protocol.md section 6, by table and by property."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from batch.names import SUFFIXES, names_match, parse_name

FAST = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("pacer", "ecf", "same"),
    [
        # the verify screen's usual pair: "Last, First Middle" against "First Middle Last"
        ("Jane Q. Doe", "Doe, Jane Q.", True),
        ("Jane Doe", "Doe, Jane", True),
        ("Jane Doe", "Jane Doe", True),
        # case, white space and Unicode compatibility forms (NFKC)
        ("JANE DOE", "jane doe", True),
        ("  Jane \u00a0 Doe ", "Doe ,Jane", True),
        ("Ｊａｎｅ Ｄｏｅ", "Jane Doe", True),  # full-width letters
        ("José Peña", "Jose\u0301 Pen\u0303a", True),  # composed against decomposed accents
        ("Anna Strauß", "ANNA STRAUSS", True),  # case-folding
        ("José Peña", "Jose Pena", False),  # accents are letters, not punctuation
        # punctuation dropped
        ("Patrick O'Brien", "Patrick OBrien", True),
        ("Patrick O\u2019Brien", "O'Brien, Patrick", True),
        ("Mary-Kate Olsen", "Olsen, Mary-Kate", True),
        ("Jane Q. Doe", "Jane Q Doe", True),
        # suffixes dropped, wherever they are written
        ("Robert Smith Jr.", "Robert Smith", True),
        ("Robert Smith", "Smith, Robert, Jr.", True),
        ("Robert Smith", "Smith Jr., Robert", True),
        ("Robert Smith, Sr.", "Smith, Robert", True),
        ("Robert Smith II", "Robert Smith III", True),
        ("Robert Smith IV", "Smith, Robert", True),
        ("Robert Smith, Esq.", "Smith, Robert J., Jr., Esq.", True),
        # middle names: equal, an initial of the other, or missing on one side
        ("Jane Quinn Doe", "Jane Quinn Doe", True),
        ("Jane Q. Doe", "Jane Quinn Doe", True),
        ("Jane Quinn Doe", "Doe, Jane Q", True),
        ("Jane Doe", "Jane Quinn Doe", True),
        ("Jane Q. Doe", "Doe, Jane", True),
        ("Jane Q. Doe", "Jane R. Doe", False),
        ("Jane Quinn Doe", "Jane Quincy Doe", False),
        ("Jane Q. Doe", "Jane Rose Doe", False),
        ("Jane A. B. Doe", "Jane Ann Beth Doe", True),
        # first and last names must be equal; no nickname table
        ("Bob Smith", "Robert Smith", False),
        ("Robert Smith", "Smith, Bob", False),
        ("R. Smith", "Robert Smith", False),
        ("Jane Doe", "Jane Roe", False),
        ("Jane Doe", "Doe Jane", False),  # "Last First" without the comma is not reordered
        ("Jane Doe", "Joan Doe", False),
        # nothing to compare: never a match
        ("", "", False),
        ("Jane Doe", "", False),
        ("", "Jane Doe", False),
        ("   ", "  ,  ", False),
        ("Jr.", "Jr.", False),
        ("...", "Jane Doe", False),
    ],
)
def test_names_match(pacer: str, ecf: str, same: bool) -> None:
    assert names_match(pacer, ecf) is same
    assert names_match(ecf, pacer) is same


def test_parse_name() -> None:
    parsed = parse_name("Doe, Jane Q., Jr.")
    assert parsed is not None
    assert (parsed.first, parsed.middles, parsed.last) == ("jane", ("q",), "doe")
    assert parse_name("Esq.") is None


# -- properties -----------------------------------------------------------------------

ANY_NAME = st.text(max_size=40)


def _one_word(w: str) -> bool:
    # Some letters are words in disguise: NFKC spells the Arabic ligature U+FC5E with a
    # space, so a "word" of them is several words once normalised, on either side alike.
    folded = unicodedata.normalize("NFKC", w)
    parsed = parse_name(f"x {w}")  # a name needs two words: w must survive as the last one
    return (
        parsed is not None
        and parsed.last != "x"
        and "," not in folded
        and len(folded.split()) == 1 == len(w.split())
    )


# A word with letters in it that is not a suffix: what a first or last name looks like.
WORD = st.text(alphabet=st.characters(categories=("Lu", "Ll", "Lo")), min_size=1, max_size=12).filter(
    _one_word
)


@FAST
@given(ANY_NAME, ANY_NAME)
def test_symmetric(a: str, b: str) -> None:
    assert names_match(a, b) is names_match(b, a)


@FAST
@given(ANY_NAME, WORD, WORD, ANY_NAME)
def test_reflexive_when_there_are_two_words(before: str, word: str, other: str, after: str) -> None:
    name = f"{before} {word} {other} {after}"
    assert names_match(name, name)


@FAST
@given(WORD, st.lists(WORD, max_size=2), WORD)
def test_last_comma_first_is_first_last(first: str, middles: list[str], last: str) -> None:
    given_names = " ".join([first, *middles])
    assert names_match(f"{last}, {given_names}", f"{given_names} {last}")


@FAST
@given(WORD, WORD, WORD, st.sampled_from(sorted(SUFFIXES)))
def test_suffix_and_initial_do_not_matter(first: str, middle: str, last: str, suffix: str) -> None:
    # an initial is one character once normalised ("ß" folds to "ss", "ǅ" to "dž")
    assume(len(unicodedata.normalize("NFKC", middle[0]).casefold()) == 1)
    full = f"{first} {middle} {last}"
    assert names_match(full, f"{last}, {first} {middle[0]}., {suffix.title()}.")
    assert names_match(full, f"{first} {last}")


def test_a_single_word_never_matches_and_initials_are_not_suffixes():
    from batch.names import names_match as match

    assert not match("J.R. Smith", "Smith")
    assert not match("Smith", "Smith")
    assert match("John Smith Jr.", "Smith, John")
