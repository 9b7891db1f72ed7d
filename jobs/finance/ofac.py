"""The OFAC SDN list in its legacy CSV format: three header-less files, read by position.

``sdn.csv`` (entries), ``alt.csv`` (aliases) and ``add.csv`` (addresses) have no header row, write
``-0-`` for an empty field (with a trailing space), end with a DOS end-of-file byte (0x1A), and use CRLF.
Their layouts are fixed by Treasury's specification, so they are declared here, once, by position. A
file that does not fit them (a wrong number of fields, an ``ent_num`` that is not a number, an alias
or address of an entry the list does not have) is refused naming the file and line: a broken list must
never replace the list in force by an empty or partial one.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

EMPTY = "-0-"
END_OF_FILE = b"\x1a"
LAYOUTS = {
    "sdn.csv": ("ent_num", "sdn_name", "sdn_type", "program", "title", "call_sign", "vess_type", "tonnage", "grt", "vess_flag", "vess_owner", "remarks"),
    "alt.csv": ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks"),
    "add.csv": ("ent_num", "add_num", "address", "city_state_zip", "country", "add_remarks"),
}
NAME_TYPES = {"aka", "fka", "nka"}
# An individual's dates of birth are in the remarks: "DOB 10 Dec 1948; alt. DOB 1950; ...", "DOB circa 1955",
# "DOB 1955 to 1957".
_DOB = re.compile(r"\bDOB\s+([^;]*)")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
CIRCA_YEARS = 2  # "circa 1955" covers 1953..1957


class ListFormatError(ValueError):
    """A list file that does not fit its legacy layout."""


@dataclass(frozen=True)
class SanctionsList:
    """One snapshot of the list: entries, aliases and addresses, as dicts of the layouts' fields."""

    entries: list[dict]
    aliases: list[dict]
    addresses: list[dict]

    def names(self) -> list[tuple[int, str, str]]:
        """(ent_num, name, kind) for every primary name and alias: what a screening compares against."""
        primary = [(entry["ent_num"], entry["sdn_name"], "primary") for entry in self.entries]
        return primary + [(alias["ent_num"], alias["alt_name"], alias["alt_type"]) for alias in self.aliases]


def birth_years(remarks: str | None) -> list[int]:
    """Every year an entry's remarks give as a date of birth, a range's years and a "circa"'s neighbours included."""
    years: set[int] = set()
    for stated in _DOB.findall(remarks or ""):
        found = [int(year) for year in _YEAR.findall(stated)]
        if " to " in stated and len(found) == 2:
            years.update(range(found[0], found[1] + 1))
        elif "circa" in stated.lower():
            years.update(year + offset for year in found for offset in range(-CIRCA_YEARS, CIRCA_YEARS + 1))
        else:
            years.update(found)
    return sorted(years)


def parse_rows(name: str, text: str, origin: str | None = None) -> list[dict]:
    """One legacy file's rows (``name`` gives its layout) as dicts (``-0-`` as None), refusing what does not fit.

    ``origin``: how errors name the file (its path or landed URI; ``name`` when None)."""
    origin = origin or name
    layout = LAYOUTS.get(name.lower())
    if layout is None:
        raise ListFormatError(f"{origin}: not a file of the legacy SDN format (expected one of {sorted(LAYOUTS)})")
    text = text.rstrip("\r\n").removesuffix(END_OF_FILE.decode())
    rows = []
    for line, fields in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if not fields:
            continue
        if len(fields) != len(layout):
            raise ListFormatError(f"{origin} line {line}: {len(fields)} fields, the layout has {len(layout)} ({', '.join(layout)})")
        values = [None if value.strip() == EMPTY else value.strip() for value in fields]
        row = dict(zip(layout, values))
        for number in ("ent_num", "alt_num", "add_num"):
            if number in row:
                if row[number] is None or not row[number].isdigit():
                    raise ListFormatError(f"{origin} line {line}: {number} {row[number]!r} is not a number")
                row[number] = int(row[number])
        rows.append(row)
    if not rows:
        raise ListFormatError(f"{origin}: no rows (an empty list is never loaded)")
    return rows


def read_rows(path: Path) -> list[dict]:
    """One legacy file's rows, read from ``path``."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ListFormatError(f"{path}: not UTF-8 at byte {error.start}") from None
    return parse_rows(path.name, text, str(path))


def parse_list(texts: dict[str, str], origins: dict[str, str] | None = None) -> SanctionsList:
    """The three files of one snapshot, by file name -> text; aliases and addresses must belong to entries of the list."""
    origins = origins or {}
    missing = sorted(set(LAYOUTS) - {name.lower() for name in texts})
    if missing:
        raise ListFormatError(f"the snapshot lacks {missing} (delivered: {sorted(texts)})")
    by_name = {name.lower(): (text, origins.get(name, name)) for name, text in texts.items()}
    entries, aliases, addresses = (parse_rows(name, *by_name[name]) for name in ("sdn.csv", "alt.csv", "add.csv"))
    return _checked(entries, aliases, addresses, {name: by_name[name][1] for name in by_name})


def read_list(folder: Path) -> SanctionsList:
    """The three files of one snapshot in ``folder``."""
    entries, aliases, addresses = (read_rows(folder / name) for name in ("sdn.csv", "alt.csv", "add.csv"))
    return _checked(entries, aliases, addresses, {name: str(folder / name) for name in LAYOUTS})


def _checked(entries: list[dict], aliases: list[dict], addresses: list[dict], origins: dict[str, str]) -> SanctionsList:
    known = {entry["ent_num"] for entry in entries}
    for name, rows in (("alt.csv", aliases), ("add.csv", addresses)):
        orphans = sorted({row["ent_num"] for row in rows} - known)
        if orphans:
            raise ListFormatError(f"{origins[name]}: rows of entries not in sdn.csv: ent_num {orphans[:5]}")
    for alias in aliases:
        if not alias["alt_name"] or (alias["alt_type"] or "").lower() not in NAME_TYPES:
            raise ListFormatError(f"{origins['alt.csv']}: alias {alias['alt_num']} has type {alias['alt_type']!r} or no name")
        alias["alt_type"] = alias["alt_type"].lower()
    return SanctionsList(entries, aliases, addresses)
