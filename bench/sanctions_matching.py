"""How well sanctions screening finds a listed entity under another spelling of its name, and how often
it alerts on people who are not listed: precision and recall on the OFAC list's own aliases.

    .venv/bin/python bench/sanctions_matching.py [--people 5000]

The labelled pairs are real: ``alt.csv`` gives, for each listed entity, the other names it is known by
(aka, fka, nka). Each alias is screened, as a customer's name would be, against the list's primary names
only (against the aliases it would trivially find itself). A hit on its own entity is a true positive,
a hit on any other entity a false positive (some are "right": two entities of one organisation share
names; they are counted against the matcher all the same). Many aliases are translations or noms de
guerre that share no word with the primary name ("ABU HAFS THE MAURITANIAN" aka "AL-SHANQITI, Khalid"):
no name matcher links those, so the bench also prints the share of pairs that share a word-like token at
all, the ceiling for any spelling-based matcher. Then synthetic people (``jobs/synthetic/people.py``, no
real person) are screened against every name of the list: alerts per 1,000 people is the false-alert
load a compliance team would carry. Last, as the screening job screens a KYC record: the same people as
individuals (born 1940-2000, as the accounts generator makes them) against the listed individuals, and
how many of their hits the birth-year check discounts (``jobs/finance/screening_job.py``).

Compared side by side on the same candidate pairs: exact match of the normalised token set; the scoring
of moov-io/watchman (best token pairs by Jaro-Winkler with its length, first-letter and unmatched-token
corrections, its Soundex first-letter filter), re-implemented here from its documented algorithm on the
same normalised tokens; and citylake's (``jobs/finance/screening.py``). Candidates come from blocking
(``names.blocking_keys``); the bench reports how many true pairs blocking keeps and how many pairs it
spares compared with comparing every pair. No Spark: the functions the screening job runs per pair.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz.distance import JaroWinkler  # noqa: E402

from jobs.finance import screening  # noqa: E402
from jobs.finance.names import tokens  # noqa: E402
from jobs.finance.ofac import birth_years, read_list  # noqa: E402
from jobs.finance.screening_job import BIRTH_YEAR_TOLERANCE  # noqa: E402
from jobs.synthetic.people import people_names  # noqa: E402

LIST_FOLDER = Path(__file__).resolve().parent.parent / "tests" / "data" / "ofac_sdn"
THRESHOLDS = (0.80, 0.85, 0.88, 0.90, 0.92, 0.95)
PEOPLE_SEED = 15


def soundex_class(letter: str) -> str:
    for group, code in (("bfpv", "1"), ("cgjkqsxz", "2"), ("dt", "3"), ("l", "4"), ("mn", "5"), ("r", "6")):
        if letter in group:
            return code
    return letter  # vowels and h, w, y stand for themselves, as in watchman's first-letter check


def watchman_token(query: str, listed: str) -> float:
    """watchman's customJaroWinkler: Jaro-Winkler (boost threshold 0.7, prefix 4), x(1-0.3*(1-ratio)) when
    lengths differ by more than 10 %, x0.9 when first letters differ."""
    score = JaroWinkler.similarity(query, listed, prefix_weight=0.1)
    ratio = min(len(query), len(listed)) / max(len(query), len(listed))
    if ratio < 0.9:
        score *= 1.0 - (1.0 - ratio) * 0.3
    if query[0] != listed[0]:
        score *= 0.9
    return score


def watchman_score(query: tuple[str, ...], listed: tuple[str, ...]) -> float:
    """watchman's BestPairsJaroWinkler on the same tokens: Soundex-filtered pairs, best first, one to one,
    weighted by letters, x(1-0.15*unmatched share of the listed name)."""
    if not query or not listed:
        return 0.0
    pairs = sorted(
        ((watchman_token(q, l), qi, li) for qi, q in enumerate(query) for li, l in enumerate(listed) if soundex_class(q[0]) == soundex_class(l[0])),
        reverse=True,
    )
    used_query, used_listed, weighted, matched_listed = set(), set(), 0.0, 0
    for score, qi, li in pairs:
        if qi not in used_query and li not in used_listed:
            used_query.add(qi)
            used_listed.add(li)
            weighted += score * (len(query[qi]) + len(listed[li]))
            matched_listed += len(listed[li])
    average = weighted / (sum(map(len, query)) + matched_listed)
    return average * (1.0 - (1.0 - matched_listed / sum(map(len, listed))) * 0.15)


def exact_score(query: tuple[str, ...], listed: tuple[str, ...]) -> float:
    return 1.0 if query and sorted(query) == sorted(listed) else 0.0


def citylake_score(index: screening.Screening, query: tuple[str, ...], listed: tuple[str, ...]) -> float:
    return screening.token_score(query, listed, index.weights, index.rarity)


MATCHERS = {
    "exact tokens": lambda index, query, listed: exact_score(query, listed),
    "watchman": lambda index, query, listed: watchman_score(query, listed),
    "citylake": citylake_score,
}


def best_per_entity(index: screening.Screening, query: tuple[str, ...], positions, matcher) -> dict[int, float]:
    best: dict[int, float] = {}
    for position in positions:
        entry, _, listed = index.names[position]
        score = matcher(index, query, listed)
        if score > best.get(entry, -1.0):
            best[entry] = score
    return best


def shares_a_token(query: tuple[str, ...], listed: tuple[str, ...]) -> bool:
    return any(JaroWinkler.similarity(q, l) >= 0.85 for q in query for l in listed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000, help="synthetic people screened for the false-alert load")
    args = parser.parse_args()

    sanctions = read_list(LIST_FOLDER)
    primary = screening.Screening([(entry["ent_num"], entry["sdn_name"]) for entry in sanctions.entries])
    positions_of = defaultdict(set)
    for position, (entry, _, _) in enumerate(primary.names):
        positions_of[entry].add(position)
    aliases = [(alias["ent_num"], alias["alt_name"]) for alias in sanctions.aliases]
    print(f"OFAC SDN snapshot: {len(sanctions.entries):,} entries, {len(aliases):,} aliases screened against the primary names")

    kept, compared, ceiling, work = 0, 0, 0, []
    for entry, alias in aliases:
        found = primary.candidates(alias)
        kept += bool(found & positions_of[entry])
        compared += len(found)
        ceiling += shares_a_token(tokens(alias), primary.names[min(positions_of[entry])][2])
        # The own entity is scored even when blocking missed it, so the matchers compare on equal terms.
        work.append((entry, tokens(alias), found | positions_of[entry]))
    every_pair = len(aliases) * len(primary.names)
    print(f"blocking keeps {kept / len(aliases):.3f} of the true pairs and compares {compared:,} pairs instead of {every_pair:,} ({compared / every_pair:.4f})")
    print(f"aliases sharing a word-like token (Jaro-Winkler >= 0.85) with their entity's primary name: {ceiling / len(aliases):.3f} (ceiling of a spelling-based matcher)")

    people = people_names(args.people, PEOPLE_SEED)
    whole_list = screening.Screening([(entry, name) for entry, name, _ in sanctions.names()])

    print(f"\n{'matcher':<14}{'threshold':>10}{'recall':>8}{'precision':>11}{'F1':>7}{'alerts/1k people':>18}{'pairs/s':>10}")
    for label, matcher in MATCHERS.items():
        started, pairs, scored = time.perf_counter(), 0, []
        for entry, query, positions in work:
            scored.append((entry, best_per_entity(primary, query, positions, matcher)))
            pairs += len(positions)
        rate = pairs / (time.perf_counter() - started)
        people_best = [max(best_per_entity(whole_list, tokens(name), whole_list.candidates(name), matcher).values(), default=0.0) for name in people]
        for threshold in THRESHOLDS:
            true_positive = sum(best.get(entry, 0.0) >= threshold for entry, best in scored)
            false_positive = sum(sum(score >= threshold for other, score in best.items() if other != entry) for entry, best in scored)
            recall = true_positive / len(scored)
            precision = true_positive / (true_positive + false_positive) if true_positive + false_positive else 1.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            alerts = 1000 * sum(score >= threshold for score in people_best) / len(people)
            marker = " <- default" if label == "citylake" and threshold == screening.THRESHOLD else ""
            print(f"{label:<14}{threshold:>10.2f}{recall:>8.3f}{precision:>11.3f}{f1:>7.3f}{alerts:>18.1f}{rate:>10,.0f}{marker}")

    individuals = [entry for entry in sanctions.entries if entry["sdn_type"] == "individual"]
    years = {entry["ent_num"]: birth_years(entry["remarks"]) for entry in individuals}
    names = [(entry, name) for entry, name, _ in sanctions.names() if entry in years]
    index = screening.Screening(names)
    rng = random.Random(PEOPLE_SEED)
    hit_people, open_people = 0, 0
    for name in people:
        born = 1940 + rng.randrange(61)
        hits = index.screen(name)
        still_open = [hit for hit in hits if not years[hit.entry] or any(abs(year - born) <= BIRTH_YEAR_TOLERANCE for year in years[hit.entry])]
        hit_people += bool(hits)
        open_people += bool(still_open)
    print(
        f"\nas the screening job: {len(people):,} people against {len(names):,} names of {len(individuals):,} listed individuals at {screening.THRESHOLD}: "
        f"{1000 * hit_people / len(people):.1f} per 1,000 hit by name, {1000 * open_people / len(people):.1f} per 1,000 left open after the birth-year check"
    )


if __name__ == "__main__":
    main()
