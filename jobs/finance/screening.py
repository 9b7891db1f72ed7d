"""How alike two names are, as a sanctions screening scores them (0 to 1).

The design follows moov-io/watchman, the best open-source screening service, and measures itself against
it (``bench/sanctions_matching.py``): both sides normalised, every token of the query scored against
every token of the listed name with Jaro-Winkler, pairs taken greedily best first and one to one, each
pair weighted by its letters, and the listed name's unmatched letters costing a little. Where it goes
further, each for a failure watchman has on the list's own aliases:

- transliteration: a token pair also scores by its consonant skeletons (``names.skeleton``), so
  "Husayn"/"Hussein" and "Qadhafi"/"Gaddafi" match; a skeleton match counts a little less than a spelled one;
- glued words: "Abdallah" matches "Abd Allah", "Alshabaab" "Al Shabaab";
- noise: legal forms, honorifics and name particles are set aside (``names.tokens``) instead of scored;
- rarity: a token weighs by its letters times its rarity on the list (inverse document frequency, at
  least 1), so a match on "Muhammad" or "Foundation" alone counts less than one on "Tikriti".

Candidates come from blocking (``names.blocking_keys``): a name is scored only against listed names that
share a key with it, never against the whole list (the bench reports what blocking keeps and spares).

Every figure here is a parameter with a name, so a compliance team can tune and document it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from rapidfuzz.distance import JaroWinkler

from jobs.finance.names import blocking_keys, skeleton, tokens

THRESHOLD = 0.90  # a hit from here on (see the bench's precision and recall per threshold)


@dataclass(frozen=True)
class Weights:
    """The matcher's parameters (defaults measured on the OFAC list's aliases: see the bench)."""

    skeleton_credit: float = 0.95  # a token pair that matches only by skeleton scores this much of 1.0
    length_cutoff: float = 0.9  # tokens whose lengths differ more than this ratio ...
    length_penalty: float = 0.3  # ... lose this share of the shortfall
    first_letter_penalty: float = 0.9  # a pair that starts with different letters (and skeletons) keeps this share
    unmatched_listed_penalty: float = 0.15  # the listed name's unmatched share costs this much of itself


DEFAULT = Weights()


def token_similarity(query: str, listed: str, weights: Weights = DEFAULT) -> float:
    """Jaro-Winkler of two tokens, corrected for what it is lenient on (lengths, first letters), or
    their skeletons' agreement, whichever is higher."""
    score = JaroWinkler.similarity(query, listed)
    shorter, longer = sorted((len(query), len(listed)))
    if shorter / longer < weights.length_cutoff:
        score *= 1.0 - (1.0 - shorter / longer) * weights.length_penalty
    first_query, first_listed = skeleton(query), skeleton(listed)
    if query[0] != listed[0] and first_query[:1] != first_listed[:1]:
        score *= weights.first_letter_penalty
    if first_query == first_listed and len(first_query) >= 2:
        score = max(score, weights.skeleton_credit)
    return score


def _glued(words: tuple[str, ...], other: tuple[str, ...]) -> tuple[str, ...]:
    """``words`` with each adjacent pair joined when the joined form is a token of ``other``."""
    joined, index = [], 0
    other_set = set(other)
    while index < len(words):
        if index + 1 < len(words) and words[index] + words[index + 1] in other_set:
            joined.append(words[index] + words[index + 1])
            index += 2
        else:
            joined.append(words[index])
            index += 1
    return tuple(joined)


def token_score(query: tuple[str, ...], listed: tuple[str, ...], weights: Weights = DEFAULT, rarity=None) -> float:
    """Best one-to-one token pairs, weighted by their letters (see the module's docstring).

    ``rarity``: token -> weight factor (common tokens such as "muhammad" or "foundation" count less)."""
    if not query or not listed:
        return 0.0
    query, listed = _glued(query, listed), _glued(listed, query)
    size = (lambda token: len(token)) if rarity is None else (lambda token: len(token) * rarity(token))
    pairs = sorted(
        ((token_similarity(q, l, weights), qi, li) for qi, q in enumerate(query) for li, l in enumerate(listed)),
        reverse=True,
    )
    used_query, used_listed, weighted, matched_listed_letters = set(), set(), 0.0, 0
    for score, qi, li in pairs:
        if qi in used_query or li in used_listed:
            continue
        used_query.add(qi)
        used_listed.add(li)
        weighted += score * (size(query[qi]) + size(listed[li]))
        matched_listed_letters += size(listed[li])
    query_letters = sum(map(size, query))
    average = weighted / (query_letters + matched_listed_letters)
    matched_share = matched_listed_letters / sum(map(size, listed))
    return average * (1.0 - (1.0 - matched_share) * weights.unmatched_listed_penalty)


def name_score(query: str | None, listed: str | None, weights: Weights = DEFAULT) -> float:
    """How alike two names are, 0 to 1, in any word order, after normalisation (no rarity weights)."""
    return token_score(tokens(query), tokens(listed), weights)


@dataclass(frozen=True)
class Hit:
    entry: int  # the listed entity (``ent_num``)
    listed_name: str  # its name or alias that scored best
    score: float


class Screening:
    """Listed names indexed for screening: their tokens, blocking keys and the tokens' rarity."""

    def __init__(self, names: list[tuple[int, str]], weights: Weights = DEFAULT):
        self.names = [(entry, name, tokens(name)) for entry, name in names]
        self.weights = weights
        self.blocks: dict[str, list[int]] = defaultdict(list)
        for position, (_, name, _) in enumerate(self.names):
            for key in blocking_keys(name):
                self.blocks[key].append(position)
        frequency = Counter(token for _, _, name_tokens in self.names for token in set(name_tokens))
        size = len(self.names)
        self._rarity = {token: max(1.0, math.log(size / (1 + count))) for token, count in frequency.items()}
        self._unseen = max(1.0, math.log(size))

    def rarity(self, token: str) -> float:
        return self._rarity.get(token, self._unseen)

    def candidates(self, name: str | None) -> set[int]:
        return {position for key in blocking_keys(name) for position in self.blocks.get(key, ())}

    def score(self, name: str | None, position: int) -> float:
        return token_score(tokens(name), self.names[position][2], self.weights, self.rarity)

    def screen(self, name: str | None, threshold: float = THRESHOLD) -> list[Hit]:
        """Every listed entity the name scores ``threshold`` or more against, best first, by its best name."""
        best: dict[int, Hit] = {}
        for position in self.candidates(name):
            entry, listed_name, _ = self.names[position]
            score = self.score(name, position)
            if score >= threshold and (entry not in best or score > best[entry].score):
                best[entry] = Hit(entry, listed_name, score)
        return sorted(best.values(), key=lambda hit: (-hit.score, hit.entry))
