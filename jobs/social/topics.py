"""A post's city themes, from the versioned keyword taxonomy ``jobs/reference/social_topics.csv``.

How a keyword matches (see ``jobs/social/__init__.py``): case-insensitively after the gazetteer's
normalisation; a Latin keyword matches whole words or phrases, one ending in ``*`` also as a word
prefix; a Chinese keyword anywhere. A post's themes are every theme with a keyword in its text, in
``jobs.themes.THEMES`` order; the keywords found are kept too, as the only "terms" gold may publish
(reviewed vocabulary: never a handle, a name or other personal data).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from jobs.social.gazetteer import normalise
from jobs.social.terms import Terms
from jobs.themes import THEMES

LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Taxonomy:
    version: int
    # (theme, keyword as written), in file order
    keywords: tuple[tuple[str, str], ...]
    # normalised keyword (``*`` kept) -> (theme, keyword as gold shows it), and all of them searched at once
    by_key: dict[str, tuple[str, str]] = field(repr=False, default_factory=dict)
    terms: Terms | None = field(repr=False, default=None)


def _key(keyword: str) -> str:
    return normalise(keyword.rstrip("*")) + ("*" if keyword.endswith("*") else "")


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    """The taxonomy file, checked: one version, known themes and languages; raises ValueError naming a bad row."""
    text = resources.files("jobs.reference").joinpath("social_topics.csv").read_text(encoding="utf-8")
    versions, keywords = set(), []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        if row["theme"] not in THEMES or row["language"] not in LANGUAGES or not row["keyword"].strip("* "):
            raise ValueError(f"social_topics.csv line {line}: theme must be one of {THEMES}, language one of {LANGUAGES}, keyword not empty: {row}")
        versions.add(int(row["version"]))
        keywords.append((row["theme"], row["keyword"]))
    if len(versions) != 1:
        raise ValueError(f"social_topics.csv: one version for the whole file, found {sorted(versions)}")
    by_key = {}
    for theme, keyword in keywords:
        if by_key.setdefault(_key(keyword), (theme, keyword.rstrip("*").lower()))[0] != theme:
            raise ValueError(f"social_topics.csv: {keyword!r} is a keyword of two themes")
    return Taxonomy(versions.pop(), tuple(keywords), by_key, Terms(by_key))


def topics_of(text: str | None) -> tuple[list[str], list[tuple[str, str]]]:
    """``(themes, (theme, keyword) pairs found)`` of a post's text, keywords in text order; ``([], [])`` for none."""
    return topics_in(normalise(text)) if text else ([], [])


def topics_in(normalised: str, words: list[tuple[int, str]] | None = None) -> tuple[list[str], list[tuple[str, str]]]:
    """``topics_of`` a text already ``normalise``d; ``words``: its ``words_of``, if known (one split serves the gazetteer too)."""
    known = taxonomy()
    found = [known.by_key[match.term] for match in known.terms.find(normalised, words)]
    themes = {theme for theme, _ in found}
    return [theme for theme in THEMES if theme in themes], list(dict.fromkeys(found))
