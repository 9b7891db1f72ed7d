"""Names as a screening compares them: transliterated, tokenised, with the words that say nothing of who
someone is set aside, and a consonant skeleton per token for spellings that transliteration varies.

Sanctions lists and KYC records spell one name many ways: "AL-MAJID, Hussein Kamel" and "Husayn Kamil
al Majid"; "ООО Ромашка" and "Romashka LLC". Screening compares tokens after this normalisation, in any
order (see ``jobs/finance/screening.py``). Spark-free: the screening job runs it in pandas UDFs, the
bench and the tests call it directly.
"""

from __future__ import annotations

import re
from functools import lru_cache

from anyascii import anyascii

# Legal forms of companies, in the languages the lists use: they tell what kind of entity it is, not which.
COMPANY_FORMS = frozenset(
    """
    ab ag as asa bhd bv co company corp corporation cjsc gmbh inc incorporated jsc kg kft lda limited llc llp ltd
    nv oao ojsc ooo oy pjsc plc pte pty sa sac sae sal sarl sas spa sl srl zao fze fzc fzco fzllc
    """.split()
)
# Titles and honorifics, and the particles of Arabic, Persian, Dutch, German, Romance and Slavic names
# that transliterations keep, drop or glue to the next word ("al-Majid", "Almajid", "Majid").
NOISE_WORDS = frozenset(
    """
    mr mrs ms miss dr prof sir sheikh shaykh haji hajji general colonel col gen maj capt
    al el ul bin ibn bint ben van von der den de da di du la le del dos das
    the and of y e
    """.split()
)
# Transliteration's usual variants, mapped to one letter before the skeleton is taken.
_SOUND_CLASSES = str.maketrans({"q": "k", "c": "k", "g": "k", "z": "s", "x": "s", "v": "f", "w": "f", "t": "d"})
_DIGRAPHS = (("kh", "k"), ("gh", "k"), ("ph", "f"), ("th", "d"), ("dh", "d"), ("sh", "s"), ("ch", "s"), ("ck", "k"), ("ou", "u"), ("ee", "i"))
_NOT_WORD = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=200_000)
def tokens(name: str | None) -> tuple[str, ...]:
    """The tokens that identify: ASCII, lower case, apostrophes and stops closed up, other punctuation a space,
    legal forms and honorifics/particles left out (unless nothing else is left)."""
    if not name:
        return ()
    # Apostrophes and full stops close up ("'Abdallah", "S.A." -> "sa"); other punctuation separates words.
    text = anyascii(name).lower().replace("'", "").replace("`", "").replace(".", "")
    words = [word for word in _NOT_WORD.split(text) if word]
    kept = [word for word in words if word not in COMPANY_FORMS and word not in NOISE_WORDS]
    return tuple(kept or words)


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """A token's first letter and the consonants after it, transliteration variants folded and doubled
    letters once: Hussein, Husayn, Hussain -> "hsn"; Qadhafi, Gaddafi -> "kdf"; Muammar, Moammar -> "mmr"."""
    folded = token
    for digraph, letter in _DIGRAPHS:
        folded = folded.replace(digraph, letter)
    folded = folded.translate(_SOUND_CLASSES)
    letters = folded[:1] + "".join(letter for letter in folded[1:] if letter not in "aeiouy")
    return "".join(letter for index, letter in enumerate(letters) if index == 0 or letter != letters[index - 1])


def blocking_keys(name: str | None) -> set[str]:
    """The keys under which a name is looked up: each token's skeleton's first three letters. Two names
    are compared only when they share one, which keeps a screening from comparing every pair."""
    return {skeleton(token)[:3] for token in tokens(name) if len(token) > 1}
