"""Finding many reviewed terms (place names, topic keywords, lexicon entries) in a post, fast.

Every list this domain matches against text follows one rule: a Latin term matches whole words only
(a term ending in ``*`` also as a word prefix: ``delay*`` finds delays, delayed), a Chinese term
anywhere (Chinese has no blanks between words). Searching each post once per term with a regex costs
a scan per term per post (hundreds); ``Terms`` instead splits the text into Latin words once and looks
word sequences up in sets, and finds Chinese terms by plain substring search.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Letters and digits of Latin script make words; anything else (blanks, punctuation, CJK characters)
# separates them ("住在Brooklyn" holds the word "brooklyn").
LATIN_WORD = "0-9a-z\u00c0-\u024f"
_WORD = re.compile(f"[{LATIN_WORD}]+")
_HEAD = 2  # one-word prefixes are at least this long ("rat*" would be 3)


@dataclass(frozen=True)
class Match:
    start: int  # position in the text searched
    term: str  # as given to ``Terms``


def words_of(text: str) -> list[tuple[int, str]]:
    """The Latin words of ``text`` with their positions (split once, searched for several lists)."""
    return [(match.start(), match.group()) for match in _WORD.finditer(text)]


class Terms:
    """A list of terms, lower case (``*`` at the end for a prefix), to find in lower-case text.

    Indexed by first word, so a word that starts no term costs one dict lookup (and one per length of
    one-word prefixes): most words of a post start none.
    """

    def __init__(self, terms: Iterable[str]) -> None:
        # first word -> (the words after it, whether the last one is a prefix, term)
        self._by_first: dict[str, list[tuple[tuple[str, ...], bool, str]]] = {}
        # one-word prefixes, by length: {length: {prefix: term}}
        self._one_word_prefixes: dict[int, dict[str, str]] = {}
        self._anywhere: list[str] = []
        for term in terms:
            prefix = term.endswith("*")
            bare = term.rstrip("*")
            if not bare.isascii():
                self._anywhere.append(term)
                continue
            first, *rest = _WORD.findall(bare)
            if prefix and not rest:
                self._one_word_prefixes.setdefault(len(first), {})[first] = term
            else:
                self._by_first.setdefault(first, []).append((tuple(rest), prefix, term))
        # The first letters every one-word prefix starts with: a word that starts with none is skipped at once.
        self._prefix_heads = {prefix[:_HEAD] for prefixes in self._one_word_prefixes.values() for prefix in prefixes}

    def find(self, text: str, words: list[tuple[int, str]] | None = None) -> list[Match]:
        """Every term in ``text`` (overlapping ones too), by position; ``words``: ``words_of(text)`` if known."""
        if not text:
            return []
        found = []
        if self._by_first or self._one_word_prefixes:
            words = words_of(text) if words is None else words
            for index, (start, word) in enumerate(words):
                for rest, prefix, term in self._by_first.get(word, ()):
                    following = words[index + 1 : index + 1 + len(rest)]
                    if len(following) == len(rest) and all(
                        got == wanted or (prefix and position == len(rest) - 1 and got.startswith(wanted))
                        for position, ((_, got), wanted) in enumerate(zip(following, rest))
                    ):
                        found.append(Match(start, term))
                if word[:_HEAD] in self._prefix_heads:
                    for length, prefixes in self._one_word_prefixes.items():
                        term = prefixes.get(word[:length]) if len(word) >= length else None
                        if term:
                            found.append(Match(start, term))
        # A term with a non-ASCII letter cannot be in ASCII text: most English posts skip a search per term.
        for term in self._anywhere if not text.isascii() else ():
            position = text.find(term)
            while position >= 0:
                found.append(Match(position, term))
                position = text.find(term, position + 1)
        return sorted(found, key=lambda match: match.start) if len(found) > 1 else found
