"""Which New York City borough a place string points at, from the gazetteer ``jobs/reference/nyc_gazetteer.csv``.

Meant for the place strings posts carry: a profile location ("Astoria, Queens"), a place's full name
("Williamsburg, Brooklyn"), a place named in a Chinese post (法拉盛). Pure Python, no Spark: the same
entries (``entries()``, longest first, already normalised) can be turned into Spark expressions.

Known limits, by design: a neighbourhood name other cities also have ("Chelsea", "SoHo", "Williamsburg")
resolves to the New York one unless a US state other than New York follows it ("Williamsburg, VA"), so
apply it to posts already about New York; a point of interest ("Yankee Stadium") is not in the gazetteer
(use the place's bounding box); "New York" alone is the city, although the postal "New York, NY" is
Manhattan.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from jobs.nyc_boroughs import BOROUGHS as CURATED_BOROUGHS
from jobs.social.terms import Terms

BOROUGHS = tuple(CURATED_BOROUGHS.values())  # as the curated tables spell them
KINDS = ("borough", "neighbourhood", "spelling")

# Parts of an address that name the city, state, country or ZIP code: they say nothing about the borough
# ("Brooklyn, NY 11211, USA" is Brooklyn), and a string made only of them is the whole city ("New York, NY").
_CITY_WIDE_WORDS = frozenset({"new", "york", "city", "ny", "nyc", "usa", "us", "united", "states", "of", "america", "纽约", "紐約", "纽约市", "紐約市", "美国", "美國"})
_ZIP = re.compile(r"^\d{5}(\d{4})?$")
# A last part naming another US state means another place of that name ("Astoria, OR", "Williamsburg, Virginia").
_OTHER_STATES = frozenset(
    "al ak az ar ca co ct de dc fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv nh nj nm nc nd oh ok "
    "or pa ri sc sd tn tx ut vt va wa wv wi wy".split()
) | frozenset(
    name.lower() for name in (
        "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware", "Florida",
        "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine",
        "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska",
        "Nevada", "New Hampshire", "New Jersey", "New Mexico", "North Carolina", "North Dakota", "Ohio", "Oklahoma",
        "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas", "Utah",
        "Vermont", "Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming",
    )
)
_PART_SEPARATORS = re.compile(r"[,;|/\n·，、]")
# ASCII characters that are neither letters nor digits: "." and "'" removed, the others a blank.
_ASCII_PUNCTUATION = {code: (None if chr(code) in ".'" else " ") for code in range(128) if not chr(code).isalnum()}


@dataclass(frozen=True)
class Entry:
    """One gazetteer row, with its name normalised (``key``)."""

    name: str
    borough: str
    kind: str
    key: str


def normalise(text: str) -> str:
    """Text as the gazetteer compares it: case and accents dropped, ``.`` and ``'`` removed, other punctuation a blank.

    "S.I." and "SI" are one spelling, "Hell's Kitchen" and "Hells Kitchen" one name, "Bed-Stuy" is "bed stuy";
    full-width characters become their ordinary forms (NFKD), so "ＢＫ" is "bk".
    """
    if text.isascii():  # most posts: the same result, without a Python loop per character
        return " ".join(text.translate(_ASCII_PUNCTUATION).casefold().split())
    decomposed = unicodedata.normalize("NFKD", text)
    kept = []
    for character in decomposed:
        if unicodedata.category(character) == "Mn":  # a combining accent
            continue
        if character in ".'’":
            continue
        kept.append(character if character.isalnum() else " ")
    return " ".join("".join(kept).casefold().split())


@lru_cache(maxsize=1)
def entries() -> tuple[Entry, ...]:
    """The gazetteer's rows, longest normalised name first; raises ValueError naming a bad row."""
    text = resources.files("jobs.reference").joinpath("nyc_gazetteer.csv").read_text(encoding="utf-8")
    rows: dict[str, Entry] = {}
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        name, borough, kind = row["name"].strip(), row["borough"].strip(), row["kind"].strip()
        if borough not in BOROUGHS:
            raise ValueError(f"nyc_gazetteer.csv line {line}: unknown borough {borough!r}; allowed: {BOROUGHS}")
        if kind not in KINDS:
            raise ValueError(f"nyc_gazetteer.csv line {line}: unknown kind {kind!r}; allowed: {KINDS}")
        key = normalise(name)
        if not key or all(word in _CITY_WIDE_WORDS for word in key.split()):
            raise ValueError(f"nyc_gazetteer.csv line {line}: {name!r} names the whole city, not a borough")
        if key in rows:
            raise ValueError(f"nyc_gazetteer.csv line {line}: {name!r} repeats {rows[key].name!r}")
        rows[key] = Entry(name, borough, kind, key)
    return tuple(sorted(rows.values(), key=lambda entry: (-len(entry.key), entry.key)))


@lru_cache(maxsize=1)
def _names() -> tuple[Terms, dict[str, Entry]]:
    """Every name, searched in one pass (Latin names as whole words, Chinese ones anywhere)."""
    by_key = {entry.key: entry for entry in entries()}
    return Terms(by_key), by_key


def _is_city_wide(part: str) -> bool:
    return all(word in _CITY_WIDE_WORDS or _ZIP.match(word) for word in part.split())


def borough_of_place(text: str | None) -> str | None:
    """The borough a place string names, or None (nothing known, only the city, or another state's place).

    The parts that name only the city, state or ZIP code are set aside ("Brooklyn, NY 11211" is
    Brooklyn); a last part naming another US state means another place of the name ("Astoria, OR").
    """
    if not text:
        return None
    parts = [normalise(part) for part in _PART_SEPARATORS.split(text)]
    parts = [part for part in parts if part]
    while parts and _is_city_wide(parts[-1]):
        parts.pop()
    if not parts:
        return None
    last = " ".join(word for word in parts[-1].split() if not _ZIP.match(word))
    if len(parts) > 1 and last in _OTHER_STATES:
        return None
    return borough_named_in(" ".join(parts))


def borough_named_in(normalised: str, words: list[tuple[int, str]] | None = None) -> str | None:
    """The borough of the longest gazetteer name in ``normalise``d text (``words``: its ``words_of``, if known).

    For a post's text as it is: no part of it is a state ("..., ok" is a word), and a ZIP code or the
    city's name is no gazetteer name. The longest name found wins ("Manhattan Beach" is Brooklyn), the
    leftmost among names of equal length; Latin names match whole words only ("Bk" in "Bkln" is not "bk").
    """
    names, by_key = _names()
    found = names.find(normalised, words)
    if not found:
        return None
    longest = min(found, key=lambda match: (-len(match.term), match.start))
    return by_key[longest.term].borough
