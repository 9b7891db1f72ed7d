"""The sanctions list as the lake keeps it: one row per listed name (primary names and aliases), normalised
for screening.

``read`` is the snapshot job's (``jobs/snapshots.py``) domain part: the landed OFAC files' texts -> the
rows of ``silver.sanctions_entries``. A file that does not fit its layout raises ``ofac.ListFormatError``
naming file and line, so a broken list never replaces the one in force. No Spark: the rows are plain
dicts (the list is about 20,000 names); the screening job reads them back from Delta.
"""

from __future__ import annotations

from jobs.finance import ofac
from jobs.finance.names import tokens

TABLE = "silver.sanctions_entries"
ENTITY = "entity"  # OFAC leaves the type empty for companies, organisations and groups


def programs_of(program: str | None) -> list[str]:
    """OFAC joins an entry's programs as ``SDGT] [IFSR``."""
    return [part.strip(" []") for part in (program or "").split("] [") if part.strip(" []")]


def entry_rows(listed: ofac.SanctionsList) -> list[dict]:
    """One row per name of every entry: its primary name, then its aliases (aka, fka, nka)."""
    entries = {entry["ent_num"]: entry for entry in listed.entries}
    countries: dict[int, set[str]] = {}
    for address in listed.addresses:
        if address["country"]:
            countries.setdefault(address["ent_num"], set()).add(address["country"])

    def row(ent_num: int, alt_num: int | None, kind: str, name: str) -> dict:
        entry = entries[ent_num]
        return {
            "ent_num": ent_num, "alt_num": alt_num, "name_kind": kind, "listed_name": name, "name_tokens": list(tokens(name)),
            "sdn_type": entry["sdn_type"] or ENTITY, "programs": programs_of(entry["program"]),
            "birth_years": ofac.birth_years(entry["remarks"]) if entry["sdn_type"] == "individual" else [],
            "countries": sorted(countries.get(ent_num, ())),
        }

    rows = [row(entry["ent_num"], None, "primary", entry["sdn_name"]) for entry in listed.entries if entry["sdn_name"]]
    return rows + [row(alias["ent_num"], alias["alt_num"], alias["alt_type"], alias["alt_name"]) for alias in listed.aliases]


def read(texts: dict[str, str], origins: dict[str, str]) -> dict[str, list[dict]]:
    """The snapshot job's reader: the three landed files (by name) -> ``{TABLE: rows}``."""
    return {TABLE: entry_rows(ofac.parse_list(texts, origins))}
