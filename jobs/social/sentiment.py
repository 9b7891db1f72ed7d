"""A post's sentiment about what it reports, in English and Chinese, as a score in [-1, 1] and a class.

English: VADER (``vaderSentiment`` 3.3.2, a lexicon and rules made for social text, shipped with its
lexicon so it works offline) with the city-services lexicon ``jobs/reference/social_sentiment_lexicon.csv``
added. Stock VADER reads complaints as praise: "thanks MTA, another 40 minute delay" is positive to it,
because "thanks" is and "delay" is not in its lexicon. So the lexicon adds the words of service failures
(``word``: delay, skipped, stuck...), phrases VADER cannot hold (``phrase``: "thanks for nothing",
"and counting"; each adds valence/4 to the compound score) and ``polite`` words (thanks, please, love,
great...), which count only in a post with no complaint term: inside a complaint they are politeness or
sarcasm. Chinese: no maintained offline library fits (``snownlp``'s model is trained on product
reviews), so the same lexicon's Chinese rows are summed (a negator right before a positive term flips
it) and squashed as VADER does (``s / sqrt(s² + 15)``).

Texts are cut at ``MAX_TEXT_CHARS`` first: VADER's time grows badly with long emoji-heavy texts (its
issue #110). ``classify`` turns a score into negative / neutral / positive with per-language thresholds calibrated
on the labelled set (see README, "Social posts"). ``METHOD`` names lexicon version and thresholds, so a
table says how its sentiment was computed.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from jobs.social.terms import Terms, words_of

MAX_TEXT_CHARS = 1_000
# (negative at or below, positive at or above), per language: calibrated on the labelled set (best
# agreement on one generated sample, checked on another; see README, "Social posts"). VADER's usual
# thresholds are (-0.05, 0.05).
THRESHOLDS = {"en": (-0.14, 0.10), "zh": (-0.28, 0.20)}
CLASSES = ("negative", "neutral", "positive")
_NEGATORS = ("不", "没", "别", "未")
_VADER_ALPHA = 15


@dataclass(frozen=True)
class Lexicon:
    """One language's rows of the lexicon file, each kind searched in one pass (``jobs.social.terms``)."""

    version: int
    words: dict[str, float]  # en: added to VADER's lexicon; zh: summed
    phrases: dict[str, float]
    polite: dict[str, float]
    word_terms: Terms
    phrase_terms: Terms
    polite_terms: Terms
    complaint_terms: Terms  # every negative word and phrase


@lru_cache(maxsize=None)
def lexicon(language: str) -> Lexicon:
    text = resources.files("jobs.reference").joinpath("social_sentiment_lexicon.csv").read_text(encoding="utf-8")
    rows = [row for row in csv.DictReader(io.StringIO(text)) if row["language"] == language]
    versions = {int(row["version"]) for row in rows}
    if len(versions) != 1:
        raise ValueError(f"social_sentiment_lexicon.csv: one version per language, found {sorted(versions)} for {language}")
    kinds: dict[str, dict[str, float]] = {"word": {}, "phrase": {}, "polite": {}}
    for row in rows:
        if row["kind"] not in kinds:
            raise ValueError(f"social_sentiment_lexicon.csv: unknown kind {row['kind']!r} for {row['term']!r}")
        kinds[row["kind"]][row["term"].strip().lower()] = float(row["valence"]) if row["valence"] else 0.0
    negative = [term for kind in ("word", "phrase") for term, valence in kinds[kind].items() if valence < 0]
    return Lexicon(
        versions.pop(), kinds["word"], kinds["phrase"], kinds["polite"],
        Terms(kinds["word"]), Terms(kinds["phrase"]), Terms(kinds["polite"]), Terms(negative),
    )


def _squash(total: float) -> float:
    return total / math.sqrt(total * total + _VADER_ALPHA)


def _vader():
    """VADER's analyser, without its emoji pass where a text holds no emoji.

    ``polarity_scores`` first rebuilds the text character by character, replacing each emoji by its
    description: a Python string concatenation per character, a fifth of VADER's time on posts of 60
    characters. A text with none of VADER's emoji comes out of that pass as it went in, stripped, so
    this analyser skips it there and runs the rest of ``polarity_scores`` as vaderSentiment 3.3.2 does
    (the version ``setup.cfg`` pins); a text with an emoji goes through VADER's own method. The scores
    are the same (``tests/test_social.py`` compares them with the stock analyser's).
    """
    from vaderSentiment.vaderSentiment import BOOSTER_DICT, SentimentIntensityAnalyzer, SentiText

    class Analyzer(SentimentIntensityAnalyzer):
        def __init__(self) -> None:
            super().__init__()
            # VADER looks each character up: only one-character emoji can be found.
            self.emoji_characters = frozenset(emoji for emoji in self.emojis if len(emoji) == 1)

        def polarity_scores(self, text):
            if not self.emoji_characters.isdisjoint(text):
                return super().polarity_scores(text)
            text = text.strip()
            sentitext = SentiText(text)
            sentiments = []
            words_and_emoticons = sentitext.words_and_emoticons
            for i, item in enumerate(words_and_emoticons):
                valence = 0
                if item.lower() in BOOSTER_DICT:
                    sentiments.append(valence)
                    continue
                if i < len(words_and_emoticons) - 1 and item.lower() == "kind" and words_and_emoticons[i + 1].lower() == "of":
                    sentiments.append(valence)
                    continue
                sentiments = self.sentiment_valence(valence, sentitext, item, i, sentiments)
            sentiments = self._but_check(words_and_emoticons, sentiments)
            return self.score_valence(sentiments, text)

    return Analyzer()


class Scorer:
    """Built once per Spark task (VADER's analyser loads its lexicon file when made)."""

    def __init__(self) -> None:
        self._english = lexicon("en")
        self._chinese = lexicon("zh")
        self._vader = _vader()
        self._vader.lexicon.update(self._english.words)

    def score(self, text: str | None, language: str | None) -> float | None:
        if not text:
            return None
        text = text[:MAX_TEXT_CHARS]
        return self._chinese_score(text) if language == "zh" else self._english_score(text)

    def _english_score(self, text: str) -> float:
        lexicon = self._english
        lowered = text.lower()
        words = words_of(lowered)
        phrases = {match.term for match in lexicon.phrase_terms.find(lowered, words)}
        if lexicon.complaint_terms.find(lowered, words):
            # Inside a complaint, polite words are politeness or sarcasm: VADER does not see them.
            for match in reversed(lexicon.polite_terms.find(lowered, words)):
                lowered = lowered[: match.start] + " " * len(match.term) + lowered[match.start + len(match.term) :]
        compound = self._vader.polarity_scores(lowered)["compound"]
        compound += sum(lexicon.phrases[term] / 4 for term in phrases)
        return round(max(-1.0, min(1.0, compound)), 4)

    def _chinese_score(self, text: str) -> float:
        lexicon = self._chinese
        total = 0.0
        for match in lexicon.word_terms.find(text):
            valence = lexicon.words[match.term]
            negated = valence > 0 and match.start > 0 and text[match.start - 1] in _NEGATORS
            total += -valence if negated else valence
        total += sum(lexicon.phrases[term] for term in {match.term for match in lexicon.phrase_terms.find(text)})
        complaint = total < 0
        total += sum(-1.0 if complaint else lexicon.polite[term] for term in {match.term for match in lexicon.polite_terms.find(text)})
        return round(_squash(total), 4)


def classify(score: float | None, language: str | None) -> str | None:
    """negative, neutral or positive by the language's thresholds; None without a score or a language read."""
    if score is None or language not in THRESHOLDS:
        return None
    negative, positive = THRESHOLDS[language]
    if score <= negative:
        return "negative"
    return "positive" if score >= positive else "neutral"


def method() -> str:
    """How sentiment was computed, for the table (lexicon versions and thresholds)."""
    return (
        f"en: vader-3.3.2 + citylex v{lexicon('en').version} {THRESHOLDS['en']}; "
        f"zh: citylex v{lexicon('zh').version} {THRESHOLDS['zh']}"
    )
